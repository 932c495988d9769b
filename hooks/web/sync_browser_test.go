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

	"homeward/internal/browsertest"
	"homeward/internal/receipts"
)

// TestOfflineReportsReachTheServerOnce runs the real binary behind a
// killer proxy. It files two reports offline (binary stopped, network cut),
// brings both back, kills the binary (SIGKILL) right after it has stored
// the photo's bytes and before the answer leaves, restarts it on the same
// data dir, and checks that exactly those two reports and one clean photo
// arrive with their receipts hashed, that the page says "sent", and that a
// staff status change and reply made through the REST API show after a pull.
func TestOfflineReportsReachTheServerOnce(t *testing.T) {
	srv := startReal(t)
	embassy := srv.seedEmbassy("test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 150*time.Second)
	codes := fileTwoReportsOffline(t, ctx, srv.URL, srv.Stop)
	local := localReports(t, ctx)

	// The server saves the photo's bytes and is killed before answering:
	// the app must ask where the upload stands (HEAD) and not send it twice.
	srv.Proxy.KillOnNext(http.MethodPatch, "/api/sync/files/")
	srv.Restart()
	setOffline(t, ctx, false) // fires `online`: the app sends at once
	if got := srv.Proxy.waitKilled("upload the photo after coming online"); got.Status/100 != 2 {
		t.Fatalf("the server answered the photo upload it was killed after with %d %s", got.Status, got.Body)
	}
	srv.Proxy.Stop()
	waitFor(t, ctx, "the photo upload failed", `self.homeward.db.all('files').then((f) => f[0].state === 'uploading' && !!f[0].url)`)
	srv.Restart()
	waitFor(t, ctx, "both reports sent", `Array.from(document.querySelectorAll('#mine .state')).map((e) => e.textContent).join('|') === 'Sent to the embassy|Sent to the embassy'`)

	if all := srv.records("reports", ""); len(all) != 2 {
		t.Fatalf("the server holds %d reports, want exactly 2", len(all))
	}
	keys, err := receipts.Load(srv.Bin.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]map[string]any{}
	for _, l := range local {
		id, code := l["id"].(string), l["receipt"].(string)
		want, _ := keys.Hash(code)
		if strings.Contains(want, strings.ReplaceAll(code, " ", "")) {
			t.Fatalf("the receipt hash of %s contains the code", id)
		}
		// receipt_hash is hidden from everyone but superusers.
		found := srv.records("reports", fmtFilter("id = %s && receipt_hash = %s", id, want))
		if len(found) != 1 {
			t.Fatalf("report %s made on the phone is not on the server with the keyed hash of its receipt", id)
		}
		rec := found[0]
		if rec["embassy"] != embassy || rec["channel"] != "self" || rec["people_count"] != 2.0 ||
			rec["nationality"] != "ID" || !sameStrings(rec["needs"], "shelter") ||
			!strings.HasPrefix(rec["left_on"].(string), "2026-11-20") || rec["device_created"] == "" ||
			rec["language"] != "en" || rec["consent_version"] == "" || rec["receipt_hash"] != want {
			t.Fatalf("report %s arrived as %v", id, rec)
		}
		byCode[code] = rec
	}

	// Once acknowledged, what the person wrote is no longer on the phone.
	if left := eval[string](t, ctx, `self.homeward.db.all('reports').then((r) => JSON.stringify(r))`); strings.Contains(left, "written offline") {
		t.Fatalf("the report text stayed on the phone after the server acknowledged it: %s", left)
	}

	// The photo follows its report through tus and is stored clean, once.
	waitFor(t, ctx, "the photo sent", `self.homeward.db.all('files').then((f) => f.length === 1 && f[0].state === 'sent' && f[0].blob === null)`)
	if srv.Proxy.fileHeads.Load() == 0 {
		t.Error("the app resumed the photo without asking the server where the upload stands (HEAD)")
	}
	first := byCode[codes[0]]
	firstId := first["id"].(string)
	atts := srv.records("attachments", "")
	if len(atts) != 1 || atts[0]["report"] != firstId {
		t.Fatalf("attachments on the server: %d, want 1 on the first report", len(atts))
	}
	stored := srv.file("attachments", atts[0]["id"].(string), atts[0]["file"].(string))
	if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatalf("the stored photo does not decode: %v", err)
	}
	for _, trace := range []string{"Exif", "TestPhone", "GPS"} {
		if bytes.Contains(stored, []byte(trace)) {
			t.Fatalf("the stored photo still contains %q", trace)
		}
	}

	// Staff triage and answer through the REST API as the console does;
	// the app shows both after its next pull.
	staffId, token := srv.seedStaff(embassy)
	if _, err := srv.Bin.Do(http.MethodPatch, "/api/collections/reports/records/"+firstId, token, map[string]any{"status": "in_review"}, nil); err != nil {
		t.Fatalf("staff status change: %v", err)
	}
	if _, err := srv.Bin.Do(http.MethodPost, "/api/collections/messages/records", token, map[string]any{
		"report": firstId, "direction": "staff", "author": staffId, "body": "We will call you tomorrow.",
	}, nil); err != nil {
		t.Fatalf("staff reply: %v", err)
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
	waitFor(t, ctx, "the reply sent", `self.homeward.outbox.list().then((l) => l.length === 0)`)
	// On another phone (a fresh browser profile), the receipt alone shows
	// the status and the reply.
	other := browsertest.New(t, 60*time.Second)
	openApp(t, other, srv.URL+"/?lang=en")
	do(t, other, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.SendKeys(chromedp.ID("fu-code"), strings.ReplaceAll(codes[0], " ", "-")),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, other, "the reply on another phone", `document.getElementById('fu-status').textContent === 'Being reviewed' &&
		document.getElementById('fu-messages').textContent.indexOf('We will call you tomorrow.') >= 0`)

	replies := srv.records("messages", fmtFilter("report = %s && direction = 'reporter'", firstId))
	if len(replies) != 1 || replies[0]["body"] != "Thank you, I will answer." {
		local := eval[string](t, ctx, `self.homeward.db.all('messages').then((m) => JSON.stringify(m))`)
		t.Fatalf("the reporter's reply reached the server %d times, want once; on the phone: %s", len(replies), local)
	}
}

// sameStrings reports whether a decoded JSON list holds exactly want.
func sameStrings(list any, want ...string) bool {
	raw, _ := json.Marshal(list)
	wantRaw, _ := json.Marshal(want)
	return bytes.Equal(raw, wantRaw)
}
