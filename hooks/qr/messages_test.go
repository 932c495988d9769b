package qr

import "testing"

func TestEveryPhraseHasEnglishAndOnlyKnownLanguages(t *testing.T) {
	t.Parallel()
	for key, byLang := range phrases {
		if byLang["en"] == "" {
			t.Errorf("%s has no English", key)
		}
		for lang := range byLang {
			if !knownLanguage(lang) {
				t.Errorf("%s has unknown language %q", key, lang)
			}
		}
	}
	for lang := range languageNames {
		if posterLines[lang] == "" {
			t.Errorf("no poster line in %s", lang)
		}
	}
}

func TestPageLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ given, accept, want string }{
		{"vi", "th", "vi"},
		{"", "th-TH,en;q=0.8", "th"},
		{"", "tl-PH", "fil"},
		{"", "de, fr", "en"},
		{"xx", "", "en"},
		{"", "zh-Hans-CN;q=0.9", "zh"},
	} {
		if got := pageLanguage(c.given, c.accept); got != c.want {
			t.Errorf("pageLanguage(%q, %q) = %q, want %q", c.given, c.accept, got, c.want)
		}
	}
}
