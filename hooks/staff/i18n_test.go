package staff_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"homeward/hooks/setup"
	"homeward/internal/i18ntest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

var (
	// consoleHTMLKeys are the keys the console's page names in data-i18n,
	// data-i18n-ph, data-i18n-title and data-i18n-aria.
	consoleHTMLKeys = regexp.MustCompile(`data-i18n(?:-ph|-title|-aria)?="([^"]+)"`)
	// consoleSayKeys are keys passed straight to say(); consoleLiterals are
	// all the quoted dotted names a script holds, for keys kept in a table
	// or chosen by a condition before they reach say().
	consoleSayKeys  = regexp.MustCompile(`say\('([^']+)'`)
	consoleLiterals = regexp.MustCompile(`'([a-zA-Z_]+\.[-a-zA-Z0-9_.]+)'`)
)

// consoleValueLists are the stored values the console shows through
// label(), as "value." + value.
var consoleValueLists = [][]string{
	vocab.Statuses, vocab.Needs, vocab.Languages, vocab.Genders, vocab.AgeBands, vocab.PassportAnswers,
	vocab.Channels, vocab.EventKinds, vocab.UrgentAnswers, {"yes", "no", "unknown"},
	{"system", "superuser", "reporter", "volunteers"}, // who acted, when not a member of staff (reports.Actor)
}

// consoleKeysUsed reads the console's page and scripts for the keys they
// use.
func consoleKeysUsed(t *testing.T, namespaces map[string]bool) map[string]bool {
	t.Helper()
	dir := filepath.Join(testserver.RepoRoot(), "pb_public", "staff")
	used := map[string]bool{}
	for _, list := range consoleValueLists {
		for _, v := range list {
			used["value."+v] = true
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range consoleHTMLKeys.FindAllStringSubmatch(string(html), -1) {
		used[m[1]] = true
	}
	scripts, err := filepath.Glob(filepath.Join(dir, "*.js"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no console scripts (%v)", err)
	}
	for _, f := range scripts {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range consoleSayKeys.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
		for _, m := range consoleLiterals.FindAllStringSubmatch(string(src), -1) {
			if ns, _, _ := strings.Cut(m[1], "."); namespaces[ns] {
				used[m[1]] = true
			}
		}
	}
	return used
}

// TestEveryConsoleStringIsInEveryLanguage holds the staff console's
// language files (pb_public/i18n/staff/<lang>.json) to the reporter app's
// rules: one file per language of the vocabulary; every key the console
// uses is in en.json and nothing in en.json is unused; every other
// language has every key, no other, with the same {placeholders}, and is
// marked for native review as a whole file ("_review"). The browser
// tests add a check at run time: a key missing when the console asks for
// it is logged as an error, which fails them.
func TestEveryConsoleStringIsInEveryLanguage(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testserver.RepoRoot(), "pb_public", "i18n", "staff", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, f := range files {
		langs = append(langs, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	if want := slices.Sorted(slices.Values(vocab.Languages)); !slices.Equal(langs, want) {
		t.Errorf("pb_public/i18n/staff has the languages %v, the vocabulary %v", langs, want)
	}

	en := consoleLanguage(t, "en")
	namespaces := map[string]bool{}
	for k := range en {
		if ns, _, ok := strings.Cut(k, "."); ok {
			namespaces[ns] = true
		}
	}
	used := consoleKeysUsed(t, namespaces)
	i18ntest.CompareUsed(t, "staff/en.json", en, used)
	for _, l := range vocab.Languages[1:] {
		i18ntest.Compare(t, "staff/"+l+".json", en, consoleLanguage(t, l))
	}
}

// TestConsoleNamesEverySetupCheck: each check the server can report
// (hooks/setup) has the console's words in staff/en.json, so no language
// gets the server's English sentence.
func TestConsoleNamesEverySetupCheck(t *testing.T) {
	t.Parallel()
	en := consoleLanguage(t, "en")
	for _, code := range []string{setup.CodePublicURL, setup.CodeMail, setup.CodeProxy, setup.CodeProxyTrust, setup.CodeBackups, setup.CodeDemo} {
		if en["setup.check."+code] == "" {
			t.Errorf("staff/en.json has no words for the setup check %q", code)
		}
	}
}
