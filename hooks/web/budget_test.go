package web_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// firstLoadBudget is the most the first visit of / may transfer, gzipped:
// at 2G's roughly 5 KB/s in practice it is about eight seconds.
const firstLoadBudget = 40 * 1024

// firstWindow is what a server may send before the first acknowledgement
// (an initial TCP window of 10 segments of 1,460 bytes): the part of the
// shell that arrives in the first round trip. The home screen must work
// from it alone.
const firstWindow = 14_600

var (
	// shellRefs finds the files index.html makes the browser fetch: every
	// href and src except links to other pages (<a href>).
	shellRefs = regexp.MustCompile(`<(?:link|script|img|source)\b[^>]*?(?:href|src)="(/[^"]+)"`)
	// staticImports finds `import ... from './x.js'`; dynamic import() of
	// volunteer mode is left out on purpose: the reporter never loads it.
	staticImports = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'([^']+)'`)
	// fetchedByApp lists what app.js fetches at start besides modules and
	// the language file (the nationality list waits for the form to open).
	fetchedByApp = []string{"/sw.js", "/manifest.webmanifest"}
)

// firstLoad returns every file the first visit of / fetches, with the
// largest language file standing in for "one language".
func firstLoad(t *testing.T, root string, html []byte) []string {
	t.Helper()
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

// largestLanguage is the language whose strings file is the largest.
func largestLanguage(t *testing.T, root string) string {
	t.Helper()
	largest, size := "", int64(0)
	for _, l := range vocab.Languages {
		if fi, err := os.Stat(filepath.Join(root, "i18n", l+".json")); err == nil && fi.Size() > size {
			largest, size = l, fi.Size()
		}
	}
	return largest
}

// servedShell returns / as the server sends it in lang, raw and gzipped,
// with five embassies listed (more than any deployment has shown so far),
// each with every contact field filled.
func servedShell(t *testing.T, lang string) (raw, gz []byte, base string) {
	t.Helper()
	srv := testserver.Start(t, testserver.NewApp(t, false))
	base = srv.URL
	for i := range 5 {
		testserver.Seed(t, srv.App, testserver.Options{Embassies: []testserver.Embassy{{
			Slug: fmt.Sprintf("kh-embassy-%d", i), Name: fmt.Sprintf("Embassy of Testland %d", i), Fields: map[string]any{
				"country": "Testland", "hotline": "+000 23 000 00" + strconv.Itoa(i), "messaging": "WhatsApp +000 12 345 678",
				"email": "help@embassy.example", "address": "1 Test Street\nTest City", "hours": "Mon-Fri 08:00-17:00",
				"what_to_bring": "Any ID you still have.", "languages": []string{lang, "en"},
			},
		}}})
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?lang="+lang, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	gz, _ = io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("the shell is not sent gzipped")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err = io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw, gz, base
}

// overTheWire returns the bytes the server sends for path to a browser
// that takes gzip: the file as served (scripts minified, hooks/web
// minify.go), gzipped when it is worth it.
func overTheWire(t *testing.T, url string) (body []byte, encoding string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", url, res.StatusCode)
	}
	body, err = io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, res.Header.Get("Content-Encoding")
}

// TestFirstLoadFitsTheGzipBudget holds the first visit of / in the largest
// language to two limits: the home screen (its style, its script, the
// embassy contacts and the Report button, in that language) is whole in
// the first 14,600 bytes of the gzipped page, one round trip on 2G; and
// everything the first visit fetches is at most 40 KB gzipped.
func TestFirstLoadFitsTheGzipBudget(t *testing.T) {
	t.Parallel()
	root := filepath.Join(testserver.RepoRoot(), "pb_public")
	lang := largestLanguage(t, root)
	raw, gz, base := servedShell(t, lang)

	// What the first window holds, decompressed as far as it goes.
	var early bytes.Buffer
	if zr, err := gzip.NewReader(bytes.NewReader(gz[:min(len(gz), firstWindow)])); err == nil {
		io.Copy(&early, zr) // stops with an unexpected EOF where the window ends
	}
	home := early.String()
	strs := languageFile(t, lang)
	for _, want := range []string{
		"</style>", "</script>",
		`data-i18n="home.report">` + strs["home.report"] + "<",
		`data-i18n="home.contacts">` + strs["home.contacts"] + "<",
		"Embassy of Testland 4</summary>", "tel:+00023000004", strs["emb.report"] + "</button></details></div>",
		`<button type="button" id="exit"`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("the first %d gzipped bytes of the %s shell lack %q", firstWindow, lang, want)
		}
	}
	t.Logf("shell in %s: %d bytes, %d gzipped; the first window holds %d bytes of it", lang, len(raw), len(gz), early.Len())

	total := len(gz)
	for _, p := range firstLoad(t, root, raw) {
		if p == "/index.html" {
			continue // counted as served, above
		}
		src, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		sent, enc := overTheWire(t, base+p)
		t.Logf("%-26s %6d bytes in the source, %6d sent (%s)", p, len(src), len(sent), cmp.Or(enc, "as is"))
		total += len(sent)
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
	loaded := firstLoad(t, root, []byte(publicFile(t, "index.html")))
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

// TestShellsInlineBlocksAreTheOnesItsPolicyAllows: the shell as served
// carries inline style and script only as blocks its CSP names by hash,
// and its policy is otherwise the strict one: no 'unsafe-inline', no
// other source.
func TestShellsInlineBlocksAreTheOnesItsPolicyAllows(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.NewApp(t, false))
	res, err := http.Get(srv.URL + "/?lang=th")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	blocks := regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`).FindAllStringSubmatch(string(body), -1)
	if len(blocks) != 2 {
		t.Fatalf("the shell has %d inline blocks, want its style and its first-screen script", len(blocks))
	}
	for _, b := range blocks {
		sum := sha256.Sum256([]byte(b[2]))
		src := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, b[1]+"-src 'self' "+src) {
			t.Errorf("the inline %s is not allowed by its hash %s in %q", b[1], src, csp)
		}
	}
	if strings.Contains(csp, "unsafe") || regexp.MustCompile(`\son[a-z]+="`).Match(body) || strings.Contains(string(body), ` style="`) {
		t.Errorf("the shell allows or carries other inline code: %q", csp)
	}
}
