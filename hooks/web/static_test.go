package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"homeward/internal/i18ntest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

func publicFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "pb_public", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func scripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"sw.js": publicFile(t, "sw.js")}
	for _, dir := range []string{"js", "staff"} {
		files, _ := filepath.Glob(filepath.Join(testserver.RepoRoot(), "pb_public", dir, "*.js"))
		for _, f := range files {
			out[dir+"/"+filepath.Base(f)] = publicFile(t, dir+"/"+filepath.Base(f))
		}
	}
	return out
}

// Cheap phones keep Chrome 80 for years. These are the features newer than
// it that are easy to type by habit and that a parser cannot see (library
// functions, and how sw.js is loaded); each pattern names what to use
// instead. Newer syntax is refused by TestScriptsParseForChrome80.
var newerThanChrome80 = map[string]*regexp.Regexp{
	"String.replaceAll (Chrome 85): use split/join":             regexp.MustCompile(`\.replaceAll\(`),
	"Array.at (Chrome 92): use a[a.length - 1]":                 regexp.MustCompile(`\.at\(`),
	"structuredClone (Chrome 98)":                               regexp.MustCompile(`structuredClone\(`),
	"Object.hasOwn (Chrome 93)":                                 regexp.MustCompile(`Object\.hasOwn\(`),
	"findLast (Chrome 97)":                                      regexp.MustCompile(`\.findLast(Index)?\(`),
	"module service workers (Chrome 91): keep sw.js classic":    regexp.MustCompile(`(?m)^import `),
	"spread call after ?. (Chrome 91): test the function first": regexp.MustCompile(`\?\.\([^()]*\.\.\.`),
}

func TestScriptsAvoidFeaturesNewerThanChrome80(t *testing.T) {
	t.Parallel()
	for name, src := range scripts(t) {
		for why, re := range newerThanChrome80 {
			if strings.HasPrefix(why, "module service workers") && name != "sw.js" {
				continue
			}
			if loc := re.FindStringIndex(src); loc != nil {
				line := strings.Count(src[:loc[0]], "\n") + 1
				t.Errorf("%s:%d uses %s", name, line, why)
			}
		}
	}
	css := publicFile(t, "css/app.css")
	for why, re := range map[string]*regexp.Regexp{
		"flex gap (Chrome 84): use margins": regexp.MustCompile(`(?m)^\s*(row-|column-)?gap:`),
		":is()/:where() (Chrome 88)":        regexp.MustCompile(`:(is|where)\(`),
		"aspect-ratio (Chrome 88)":          regexp.MustCompile(`aspect-ratio`),
		"inset shorthand (Chrome 87)":       regexp.MustCompile(`(?m)^\s*inset:`),
	} {
		if re.MatchString(css) {
			t.Errorf("app.css uses %s", why)
		}
	}
}

// The shell may not carry inline script or style: the CSP forbids both.
func TestShellHasNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	html := publicFile(t, "index.html")
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle="`),
		regexp.MustCompile(`\son[a-z]+="`),
		regexp.MustCompile(`https?://`),
	} {
		if m := re.FindString(html); m != "" {
			t.Errorf("index.html contains %q", m)
		}
	}
}

var (
	htmlKeys = regexp.MustCompile(`data-i18n(?:-ph)?="([^"]+)"`)
	// jsCalls are keys passed straight to t(); jsLiterals are all the
	// quoted names a script holds, for keys chosen by a condition or kept
	// in a table before they reach t().
	jsCalls    = regexp.MustCompile(`i18n\.t\('([a-z_]+(?:\.[a-z_]+)?)'`)
	jsLiterals = regexp.MustCompile(`'([a-z_]+\.[a-z_]+)'`)
)

// outboxStates are the states a report or reply on the phone passes
// through (sync.js; key_broken: held for a broken key chain; key_waiting:
// held for an embassy with no key yet); the app
// shows each as "s." + state.
var outboxStates = []string{"saved", "sending", "sent", "failed", "conflict", "rejected", "key_broken", "key_waiting"}

// runtimeKeys are the keys the reporter and volunteer apps build at run
// time from a value: a report's status and the needs (internal/vocab),
// and the phone's own outbox states.
func runtimeKeys() map[string]bool {
	keys := map[string]bool{}
	for prefix, values := range map[string][]string{"status.": vocab.Statuses, "need.": vocab.Needs, "s.": outboxStates} {
		for _, v := range values {
			keys[prefix+v] = true
		}
	}
	return keys
}

func languageFile(t *testing.T, lang string) map[string]string {
	t.Helper()
	d := map[string]string{}
	if err := json.Unmarshal([]byte(publicFile(t, "i18n/"+lang+".json")), &d); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return d
}

// TestEveryStringIsInEveryLanguage holds the eight language files to the
// apps and to the vocabulary. English is the source: every key the shell
// or a script uses, and every label of a status or a need, is in en.json;
// en.json has no key nobody uses; and every other language has exactly
// en.json's keys, each with a text. A missing key is not covered at run
// time: t() shows the key itself (a data-i18n element keeps the shell's
// English), so the test asks for all of them.
func TestEveryStringIsInEveryLanguage(t *testing.T) {
	t.Parallel()
	en := languageFile(t, "en")
	namespaces := map[string]bool{}
	for k := range en {
		if ns, _, ok := strings.Cut(k, "."); ok {
			namespaces[ns] = true
		}
	}
	used := runtimeKeys()
	for _, m := range htmlKeys.FindAllStringSubmatch(publicFile(t, "index.html"), -1) {
		used[m[1]] = true
	}
	for name, src := range scripts(t) {
		if strings.HasPrefix(name, "staff/") {
			continue // the console has its own language files, checked in hooks/staff
		}
		for _, m := range jsCalls.FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
		for _, m := range jsLiterals.FindAllStringSubmatch(src, -1) {
			if ns, _, _ := strings.Cut(m[1], "."); namespaces[ns] {
				used[m[1]] = true
			}
		}
	}
	i18ntest.CompareUsed(t, "en.json", en, used)
	for _, l := range vocab.Languages[1:] {
		i18ntest.Compare(t, l+".json", en, languageFile(t, l))
	}
}

// TestLanguageFilesAreTheVocabularysLanguages: pb_public/i18n holds one
// file per language of internal/vocab, and countries.json names the
// nationalities in each.
func TestLanguageFilesAreTheVocabularysLanguages(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testserver.RepoRoot(), "pb_public", "i18n", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); name != "countries" {
			langs = append(langs, name)
		}
	}
	want := slices.Sorted(slices.Values(vocab.Languages))
	if !slices.Equal(langs, want) {
		t.Errorf("pb_public/i18n has the languages %v, the vocabulary %v", langs, want)
	}
	var countries struct {
		Codes []string                     `json:"codes"`
		Names map[string]map[string]string `json:"names"`
	}
	if err := json.Unmarshal([]byte(publicFile(t, "i18n/countries.json")), &countries); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(countries.Codes, vocab.Nationalities) {
		t.Errorf("countries.json lists %v, the vocabulary %v", countries.Codes, vocab.Nationalities)
	}
	for _, l := range vocab.Languages {
		for _, c := range vocab.Nationalities {
			if countries.Names[l][c] == "" {
				t.Errorf("countries.json has no %s name for %s", l, c)
			}
		}
	}
}

// TestShellChoicesAreTheVocabulary: the choices index.html writes out (so
// the page reads as plain HTML before any script runs) are the
// vocabulary's, in its order.
func TestShellChoicesAreTheVocabulary(t *testing.T) {
	t.Parallel()
	html := publicFile(t, "index.html")
	menu := regexp.MustCompile(`(?s)<select id="lang">(.*?)</select>`).FindStringSubmatch(html)
	if menu == nil {
		t.Fatal("index.html has no language menu")
	}
	var langs []string
	for _, m := range regexp.MustCompile(`<option value="([^"]*)" lang="([^"]*)">([^<]*)</option>`).FindAllStringSubmatch(menu[1], -1) {
		langs = append(langs, m[1])
		if m[2] != m[1] || m[3] != vocab.LanguageNames[m[1]] {
			t.Errorf("the language menu shows %s as %q in lang %q, want %q", m[1], m[3], m[2], vocab.LanguageNames[m[1]])
		}
	}
	if !slices.Equal(langs, vocab.Languages) {
		t.Errorf("the language menu offers %v, the vocabulary %v", langs, vocab.Languages)
	}
	var passport []string
	for _, m := range regexp.MustCompile(`name="passport_held" value="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		passport = append(passport, m[1])
	}
	if !slices.Equal(passport, vocab.PassportAnswers) {
		t.Errorf("the passport question offers %v, the vocabulary %v", passport, vocab.PassportAnswers)
	}
	for _, field := range vocab.UrgentAnswers {
		if !strings.Contains(html, `type="checkbox" name="`+field+`"`) {
			t.Errorf("the form does not ask %s, which the urgency rule reads", field)
		}
	}
}

// TestStylesheetsNameFontsForEveryScript: every stylesheet's font list
// names, before the generic family, fonts phones ship for Thai, Burmese and
// Khmer (Android's Noto, Windows' own), and none downloads a web font: on
// 2G a font download would hold the text back, and a script without a
// named font may fall back to boxes on some phones.
func TestStylesheetsNameFontsForEveryScript(t *testing.T) {
	stack := regexp.MustCompile(`font(?:-family)?:\s*(?:[0-9]+px/[0-9.]+\s+)?(system-ui[^;]*);`)
	for _, name := range []string{"css/app.css", "css/contact.css", "css/poster.css", "staff/staff.css"} {
		css := publicFile(t, name)
		if strings.Contains(css, "@font-face") || strings.Contains(css, "url(") && strings.Contains(css, ".woff") {
			t.Errorf("%s downloads a web font", name)
		}
		m := stack.FindStringSubmatch(css)
		if m == nil {
			t.Errorf("%s names no font list", name)
			continue
		}
		for _, script := range []struct{ name, fonts string }{
			{"Thai", `"Noto Sans Thai" "Leelawadee UI"`},
			{"Burmese", `"Noto Sans Myanmar" "Myanmar Text"`},
			{"Khmer", `"Noto Sans Khmer" "Khmer UI"`},
		} {
			for _, f := range strings.Split(script.fonts, `" "`) {
				if !strings.Contains(m[1], `"`+strings.Trim(f, `"`)+`"`) {
					t.Errorf("%s names no %s font %s", name, script.name, f)
				}
			}
		}
	}
}
