package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pocketbase/dbx"

	"homeward/hooks/reports"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestConsoleWorksAQueueWithTheKeyboard drives the console in a real
// headless Chromium against the whole app: the waiting queue is the
// landing view and its count is in the tab title; a reporter's unread
// message survives a reload; a message saved on the server reaches the
// queue live; the list's filters and sort live in the address, so Back and
// a reload restore them; and a member of staff works a report with the
// keyboard only (assign, status, reply, next), each action landing on the
// server with its audit event. Then a bulk change and a saved view.
func TestConsoleWorksAQueueWithTheKeyboard(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.QueueReports(t, app, nil)
	// Everything configured, so no setup notice stands over the list.
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 180*time.Second)
	problems := watchConsole(ctx)

	s := consoleSteps(t, ctx, problems)
	do, waitFor := s.do, s.waitFor
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	key := func(step, keys string, opts ...chromedp.KeyOption) {
		t.Helper()
		do(step, chromedp.KeyEvent(keys, opts...))
	}
	rows := `[...document.querySelectorAll('#list tr[data-id]')].map((r) => r.dataset.id).sort().join()`
	sortedIds := func(ids ...string) string {
		return "'" + strings.Join(fixture.Sorted2(ids), ",") + "'"
	}
	shot := screenshotter(t, ctx)

	do("open the console on a desk-sized screen", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"))
	s.signIn("x@example.org")
	waitFor("the landing view is the waiting queue, as a table", rows+` === `+sortedIds(fixture.UrgentNewX, fixture.IdleX, fixture.UnreadX))
	waitFor("the tab title and the badge count it", `document.title === '(3) Homeward staff console' &&
		document.querySelector('[data-waiting-badge]').textContent === '3 waiting' && !document.querySelector('[data-waiting-badge]').hidden`)
	waitFor("the list says how many", `document.querySelector('#list [data-state]').textContent === 'Showing 1–3 of 3'`)
	waitFor("the unread message is marked", `document.querySelector('tr[data-id="`+fixture.UnreadX+`"]').dataset.unread === '1'`)
	waitFor("realtime is connected", `document.querySelector('[data-live]').dataset.state === 'live'`)
	do("fold the filters", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-filter-box]').open = false`))
	shot("staff-waiting")
	do("unfold the filters", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-filter-box]').open = true`))

	do("reload", chromedp.Reload(), chromedp.WaitVisible("#reports"))
	waitFor("the unread mark survives the reload", `!!document.querySelector('tr[data-id="`+fixture.UnreadX+`"][data-unread="1"]')`)
	waitFor("realtime is connected again", `document.querySelector('[data-live]').dataset.state === 'live'`)

	// The reporter of reportX writes: the queue and its count follow live.
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "reporter", "body": "Please call me"})
	waitFor("the message reaches the waiting queue live", `!!document.querySelector('tr[data-id="`+fixture.ReportX+`"][data-unread="1"]')`)
	waitFor("the count follows", `document.title === '(4) Homeward staff console'`)

	// Filters and sort live in the address.
	s.click("open all reports", `[data-queues] a[data-queue="all"]`)
	waitFor("all reports are listed", `location.hash === '#/?queue=all' && document.querySelectorAll('#list tr[data-id]').length === 6`)
	s.fill("sort urgent first", "#f-sort", "-urgent")
	waitFor("the sort is in the address and applied", `location.hash === '#/?queue=all&sort=-urgent' &&
		document.querySelector('#list tr[data-id]').dataset.id === '`+fixture.UrgentNewX+`'`)
	s.fill("search", "#f-q", "zzz")
	waitFor("the search is in the address", `location.hash === '#/?queue=all&q=zzz&sort=-urgent' && document.querySelectorAll('#list tr[data-id]').length === 0`)
	do("go back", chromedp.NavigateBack())
	waitFor("Back restores the list before the search", `location.hash === '#/?queue=all&sort=-urgent' &&
		document.querySelector('#f-q').value === '' && document.querySelector('#f-sort').value === '-urgent' && document.querySelectorAll('#list tr[data-id]').length === 6`)
	do("reload", chromedp.Reload(), chromedp.WaitVisible("#reports"))
	waitFor("a reload restores the sort", `document.querySelector('#f-sort').value === '-urgent' &&
		document.querySelector('#list tr[data-id]').dataset.id === '`+fixture.UrgentNewX+`' &&
		document.querySelector('[data-queues] a[aria-current="page"]').dataset.queue === 'all'`)
	do("fold the filters", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-filter-box]').open = false`))
	shot("staff-table")
	do("unfold the filters", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-filter-box]').open = true`))
	do("go back again", chromedp.NavigateBack())
	waitFor("Back restores the sort before", `location.hash === '#/?queue=all' && document.querySelector('#f-sort').value === '-created'`)

	// Work the waiting queue with the keyboard only.
	do("leave every field", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	key("the waiting queue", "w")
	waitFor("the waiting queue is back", `(location.hash === '#/' || location.hash === '') && document.querySelectorAll('#list tr[data-id]').length === 4`)
	waitFor("realtime is connected", `document.querySelector('[data-live]').dataset.state === 'live'`)
	key("the first report", "j")
	first := eval(`document.querySelector('#list tr.cursor').dataset.id`)
	second := eval(`document.querySelector('#list tr.cursor').nextElementSibling.dataset.id`)
	key("open it", "o")
	waitFor("the report opens", `location.hash === '#/report/`+first+`' && !!document.querySelector('[data-current-status]') && !!document.querySelector('#report [data-assignee]')`)
	status := eval(`document.querySelector('[data-current-status]').dataset.currentStatus`)

	key("choose who is assigned", "a")
	waitFor("the choice of assignee has the keyboard", `document.activeElement === document.querySelector('#report [data-assignee]')`)
	key("leave the choice", kb.Escape)
	key("assign to me", "m")
	waitFor("assigned to staff X", `document.querySelector('#report [data-assignee]').value === '`+fixture.StaffX+`' && !!document.querySelector('.history [data-kind="assign"]')`)
	key("change the status", "s")
	key("to the next step", kb.Enter)
	waitFor("the status moved on", `document.querySelector('[data-current-status]').dataset.currentStatus !== '`+status+`'`)
	waitFor("the status change is in the history", `!!document.querySelector('.history [data-kind="status"]')`)
	key("write a reply", "r")
	waitFor("the reply box has the keyboard", `document.activeElement === document.querySelector('#reply-body')`)
	key("type it", "We are on it.")
	key("send it", kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl))
	waitFor("the reply shows", `[...document.querySelectorAll('.bubble.from-staff p')].some((p) => p.textContent === 'We are on it.')`)
	do("leave the reply box", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	key("the next report", "j")
	waitFor("the next report opens", `location.hash === '#/report/`+second+`' && !!document.querySelector('[data-current-status]')`)

	rep, err := app.FindRecordById(reports.CollectionReports, first)
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetString("assignee") != fixture.StaffX || rep.GetString("status") == status {
		t.Fatalf("report %s: assignee %q, status %q (was %q)", first, rep.GetString("assignee"), rep.GetString("status"), status)
	}
	for _, kind := range []string{"assign", "status", "reply"} {
		evs := fixture.FindEvents(t, app, dbx.HashExp{"report": first, "kind": kind, "actor": fixture.StaffX})
		if len(evs) != 1 {
			t.Errorf("%s: %d %s events by staff X, want 1", first, len(evs), kind)
		}
	}

	key("help", "?")
	waitFor("the shortcuts are listed", `document.querySelector('[data-keys]').open && document.querySelectorAll('[data-keys] kbd').length >= 10`)
	key("close the help", kb.Escape)
	waitFor("the help closes", `!document.querySelector('[data-keys]').open`)
	key("back to the list", "u")
	waitFor("the list it came from", `(location.hash === '#/' || location.hash === '') && document.querySelectorAll('#list tr[data-id]').length > 0`)

	// A bulk change of two reports, and a saved view.
	s.click("all reports", `[data-queues] a[data-queue="all"]`)
	waitFor("all reports are listed", `location.hash === '#/?queue=all' && document.querySelectorAll('#list tr[data-id]').length === 6`)
	s.click("select one", `[data-select="`+fixture.IdleX+`"]`)
	s.click("select another", `[data-select="`+fixture.ReadX+`"]`)
	waitFor("the bulk bar shows", `!document.querySelector('[data-bulk]').hidden && document.querySelector('[data-bulk-count]').textContent === '2 selected'`)
	s.fill("close both", "#b-status", "closed")
	s.fill("assigned to Staff X2", "#b-assignee", fixture.StaffX2)
	s.click("apply", `[data-bulk] button[type="submit"]`)
	waitFor("both are closed", `document.querySelector('tr[data-id="`+fixture.IdleX+`"]').dataset.status === 'closed' &&
		document.querySelector('tr[data-id="`+fixture.ReadX+`"]').dataset.status === 'closed' &&
		document.querySelector('tr[data-id="`+fixture.ReadX+`"] [data-assignee-cell]').textContent === 'Staff X2'`)
	for _, id := range []string{fixture.IdleX, fixture.ReadX} {
		for _, kind := range []string{"status", "assign"} {
			if n := len(fixture.FindEvents(t, app, dbx.HashExp{"report": id, "kind": kind, "actor": fixture.StaffX})); n != 1 {
				t.Errorf("%s: %d %s events after the bulk change, want 1", id, n, kind)
			}
		}
	}

	s.fill("filter mine", "#f-assigned", "me")
	waitFor("only mine", `location.hash === '#/?queue=all&assigned=me' && [...document.querySelectorAll('#list tr[data-id]')].map((r) => r.dataset.id).join() === '`+first+`'`)
	s.fill("name the view", "[data-view-name]", "Mine")
	s.click("save the view", "[data-view-save]")
	waitFor("the view is saved", `[...document.querySelectorAll('[data-view-pick] option')].some((o) => o.textContent === 'Mine')`)
	views, err := app.FindAllRecords("staff_views", dbx.HashExp{"staff": fixture.StaffX, "name": "Mine", "query": "queue=all&assigned=me"})
	if err != nil || len(views) != 1 {
		t.Fatalf("saved views on the server: %d (%v)", len(views), err)
	}
	s.click("the waiting queue", `[data-queues] a[data-queue="waiting"]`)
	waitFor("the waiting queue", `location.hash === '#/'`)
	s.fill("pick the saved view", "[data-view-pick]", views[0].Id)
	waitFor("the saved view applies", `location.hash === '#/?queue=all&assigned=me' && document.querySelector('#f-assigned').value === 'me'`)

	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}
