package web_test

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
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

	// The server saves the photo's bytes and dies before answering: the
	// app must ask where the upload stands (HEAD) and not send it twice.
	srv.CrashOnNext(http.MethodPatch, "/api/sync/files/")
	srv.Restart()
	setOffline(t, ctx, false) // fires `online`: the app sends at once
	select {
	case <-srv.crashed:
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not upload the photo after coming online")
	}
	srv.Stop()
	waitFor(t, ctx, "the photo upload failed", `import('/js/db.js').then((db) => db.all('files')).then((f) => f[0].state === 'uploading' && !!f[0].url)`)
	srv.Restart()
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
		if rec.GetString("embassy") != embassy || rec.GetString("channel") != "self" || rec.GetInt("people_count") != 2 ||
			rec.GetString("nationality") != "Indonesian" || strings.Join(rec.GetStringSlice("needs"), ",") != "shelter" ||
			!strings.HasPrefix(rec.GetDateTime("left_on").String(), "2026-11-20") || rec.GetDateTime("device_created").IsZero() ||
			rec.GetString("language") != "en" || rec.GetString("consent_version") == "" {
			t.Fatalf("report %s arrived as %v", rec.Id, rec.PublicExport())
		}
		byCode[code] = rec
	}

	// Once acknowledged, what the person wrote is no longer on the phone.
	if left := eval[string](t, ctx, `import('/js/db.js').then((db) => db.all('reports')).then((r) => JSON.stringify(r))`); strings.Contains(left, "written offline") {
		t.Fatalf("the report text stayed on the phone after the server acknowledged it: %s", left)
	}

	// The photo follows its report through tus and is stored clean.
	waitFor(t, ctx, "the photo sent", `import('/js/db.js').then((db) => db.all('files')).then((f) => f.length === 1 && f[0].state === 'sent' && f[0].blob === null)`)
	atts, err := srv.App.FindAllRecords("attachments")
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || atts[0].GetString("report") != byCode[codes[0]].Id {
		t.Fatalf("attachments on the server: %d, want 1 on the first report", len(atts))
	}
	stored := readAttachment(t, srv.App, atts[0])
	if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatalf("the stored photo does not decode: %v", err)
	}
	for _, trace := range []string{"Exif", "TestPhone", "GPS"} {
		if bytes.Contains(stored, []byte(trace)) {
			t.Fatalf("the stored photo still contains %q", trace)
		}
	}

	// Staff triage through the REST API as the console does, and answer;
	// the app shows both after its next pull.
	first := byCode[codes[0]]
	token := staffToken(t, srv, embassy)
	patch, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/collections/reports/records/"+first.Id, strings.NewReader(`{"status":"in_review"}`))
	patch.Header.Set("Content-Type", "application/json")
	patch.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(patch)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("staff status change: %d", res.StatusCode)
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
	// On another phone (a fresh browser profile), the receipt alone shows
	// the status and the reply.
	other := browsertest.New(t, 60*time.Second)
	openApp(t, other, srv.URL+"/?lang=en")
	do(t, other, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.SendKeys(chromedp.ID("fu-code"), strings.ReplaceAll(codes[0], " ", "-")),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, other, "the reply on another phone", `document.getElementById('fu-status').textContent === 'Being reviewed' &&
		document.getElementById('fu-messages').textContent.indexOf('We will call you tomorrow.') >= 0`)

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

// readAttachment returns the stored bytes of an attachment's file.
func readAttachment(t *testing.T, app core.App, att *core.Record) []byte {
	t.Helper()
	return testserver.ReadFile(t, app, att, "file")
}

// staffToken makes a staff member of embassy and signs them in over HTTP.
func staffToken(t *testing.T, srv *liveServer, embassy string) string {
	t.Helper()
	col, err := srv.App.FindCollectionByNameOrId("staff")
	if err != nil {
		t.Fatal(err)
	}
	s := core.NewRecord(col)
	s.SetEmail("staff@example.org")
	s.SetPassword("a long staff password")
	s.Set("embassy", embassy)
	if err := srv.App.Save(s); err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL+"/api/collections/staff/auth-with-password", "application/json",
		strings.NewReader(`{"identity":"staff@example.org","password":"a long staff password"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var auth struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&auth); err != nil || auth.Token == "" {
		t.Fatalf("staff sign-in: %d %v", res.StatusCode, err)
	}
	return auth.Token
}
