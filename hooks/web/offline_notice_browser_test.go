package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestTheOfflineNoticeOutlivesAPassThatEndsOffline: a volunteer saves a
// report with a signal, and the signal goes while the sync pass that sent
// it is still waiting for the embassy's news (its last request, the
// pull). The page says it is offline; the pull's answer then comes back,
// the pass ends well, and the notice stays, since the phone is still
// offline. The pass used to hide it as it ended, and the volunteer, with
// no signal, read that all was well.
func TestTheOfflineNoticeOutlivesAPassThatEndsOffline(t *testing.T) {
	srv, ctx, embassy := volunteerSignedIn(t)
	pull := srv.hold("/api/sync/pull")
	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy),
		chromedp.SetValue(chromedp.ID("f-people"), "2"),
		chromedp.SendKeys(chromedp.ID("f-message"), "Two of us at the bus station"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	select {
	case <-pull.entered:
	case <-time.After(60 * time.Second):
		t.Fatal("no pull reached the server")
	}
	waitForServer(t, "the report", func() bool { n, _ := srv.App.CountRecords("reports"); return n == 1 })
	waitFor(t, ctx, "the page to have the push's answer", `self.homeward.db.all('reports').then((r) => r.length === 1 && r[0].state === 'sent')`)
	// The signal goes while the pull is held, then the server answers.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.passEnded = false;
		self.homeward.sync.events.addEventListener('change', () => { window.passEnded = true; })`))
	// Offline as the phone sees it (navigator.onLine, the offline event),
	// with the pull's answer already on its way: the requests themselves
	// still pass (browsertest.SetOffline would cut them too, and the pass
	// would end in a network error, which shows the notice anyway).
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the offline notice", `navigator.onLine === false && !document.getElementById('net').hidden`)
	pull.open()
	// The pass says it changed things as it ends, then sets the notice:
	// give it time to.
	waitFor(t, ctx, "the pass to end", `window.passEnded`)
	waitFor(t, ctx, "the page to settle", `new Promise((settled) => setTimeout(() => settled(true), 500))`)
	if hidden := eval[bool](t, ctx, `document.getElementById('net').hidden`); hidden {
		t.Fatal("the offline notice went when the pass ended, with the phone still offline")
	}
}
