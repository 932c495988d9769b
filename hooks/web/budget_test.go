package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"homeward/internal/testserver"
)

// firstLoadBudget is the most the first visit of / may transfer, gzipped:
// at 2G's roughly 5 KB/s in practice it is about twelve seconds.
const firstLoadBudget = 60 * 1024

var (
	// shellRefs finds the files index.html makes the browser fetch: every
	// href and src except links to other pages (<a href>).
	shellRefs = regexp.MustCompile(`<(?:link|script|img|source)\b[^>]*?(?:href|src)="(/[^"]+)"`)
	// staticImports finds `import ... from './x.js'`; dynamic import() of
	// volunteer mode is left out on purpose: the reporter never loads it.
	staticImports = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'([^']+)'`)
	// fetchedByApp lists what app.js fetches at start besides modules.
	fetchedByApp = []string{"/sw.js", "/manifest.webmanifest"}
)

// firstLoad returns every file the first visit of / fetches, with the
// largest language file standing in for "one language".
func firstLoad(t *testing.T, root string) []string {
	t.Helper()
	html, err := os.ReadFile(filepath.Join(root, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{"/index.html": true}
	queue := []string{}
	for _, m := range shellRefs.FindAllStringSubmatch(string(html), -1) {
		queue = append(queue, m[1])
	}
	queue = append(queue, fetchedByApp...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] || strings.HasPrefix(p, "/volunteer") {
			continue
		}
		seen[p] = true
		if !strings.HasSuffix(p, ".js") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatalf("the shell references %s: %v", p, err)
		}
		for _, m := range staticImports.FindAllStringSubmatch(string(src), -1) {
			queue = append(queue, path.Join(path.Dir(p), m[1]))
		}
	}
	largest, size := "", int64(0)
	langs, _ := filepath.Glob(filepath.Join(root, "i18n", "*.json"))
	for _, l := range langs {
		if fi, err := os.Stat(l); err == nil && fi.Size() > size {
			largest, size = "/i18n/"+filepath.Base(l), fi.Size()
		}
	}
	seen[largest] = true
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func TestFirstLoadFitsTheGzipBudget(t *testing.T) {
	t.Parallel()
	root := filepath.Join(testserver.RepoRoot(), "pb_public")
	total := 0
	for _, p := range firstLoad(t, root) {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		n := gzipSize(t, b)
		t.Logf("%-26s %6d bytes, %6d gzipped", p, len(b), n)
		total += n
	}
	t.Logf("first load: %d bytes gzipped (budget %d)", total, firstLoadBudget)
	if total > firstLoadBudget {
		t.Fatalf("the first load of / is %d bytes gzipped, over the %d budget", total, firstLoadBudget)
	}
	if total < 5*1024 {
		t.Fatalf("the first load is only %d bytes: the shell walk missed files", total)
	}
}

// The budget counts gzipped bytes, so the server must really send them so.
func TestServerSendsTheShellGzipped(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.NewApp(t, false))
	for _, p := range []string{"/", "/js/app.js", "/css/app.css", "/i18n/en.json"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: status %d, encoding %q; want 200 gzip", p, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: not gzip: %v", p, err)
		}
		if _, err := io.ReadAll(zr); err != nil {
			t.Fatalf("%s: broken gzip: %v", p, err)
		}
	}
}

// swShell finds the list of files sw.js caches at install.
var swShell = regexp.MustCompile(`(?s)const SHELL = \[(.*?)\];`)

// TestServiceWorkerCachesEveryFileTheAppLoads: a module the reporter or
// volunteer app imports but the service worker does not cache at install
// (vocabulary.js, say) would stop the app from opening offline, even after
// a visit online.
func TestServiceWorkerCachesEveryFileTheAppLoads(t *testing.T) {
	t.Parallel()
	root := filepath.Join(testserver.RepoRoot(), "pb_public")
	m := swShell.FindStringSubmatch(publicFile(t, "sw.js"))
	if m == nil {
		t.Fatal("sw.js has no SHELL list")
	}
	cached := map[string]bool{}
	for _, q := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(m[1], -1) {
		cached[q[1]] = true
	}
	loaded := firstLoad(t, root)
	// Volunteer mode is imported on demand, and offline too.
	src := publicFile(t, "js/volunteer.js")
	for _, im := range staticImports.FindAllStringSubmatch(src, -1) {
		loaded = append(loaded, path.Join("/js", im[1]))
	}
	loaded = append(loaded, "/js/volunteer.js")
	for _, p := range loaded {
		if p == "/index.html" || p == "/sw.js" {
			continue // the shell is cached as "/"; the worker is the browser's
		}
		if !cached[p] {
			t.Errorf("the app loads %s, which sw.js does not cache", p)
		}
	}
	if !cached["/js/vocabulary.js"] {
		t.Error("sw.js does not cache the vocabulary")
	}
}
