package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"homeward/internal/testserver"
)

// TestVolunteerFilesReportsInARowAndTellsThemApart: a volunteer files five
// reports one after another. Each save leaves the form ready for the next,
// with the receipt and which report it was on screen: seven taps for the
// five (the panel's New report, five saves, Back), where the receipt
// screen cost eleven (a Next report between reports, Done after the last)
// and, before that, twenty (tick, Done and New report for each). Each row of
// the outbox says which report it is while it waits, and the shift's
// receipt list shows all five codes with their people and first words,
// printable alone.
func TestVolunteerFilesReportsInARowAndTellsThemApart(t *testing.T) {
	srv, ctx, embassy := volunteerSignedIn(t)
	// At a border point with no signal: the reports wait in the outbox.
	setOffline(t, ctx, true)
	// Every tap on a button, counted by the page.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.taps = 0; document.addEventListener('click', (e) => {
		if (e.isTrusted && e.target.closest('button')) window.taps++;
	}, true)`))

	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
	codes := []string{}
	for i := 1; i <= 5; i++ {
		do(t, ctx,
			chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("f-people"), fmt.Sprint(i)),
			chromedp.SendKeys(chromedp.ID("f-message"), fmt.Sprintf("Family number %d waiting at the bus station near the border", i)),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitFor(t, ctx, "the saved line", fmt.Sprintf(`document.getElementById('f-saved').textContent.indexOf('People: %d · Family number %d') >= 0`, i, i))
		saved := eval[string](t, ctx, `document.getElementById('f-saved').textContent`)
		code := receiptIn.FindString(saved)
		if code == "" {
			t.Fatalf("the saved line shows no receipt: %q", saved)
		}
		codes = append(codes, code)
		if !eval[bool](t, ctx, `document.getElementById('receipt').hidden && document.getElementById('f-message').value === ''`) {
			t.Fatal("the form is not ready for the next report")
		}
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	if taps := eval[int](t, ctx, `window.taps`); taps > 7 {
		t.Errorf("five reports took %d taps on buttons, want 7 (11 with the receipt screen)", taps)
	}
	waitFor(t, ctx, "the shift's receipts", `document.querySelectorAll('#vol-receipts li').length === 5`)
	list := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#vol-receipts li')).map((e) => e.textContent)`)
	for i, code := range codes {
		if !strings.Contains(list[i], code) || !strings.Contains(list[i], fmt.Sprintf("People: %d · Family number %d", i+1, i+1)) {
			t.Errorf("receipt %d reads %q, want %s with its people and first words", i+1, list[i], code)
		}
	}
	if os.Getenv("HOMEWARD_SCREENSHOTS") != "" {
		do(t, ctx, chromedp.EmulateViewport(360, 740), chromedp.Evaluate[chromedp.Void](`document.getElementById('vol-shift').scrollIntoView(); window.scrollBy(0, -70)`))
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(testserver.RepoRoot(), "docs", "screenshots", "volunteer-receipts.png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Printed, the list is all that shows.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `['vol-receipts', 'vol-new', 'vol-list', 'vol-print'].map((id) => id + ':' + (document.getElementById(id).offsetParent !== null)).join(' ')`); got != "vol-receipts:true vol-new:false vol-list:false vol-print:false" {
		t.Errorf("printed, the panel shows %s", got)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
		t.Fatal(err)
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
	// Sent, each row still says which report it is, so a status or a
	// reply can be told apart.
	waitFor(t, ctx, "every report sent", `document.getElementById('vol-count').textContent === 'Outbox: 0 waiting, 5 sent'`)
	waitFor(t, ctx, "each sent row still says which report it is", `(() => {
		const rows = Array.from(document.querySelectorAll('#vol-list li .which')).map((e) => e.textContent);
		return rows.length === 5 && [1, 2, 3, 4, 5].every((i) => rows.includes('People: ' + i + ' · Family number ' + i + ' waiting at the bus station…'));
	})()`)
}

// receiptIn finds a grouped receipt code in a line of text.
var receiptIn = regexp.MustCompile(`\d{4} \d{4} \d{4} \d{4} \d{4}`)
