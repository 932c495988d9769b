package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// TestPushHalvesTooLargeBatchesAndSetsBadOpsAside queues six reports and a
// malformed operation offline; the server refuses pushes of more than two
// operations with 413. The app halves its batches until they pass, sets
// the malformed operation aside as "not accepted", and every good report
// arrives exactly once.
func TestPushHalvesTooLargeBatchesAndSetsBadOpsAside(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 90*time.Second)

	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en")
	srv.Stop()
	setOffline(t, ctx, true)
	const good = 6
	for i := 0; i < good; i++ {
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)),
			chromedp.SendKeys(chromedp.ID("f-message"), "batch test"),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitFor(t, ctx, "the receipt", `!document.getElementById('receipt').hidden`)
		do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	}
	// A report whose operation the server cannot read (an unknown
	// collection), as a bug in an older app version might have queued.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(({ db, outbox }) => {
		const e = outbox.entry('create', 'nope', 'badbadbadbadbadbadba', {}, '', 'self');
		return db.putMany([['reports', { id: 'badbadbadbadbadbadba', channel: 'self', embassyName: 'broken', state: 'saved', createdAt: Date.now() + 1000 }], ['outbox', e]]);
	})(self.homeward)`, chromedp.EvalAwaitPromise))

	srv.maxOps.Store(2)
	srv.Restart()
	setOffline(t, ctx, false)
	waitFor(t, ctx, "the outbox empty", `self.homeward.outbox.list().then((l) => l.length === 0)`)
	if n, _ := srv.App.CountRecords("reports"); n != good {
		t.Fatalf("the server holds %d reports, want exactly %d", n, good)
	}
	if srv.tooLarge.Load() == 0 || srv.largest.Load() > 2 {
		t.Fatalf("413s: %d, largest push let through: %d ops; want some 413s and then at most 2 ops", srv.tooLarge.Load(), srv.largest.Load())
	}
	waitFor(t, ctx, "the bad report set aside", `(document.querySelector('#mine [data-report="badbadbadbadbadbadba"] .state') || {textContent: ''}).textContent.indexOf('Not accepted') === 0`)
	if sent := eval[int](t, ctx, `document.querySelectorAll('#mine .state-sent').length`); sent != good {
		t.Fatalf("%d reports show as sent, want %d", sent, good)
	}
}
