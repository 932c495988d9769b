package web

import "testing"

// TestShellLanguageIsPickedAsThePhonePicksIt: the server's pick for the
// shell follows js/i18n.js's pick() for what a server can see: the link's
// ?lang=, else the browser's list, with Tagalog as Filipino and the old
// "in" as Indonesian, else English.
func TestShellLanguageIsPickedAsThePhonePicksIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ query, accept, want string }{
		{"km", "th-TH,en;q=0.8", "km"},
		{"", "th-TH,en;q=0.8", "th"},
		{"xx", "my-MM", "my"},
		{"", "tl-PH", "fil"},
		{"", "in-ID", "id"},
		{"", "zh-Hans-CN;q=0.9", "zh"},
		{"", "de, fr;q=0.5", "en"},
		{"", "", "en"},
	} {
		if got := language(c.query, c.accept); got != c.want {
			t.Errorf("language(%q, %q) = %q, want %q", c.query, c.accept, got, c.want)
		}
	}
}
