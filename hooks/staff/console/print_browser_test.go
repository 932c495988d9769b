package console_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestPrintACaseSheet drives the console in a real headless Chromium
// against the whole app: "Print case sheet" on a report logs a print
// event on the server first, then shows a sheet with the report's fields
// and message, the conversation both ways, the history (the new print
// event included) and the attachments by name, with a footer naming the
// member of staff and the time, and opens the browser's print dialog.
// The print stylesheet leaves the console's bars and buttons off the paper.
// With HOMEWARD_SCREENSHOTS=1 it writes the sheet as printed (print media)
// to docs/screenshots/staff-print.png.
func TestPrintACaseSheet(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "reporter", "body": "We are at the bus station now."})
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "staff", "author": fixture.StaffX, "body": "Stay there, we will call at noon."})
	att := fixture.SaveAttachment(t, app, fixture.ReportX)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 120*time.Second)
	problems := watchConsole(ctx)
	s := consoleSteps(t, ctx, problems)

	s.do("open the console", chromedp.EmulateViewport(1000, 900), chromedp.Navigate(srv.URL+"/staff/#/report/"+fixture.ReportX))
	s.signIn("x@example.org")
	s.waitFor("the report opens", `!!document.querySelector('#report [data-print]') && !!document.querySelector('[data-current-status]')`)
	// The browser's print dialog would stop a headless run: count calls.
	s.do("count print dialogs", chromedp.Evaluate[chromedp.Void](`window.printed = 0; window.print = () => { window.printed++; }`))
	s.click("print the case sheet", "#report [data-print]")
	s.waitFor("the sheet shows and the print dialog opens once", `document.body.dataset.page === 'print' && !!document.querySelector('[data-case-sheet]') && window.printed === 1`)

	has := func(step, selector, text string) {
		t.Helper()
		s.waitFor(step, `[...document.querySelectorAll(`+strconv.Quote(selector)+`)].some((el) => el.textContent.includes(`+strconv.Quote(text)+`))`)
	}
	has("the report's message", "[data-sheet-message]", fixture.MessageTextX)
	has("the report's fields", `[data-case-sheet] [data-field="contact_phone"]`, fixture.ContactPhoneX)
	has("the report's fields", `[data-case-sheet] [data-field="compound_location"]`, "river compound")
	has("the reporter's message", `[data-sheet-messages] li[data-direction="reporter"]`, "We are at the bus station now.")
	has("the staff reply, by name", `[data-sheet-messages] li[data-direction="staff"]`, "Stay there, we will call at noon.")
	has("the staff reply, by name", `[data-sheet-messages] li[data-direction="staff"]`, "Staff X")
	has("the history's note", `[data-sheet-history] li[data-kind="note"]`, "note of X")
	has("the history's print", `[data-sheet-history] li[data-kind="print"]`, "printed the case sheet")
	has("the attachment by name", "[data-sheet-attachments] li", att.GetString("file"))
	has("the footer names who printed it", "[data-sheet-footer]", "Printed by Staff X, at ")

	evs := fixture.FindEvents(t, app, dbx.HashExp{"report": fixture.ReportX, "kind": "print", "actor": fixture.StaffX})
	if len(evs) != 1 {
		t.Fatalf("want one print event by staff X on the server, got %d", len(evs))
	}
	// The footer's time is the event's, in the page's words.
	s.waitFor("the footer's time is the event's", `(() => {
		const when = new Date(`+strconv.Quote(evs[0].GetDateTime("created").Time().Format(time.RFC3339Nano))+`)
			.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
		return document.querySelector('[data-sheet-footer]').textContent.includes(when);
	})()`)

	// On paper: the sheet alone, without the console's bars and buttons.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	s.waitFor("the print stylesheet leaves only the sheet", `(() => {
		const shown = (sel) => getComputedStyle(document.querySelector(sel)).display !== 'none';
		return !shown('.bar') && !shown('.print-tools') && shown('[data-case-sheet]') && shown('[data-sheet-footer]');
	})()`)
	if os.Getenv("HOMEWARD_SCREENSHOTS") != "" {
		shotFull(t, ctx, "staff-print")
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	s.click("back to the report", "[data-print-back]")
	s.waitFor("the report shows again", `document.body.dataset.page === 'report' && !!document.querySelector('#report [data-print]')`)

	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}
