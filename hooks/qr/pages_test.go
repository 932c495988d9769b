package qr_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/logger"

	"homeward/hooks/privacy"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

func scans(t testing.TB, app *tests.TestApp, id string) int {
	t.Helper()
	r, err := app.FindRecordById("qr_links", id)
	if err != nil {
		t.Fatal(err)
	}
	return r.GetInt("scans")
}

// pageChecks asserts what every page of the flow must do: no redirect,
// the strict CSP, nothing inline.
func pageChecks(t testing.TB, res *http.Response, body string) {
	t.Helper()
	if loc := res.Header.Get("Location"); loc != "" {
		t.Errorf("redirects to %q", loc)
	}
	if got := res.Header.Get("Content-Security-Policy"); got != privacy.ContentSecurityPolicy {
		t.Errorf("CSP %q", got)
	}
	if !strings.Contains(body, `href="/css/contact.css"`) {
		t.Error("stylesheet missing")
	}
	assertNoInlineScriptOrStyle(t.(*testing.T), body)
}

func TestScanPages(t *testing.T) {
	t.Parallel()
	type pageCase struct {
		name        string
		url         func(t *testing.T, f *fixture) string
		headers     map[string]string
		status      int
		content     []string
		notContent  []string
		wantScanned int // scans of f.link afterwards
	}
	tamper := func(t *testing.T, f *fixture) string {
		return "/q/" + tamper(t, tokenOf(linkURL(t, f.app, f.link)), f.expired.Id)
	}
	cases := []pageCase{
		{
			name:   "a genuine code counts a scan and shows the contact flow",
			url:    func(t *testing.T, f *fixture) string { return "/q/" + tokenOf(linkURL(t, f.app, f.link)) },
			status: http.StatusOK,
			content: []string{
				`<html lang="id"`, `<span lang="id">Kode asli</span><span class="en" lang="en">Genuine code</span>`,
				"Signed by Homeward for this embassy.", "DEMO Embassy of Indonesia",
				`<span lang="id">Telepon hotline</span><span class="en" lang="en">Call the hotline</span>`,
				`href="tel:&#43;00023000111"`, `href="https://wa.me/00012345678"`, `href="mailto:help@embassy.example"`,
				`href="/?embassy=kh-indonesia&amp;lang=id#report"`, "File a report",
				"Bahasa Indonesia", "Any ID you still have.", "Mon-Fri 08:00-16:00", "1 Test Street",
				`src="/api/qr/embassy/kh-indonesia/vcard.png?size=480"`, "homeward.example",
			},
			notContent:  []string{"may be fake", "Poipet"},
			wantScanned: 1,
		},
		{
			name:   "a contact page shows the fingerprint of the key phones pin",
			url:    func(*testing.T, *fixture) string { return "/e/kh-indonesia?lang=en" },
			status: http.StatusOK,
			content: []string{
				"only this embassy&#39;s staff can read them",
				`<code class="fingerprint">{{fingerprint}}</code>`, "File a report",
			},
			notContent: []string{"cannot receive reports", `class="safety no-key"`},
		},
		{
			name:       "an embassy with no key yet is not offered for reports",
			url:        func(*testing.T, *fixture) string { return "/e/kh-vietnam?lang=km" },
			status:     http.StatusOK,
			content:    []string{`class="safety no-key"`, "ស្ថានទូតនេះមិនទាន់អាចទទួលរបាយការណ៍", "This embassy cannot receive reports through this app yet."},
			notContent: []string{"File a report", "#report", `class="fingerprint"`},
		},
		{
			name:       "a revoked code warns and gives the official contacts",
			url:        func(t *testing.T, f *fixture) string { return "/q/" + tokenOf(linkURL(t, f.app, f.revoked)) },
			status:     http.StatusGone,
			content:    []string{`<html lang="en"`, "Warning: this code may be fake", "withdrawn by the embassy", `href="tel:&#43;00023000111"`, `href="/e/kh-indonesia"`, `href="/e"`},
			notContent: []string{"Genuine code"},
		},
		{
			name:    "an expired code warns",
			url:     func(t *testing.T, f *fixture) string { return "/q/" + tokenOf(linkURL(t, f.app, f.expired)) },
			status:  http.StatusGone,
			content: []string{"Warning: this code may be fake", "expired"},
		},
		{
			name:       "a tampered code warns without naming an embassy",
			url:        tamper,
			status:     http.StatusBadRequest,
			content:    []string{"Warning: this code may be fake", "signature does not check out", "/verify"},
			notContent: []string{"Genuine code", "Embassy of Indonesia"},
		},
		{
			name:    "a made-up code warns",
			url:     func(*testing.T, *fixture) string { return "/q/eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0." },
			status:  http.StatusBadRequest,
			content: []string{"Warning: this code may be fake"},
		},
		{
			name:    "a warning for a code of unknown language follows the browser's language",
			url:     func(*testing.T, *fixture) string { return "/q/not-a-token" },
			headers: map[string]string{"Accept-Language": "xx, th-TH;q=0.9, en;q=0.5"},
			status:  http.StatusBadRequest,
			content: []string{`<html lang="th"`, `<span lang="th">คำเตือน: รหัสนี้อาจเป็นของปลอม</span><span class="en" lang="en">Warning: this code may be fake</span>`},
		},
		{
			name:       "an embassy page shows official contacts without claiming a scan",
			url:        func(*testing.T, *fixture) string { return "/e/kh-indonesia?lang=vi" },
			status:     http.StatusOK,
			content:    []string{`<html lang="vi"`, `<span lang="vi">Liên hệ chính thức</span><span class="en" lang="en">Official contacts</span>`, "Published by Homeward.", `href="/?embassy=kh-indonesia&amp;lang=vi#report"`},
			notContent: []string{"Genuine code"},
		},
		{
			name:    "an unknown language is not passed on to the report form",
			url:     func(*testing.T, *fixture) string { return "/e/kh-indonesia?lang=%22%3E%3Cscript%3E" },
			status:  http.StatusOK,
			content: []string{`href="/?embassy=kh-indonesia#report"`},
		},
		{
			name:       "an inactive embassy's page lists the listed ones instead",
			url:        func(*testing.T, *fixture) string { return "/e/closed" },
			status:     http.StatusNotFound,
			content:    []string{"No embassy is listed at this address", "Embassy of Viet Nam", `href="/e/kh-vietnam"`},
			notContent: []string{"Closed mission"},
		},
		{
			// Hidden, it left a reporter without the number; shown, it can
			// still be read out or copied by hand.
			name: "a hotline that is no phone number is shown as written, not hidden",
			url: func(t *testing.T, f *fixture) string {
				emb, err := f.app.FindFirstRecordByData("embassies", "slug", "kh-vietnam")
				if err != nil {
					t.Fatal(err)
				}
				emb.Set("hotline", "DEMO: not a real number")
				if err := f.app.Save(emb); err != nil {
					t.Fatal(err)
				}
				return "/e/kh-vietnam?lang=en"
			},
			status:     http.StatusOK,
			content:    []string{`<p class="button call"><span lang="en">Call the hotline</span>`, `<span class="number">DEMO: not a real number</span>`},
			notContent: []string{`href="tel:`},
		},
		{
			name:    "the embassy list shows the listed embassies",
			url:     func(*testing.T, *fixture) string { return "/e" },
			status:  http.StatusOK,
			content: []string{"DEMO Embassy of Indonesia", "Embassy of Viet Nam"},
		},
		{
			name:    "the verify page checks a pasted link without JavaScript",
			url:     func(t *testing.T, f *fixture) string { return "/verify?link=" + linkURL(t, f.app, f.link) },
			status:  http.StatusOK,
			content: []string{`data-verdict="valid"`, "Genuine code", `src="/js/verify-page.js"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, false)
			for i, want := range c.content {
				c.content[i] = strings.ReplaceAll(want, "{{fingerprint}}", seal.Fingerprint(f.key.Kid))
			}
			s := tests.ApiScenario{
				Method:             http.MethodGet,
				URL:                c.url(t, f),
				Headers:            c.headers,
				TestAppFactory:     func(testing.TB) *tests.TestApp { return f.app },
				ExpectedStatus:     c.status,
				ExpectedContent:    c.content,
				NotExpectedContent: c.notContent,
				AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
					if got := scans(t, app, f.link.Id); got != c.wantScanned {
						t.Errorf("scans %d, want %d", got, c.wantScanned)
					}
				},
			}
			s.Test(t)
		})
	}
}

// TestScanPagesOverHTTP checks headers and markup on a real socket, and
// that concurrent scans are all counted.
func TestScanPagesOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	u := srv.URL + "/q/" + tokenOf(linkURL(t, f.app, f.link))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, path := range []string{"/q/" + tokenOf(linkURL(t, f.app, f.link)), "/q/" + tokenOf(linkURL(t, f.app, f.revoked)), "/e/kh-indonesia", "/e", "/verify"} {
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		pageChecks(t, res, readBody(t, res))
		if strings.HasPrefix(path, "/q/") && res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, res.Header.Get("Cache-Control"))
		}
	}

	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			res, err := client.Get(u)
			if err == nil {
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	if got := scans(t, f.app, f.link.Id); got != n+1 {
		t.Fatalf("scans %d after %d concurrent scans and one before, want %d", got, n, n+1)
	}
}

// TestScansLeaveNoRequestLog: the request log would keep each scan's link,
// time and user agent. A logged staff request is the control that logs
// are written at all.
func TestScansLeaveNoRequestLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.app.Settings().Logs.MaxDays = 7 // test apps log nothing by default; ship settings do
	srv := testserver.Start(t, f.app)
	token := tokenOf(linkURL(t, f.app, f.link))
	for _, path := range []string{"/q/" + token, "/e/kh-indonesia", "/e", "/verify?link=" + token, "/api/qr/embassy/kh-indonesia/vcard.png"} {
		res, _ := get(t, srv.URL+path, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	res, _ := http.Post(srv.URL+"/api/qr/verify", "application/json", strings.NewReader(`{"token":"`+token+`"}`))
	res.Body.Close()
	control := "/api/qr/" + f.link.Id + ".svg"
	get(t, srv.URL+control, testserver.AuthToken(t, f.staff))

	handler, ok := f.app.Logger().Handler().(*logger.BatchHandler)
	if !ok {
		t.Skip("the app logger does not batch")
	}
	var urls []string
	for range 50 { // logs are handed over in a goroutine
		time.Sleep(20 * time.Millisecond)
		handler.WriteAll(context.Background())
		logs := []*core.Log{}
		if err := f.app.LogQuery().All(&logs); err != nil {
			t.Fatal(err)
		}
		urls = urls[:0]
		for _, l := range logs {
			urls = append(urls, l.Message)
		}
		if slices.ContainsFunc(urls, func(u string) bool { return strings.Contains(u, control) }) {
			break
		}
	}
	if !slices.ContainsFunc(urls, func(u string) bool { return strings.Contains(u, control) }) {
		t.Fatalf("the control request was never logged: %q", urls)
	}
	for _, u := range urls {
		// A message is "METHOD /path?query"; the control's random link id
		// may itself start with "e", so paths are compared, not substrings.
		_, path, _ := strings.Cut(u, " ")
		if strings.Contains(u, token) || strings.HasPrefix(path, "/q/") || path == "/e" || strings.HasPrefix(path, "/e/") ||
			strings.HasPrefix(path, "/e?") || strings.HasPrefix(path, "/verify") || strings.Contains(path, "vcard") {
			t.Errorf("logged: %q", u)
		}
	}
}
