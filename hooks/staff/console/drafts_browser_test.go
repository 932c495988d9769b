package console_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestAReplyNotSentIsKeptWhenTheReportIsLeft: a member of staff writes a
// reply and a note on a report and goes back to the list (u) before
// sending them; opening the report again shows both as they were written.
// Once the reply is sent, the box is empty the next time; what is written
// and not sent is gone after signing out.
func TestAReplyNotSentIsKeptWhenTheReportIsLeft(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 90*time.Second)
	s := consoleSteps(t, ctx, watchConsole(ctx))

	const reply = "We are arranging a place for the six of you"
	const note = "Called the shelter at Poipet."
	open := func(step string) {
		s.t.Helper()
		s.do(step, chromedp.Evaluate[chromedp.Void](`document.querySelector('#report').replaceChildren(); location.hash = '#/report/`+fixture.ReportX+`'`))
		s.waitFor("the report and its reply box", `document.body.dataset.page === 'report' && !!document.querySelector('#report #reply-body') && !!document.querySelector('#report #note-body')`)
	}
	back := func(step string) {
		s.t.Helper()
		s.do(step, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("u"))
		s.waitFor("the list shows", `document.body.dataset.page === 'reports'`)
	}

	s.do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"))
	s.signIn("x@example.org")
	s.waitFor("the list shows", `document.body.dataset.page === 'reports'`)
	open("open the report")
	s.do("write a note and a reply", chromedp.SendKeys(chromedp.ID("note-body"), note), chromedp.SendKeys(chromedp.ID("reply-body"), reply))
	back("go back to the list before sending")
	open("open the report again")
	s.waitFor("the reply and the note are as they were written", `document.querySelector('#reply-body').value === '`+reply+`' && document.querySelector('#note-body').value === '`+note+`'`)

	s.do("send the reply", chromedp.Focus(chromedp.ID("reply-body")), chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	s.waitFor("the reply is in the conversation and its box empty", `document.querySelector('[data-messages]').textContent.includes('`+reply+`') && document.querySelector('#reply-body').value === ''`)
	back("go back to the list")
	open("open the report once more")
	s.waitFor("the sent reply is not written again; the note still waits", `document.querySelector('#reply-body').value === '' && document.querySelector('#note-body').value === '`+note+`'`)

	// A reply on its way when the report is left is sent, not kept as
	// unsent: the message's POST is held back a moment in the page.
	s.do("slow the sending of messages", chromedp.Evaluate[chromedp.Void](`(() => {
		const send = window.fetch;
		window.fetch = (url, opts) => (opts && opts.method === 'POST' && String(url).includes('/collections/messages/records')
			? new Promise((ok) => setTimeout(ok, 1500)).then(() => send(url, opts)) : send(url, opts));
	})()`))
	s.do("send a reply and leave at once", chromedp.SendKeys(chromedp.ID("reply-body"), "On its way"), chromedp.Focus(chromedp.ID("reply-body")),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	back("go back to the list while it is sent")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := app.FindFirstRecordByFilter("messages", "body = 'On its way'"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reply on its way never reached the server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	open("open the report after the reply went")
	s.waitFor("the reply sent is not offered again", `document.querySelector('[data-messages]').textContent.includes('On its way') && document.querySelector('#reply-body').value === ''`)

	s.do("write another reply", chromedp.SendKeys(chromedp.ID("reply-body"), "Not to be kept"))
	s.click("sign out", "[data-logout]")
	s.signIn("x@example.org")
	open("open the report after signing in again")
	s.waitFor("nothing written before the sign-out is there", `document.querySelector('#reply-body').value === '' && document.querySelector('#note-body').value === ''`)
}
