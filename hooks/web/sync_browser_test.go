package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/browsertest"
)

// TestOfflineReportsReachTheServerOnce files two reports offline, brings
// the server and the network back, and checks that exactly those two
// reports arrive with their receipts hashed, that the page says "sent",
// and that a staff status change and reply show after a pull.
func TestOfflineReportsReachTheServerOnce(t *testing.T) {
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 150*time.Second)
	codes := fileTwoReportsOffline(t, ctx, srv)
	local := localReports(t, ctx)

	srv.Restart()
	setOffline(t, ctx, false) // fires `online`: the app sends at once
	waitFor(t, ctx, "both reports sent", `Array.from(document.querySelectorAll('#mine .state')).map((e) => e.textContent).join('|') === 'Sent to the embassy|Sent to the embassy'`)

	n, err := srv.App.CountRecords("reports")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("the server holds %d reports, want exactly 2", n)
	}
	receipts, err := reports.LoadReceipts(srv.App.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]*core.Record{}
	for _, l := range local {
		rec, err := srv.App.FindRecordById("reports", l["id"].(string))
		if err != nil {
			t.Fatalf("report %s made on the phone is not on the server: %v", l["id"], err)
		}
		code := l["receipt"].(string)
		want, _ := receipts.Hash(code)
		if rec.GetString("receipt_hash") != want || strings.Contains(rec.GetString("receipt_hash"), strings.ReplaceAll(code, " ", "")) {
			t.Fatalf("report %s: receipt_hash is not the keyed hash of its receipt", rec.Id)
		}
		if rec.GetString("embassy") != embassy || rec.GetString("channel") != "self" || rec.GetInt("people_count") != 2 {
			t.Fatalf("report %s arrived as %v", rec.Id, rec.PublicExport())
		}
		byCode[code] = rec
	}

	t.Run("photo arrives without metadata", func(t *testing.T) {
		if !tusAvailable(t, srv.URL) {
			t.Skip("the sync API has no tus upload route yet (/api/sync/files/)")
		}
		waitFor(t, ctx, "the photo sent", `import('/js/db.js').then((db) => db.all('files')).then((f) => f.length === 1 && f[0].state === 'sent')`)
		atts, err := srv.App.FindAllRecords("attachments")
		if err != nil {
			t.Fatal(err)
		}
		if len(atts) != 1 || atts[0].GetString("report") != byCode[codes[0]].Id {
			t.Fatalf("attachments on the server: %d, want 1 on the first report", len(atts))
		}
	})

	// Staff triage and answer; the app shows both after its next pull.
	first := byCode[codes[0]]
	first.Set("status", "in_review")
	if err := srv.App.Save(first); err != nil {
		t.Fatal(err)
	}
	msgs, _ := srv.App.FindCollectionByNameOrId("messages")
	reply := core.NewRecord(msgs)
	reply.Load(map[string]any{"report": first.Id, "direction": "staff", "body": "We will call you tomorrow."})
	if err := srv.App.Save(reply); err != nil {
		t.Fatal(err)
	}
	openApp(t, ctx, srv.URL+"/")
	waitFor(t, ctx, "the new status", `document.querySelector('#mine').textContent.indexOf('Being reviewed') >= 0`)

	// Follow-up with the receipt: read the reply, answer it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.SendKeys(chromedp.ID("fu-code"), codes[0]),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, ctx, "the staff reply", `document.getElementById('fu-messages').textContent.indexOf('We will call you tomorrow.') >= 0`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("fu-reply"), "Thank you, I will answer."),
		chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)))
	waitFor(t, ctx, "the reply sent", `import('/js/outbox.js').then((o) => o.list()).then((l) => l.length === 0)`)
	got, err := srv.App.FindAllRecords("messages")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range got {
		if m.GetString("direction") == "reporter" && m.GetString("body") == "Thank you, I will answer." && m.GetString("report") == first.Id {
			found = true
		}
	}
	if !found {
		local := eval[string](t, ctx, `import('/js/db.js').then((db) => db.all('messages')).then((m) => JSON.stringify(m))`)
		t.Fatalf("the reporter's reply did not reach the server; on the phone: %s", local)
	}
}

// tusAvailable reports whether the server speaks tus at /api/sync/files/.
func tusAvailable(t *testing.T, base string) bool {
	req, _ := http.NewRequest(http.MethodOptions, base+"/api/sync/files/", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.Header.Get("Tus-Version") != ""
}
