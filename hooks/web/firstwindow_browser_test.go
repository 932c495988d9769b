package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestHomeScreenWorksFromTheFirstWindowAlone serves the browser only the
// first 14,600 gzipped bytes of / (one initial TCP window) and nothing
// else: the connection stays open, and every other request (stylesheet,
// scripts, language file, embassies) hangs unanswered. From that alone the
// home screen shows, in Burmese, the contacts of the three embassies and a
// Report button that opens the form; an embassy card's own Report button
// opens it with that embassy chosen; the form cannot be submitted into the
// address before the app is there.
func TestHomeScreenWorksFromTheFirstWindowAlone(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	for _, e := range []struct{ slug, name string }{
		{"kh-myanmar", "Embassy of Myanmar"}, {"kh-indonesia", "Embassy of Indonesia"}, {"kh-vietnam", "Embassy of Viet Nam"},
	} {
		testserver.Seed(t, srv.App, testserver.Options{Embassies: []testserver.Embassy{{Slug: e.slug, Name: e.name, Fields: map[string]any{
			"country": "Testland", "hotline": "+000 23 000 000", "address": "1 Test Street", "languages": []string{"my", "en"},
		}}}})
	}
	done := make(chan struct{})
	window := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+r.URL.RequestURI(), nil)
			req.Header.Set("Accept-Encoding", "gzip")
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, h := range []string{"Content-Type", "Content-Encoding", "Content-Security-Policy"} {
				w.Header().Set(h, res.Header.Get(h))
			}
			w.WriteHeader(res.StatusCode)
			w.Write(body[:min(len(body), firstWindow)])
			w.(http.Flusher).Flush()
		}
		// Nothing more arrives, for this answer or any other.
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	defer window.Close()
	defer close(done)

	ctx := browsertest.New(t, 90*time.Second)
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: window.URL + "/?lang=my"}); err != nil {
		t.Fatal(err)
	}
	strs := languageFile(t, "my")
	waitFor(t, ctx, "the home screen from the first window", `document.querySelectorAll('#embassies details.card').length === 3 &&
		document.querySelector('#home [data-go="report"]') !== null`)
	if got := eval[string](t, ctx, `document.querySelector('#home [data-go="report"]').textContent`); got != strs["home.report"] {
		t.Errorf("the Report button reads %q, want the Burmese %q", got, strs["home.report"])
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('#home [data-go="report"]')).minHeight`); got == "0px" || got == "auto" {
		t.Errorf("the stylesheet did not apply from the first window (min-height %s)", got)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#home [data-go="report"]').click()`))
	waitFor(t, ctx, "the report form", `!document.getElementById('report').hidden && document.getElementById('home').hidden`)

	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#report [data-go="home"]').click()`))
	waitFor(t, ctx, "home again", `!document.getElementById('home').hidden`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#embassies details.card:nth-child(2)').open = true;
		document.querySelector('#embassies details.card:nth-child(2) button[data-go="report"]').click()`))
	waitFor(t, ctx, "the form with that embassy", `!document.getElementById('report').hidden &&
		document.getElementById('f-embassy').selectedOptions[0].textContent === document.querySelector('#embassies details.card:nth-child(2) summary').textContent`)

	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('f-message').value = 'kept off the address';
		document.querySelector('#report-form button[type="submit"]').click()`))
	if loc := eval[string](t, ctx, `location.search`); loc != "?lang=my" {
		t.Errorf("submitting before the app loaded went to %q", loc)
	}
}
