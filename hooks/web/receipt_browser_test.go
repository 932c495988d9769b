package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// TestPhoneReadsReceiptsAsTheServerDoesAndMarksRepliesRead checks, in a
// real Chromium, that the phone's receipt rule gives the server's answer
// for every row of the shared table (internal/receipts/testdata/receipts.json);
// that a code typed in full-width digits with ideographic spaces finds its
// report on the follow-up screen; and that once the staff reply is on the
// screen the phone tells the server, which sets read_by_reporter.
func TestPhoneReadsReceiptsAsTheServerDoesAndMarksRepliesRead(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	const code, reportId, replyId = "48210937551280642296", "receiptbrowser000001", "replybrowser001"
	push := map[string]any{"device": "phone", "ops": []map[string]any{{
		"op": "1", "kind": "create", "collection": "reports", "id": reportId, "receipt": code,
		"data": map[string]any{"embassy": embassy, "people_count": 1, "message": "help"},
	}}}
	body, _ := json.Marshal(push)
	res, err := http.Post(srv.URL+"/api/sync/push", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("push: %v %v", res, err)
	}
	res.Body.Close()
	testserver.SaveRecord(t, srv.App, "messages", map[string]any{"id": replyId, "report": reportId, "direction": "staff", "body": "We will call you tomorrow."})

	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/")

	raw, err := os.ReadFile("../../internal/receipts/testdata/receipts.json")
	if err != nil {
		t.Fatal(err)
	}
	var table []struct{ Name, In, Want string }
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	got := eval[[]string](t, ctx, `(`+string(raw)+`).map((r) => self.homeward.ids.normalizeReceipt(r.in))`)
	for i, row := range table {
		if got[i] != row.Want {
			t.Errorf("%s: the phone reads %q as %q, the server as %q", row.Name, row.In, got[i], row.Want)
		}
	}

	// The nationality is chosen from the server's list, named in the
	// page's language (fetched when the form first opens).
	do(t, ctx, chromedp.SetValue(chromedp.ID("lang"), "my"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').dispatchEvent(new Event('change'))`))
	waitFor(t, ctx, "the page in Burmese", `document.documentElement.lang === 'my'`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#home [data-go="report"]`)))
	waitFor(t, ctx, "the list in Burmese", `document.documentElement.lang === 'my' &&
		[...document.querySelectorAll('#f-nationality option')].some((o) => o.value === 'MM' && o.textContent === 'မြန်မာ')`)
	codes := eval[[]string](t, ctx, `[...document.querySelectorAll('#f-nationality option')].map((o) => o.value)`)
	want := append([]string{""}, vocab.Nationalities...)
	want = append(want, vocab.NationalityOther)
	slices.Sort(codes)
	slices.Sort(want)
	if !slices.Equal(codes, want) {
		t.Errorf("the form offers %v, the server's list is %v", codes, want)
	}

	// "Another country" sends what the person typed; the server keeps it
	// for staff beside "other".
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en#report")
	do(t, ctx, chromedp.SetValue(chromedp.ID("f-nationality"), "other"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('f-nationality').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.ID("f-nationality-other")),
		chromedp.SendKeys(chromedp.ID("f-nationality-other"), "Uzbekistan"),
		// The count starts empty: typing 3 gives 3, not 13.
		chromedp.SendKeys(chromedp.ID("f-people"), "3"),
		chromedp.SendKeys(chromedp.ID("f-message"), "other country"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the receipt screen", `!document.getElementById('receipt').hidden`)
	waitForRecord(t, srv.App, "nationality_original = 'Uzbekistan' AND nationality = 'other' AND people_count = 3")
	do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	waitFor(t, ctx, "the app to start", `document.documentElement.getAttribute('data-ready') === '1'`)

	typed := "４８２１\u3000０９３７\u3000５５１２\u3000８０６４\u3000２２９６"
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-go="follow"]`)),
		chromedp.WaitVisible(chromedp.ID("fu-code")),
		chromedp.SetValue(chromedp.ID("fu-code"), typed),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)),
	)
	waitFor(t, ctx, "the reply on the follow-up screen",
		`!document.getElementById('fu-result').hidden && document.getElementById('fu-messages').textContent.includes('We will call you tomorrow.')`)
	if v := eval[string](t, ctx, `document.getElementById('fu-code').value`); v != "4821 0937 5512 8064 2296" {
		t.Errorf("the typed code is shown back as %q", v)
	}

	waitReadByReporter(t, ctx, srv.App, replyId)
	deadline := time.Now().Add(60 * time.Second)
	// The server has the mark; the phone empties its outbox once it has
	// read the push's answer, a moment later.
	for {
		n := eval[int](t, ctx, `self.homeward.db.all('outbox').then((o) => o.length)`)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations left in the outbox after the mark was sent", n)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A reply that arrives while the phone is locked is drawn on the
	// follow-up screen but not seen: it is not marked read, nor after the
	// reporter goes back to the home screen. It is once the follow-up
	// screen is on a screen in view.
	const laterId = "replybrowser002"
	testserver.SaveRecord(t, srv.App, "messages", map[string]any{"id": laterId, "report": reportId, "direction": "staff", "body": "Come at nine."})
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
		document.dispatchEvent(new Event('visibilitychange'));
		document.querySelector('#follow-form button[type="submit"]').click();`))
	waitFor(t, ctx, "the later reply drawn while the page is hidden", `document.getElementById('fu-messages').textContent.includes('Come at nine.')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#follow [data-go="home"]`)), chromedp.WaitVisible(chromedp.ID("home")),
		chromedp.Evaluate[chromedp.Void](`
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
		document.dispatchEvent(new Event('visibilitychange'));`))
	waitFor(t, ctx, "the phone has synced since", `self.homeward.db.all('outbox').then((o) => o.length === 0)`)
	queued := eval[bool](t, ctx, `self.homeward.db.all('outbox').then((o) => o.some((e) => e.id === '`+laterId+`'))`)
	if rec, err := srv.App.FindRecordById("messages", laterId); err != nil || rec.GetBool("read_by_reporter") || queued {
		t.Fatalf("a reply drawn while the page was hidden was marked read (queued %v, %v)", queued, err)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#home [data-go="follow"]`)),
		chromedp.WaitVisible(chromedp.ID("fu-code")),
		chromedp.SetValue(chromedp.ID("fu-code"), code),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)),
	)
	waitReadByReporter(t, ctx, srv.App, laterId)

	// Offline, a reply waits on the phone and the screen says the server
	// cannot be reached; once the phone is back online and the reply has
	// gone, that is no longer said.
	setOffline(t, ctx, true)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)),
		chromedp.SendKeys(chromedp.ID("fu-reply"), "We moved to the clinic."),
		chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)))
	// (The page is in Burmese since the nationality step.)
	waitFor(t, ctx, "offline, the screen says the server cannot be reached", `document.getElementById('fu-note').textContent === 'ဆာဗာနှင့် ဆက်သွယ်၍ မရပါ။ ဤဖုန်းထဲတွင် သိမ်းထားသည်ကို ပြသနေသည်။'`)
	setOffline(t, ctx, false)
	waitFor(t, ctx, "back online, the reply has gone and the screen no longer says so", `document.getElementById('fu-note').textContent === '' &&
		self.homeward.db.all('outbox').then((o) => o.length === 0)`)
	if n, err := srv.App.CountRecords("messages", dbx.HashExp{"report": reportId, "direction": "reporter"}); err != nil || n != 1 {
		t.Fatalf("%d reporter replies on the server (%v), want 1", n, err)
	}

	// On a borrowed phone, the code, its report and replies can be
	// forgotten; the phone's own report stays.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(chromedp.ID("fu-forget")))
	waitFor(t, ctx, "the home screen", `!document.getElementById('home').hidden`)
	waitFor(t, ctx, "nothing of the code is left on the phone", `Promise.all([self.homeward.db.all('reports'), self.homeward.db.all('messages'), self.homeward.db.get('meta', 'cursor:r:`+code+`')]).then(([r, m, c]) =>
		!r.some((x) => x.id === '`+reportId+`') && r.length === 1 && !m.some((x) => x.report === '`+reportId+`') && c === undefined)`)
}

// waitReadByReporter waits until the server holds the staff reply id as
// read by the reporter, the mark the phone sends through its outbox.
func waitReadByReporter(t *testing.T, ctx context.Context, app core.App, id string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rec, err := app.FindRecordById("messages", id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.GetBool("read_by_reporter") {
			return
		}
		if time.Now().After(deadline) {
			page := eval[string](t, ctx, `self.homeward.db.all('outbox').then((o) => JSON.stringify(o))`)
			t.Fatalf("the reply %s shown on the phone is still unread on the server; outbox: %s", id, page)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitForRecord waits until a report matching the SQL condition is stored.
func waitForRecord(t *testing.T, app core.App, where string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := app.DB().NewQuery("SELECT count(*) FROM reports WHERE " + where).Row(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report with %s reached the server", where)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
