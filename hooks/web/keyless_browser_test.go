package web_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestThePhoneWaitsForAnEmbassyWithNoKey: for an embassy with no key yet
// (and not taking reports in clear), the reporter's form says the embassy
// cannot receive reports yet; a report filed anyway is refused by the
// server, stays on the phone and says it waits, and nothing of it is
// stored. Once the embassy's staff make its key, the next start of the app
// pins it, seals the waiting report on the phone and sends it; the form
// then promises that only the embassy's staff can open it, with the key's
// fingerprint, the one on the poster.
func TestThePhoneWaitsForAnEmbassyWithNoKey(t *testing.T) {
	srv := startLive(t)
	s := testserver.Seed(t, srv.App, testserver.Options{Embassies: []testserver.Embassy{{Slug: "test-k", Name: "Embassy K", Fields: map[string]any{
		"country": "Testland", "hotline": "+000 23 000 000", "clear_until_keyed": false,
	}}}})
	embK := s.Embassies[0].Id
	ctx := browsertest.New(t, 150*time.Second)
	openApp(t, ctx, srv.URL+"/?lang=en")
	waitFor(t, ctx, "the keys checked", `self.homeward.db.get('meta', 'keys:checked').then(Boolean)`)

	choose := func() {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.CSS(`#home [data-go="report"]`)))
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('f-embassy'); s.value = `+strconv.Quote(embK)+`; s.dispatchEvent(new Event('change')); })()`))
	}
	choose()
	waitFor(t, ctx, "the form says the embassy cannot receive reports yet", `document.getElementById('f-hint').dataset.promise === 'f.no_key' &&
		document.getElementById('f-hint').textContent.indexOf('Embassy K cannot receive reports through this app yet') === 0`)
	const marker = "MARKER-n0key"
	fillReport(t, ctx, marker+" we are four", "")
	waitFor(t, ctx, "the person told the report waits", `Array.from(document.querySelectorAll('#mine .state')).some((e) => e.textContent.indexOf('Waiting on this phone') === 0)`)
	if n := eval[int](t, ctx, `self.homeward.db.all('outbox').then((o) => o.length)`); n != 1 {
		t.Fatalf("the outbox holds %d operations, want the waiting report", n)
	}
	if n, err := srv.App.CountRecords("reports"); err != nil || n != 0 {
		t.Fatalf("the server holds %d reports (%v)", n, err)
	}
	testserver.NoFileHolds(t, srv.App.DataDir(), marker)

	// The embassy's staff make its key.
	key := testserver.AddEmbassyKey(t, srv.App, embK, nil)
	openApp(t, ctx, srv.URL+"/?lang=en")
	waitFor(t, ctx, "the waiting report sent", `self.homeward.db.all('outbox').then((o) => o.length === 0)`)
	reports, err := srv.App.FindAllRecords("reports")
	if err != nil || len(reports) != 1 {
		t.Fatalf("the server holds %d reports (%v), want 1", len(reports), err)
	}
	if by := reports[0].GetString("sealed_by"); by != "phone" {
		t.Fatalf("the waiting report was sealed by %q, want the phone", by)
	}
	if got := key.OpenReport(t, reports[0]).Message; got != marker+" we are four" {
		t.Fatalf("the embassy opened %q", got)
	}
	choose()
	waitFor(t, ctx, "the form promises a sealed report with the key's fingerprint", `document.getElementById('f-hint').dataset.promise === 'f.sealed' &&
		document.getElementById('f-hint').textContent.indexOf(`+strconv.Quote(seal.Fingerprint(key.Kid))+`) > 0`)
	testserver.NoFileHolds(t, srv.App.DataDir(), marker)
}
