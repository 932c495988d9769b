package privacy_test

import (
	"strings"
	"testing"

	"homeward/hooks/privacy"
)

func TestScrubQueryKeepsNamesNeverValues(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"q=river", "q=…"},
		{"q=r%C3%ADo&page=2&perPage=50", "q=…&page=…&perPage=…"},
		{"filter=contact_phone%3D%22%2B000+1%22", "filter=…"},
		{"token=eyJhbGciOi.abc.def", "token=…"},
		{"MarkerSearch5521", "MarkerSearch5521=…"},
		{"name+with+spaces=1", "…"},
		{"%E1%80%99%E1%80%BC=x", "…"}, // a name in Burmese: free text, not a parameter
		{strings.Repeat("a", 40) + "=1", "…"},
		{"=v&&x", "…&…&x=…"},
	}
	for _, c := range cases {
		if got := privacy.ScrubQuery(c.in); got != c.want {
			t.Errorf("ScrubQuery(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRedactSQLCutsBeforeTheFirstValue covers each way dbx writes a bound
// value into its logged SQL, including values built to look like the
// statement around them.
func TestRedactSQLCutsBeforeTheFirstValue(t *testing.T) {
	t.Parallel()
	const secret = "SECRET"
	cases := []struct{ in, want string }{
		{"SELECT `reports`.* FROM `reports` WHERE `id`='abc'", "SELECT `reports`.* FROM `reports` WHERE `id`=… (values not logged)"},
		{"INSERT INTO `messages` (`body`, `id`) VALUES ('SECRET', 'x')", "INSERT INTO `messages` (`body`, `id`) VALUES (… (values not logged)"},
		{"UPDATE `reports` SET `message`='it''s SECRET' WHERE `id`='x'", "UPDATE `reports` SET `message`=… (values not logged)"},
		{"INSERT INTO `t` (`a`, `b`) VALUES ('a', 'b'SECRET'c')", "INSERT INTO `t` (`a`, `b`) VALUES (… (values not logged)"},
		{"INSERT INTO `files` (`data`) VALUES (0x534543524554)", "INSERT INTO `files` (`data`) VALUES (… (values not logged)"},
		{"SELECT count(*) FROM `reports` LIMIT 50", "SELECT count(*) FROM `reports` LIMIT 50"},
		{"SELECT `x0x1` FROM `t`", "SELECT `x0x1` FROM `t`"},
	}
	for _, c := range cases {
		got := privacy.RedactSQL(c.in)
		if got != c.want {
			t.Errorf("RedactSQL(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, secret) {
			t.Errorf("RedactSQL(%q) keeps the value: %q", c.in, got)
		}
	}
}
