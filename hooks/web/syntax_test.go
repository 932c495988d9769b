package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"

	"homeward/internal/testserver"
)

// chrome80 is the oldest browser the apps run in, for esbuild.
var chrome80 = []api.Engine{{Name: api.EngineChrome, Version: "80"}}

// chrome80Supported corrects esbuild's table where it is stricter than the
// language Chrome 80 understands. Optional chaining shipped in Chrome 80;
// esbuild lists it from Chrome 91 because one corner, a spread call after
// it (f?.(...args)), was wrong until then: newerThanChrome80 forbids that
// corner instead.
var chrome80Supported = map[string]bool{"optional-chain": true}

// syntaxNewerThanChrome80 parses src with esbuild and returns what Chrome 80
// could not run: esbuild's errors (syntax it cannot lower, such as
// top-level await), or the first line it had to rewrite for Chrome 80 (a
// chrome80 build that differs from an esnext build of the same file).
func syntaxNewerThanChrome80(name, src string) string {
	build := func(engines []api.Engine) (string, string) {
		res := api.Transform(src, api.TransformOptions{
			Sourcefile: name,
			Loader:     api.LoaderJS,
			Engines:    engines,
			Supported:  chrome80Supported,
			Charset:    api.CharsetUTF8,
			LogLevel:   api.LogLevelSilent,
		})
		if len(res.Errors) > 0 {
			msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
			return "", strings.Join(msgs, "")
		}
		return string(res.Code), ""
	}
	latest, errs := build(nil)
	if errs != "" {
		return "esbuild cannot parse it:\n" + errs
	}
	old, errs := build(chrome80)
	if errs != "" {
		return "Chrome 80 cannot run it:\n" + errs
	}
	if old == latest {
		return ""
	}
	// The first line of the esnext build missing from the chrome80 one is
	// what was rewritten (helpers esbuild adds for it go elsewhere).
	kept := map[string]bool{}
	for _, l := range strings.Split(old, "\n") {
		kept[l] = true
	}
	for _, l := range strings.Split(latest, "\n") {
		if !kept[l] {
			return "esbuild had to rewrite syntax for Chrome 80:\n\t" + strings.TrimSpace(l)
		}
	}
	return "esbuild had to rewrite syntax for Chrome 80"
}

// TestScriptsParseForChrome80 runs every script of the web apps (reporter,
// volunteer, staff console, service worker) through a real parser set for
// Chrome 80. The regexps of TestScriptsAvoidFeaturesNewerThanChrome80 stay
// for what a parser cannot see: methods and globals newer than Chrome 80.
func TestScriptsParseForChrome80(t *testing.T) {
	t.Parallel()
	root := filepath.Join(testserver.RepoRoot(), "pb_public")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(root, path)
		n++
		if why := syntaxNewerThanChrome80(name, string(src)); why != "" {
			t.Errorf("%s: %s", name, why)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("checked only %d scripts: the walk missed pb_public", n)
	}
}

// The check itself must catch what it is for, and pass what Chrome 80 has.
func TestChrome80SyntaxCheckCatchesNewerSyntax(t *testing.T) {
	t.Parallel()
	newer := map[string]string{
		"logical assignment (Chrome 85)":  "let a = 0, b = 1; a ??= b; a ||= b; a &&= b;",
		"private class field (Chrome 84)": "class A { #x = 1; get() { return this.#x; } }",
		"private method (Chrome 84)":      "class A { #m() {} run() { this.#m(); } }",
		"class static block (Chrome 94)":  "class A { static { A.ready = true; } }",
		"top-level await (Chrome 89)":     "export const keys = await fetch('/k').then((r) => r.json());",
	}
	for why, src := range newer {
		if syntaxNewerThanChrome80("snippet.js", src) == "" {
			t.Errorf("the Chrome 80 check passed %s: %s", why, src)
		}
	}
	chrome80OK := map[string]string{
		"optional chaining (Chrome 80)":      "const el = document.getElementById('x'); el?.focus(); const n = el?.dataset?.n;",
		"nullish coalescing (Chrome 80)":     "const v = window.x ?? 1;",
		"public class fields (Chrome 72)":    "class A { x = 1; static y = 2; }",
		"numeric separator (Chrome 75)":      "const big = 1_000_000;",
		"async iteration (Chrome 63)":        "async function f(s) { for await (const c of s) console.log(c); }",
		"object spread (Chrome 60)":          "const o = { ...window.a, b: 1 };",
		"optional catch binding (Chrome 66)": "try { JSON.parse('x'); } catch { }",
		"dynamic import (Chrome 63)":         "import('./volunteer.js').then((m) => m.start());",
	}
	for what, src := range chrome80OK {
		if why := syntaxNewerThanChrome80("snippet.js", src); why != "" {
			t.Errorf("the Chrome 80 check refused %s: %s", what, why)
		}
	}
}

// importedScripts returns the scripts sw.js loads with importScripts.
func importedScripts(t *testing.T) []string {
	t.Helper()
	call := regexp.MustCompile(`importScripts\(([^)]*)\)`).FindStringSubmatch(publicFile(t, "sw.js"))
	if call == nil {
		t.Fatal("sw.js imports no scripts: it cannot send the outbox with no page open")
	}
	var out []string
	for _, m := range regexp.MustCompile(`'/([^']+)'`).FindAllStringSubmatch(call[1], -1) {
		out = append(out, m[1])
	}
	return out
}

// The scripts the service worker imports run as classic scripts (Chrome 80
// has no module service workers): no import or export may creep in, and
// the page must load them with plain script tags, not as modules.
func TestServiceWorkerImportsClassicScripts(t *testing.T) {
	t.Parallel()
	module := regexp.MustCompile(`(?m)^\s*(import\s|export\s)|\bimport\.meta\b`)
	html := publicFile(t, "index.html")
	for _, name := range importedScripts(t) {
		src := publicFile(t, name)
		if loc := module.FindStringIndex(src); loc != nil {
			t.Errorf("%s:%d is module syntax, but sw.js loads it with importScripts", name, strings.Count(src[:loc[0]], "\n")+1)
		}
		if !strings.Contains(html, `<script defer src="/`+name+`"></script>`) {
			t.Errorf("index.html does not load %s as a classic script", name)
		}
	}
}
