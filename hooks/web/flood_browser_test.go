package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// TestPhoneWaitsAsLongAsTheServerAsks: after a flood of anonymous reports
// from the phone's network (60 in 10 minutes), the server answers the
// phone's push 429 with Retry-After. The report stays in the outbox, shown
// as waiting, and is not sent again before that time, even on "Send now".
func TestPhoneWaitsAsLongAsTheServerAsks(t *testing.T) {
	srv := startLive(t)
	emb := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	settings := srv.App.Settings()
	settings.RateLimits.Enabled = true
	if err := srv.App.Save(settings); err != nil {
		t.Fatal(err)
	}
	// The flood, from the same address as the phone (loopback).
	for i := range 12 {
		var ops []map[string]any
		for j := range 5 {
			id := fmt.Sprintf("flood%02d%02dxxxxxxxxxxx", i, j)
			ops = append(ops, map[string]any{"op": id, "kind": "create", "collection": "reports", "id": id,
				"receipt": fmt.Sprintf("%020d", i*5+j), "data": map[string]any{"embassy": emb, "message": "fake", "people_count": 1}})
		}
		raw, _ := json.Marshal(map[string]any{"device": fmt.Sprint("flooder-", i), "ops": ops})
		res, err := http.Post(srv.URL+"/api/sync/push", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("flood push %d: %d", i, res.StatusCode)
		}
	}

	ctx := browsertest.New(t, 60*time.Second)
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)),
		chromedp.SendKeys(chromedp.ID("f-message"), "a real report"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the receipt", `!document.getElementById('receipt').hidden`)
	// The push was refused: the op waits in the outbox until the window ends.
	waitFor(t, ctx, "the refused push held for the server's time",
		`self.homeward.outbox.list().then((l) => l.length === 1 && l[0].attempts >= 1 && l[0].nextAt - Date.now() > 500000)`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`self.homeward.outbox.retryNow()`, chromedp.EvalAwaitPromise))
	if held := eval[bool](t, ctx, `self.homeward.outbox.list().then((l) => l[0].nextAt - Date.now() > 500000)`); !held {
		t.Fatal("Send now cleared the time the server asked for")
	}
	if n, _ := srv.App.CountRecords("reports"); n != 60 {
		t.Fatalf("the server holds %d reports, want the flood's 60 and not the held one", n)
	}
}
