package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestVolunteerFilesReportsInARowAndTellsThemApart: a volunteer files five
// reports one after another with one tap between them ("Next report", no
// written-down confirmation), and each row of the outbox says which report
// it is while it waits: how many people and the first words typed.
func TestVolunteerFilesReportsInARowAndTellsThemApart(t *testing.T) {
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	seedVolunteer(t, srv.App, "vol@example.org")
	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	volunteerLogin(t, ctx, "vol@example.org", testserver.Password)
	// At a border point with no signal: the reports wait in the outbox.
	setOffline(t, ctx, true)

	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
	for i := 1; i <= 5; i++ {
		do(t, ctx,
			chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("f-people"), fmt.Sprint(i)),
			chromedp.SendKeys(chromedp.ID("f-message"), fmt.Sprintf("Family number %d waiting at the bus station near the border", i)),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitFor(t, ctx, "the receipt", `!document.getElementById('receipt').hidden`)
		if i < 5 {
			// One tap to the next report: no checkbox to tick first.
			do(t, ctx, chromedp.Click(chromedp.ID("receipt-next")))
		} else {
			do(t, ctx, chromedp.Click(chromedp.ID("receipt-done")))
		}
	}
	waitFor(t, ctx, "the panel", `!document.getElementById('vol-panel').hidden`)
	waitFor(t, ctx, "five rows", `document.querySelectorAll("#vol-list li").length === 5`)
	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#vol-list li .which")).map((e) => e.textContent)`)
	if len(rows) != 5 {
		t.Fatalf("%d rows say which report they are, want 5: %q", len(rows), rows)
	}
	seen := map[string]bool{}
	for i := 1; i <= 5; i++ {
		want := fmt.Sprintf("People: %d · Family number %d waiting at the bus station…", i, i)
		seen[want] = false
		for _, r := range rows {
			if r == want {
				seen[want] = true
			}
		}
		if !seen[want] {
			t.Errorf("no row reads %q (rows %q)", want, rows)
		}
	}
	setOffline(t, ctx, false)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	waitForServer(t, "the five reports", func() bool { n, _ := srv.App.CountRecords("reports"); return n == 5 })
}
