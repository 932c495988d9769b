package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/receipts"
	"homeward/internal/testserver"
)

// TestConsoleInABrowser drives the staff console in a real headless
// Chromium against the whole app on a real socket: sign in, filter, open a
// report, change its status, reply, and see a report saved on the server
// appear in the list without a reload. With HOMEWARD_SCREENSHOTS=1 it also
// writes the screenshots in docs/screenshots.
func TestConsoleInABrowser(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.SaveReport("urgentx0000000000001", fixture.EmbassyX, map[string]any{
		"people_count": 3, "nationality": "Indonesia", "language": "id", "safety_risk_now": true, "minors_present": true,
		"needs": []string{"safety", "medical"}, "message": "Three of us, one is 16, the guards are looking for us.",
		"compound_location": "Sihanoukville, building C", "current_location": "bus station",
	})(t, app, nil)
	fixture.SaveReport("docsxx0000000000001x", fixture.EmbassyX, map[string]any{
		"people_count": 1, "nationality": "Indonesia", "language": "en", "channel": "volunteer",
		"needs": []string{"documents"}, "message": "My passport is still with the company.", "compound_location": "Bavet",
	})(t, app, nil)
	fixture.SaveAttachment(t, app, fixture.ReportX)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 120*time.Second)
	problems := watchConsole(ctx)

	s := consoleSteps(t, ctx, problems)
	do, waitFor := s.do, s.waitFor
	shot := screenshotter(t, ctx)

	do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/#/?queue=all&layout=cards"), chromedp.WaitVisible("#login-email"))
	shot("staff-login")

	s.signIn("x@example.org")
	waitFor("the list shows X's reports", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("nationalities are named, not bare codes", `document.querySelector('li[data-id="urgentx0000000000001"] .report-who').textContent.includes('Indonesia (ID)')`)
	waitFor("urgent reports stand out", `document.querySelector('li[data-id="urgentx0000000000001"]').classList.contains('urgent')`)
	waitFor("realtime is connected", `document.querySelector('[data-live]').dataset.state === 'live'`)
	waitFor("what is not configured is shown, and On duty says no mail can leave",
		`!document.querySelector('[data-setup-checks]').hidden && !!document.querySelector('[data-setup-checks] li[data-code="mail"]') &&
		 !!document.querySelector('[data-setup-checks] li[data-code="public_url"]') && document.querySelector('[data-duty-label]').dataset.noMail === 'true'`)
	waitFor("on a desk the notice is open", `document.querySelector('[data-setup-checks] details').open`)
	do("a phone-sized screen", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible("#reports"))
	waitFor("on a phone the notice is folded, one tap away", `!document.querySelector('[data-setup-checks]').hidden &&
		!document.querySelector('[data-setup-checks] details').open && !!document.querySelector('[data-setup-checks] summary')`)
	do("a desk-sized screen again", chromedp.EmulateViewport(1280, 900))
	fixture.ConfigureAll(app)
	do("reload once all is configured", chromedp.Reload(), chromedp.WaitVisible("#reports"))
	waitFor("the list is back", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("no setup check is left", `document.querySelector('[data-setup-checks]').hidden && document.querySelector('[data-duty-label]').dataset.noMail === ''`)
	waitFor("realtime is connected again", `document.querySelector('[data-live]').dataset.state === 'live'`)
	shot("staff-list")

	s.click("go off duty", "[data-on-duty]")
	waitFor("the duty change is saved", `JSON.parse(localStorage.getItem('homeward.staff.auth')).record.on_duty === false`)
	if me, err := app.FindRecordById("staff", fixture.StaffX); err != nil || me.GetBool("on_duty") {
		t.Fatalf("staff X is still on duty on the server (%v)", err)
	}

	s.fill("filter by need", "#f-need", "documents")
	waitFor("the need filter applies", `[...document.querySelectorAll('#list li[data-id]')].map(li => li.dataset.id).join() === 'docsxx0000000000001x'`)
	s.click("clear", `#filters button[type="reset"]`)
	waitFor("the filters are clear", `document.querySelector('#f-need').value === ''`)
	s.fill("search", "#f-q", "river")
	waitFor("the search applies", `[...document.querySelectorAll('#list li[data-id]')].map(li => li.dataset.id).join() === '`+fixture.ReportX+`'`)
	// Counts and the export get the search as a filter; TestCounts shows
	// that this expression finds "5_%" literally, as the list's q does.
	do("build a search filter", chromedp.Evaluate[chromedp.Void](`import('/staff/filters.js').then((m) => { window.searchFilter = m.toFilter({ q: '5_%' }); })`))
	waitFor("the search filter takes wildcards literally", "window.searchFilter === "+strconv.Quote(fixture.LiteralSearchFilter))

	s.click("open the report", `li[data-id="`+fixture.ReportX+`"] a`)
	waitFor("the report opens", `!!document.querySelector('[data-current-status="new"]')`)
	waitFor("the report shows its fields", `document.querySelector('[data-field="contact_phone"]').textContent === '`+fixture.ContactPhoneX+`'`)
	waitFor("the photo loads with a file token", `(() => { const img = document.querySelector('.attachments img'); return !!img && img.complete && img.naturalWidth === 40; })()`)

	s.click("change the status", `button[data-status="in_review"]`)
	waitFor("the status changed", `!!document.querySelector('[data-current-status="in_review"]')`)
	waitFor("the history shows the change", `!!document.querySelector('.history [data-kind="status"]')`)

	s.submit("reply", "[data-reply]", "#reply-body", "We will call you today.")
	waitFor("the reply shows", `[...document.querySelectorAll('.bubble.from-staff p')].some(p => p.textContent === 'We will call you today.')`)
	s.submit("add a note", "[data-note]", "#note-body", "Called twice, no answer.")
	waitFor("the note shows", `[...document.querySelectorAll('.history .note')].some(p => p.textContent === 'Called twice, no answer.')`)
	shotFull(t, ctx, "staff-report")

	// The server has the change, the reply and their events.
	rep, err := app.FindRecordById(reports.CollectionReports, fixture.ReportX)
	if err != nil || rep.GetString("status") != "in_review" {
		t.Fatalf("the status change did not reach the server: %v", err)
	}
	if n := len(fixture.FindEvents(t, app, dbx.HashExp{"report": fixture.ReportX, "kind": []any{"status", "reply"}, "actor": fixture.StaffX})); n != 2 {
		t.Fatalf("want a status and a reply event by staff X, got %d", n)
	}
	msgs, err := app.FindAllRecords("messages", dbx.HashExp{"report": fixture.ReportX, "direction": "staff", "author": fixture.StaffX})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("want one staff reply stored, got %d (%v)", len(msgs), err)
	}
	waitFor("the reply is not read yet", `[...document.querySelectorAll('.bubble.from-staff')].some((b) => b.textContent.includes('Not read yet'))`)
	// The reporter's phone shows the reply and says so through sync, with
	// its receipt; the open report shows it without a reload.
	const code = "4821 0937 5512 8064 2296"
	keys, err := receipts.Load(app.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := keys.Hash(code)
	if _, err := app.DB().NewQuery("UPDATE reports SET receipt_hash = {:h} WHERE id = {:id}").Bind(dbx.Params{"h": hash, "id": fixture.ReportX}).Execute(); err != nil {
		t.Fatal(err)
	}
	push := `{"device":"phone","ops":[{"op":"read-1","kind":"update","collection":"messages","id":"` + msgs[0].Id +
		`","receipt":"` + code + `","data":{"read_by_reporter":true}}]}`
	res, err := http.Post(srv.URL+"/api/sync/push", "application/json", strings.NewReader(push))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"status":"applied"`) {
		t.Fatalf("marking the reply read: %s", body)
	}
	waitFor("the reply shows as read", `[...document.querySelectorAll('.bubble.from-staff')].some((b) => b.textContent.includes('Read by the reporter'))`)

	s.click("back to the list", `#report a.back`)
	waitFor("the list shows", `document.body.dataset.page === 'reports'`)
	s.click("clear the search", `#filters button[type="reset"]`)
	waitFor("the list is back", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("realtime is connected again", `document.querySelector('[data-live]').dataset.state === 'live'`)

	// A report arrives on the server while the list is open.
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	live := core.NewRecord(col)
	live.Load(map[string]any{"id": "livexx0000000000001x", "embassy": fixture.EmbassyX, "people_count": 2, "nationality": "Indonesia", "needs": []string{"medical"}, "message": "Arrived while you were looking."})
	if err := app.Save(live); err != nil {
		t.Fatal(err)
	}
	waitFor("the new report appears live", `!!document.querySelector('#list li[data-id="livexx0000000000001x"].fresh.urgent')`)
	shot("staff-live")

	// The reporter answers: the list flags the report.
	msgCol, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		t.Fatal(err)
	}
	answer := core.NewRecord(msgCol)
	answer.Load(map[string]any{"report": fixture.ReportX, "direction": "reporter", "body": "Thank you, I am at the bus station."})
	if err := app.Save(answer); err != nil {
		t.Fatal(err)
	}
	waitFor("the reporter's message is flagged live", `!!document.querySelector('li[data-id="`+fixture.ReportX+`"] .new-message')`)

	do("open counts", chromedp.Navigate(srv.URL+"/staff/#/stats"), chromedp.WaitVisible("[data-export]"))
	waitFor("counts show", `/Reports: 4(?!\d)/.test(document.querySelector('[data-counts]').textContent)`)
	// Medical (5 people) is under 11: hidden, shown as such, never as a
	// number or a bound, since a cell hidden with another can be any size.
	waitFor("hidden public cells say hidden", `(() => {
		const cells = [...document.querySelectorAll('[data-public] td')].map((td) => td.textContent);
		return cells.length > 0 && cells.includes('hidden') && !cells.some((c) => /[<>]/.test(c));
	})()`)
	shotFull(t, ctx, "staff-counts")

	do("a phone-sized screen", chromedp.EmulateViewport(390, 844), chromedp.Navigate("about:blank"), chromedp.Navigate(srv.URL+"/staff/#/?queue=all"), chromedp.WaitVisible("#reports"))
	waitFor("the list shows on a phone", `document.querySelectorAll('#list li[data-id]').length === 4`)
	shot("staff-list-phone")

	// The report was left before the reporter wrote: no one has read the
	// message, so it still waits. (The report left behind once marked it
	// read on the live event, and the list's flag came and went.)
	if got, err := app.FindRecordById("messages", answer.Id); err != nil || got.GetBool("read_by_staff") {
		t.Fatalf("the reporter's message written while staff were on the list was marked read by staff (%v)", err)
	}

	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors (CSP or script): %v", p)
	}
}

// watchConsole collects the page's errors and warnings: a CSP violation or
// an uncaught exception shows up there.
func watchConsole(ctx context.Context) func() []string {
	var mu sync.Mutex
	var got []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				// Where it came from too: a failed request's address.
				got = append(got, strings.TrimSpace(m.String()+" "+m.URL))
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func screenshotter(t *testing.T, ctx context.Context) func(name string) {
	return func(name string) {
		t.Helper()
		if os.Getenv("HOMEWARD_SCREENSHOTS") == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		writeShot(t, name, png)
	}
}

func shotFull(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("HOMEWARD_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	writeShot(t, name, png)
}

func writeShot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := filepath.Join(testserver.RepoRoot(), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// steps are what the console's browser tests are made of. Realtime
// redraws the list and the open report at any moment, so a step never
// holds on to a node across a round trip: click and fill find their
// element and act on it in one evaluation in the page, and waitFor waits
// for a state (a condition that throws, say on a node being redrawn,
// counts as not yet true). A failed step fails the test with the browser
// console's problems and what the page shows (its address, title and open
// section).
type steps struct {
	t        *testing.T
	ctx      context.Context
	problems func() []string
}

func consoleSteps(t *testing.T, ctx context.Context, problems func() []string) steps {
	return steps{t: t, ctx: ctx, problems: problems}
}

// do runs actions.
func (s steps) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := browsertest.Step(s.ctx, actions...); err != nil {
		s.t.Fatalf("%s: %v\nconsole: %v", step, err, s.problems())
	}
}

// waitFor polls the condition js for up to 20 s.
func (s steps) waitFor(step, js string) {
	s.t.Helper()
	s.poll(step, `(() => { try { return !!(`+js+`); } catch (e) { return false; } })()`)
}

// click clicks the element selector names as the page stands when it is
// there, waiting up to 20 s for it.
func (s steps) click(step, selector string) {
	s.t.Helper()
	s.poll(step, `(() => { const el = document.querySelector(`+strconv.Quote(selector)+`); if (!el) return false; el.click(); return true; })()`)
}

// fill gives the field selector names the value, as typing or choosing
// would: it fires input and change.
func (s steps) fill(step, selector, value string) {
	s.t.Helper()
	s.poll(step, `(() => {
		const el = document.querySelector(`+strconv.Quote(selector)+`);
		if (!el) return false;
		el.value = `+strconv.Quote(value)+`;
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	})()`)
}

// submit writes value in the form's field and sends the form, in one
// evaluation: the open report is redrawn when anyone changes it.
func (s steps) submit(step, form, field, value string) {
	s.t.Helper()
	s.poll(step, `(() => {
		const f = document.querySelector(`+strconv.Quote(form)+`);
		const el = f && f.querySelector(`+strconv.Quote(field)+`);
		if (!el) return false;
		el.value = `+strconv.Quote(value)+`;
		f.requestSubmit();
		return true;
	})()`)
}

// signIn signs in on the console's sign-in form as email, with the seeded
// password, and waits for the console.
func (s steps) signIn(email string) {
	s.t.Helper()
	s.waitFor("the sign-in form shows", `!document.querySelector('#login').hidden`)
	s.fill("type the e-mail", "#login-email", email)
	s.fill("type the password", "#login-password", testserver.Password)
	s.click("sign in", `#login-form button[type="submit"]`)
	s.waitFor("signed in", `!!document.body.dataset.page && document.body.dataset.page !== 'login'`)
}

// signedInConsole serves app, opens the console in a Chromium window of
// width×height px and signs staff X in. The steps fail the test on the
// page's errors; problems lists them for a final check.
func signedInConsole(t *testing.T, app *tests.TestApp, width, height int64) (*testserver.Server, context.Context, steps, func() []string) {
	t.Helper()
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 90*time.Second)
	problems := watchConsole(ctx)
	s := consoleSteps(t, ctx, problems)
	s.do("open the console", chromedp.EmulateViewport(width, height), chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"))
	s.signIn("x@example.org")
	s.waitFor("the list shows", `document.body.dataset.page === 'reports'`)
	return srv, ctx, s, problems
}

// openReport opens report id from its address and waits until it is drawn.
func (s steps) openReport(id string) {
	s.t.Helper()
	s.do("open the report", chromedp.Evaluate[chromedp.Void](`location.hash = '#/report/`+id+`'`))
	s.waitFor("the report is drawn", `document.body.dataset.page === 'report' && !!document.querySelector('#report [data-current-status]')`)
}

// poll waits up to 20 s for js to be true. The console reloads itself at
// times (a language chosen, a sign-in in another language): a poll cut by
// a navigation starts again on the new page.
func (s steps) poll(step, js string) {
	s.t.Helper()
	// The tab waited on comes to the front: a tab in the background (the
	// other of two) gets no animation frames, on which the poll runs.
	if _, err := chromedp.Call(s.ctx, page.BringToFront, cdp.Empty{}); err != nil {
		s.t.Fatalf("%s: bring the tab to the front: %v", step, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for {
		_, err = chromedp.Run(s.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil || errors.Is(err, chromedp.ErrPollingTimeout) || s.ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // the new page's scripts start
	}
	if err != nil {
		state, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`location.hash + ' | ' + document.title + ' | ' + (document.querySelector('.workflow') || document.querySelector('main section:not([hidden])') || document.body).innerText.slice(0, 600)`))
		s.t.Fatalf("%s: %v\nconsole: %v\npage: %s", step, err, s.problems(), state)
	}
}
