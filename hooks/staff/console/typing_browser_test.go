package console_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"homeward/hooks/staff/internal/fixture"
)

// TestAColleaguesChangeKeepsWhatIsBeingTyped: while a member of staff
// writes a reply and a note on a report, a colleague changes the report's
// status. The report is drawn again with the new status, and the reply and
// note being written, and the keyboard's place in the reply, stay.
func TestAColleaguesChangeKeepsWhatIsBeingTyped(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	_, ctx, s, problems := signedInConsole(t, app, 1280, 900)
	s.openReport(fixture.ReportX)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#report [data-current-status]').dataset.currentStatus`))
	if err != nil {
		t.Fatal(err)
	}
	s.do("write a note, then a reply",
		chromedp.SendKeys(chromedp.ID("note-body"), "Called the shelter at Poipet."),
		chromedp.SendKeys(chromedp.ID("reply-body"), "We are arranging a place for the six of you"))

	rep, err := app.FindRecordById("reports", fixture.ReportX)
	if err != nil {
		t.Fatal(err)
	}
	next := "in_review"
	if status == next {
		next = "contacted"
	}
	rep.Set("status", next)
	if err := app.Save(rep); err != nil {
		t.Fatal(err)
	}
	s.waitFor("the colleague's change is shown", `document.querySelector('#report [data-current-status]').dataset.currentStatus === '`+next+`'`)
	s.waitFor("the reply and the note are still there, and the keyboard in the reply at its end", `(() => {
		const reply = document.querySelector('#reply-body');
		return reply.value === 'We are arranging a place for the six of you' &&
			document.querySelector('#note-body').value === 'Called the shelter at Poipet.' &&
			document.activeElement === reply && reply.selectionStart === reply.value.length;
	})()`)
	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}

// TestAStatusChangeThatMeetsAnotherIsSentAgain: the server refuses (409)
// a change that met another one being written to the same report; the
// console sends the status change again, which names only the status, and
// it is made.
func TestAStatusChangeThatMeetsAnotherIsSentAgain(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	_, _, s, problems := signedInConsole(t, app, 1280, 900)
	s.openReport(fixture.ReportX)
	s.waitFor("the report's workflow", `!!document.querySelector('#report [data-status="contacted"]')`)
	// The first PATCH meets another change on the server: it is answered
	// as the server answers that, and reaches nothing.
	s.do("the first change meets another", chromedp.Evaluate[chromedp.Void](`(() => {
		const send = window.fetch;
		window.refused = 0;
		window.fetch = (url, opts) => {
			if (opts && opts.method === 'PATCH' && String(url).includes('/records/`+fixture.ReportX+`') && !window.refused) {
				window.refused = 1;
				return Promise.resolve(new Response(JSON.stringify({ status: 409, message: 'The record changed while this change was being made, so nothing was changed.', data: {} }),
					{ status: 409, headers: { 'Content-Type': 'application/json' } }));
			}
			return send(url, opts);
		};
	})()`))
	s.click("mark the report contacted", `#report [data-status="contacted"]`)
	s.waitFor("the status shows as changed, with no error", `document.querySelector('#report [data-current-status]').dataset.currentStatus === 'contacted' &&
		window.refused === 1 && !document.querySelector('#report .workflow [role="alert"]')`)
	rep, err := app.FindRecordById("reports", fixture.ReportX)
	if err != nil || rep.GetString("status") != "contacted" {
		t.Fatalf("the report on the server: %v (%v), want contacted", rep, err)
	}
	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}
