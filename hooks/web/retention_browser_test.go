package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/syncapi"
)

// TestVolunteerBackAfterRetentionStartsAgain: a volunteer's phone sends two
// reports and pulls, then is away for longer than the server keeps its
// tombstones; meanwhile one report is deleted and retention runs. Back, the
// phone's old cursor is refused (410 cursor_expired); it pulls again from
// the start, marks the deleted report closed as a tombstone would, keeps
// the other, and a report written since goes through.
func TestVolunteerBackAfterRetentionStartsAgain(t *testing.T) {
	srv, ctx, embassy := volunteerSignedIn(t)
	file := func(msg string) {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("f-embassy"), embassy),
			chromedp.SendKeys(chromedp.ID("f-message"), msg),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitFor(t, ctx, "the saved line", `!document.getElementById('f-saved').hidden && document.getElementById('f-message').value === ''`)
		do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	}
	file("kept report")
	file("report deleted later")
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	volunteerCount(t, ctx, "Outbox: 0 waiting, 2 sent")
	waitFor(t, ctx, "a pull cursor", `self.homeward.db.get('meta', 'cursor:volunteer').then((c) => !!c)`)

	gone, err := srv.App.FindFirstRecordByFilter("reports", "message = 'report deleted later'")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := srv.App.FindFirstRecordByFilter("reports", "message = 'kept report'")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Delete(gone); err != nil {
		t.Fatal(err)
	}
	// Later work on the server, so the tombstone is not the newest change.
	kept.Set("status", "in_review")
	if err := srv.App.Save(kept); err != nil {
		t.Fatal(err)
	}
	if err := syncapi.Prune(srv.App, time.Now().Add(syncapi.Retention+24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	file("written after coming back")
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	volunteerCount(t, ctx, "Outbox: 0 waiting, 3 sent")
	waitFor(t, ctx, "the deleted report closed and the kept one current", fmt.Sprintf(`Promise.all([
		self.homeward.db.get('reports', %q), self.homeward.db.get('reports', %q)])
		.then(([g, k]) => g && g.status === 'closed' && k && k.status === 'in_review')`, gone.Id, kept.Id))
	if n, _ := srv.App.CountRecords("reports"); n != 2 {
		t.Fatalf("the server holds %d reports, want the kept one and the new one", n)
	}
}
