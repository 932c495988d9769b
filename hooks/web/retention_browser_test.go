package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/syncapi"
	"homeward/internal/testserver"
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

// TestAFreshStartCutShortStillClosesWhatWasDeleted: a volunteer's phone
// holds more reports than one pull page (most of them filed from another
// phone of the volunteer's, so their codes are not on this one), and comes
// back after retention has dropped the tombstones of one of them and of
// one of the embassy's replies, while the embassy worked on all the
// others. Its fresh start (after 410 cursor_expired) loses its signal after
// the first page, whose cursor is past the retention horizon, so the next
// sync gets no 410 of its own. That sync must go on with the fresh start
// and do what the tombstones would have, not forget that a fresh start
// was under way and leave the deleted report open for good.
func TestAFreshStartCutShortStillClosesWhatWasDeleted(t *testing.T) {
	srv, ctx, embassy := volunteerSignedIn(t)
	// One report filed on the phone: a phone pulls a volunteer's reports
	// once it holds one.
	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy),
		chromedp.SendKeys(chromedp.ID("f-message"), "filed on the phone"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the saved line", `!document.getElementById('f-saved').hidden && document.getElementById('f-message').value === ''`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	token := eval[string](t, ctx, `self.homeward.db.get('meta', 'credential').then((c) => c.token)`)
	// More reports than a pull page (sync.js PULL_LIMIT, 100), sent from
	// the volunteer's device as another of its tabs would.
	const total = 130
	ids := make([]string, total)
	ops := make([]map[string]any, total)
	for i := range ids {
		ids[i] = testserver.NewId()
		ops[i] = map[string]any{"op": "op-" + ids[i], "kind": "create", "collection": "reports", "id": ids[i],
			"data": map[string]any{"embassy": embassy, "message": fmt.Sprintf("report %d", i), "people_count": 1}}
	}
	body, _ := json.Marshal(map[string]any{"device": "other-tab", "ops": ops})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/sync/push", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Device "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("push: %d", res.StatusCode)
	}
	// Two replies from the embassy; one is deleted later.
	keptReply, goneReply := testserver.NewId()[:15], testserver.NewId()[:15]
	testserver.SaveRecord(t, srv.App, "messages", map[string]any{"id": keptReply, "report": ids[1], "direction": "staff", "body": "Come at nine."})
	testserver.SaveRecord(t, srv.App, "messages", map[string]any{"id": goneReply, "report": ids[1], "direction": "staff", "body": "Sent by mistake."})
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	volunteerCount(t, ctx, fmt.Sprintf("Outbox: 0 waiting, %d sent", total+1))
	waitFor(t, ctx, "both replies on the phone", fmt.Sprintf(`self.homeward.db.all('messages').then((all) => all.length === 2 && all.some((m) => m.id === %q))`, goneReply))
	// The shift's receipt list has the one code this phone holds: the
	// others stayed where they were made.
	waitFor(t, ctx, "one code in the shift's list", `document.querySelectorAll('#vol-receipts li').length === 1`)

	gone, err := srv.App.FindRecordById("reports", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Delete(gone); err != nil {
		t.Fatal(err)
	}
	reply, err := srv.App.FindRecordById("messages", goneReply)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Delete(reply); err != nil {
		t.Fatal(err)
	}
	// The embassy works on every other report after the deletion: their
	// changes are all past the horizon retention leaves.
	filed, err := srv.App.FindFirstRecordByFilter("reports", "message = 'filed on the phone'")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range append(ids[1:], filed.Id) {
		r, err := srv.App.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		r.Set("status", "in_review")
		if err := srv.App.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := syncapi.Prune(srv.App, time.Now().Add(syncapi.Retention+24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	// The signal goes after the fresh start's first page: its second pull
	// gets no answer.
	var fresh, dropped atomic.Bool
	lose := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/sync/pull" {
			return false
		}
		if r.URL.Query().Get("cursor") == "" {
			fresh.Store(true)
			return false
		}
		if !fresh.Load() || !dropped.CompareAndSwap(false, true) {
			return false
		}
		dropMidAnswer(w)
		return true
	}
	srv.intercept.Store(&lose)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	waitForServer(t, "the fresh start's second pull dropped", dropped.Load)
	// The sync cut short ends (run answers the one under way).
	eval[bool](t, ctx, `self.homeward.sync.run().then(() => true, () => true)`)

	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	waitFor(t, ctx, "the deleted report closed and the others in review", fmt.Sprintf(`self.homeward.db.all('reports').then((all) => {
		const byId = new Map(all.map((r) => [r.id, r]));
		const gone = byId.get(%q);
		return all.length === %d && gone && gone.status === 'closed' &&
			all.every((r) => r.id === gone.id || r.status === 'in_review');
	})`, gone.Id, total+1))
	waitFor(t, ctx, "the deleted reply gone from the phone, the other kept", fmt.Sprintf(`self.homeward.db.all('messages').then((all) =>
		all.length === 1 && all[0].id === %q)`, keptReply))
}
