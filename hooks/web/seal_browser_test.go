package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestThePhoneSealsWhatOnlyTheEmbassyOpens: the reporter's app in
// Chromium pins an embassy's keys, walks a signed rotation to the newest
// epoch, and seals a report with seal.js before it goes in the outbox: the
// server holds it sealed by the phone, Go's seal.Open opens it with the
// embassy's private key, and no file the server wrote holds what was typed.
// When the server serves a key that does not chain to the one the phone
// pinned (a seized server swapping keys), the phone sends nothing for that
// embassy, says why, and keeps the report.
func TestThePhoneSealsWhatOnlyTheEmbassyOpens(t *testing.T) {
	srv := startLive(t)
	embA := seedEmbassy(t, srv.App, "test-a", "Embassy A")
	embB := seedEmbassy(t, srv.App, "test-b", "Embassy B")
	a1 := testserver.AddEmbassyKey(t, srv.App, embA, nil)
	a2 := testserver.AddEmbassyKey(t, srv.App, embA, a1)
	testserver.AddEmbassyKey(t, srv.App, embB, nil)

	ctx := browsertest.New(t, 120*time.Second)
	openApp(t, ctx, srv.URL+"/?embassy=test-a&lang=en")
	waitFor(t, ctx, "the keys pinned", `Promise.all([self.homeward.db.get('meta', 'keys:`+embA+`'), self.homeward.db.get('meta', 'keys:`+embB+`')])
		.then(([a, b]) => !!a && a.epoch === 2 && a.first === '`+a1.Kid+`' && !a.broken && !!b && b.epoch === 1 && !b.broken)`)

	const marker = "MARKER-ph0ne"
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)),
		chromedp.SetValue(chromedp.ID("f-embassy"), embA),
		chromedp.SetValue(chromedp.ID("f-compound"), marker+" ကျွန်တော်တို့ ၃ ယောက်"),
		chromedp.SendKeys(chromedp.ID("f-cname"), marker+" name"),
		chromedp.SendKeys(chromedp.ID("f-cphone"), "+000 555 0199"),
	)
	fillReport(t, ctx, marker+" message", "")
	waitFor(t, ctx, "the report sent", `Array.from(document.querySelectorAll('#mine .state')).map((e) => e.textContent).join('|') === 'Sent to the embassy'`)

	reports, err := srv.App.FindAllRecords("reports")
	if err != nil || len(reports) != 1 {
		t.Fatalf("the server holds %d reports (%v), want 1", len(reports), err)
	}
	r := reports[0]
	if r.GetString("sealed_by") != "phone" || r.GetString("message") != "" || r.GetString("contact_name") != "" {
		t.Fatalf("stored sealed_by %q, message %q, contact %q", r.GetString("sealed_by"), r.GetString("message"), r.GetString("contact_name"))
	}
	body := a2.OpenReport(t, r)
	if body.Message != marker+" message" || body.CompoundLocation != marker+" ကျွန်တော်တို့ ၃ ယောက်" ||
		body.ContactName != marker+" name" || body.ContactPhone != "+000 555 0199" {
		t.Fatalf("Go opened %+v", body)
	}
	if r.GetString("nationality") != "ID" || r.GetInt("people_count") != 2 || r.GetString("channel") != "self" ||
		len(r.GetStringSlice("needs")) != 1 || r.GetStringSlice("needs")[0] != "shelter" {
		t.Errorf("the clear fields arrived as %v", r.FieldsData())
	}
	testserver.NoFileHolds(t, srv.App.DataDir(), marker)

	// The reporter's follow-up message is sealed on the phone too, and the
	// phone keeps showing what it wrote.
	code := localReports(t, ctx)[0]["receipt"].(string)
	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.SendKeys(chromedp.ID("fu-code"), code),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, ctx, "the report followed", `document.getElementById('fu-status').textContent !== ''`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("fu-reply"), marker+" a follow-up"),
		chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)))
	waitFor(t, ctx, "the follow-up sent", `self.homeward.db.all('messages').then((m) => m.length === 1 && m[0].state === 'sent')`)
	msgs, err := srv.App.FindAllRecords("messages")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the server holds %d messages (%v), want 1", len(msgs), err)
	}
	if msgs[0].GetString("sealed_by") != "phone" || msgs[0].GetString("body") != "" {
		t.Fatalf("the follow-up is stored sealed by %q with body %q", msgs[0].GetString("sealed_by"), msgs[0].GetString("body"))
	}
	if got := a2.OpenMessage(t, embA, msgs[0]); got != marker+" a follow-up" {
		t.Fatalf("Go opened the follow-up as %q", got)
	}
	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.SendKeys(chromedp.ID("fu-code"), code),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, ctx, "the phone's own words after a pull", `document.getElementById('fu-messages').textContent.indexOf('a follow-up') >= 0`)
	testserver.NoFileHolds(t, srv.App.DataDir(), marker)

	// A seized server serves a next epoch for B signed by a key of its own.
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	testserver.AddEmbassyKey(t, srv.App, embB, &testserver.EmbassyKey{Epoch: 1, Signer: forger})
	// Meanwhile A rotates its key as its staff would: epoch 3, signed by 2.
	a3 := testserver.AddEmbassyKey(t, srv.App, embA, a2)
	openApp(t, ctx, srv.URL+"/?lang=en")
	waitFor(t, ctx, "the broken chain noticed", `self.homeward.db.get('meta', 'keys:`+embB+`').then((b) => !!b && b.broken === 'chain' && b.epoch === 1)`)
	waitFor(t, ctx, "the rotation taken", `self.homeward.db.get('meta', 'keys:`+embA+`').then((a) => !!a && !a.broken && a.epoch === 3 && a.kid === '`+a3.Kid+`')`)
	const held = "MARKER-he1d"
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.SetValue(chromedp.ID("f-embassy"), embB))
	fillReport(t, ctx, held+" for B", "")
	waitFor(t, ctx, "the person told why", `Array.from(document.querySelectorAll('#mine .state')).some((e) => e.textContent.indexOf("security key changed") >= 0)`)
	if n := eval[int](t, ctx, `self.homeward.db.all('outbox').then((o) => o.length)`); n != 1 {
		t.Fatalf("the outbox holds %d operations, want the held report", n)
	}
	if found, _ := srv.App.FindAllRecords("reports"); len(found) != 1 {
		t.Fatalf("the server holds %d reports: the report for B was sent", len(found))
	}
	testserver.NoFileHolds(t, srv.App.DataDir(), held)
}

// TestAVolunteersReportWrittenBeforeTheKeyIsSealedOnThePhone: a volunteer
// files a report with a photo offline for an embassy with no key yet; the
// embassy gets its key meanwhile. Back online, the app fetches the key
// before sending, seals the waiting report and its photo on the phone (the
// report bound to the volunteer channel and the volunteer's id, as the
// server stores it), and the embassy opens both.
func TestAVolunteersReportWrittenBeforeTheKeyIsSealedOnThePhone(t *testing.T) {
	srv, ctx, embassy := volunteerSignedIn(t)
	const marker = "MARKER-v0lunteer"
	photo, _ := filepath.Abs(filepath.Join("testdata", "photo-with-gps.jpg"))
	setOffline(t, ctx, true)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy),
		chromedp.SendKeys(chromedp.ID("f-message"), marker+" met at the border"),
		chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photo}))
	waitFor(t, ctx, "the shrunk photo", `document.querySelectorAll('#photo-list li').length === 1`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the saved line", `!document.getElementById('f-saved').hidden`)
	if sealed := eval[bool](t, ctx, `self.homeward.db.all('outbox').then((o) => o.length === 1 && !!o[0].data.sealed)`); sealed {
		t.Fatal("the report was sealed with no key known")
	}
	if sealed := eval[bool](t, ctx, `self.homeward.db.all('files').then((f) => f.length !== 1 || !!f[0].sealed)`); sealed {
		t.Fatal("the photo was sealed with no key known")
	}

	key := testserver.AddEmbassyKey(t, srv.App, embassy, nil)
	setOffline(t, ctx, false)
	waitFor(t, ctx, "the report sent", `self.homeward.db.all('outbox').then((o) => o.length === 0)`)
	reports, err := srv.App.FindAllRecords("reports")
	if err != nil || len(reports) != 1 {
		t.Fatalf("the server holds %d reports (%v), want 1", len(reports), err)
	}
	r := reports[0]
	if r.GetString("sealed_by") != "phone" || r.GetString("channel") != "volunteer" || r.GetString("volunteer") == "" {
		t.Fatalf("stored sealed_by %q, channel %q, volunteer %q", r.GetString("sealed_by"), r.GetString("channel"), r.GetString("volunteer"))
	}
	if body := key.OpenReport(t, r); body.Message != marker+" met at the border" {
		t.Fatalf("Go opened %+v", body)
	}
	waitFor(t, ctx, "the photo sent", `self.homeward.db.all('files').then((f) => f.length === 1 && f[0].state === 'sent' && f[0].sealed)`)
	atts, err := srv.App.FindAllRecords("attachments")
	if err != nil || len(atts) != 1 || atts[0].GetString("sealed_by") != "phone" {
		t.Fatalf("the server holds %d attachments (%v), want 1 sealed by the phone", len(atts), err)
	}
	if mime, data := key.OpenAttachment(t, srv.App, atts[0]); mime != "image/jpeg" || !bytes.HasPrefix(data, []byte{0xff, 0xd8}) || bytes.Contains(data, []byte("Exif")) {
		t.Fatalf("the photo opened as %s, %d bytes", mime, len(data))
	}
	testserver.NoFileHolds(t, srv.App.DataDir(), marker)
}
