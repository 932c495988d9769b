package openrosa_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/browsertest"
	"homeward/internal/heavytest"
	"homeward/internal/testserver"
)

// TestODKWebFormsInChromium runs ODK Web Forms (@getodk/web-forms, ODK's
// browser client) in a real Chromium with no build step: the page
// (testdata/odk/webforms.html, served from another origin as any web
// client would be) reads the form list, renders the downloaded form,
// a person picks an embassy and writes a message, presses Send, and the
// engine's submission arrives as a volunteer's report.
func TestODKWebFormsInChromium(t *testing.T) {
	odkClient(t) // the engine's packages must be installed
	if _, err := os.Stat(filepath.Join(odkDir, "node_modules", "@getodk", "web-forms", "dist", "index.js")); err != nil {
		if heavytest.Required() {
			t.Fatalf("@getodk/web-forms must be installed here: %v (npm ci --prefix hooks/openrosa/%s)", err, odkDir)
		}
		t.Skipf("@getodk/web-forms is not installed (%v): npm ci --prefix hooks/openrosa/%s", err, odkDir)
	}
	ctx := browsertest.New(t, 120*time.Second)
	w := newWorld(t)
	app := w.factory(t)
	// `serve` binds PocketBase's CORS middleware (any origin unless
	// --origins narrows it); a test router does not, so bind it here as
	// serve does.
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(apis.CORS(apis.CORSConfig{AllowOrigins: []string{"*"}, AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost}}))
		return se.Next()
	})
	srv := testserver.Start(t, app)
	page := httptest.NewServer(http.FileServer(http.Dir(odkDir)))
	t.Cleanup(page.Close)

	q := url.Values{"base": {srv.URL + "/openrosa"}, "user": {w.seeded.Devices[0].Id}, "pass": {w.seeded.DeviceTokens[0]}}
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL+"/webforms.html?"+q.Encode())); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!window.failed || document.body.innerText.includes("Embassy Y")`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		failed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.failed || "")`))
		t.Fatalf("the form did not render: %v %s", err, failed)
	}
	t.Logf("the form rendered in %s", time.Since(start).Round(time.Millisecond))
	message, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll("label")].find((l) => l.textContent.trim() === "Your message").htmlFor`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[type=radio][value="`+embassyY+`"]`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[id="`+message+`"]`), "Sent from ODK Web Forms"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Send"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!window.sent`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("nothing was sent: %v", err)
	}
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Status int
		Body   string
	}](`window.sent`))
	if err != nil || sent.Status != http.StatusCreated {
		t.Fatalf("the submission was answered %d %s (%v), want 201", sent.Status, sent.Body, err)
	}
	r, err := srv.App.FindFirstRecordByData("reports", "message", "Sent from ODK Web Forms")
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	if r.GetString("embassy") != embassyY || r.GetString("channel") != "volunteer" || r.GetString("volunteer") != w.seeded.Volunteers[0].Id {
		t.Fatalf("report %v", r.PublicExport())
	}
}
