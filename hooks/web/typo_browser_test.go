package web_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/receipts"
	"homeward/internal/receipts/receiptstest"
)

// TestPhoneCatchesReceiptTyposBeforeAsking: receipts the phone makes carry
// a check digit the server's rule agrees with; every single wrong digit
// and every swap of two neighbours is caught on the phone, which says so
// without a request; an older code without a check digit can still be
// looked up.
func TestPhoneCatchesReceiptTyposBeforeAsking(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 60*time.Second)
	openApp(t, ctx, srv.URL+"/?lang=en")

	// The phone's receipts pass the server's check.
	made := eval[[]string](t, ctx, `Array.from({ length: 50 }, () => self.homeward.ids.normalizeReceipt(self.homeward.ids.newReceipt()))`)
	for _, code := range made {
		if !receipts.Checks(code) {
			t.Fatalf("the phone made %s, which fails the check digit", code)
		}
	}
	// Every typo of one of them fails the phone's check.
	code := made[0]
	typos := receiptstest.Typos(code)
	list, _ := json.Marshal(typos)
	if passed := eval[[]string](t, ctx, fmt.Sprintf(`%s.filter((c) => self.homeward.ids.receiptChecks(c))`, list)); len(passed) != 0 {
		t.Fatalf("typos of %s pass the phone's check: %v", code, passed)
	}

	// Typed with a typo: the phone says so at once, and asks nothing.
	typo := typos[len(typos)/2]
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.WaitVisible(chromedp.ID("fu-code")),
		chromedp.SetValue(chromedp.ID("fu-code"), typo),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)),
	)
	waitFor(t, ctx, "the typo note", `document.getElementById('fu-note').textContent.indexOf('typo') >= 0 && !document.getElementById('fu-older').hidden`)
	if pulled := srv.pulls.Load(); pulled != 0 {
		t.Fatalf("%d pulls for a code the phone knew was mistyped", pulled)
	}
	// "It is an older code" looks it up all the same.
	do(t, ctx, chromedp.Click(chromedp.ID("fu-older")))
	waitFor(t, ctx, "the server's answer", `document.getElementById('fu-note').textContent.indexOf('No report found') >= 0`)
	if srv.pulls.Load() == 0 {
		t.Fatal("the older code was not looked up")
	}
}
