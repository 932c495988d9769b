package qr_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestAScanWithNoSignalShowsTheOfflineVerdict: after one visit to the app
// (a phone whose browser speaks Khmer), the network is cut and codes are
// scanned. The service worker answers each /q/ address with the page that
// checks the token against the saved keys, never the browser's error page:
// a genuine code shows as genuine with "could not check whether withdrawn"
// and the embassy's contacts saved on the phone; a revoked one cannot be
// told apart offline and says so the same way; a tampered one warns. All
// in Khmer, with the quick exit.
func TestAScanWithNoSignalShowsTheOfflineVerdict(t *testing.T) {
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	f.app.Settings().Meta.AppURL = srv.URL
	ctx := browsertest.New(t, 120*time.Second, chromedp.Flag("accept-lang", "km"))
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	poll := func(t *testing.T, what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			t.Fatalf("waiting for %s: %v\n%s", what, err, page)
		}
	}
	valid, revoked := linkURL(t, f.app, f.link), linkURL(t, f.app, f.revoked)
	tampered := srv.URL + "/q/" + tamper(t, tokenOf(valid), f.expired.Id)

	run(chromedp.EmulateViewport(360, 740), chromedp.Navigate(srv.URL+"/"))
	poll(t, "the app with its worker and saved embassies", `document.documentElement.getAttribute('data-ready') === '1' &&
		navigator.serviceWorker.controller !== null && self.homeward.db.all('embassies').then((e) => e.length === 2)`)

	srv.Stop()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatal(err)
	}
	offline := true
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &offline,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatal(err)
	}
	fragments, _ := json.Marshal(englishFragments(t, "km"))
	data, _ := json.Marshal([]string{"Homeward", "DEMO Embassy of Indonesia", "kh-indonesia", "QR"})

	for _, c := range []struct {
		name, url, verdict string
		contacts           bool
	}{
		{"a genuine code", valid, "valid", true},
		{"a revoked code, which only the server knows", revoked, "valid", true},
		{"a tampered code", tampered, "invalid", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			run(chromedp.Navigate(c.url))
			poll(t, "the offline verdict", `document.querySelector('#scan-result p[data-verdict]')`)
			got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
				loc: location.href,
				verdict: document.querySelector('#scan-result p[data-verdict]').dataset.verdict,
				revocation: document.querySelector('#scan-result p[data-verdict]').dataset.revocationChecked,
				text: document.getElementById('scan-result').innerText,
			})`))
			if err != nil {
				t.Fatal(err)
			}
			if got["loc"] != c.url || got["verdict"] != c.verdict || got["revocation"] != "false" {
				t.Fatalf("offline scan of %s: %+v", c.name, got)
			}
			if c.verdict == "valid" && !strings.Contains(got["text"], "could not be checked") {
				t.Errorf("a genuine code offline does not say withdrawal could not be checked: %q", got["text"])
			}
			if c.contacts {
				poll(t, "the saved contacts", `!document.getElementById('scan-embassy').hidden &&
					document.querySelector('#scan-embassy a.call') && document.querySelector('#scan-embassy a.call').getAttribute('href') === 'tel:+00023000111'`)
			}
			problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageProblems+`("km", `+string(fragments)+", "+string(data)+")"))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}
