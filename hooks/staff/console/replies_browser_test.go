package console_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/receipts"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestASealedReplyReachesOnlyTheReceipt drives a sealed conversation end
// to end in Chromium: staff X makes the embassy's key in the console; a
// reporter's phone seals a report with its receipt's reply key; X opens
// the report, replies and adds a note, both sealed in the console and
// printed opened on the case sheet; a
// fresh browser that only types the receipt reads the reply, and says so
// when a reply does not open; no file the server wrote holds the words.
// A sealed report without a reply key says no reply can reach the
// reporter.
func TestASealedReplyReachesOnlyTheReceipt(t *testing.T) {
	app, srv, ctxA, a := keyedConsole(t, 5*time.Minute)
	const marker = "MARKER-r3ply"

	// The reporter's phone pins the key and files a report.
	ctxP, cancelP := chromedp.NewContext(ctxA, chromedp.WithNewBrowserContext())
	defer cancelP()
	p := consoleSteps(t, ctxP, watchConsole(ctxP))
	p.do("open the reporter's app", chromedp.Navigate(srv.URL+"/?lang=en"))
	p.waitFor("the app starts", `document.documentElement.getAttribute('data-ready') === '1'`)
	p.do("wait for the pinned key", chromedp.Evaluate[chromedp.Void](`(async () => {
		while (!(await self.homeward.db.get('meta', 'keys:`+fixture.EmbassyX+`'))) await new Promise((ok) => setTimeout(ok, 50));
	})()`, chromedp.EvalAwaitPromise))
	p.click("write a report", `[data-go="report"]`)
	p.waitFor("the embassy is listed", `!!document.querySelector('#f-embassy option[value="`+fixture.EmbassyX+`"]')`)
	p.fill("choose the embassy", "#f-embassy", fixture.EmbassyX)
	p.fill("the nationality", "#f-nationality", "ID")
	p.fill("the message", "#f-message", marker+" we are two")
	p.click("send", `#report-form button[type="submit"]`)
	p.waitFor("the receipt", `!document.getElementById('receipt').hidden && document.getElementById('receipt-code').textContent.length >= 20`)
	code, err := chromedp.Run(ctxP, chromedp.Evaluate[string](`document.getElementById('receipt-code').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	report := waitForRecord(t, app, "reports", "embassy = {:e} && sealed_by = 'phone'", dbx.Params{"e": fixture.EmbassyX})

	// X opens it, replies and notes; both are sealed in the console.
	a.open("open the report", "#/report/"+report.Id)
	a.waitFor("the report opens", `!!document.querySelector('#report [data-seal="open"]') && document.querySelector('#report .reporter-text').textContent.includes('`+marker+`')`)
	a.waitFor("the reply form says replies are sealed", `!!document.querySelector('#report [data-reply-sealed]')`)
	a.submit("send a reply", "#report [data-reply]", "textarea", marker+" come on Monday")
	a.waitFor("the reply shows opened", `document.querySelector('#report [data-messages]').textContent.includes('`+marker+` come on Monday')`)
	a.submit("add a note", "#report [data-note]", "textarea", marker+" called the shelter")
	a.waitFor("the note shows opened", `Array.from(document.querySelectorAll('#report [data-history] .note')).some((n) => n.textContent.includes('`+marker+` called the shelter'))`)
	reply := waitForRecord(t, app, "messages", "report = {:r} && direction = 'staff'", dbx.Params{"r": report.Id})
	if reply.GetString("sealed_by") != "staff" || reply.GetString("body") != "" {
		t.Fatalf("the reply is stored sealed by %q with body %q", reply.GetString("sealed_by"), reply.GetString("body"))
	}
	norm, err := receipts.Normalize(code)
	if err != nil {
		t.Fatal(err)
	}
	if got := testserver.OpenReply(t, norm, reply); got != marker+" come on Monday" {
		t.Fatalf("Go opens the console's reply with the receipt as %q", got)
	}
	note := waitForRecord(t, app, "report_events", "report = {:r} && kind = 'note'", dbx.Params{"r": report.Id})
	if note.GetString("sealed_by") != "staff" || note.GetString("note") != "" {
		t.Fatalf("the note is stored sealed by %q with note %q", note.GetString("sealed_by"), note.GetString("note"))
	}
	if n, _ := app.CountRecords("report_events", dbx.HashExp{"report": report.Id, "kind": "reply"}); n != 1 {
		t.Errorf("%d reply events on the audit trail, want 1", n)
	}

	// The case sheet prints them opened.
	a.do("count print dialogs", chromedp.Evaluate[chromedp.Void](`window.printed = 0; window.print = () => { window.printed++; }`))
	a.click("print the case sheet", "#report [data-print]")
	a.waitFor("the sheet shows the reply and the note opened", `document.body.dataset.page === 'print' && window.printed === 1 &&
		document.querySelector('[data-sheet-messages] li[data-direction="staff"] .sheet-body').textContent === '`+marker+` come on Monday' &&
		document.querySelector('[data-sheet-history] li[data-kind="note"] .sheet-body').textContent === '`+marker+` called the shelter'`)

	// A fresh browser that has only the receipt reads the reply.
	ctxF, cancelF := chromedp.NewContext(ctxA, chromedp.WithNewBrowserContext())
	defer cancelF()
	f := consoleSteps(t, ctxF, watchConsole(ctxF))
	follow := func(step string) {
		f.do(step, chromedp.Navigate(srv.URL+"/?lang=en"))
		f.waitFor("the app starts", `document.documentElement.getAttribute('data-ready') === '1'`)
		f.click("open the follow-up screen", `[data-go="follow"]`)
		f.fill("type the receipt", "#fu-code", code)
		f.click("look it up", `#follow-form button[type="submit"]`)
	}
	follow("open the app in a fresh browser")
	f.waitFor("the reply opens with the receipt", `Array.from(document.querySelectorAll('#fu-messages .reply-opened')).some((e) => e.textContent === '`+marker+` come on Monday')`)
	testserver.NoFileHolds(t, app.DataDir(), marker)

	// A reply changed on the server does not open, and the phone says so.
	var env map[string]any
	if err := jsonOf(reply.GetString("sealed"), &env); err != nil {
		t.Fatal(err)
	}
	env["nonce"] = "AAAAAAAAAAAAAAAA"
	reply.Set("sealed", env)
	if err := app.SaveNoValidate(reply); err != nil {
		t.Fatal(err)
	}
	follow("look again")
	f.waitFor("the phone says the reply cannot be opened", `!!document.querySelector('#fu-messages .reply-unreadable') &&
		document.querySelector('#fu-messages .reply-unreadable').textContent.startsWith('This reply could not be opened')`)

	// A reply stored in clear before the report was sealed (a row from
	// before, written here under the hooks), then sealed to the embassy's
	// key as seal-existing seals it: the console opens it, and the phone
	// says it is read at the embassy.
	now := time.Now().UTC().Format("2006-01-02 15:04:05.000Z")
	if _, err := app.DB().Insert("messages", dbx.Params{"id": "oldclearreply01", "report": report.Id, "direction": "staff",
		"body": marker + " an old reply", "author": fixture.StaffX, "created": now, "updated": now}).Execute(); err != nil {
		t.Fatal(err)
	}
	old, err := app.FindRecordById("messages", "oldclearreply01")
	if err != nil {
		t.Fatal(err)
	}
	old.Set("sealed", embassySealedReply(t, app, old))
	old.Set("body", "")
	if err := app.Save(old); err != nil {
		t.Fatalf("sealing the old reply to the embassy's key: %v", err)
	}
	follow("look once more")
	f.waitFor("the phone says the old reply is read at the embassy", `!!document.querySelector('#fu-messages .reply-embassy-only') &&
		document.querySelector('#fu-messages .reply-embassy-only').textContent.startsWith('The embassy replied.')`)
	a.open("open the report again", "#/report/"+report.Id)
	a.waitFor("the console opens the old reply", `document.querySelector('#report [data-messages]').textContent.includes('`+marker+` an old reply')`)

	// A sealed report with no reply key: no reply can reach the reporter.
	none := sealedReport(t, app, "sealednoreply0000001", 1, seal.ReportBody{Message: "Sealed, no receipt kept."})
	a.open("open the report with no reply key", "#/report/"+none.Id)
	a.waitFor("it opens", `!!document.querySelector('#report [data-seal="open"]')`)
	a.waitFor("the console says no reply reaches the reporter", `!document.querySelector('#report [data-reply]') &&
		document.querySelector('#report [data-reply-blocked]').textContent.startsWith('This report came without a receipt')`)
}

// waitForRecord waits up to 30 s for the first record of collection that
// filter finds.
func waitForRecord(t *testing.T, app core.App, collection, filter string, params dbx.Params) *core.Record {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := app.FindFirstRecordByFilter(collection, filter, params)
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s record where %s (%v): %v", collection, filter, params, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// embassySealedReply seals a stored reply's body to the newest key of its
// report's embassy, as seal-existing does (seal.MessageClear binding).
func embassySealedReply(t *testing.T, app core.App, m *core.Record) map[string]any {
	t.Helper()
	env := fixture.SealToX(t, app, 0, m.Id, seal.MessageClear(m), seal.MessageBody{Body: m.GetString("body")})
	b, _ := json.Marshal(env)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonOf decodes a JSON field's text.
func jsonOf(raw string, out any) error {
	return json.NewDecoder(strings.NewReader(raw)).Decode(out)
}
