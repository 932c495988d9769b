package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"homeward/hooks/reports"
	"homeward/internal/testserver"
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
	jsKeys   = regexp.MustCompile(`i18n\.t\('([a-z_]+\.[a-z_]+|[a-z_]+)'`)
)

// Every string the app shows has an English source, and every language
// file has exactly the English keys.
func TestEveryStringIsInEveryLanguage(t *testing.T) {
	t.Parallel()
	en := map[string]string{}
	if err := json.Unmarshal([]byte(publicFile(t, "i18n/en.json")), &en); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range htmlKeys.FindAllStringSubmatch(publicFile(t, "index.html"), -1) {
		used[m[1]] = true
	}
	for _, src := range scripts(t) {
		for _, m := range jsKeys.FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
	}
	// Keys built at run time from server values.
	for _, s := range reports.Statuses {
		used["status."+s] = true
	}
	for _, s := range []string{"saved", "sending", "sent", "failed", "conflict"} {
		used["s."+s] = true
	}
	for _, n := range []string{"safety", "medical", "shelter", "food_money", "documents", "legal", "repatriation", "family_contact", "other"} {
		used["need."+n] = true
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("the app uses %q but en.json lacks it", k)
		}
	}
	for _, l := range []string{"id", "zh", "vi", "th", "my", "km", "fil"} {
		d := map[string]string{}
		if err := json.Unmarshal([]byte(publicFile(t, "i18n/"+l+".json")), &d); err != nil {
			t.Fatalf("%s.json: %v", l, err)
		}
		for k := range en {
			if strings.TrimSpace(d[k]) == "" {
				t.Errorf("%s.json lacks %q", l, k)
			}
		}
		for k := range d {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which en.json does not", l, k)
			}
		}
		if !strings.Contains(d["_review"], "NEEDS NATIVE REVIEW") {
			t.Errorf("%s.json is not marked for native review", l)
		}
	}
}
