package console_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// watchMarks makes the page keep, in window.marked, each message it marks
// read by staff, as the request leaves (api.js sends them through fetch).
const watchMarks = `(() => {
	window.marked = [];
	const send = window.fetch;
	window.fetch = (url, opts) => {
		const u = String(url);
		if (opts && opts.method === 'PATCH' && u.includes('/api/collections/messages/records/')) window.marked.push(u.split('/').pop().split('?')[0]);
		return send(url, opts);
	};
})()`

// TestAReporterMessageIsReadOnceSeen: a reporter's message counts as read
// by staff, and leaves the waiting queue, only once a member of staff could
// see it. A report opened in a tab in the background marks nothing until
// the tab is in view.
func TestAReporterMessageIsReadOnceSeen(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.QueueReports(t, app, nil)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 90*time.Second)
	problems := watchConsole(ctx)
	s := consoleSteps(t, ctx, problems)

	msg, err := app.FindFirstRecordByFilter("messages", "report = {:r} && direction = 'reporter'", dbx.Params{"r": fixture.UnreadX})
	if err != nil {
		t.Fatal(err)
	}
	unread := func(why string) {
		t.Helper()
		got, err := app.FindRecordById("messages", msg.Id)
		if err != nil || got.GetBool("read_by_staff") {
			t.Fatalf("%s: the reporter's message is marked read by staff (%v)", why, err)
		}
	}

	s.do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"))
	s.signIn("x@example.org")
	s.waitFor("the waiting queue lists the report with its unread message", `!!document.querySelector('#list tr[data-id="`+fixture.UnreadX+`"][data-unread="1"]')`)

	// The tab goes to the background, as when staff switch to another tab.
	s.do("the tab is hidden", chromedp.Evaluate[chromedp.Void](watchMarks+`;
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
		document.dispatchEvent(new Event('visibilitychange'));
		location.hash = '#/report/`+fixture.UnreadX+`';`))
	s.waitFor("the report and its message are drawn", `[...document.querySelectorAll('#report .bubble.from-reporter')].some((b) => b.textContent.includes('Are you there?'))`)
	s.waitFor("nothing is marked read while the tab is hidden", `window.marked.length === 0`)
	unread("in a hidden tab")

	s.do("the tab comes into view", chromedp.Evaluate[chromedp.Void](`
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
		document.dispatchEvent(new Event('visibilitychange'));`))
	s.waitFor("the message is marked read", `window.marked.join() === '`+msg.Id+`'`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := app.FindRecordById("messages", msg.Id)
		if err == nil && got.GetBool("read_by_staff") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message seen is not marked read on the server (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.do("back to the waiting queue", chromedp.Evaluate[chromedp.Void](`location.hash = '#/'`))
	s.waitFor("the report has left the waiting queue", `document.body.dataset.page === 'reports' && !document.querySelector('#list tr[data-id="`+fixture.UnreadX+`"]') && document.body.dataset.waiting === '2'`)

	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}

// TestTheDayLeftIsShownAsThatDay: the day a person left the compound is a
// calendar day (stored as midnight UTC): the report shows that day, with
// no time, in a browser west of UTC as everywhere (it showed 7:00 PM on
// the day before in New York).
func TestTheDayLeftIsShownAsThatDay(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	rep, err := app.FindRecordById("reports", fixture.ReportX)
	if err != nil {
		t.Fatal(err)
	}
	rep.Set("left_on", "2026-11-28 00:00:00.000Z")
	if err := app.Save(rep); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 60*time.Second)
	s := consoleSteps(t, ctx, watchConsole(ctx))
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	s.do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"))
	s.signIn("x@example.org")
	s.waitFor("the list shows", `document.body.dataset.page === 'reports'`)
	s.do("open the report", chromedp.Evaluate[chromedp.Void](`location.hash = '#/report/`+fixture.ReportX+`'`))
	s.waitFor("the day left is that day, with no time", `document.querySelector('#report [data-field="left_on"]')?.textContent === 'Nov 28, 2026'`)
}
