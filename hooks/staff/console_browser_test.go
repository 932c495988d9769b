package staff_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
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
	app := newApp(t)
	saveReport("urgentx0000000000001", embassyX, map[string]any{
		"people_count": 3, "nationality": "Indonesia", "language": "id", "safety_risk_now": true, "minors_present": true,
		"needs": []string{"safety", "medical"}, "message": "Three of us, one is 16, the guards are looking for us.",
		"compound_location": "Sihanoukville, building C", "current_location": "bus station",
	})(t, app, nil)
	saveReport("docsxx0000000000001x", embassyX, map[string]any{
		"people_count": 1, "nationality": "Indonesia", "language": "en", "channel": "volunteer",
		"needs": []string{"documents"}, "message": "My passport is still with the company.", "compound_location": "Bavet",
	})(t, app, nil)
	saveAttachment(t, app, reportX)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 120*time.Second)
	problems := watchConsole(ctx)

	do, waitFor := consoleSteps(t, ctx, problems)
	shot := screenshotter(t, ctx)

	do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/#/?queue=all&layout=cards"), chromedp.WaitVisible("#login-email"))
	shot("staff-login")

	do("sign in",
		chromedp.SendKeys("#login-email", "x@example.org"),
		chromedp.SendKeys("#login-password", testserver.Password),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible("#reports"))
	waitFor("the list shows X's reports", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("nationalities are named, not bare codes", `document.querySelector('li[data-id="urgentx0000000000001"] .report-who').textContent.includes('Indonesia (ID)')`)
	waitFor("urgent reports stand out", `document.querySelector('li[data-id="urgentx0000000000001"]').classList.contains('urgent')`)
	waitFor("realtime is connected", `document.querySelector('[data-live]').dataset.state === 'live'`)
	waitFor("what is not configured is shown, and On duty says no mail can leave",
		`!document.querySelector('[data-setup-checks]').hidden && !!document.querySelector('[data-setup-checks] li[data-code="mail"]') &&
		 !!document.querySelector('[data-setup-checks] li[data-code="public_url"]') && document.querySelector('[data-duty-label]').dataset.noMail === 'true'`)
	app.Settings().Meta.AppURL = "https://homeward.example.org"
	app.Settings().SMTP.Enabled = true
	app.Settings().Backups.S3.Enabled = true
	do("reload once all is configured", chromedp.Reload(), chromedp.WaitVisible("#reports"))
	waitFor("the list is back", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("no setup check is left", `document.querySelector('[data-setup-checks]').hidden && document.querySelector('[data-duty-label]').dataset.noMail === ''`)
	waitFor("realtime is connected again", `document.querySelector('[data-live]').dataset.state === 'live'`)
	shot("staff-list")

	do("go off duty", chromedp.Click("[data-on-duty]"))
	waitFor("the duty change is saved", `JSON.parse(sessionStorage.getItem('homeward.staff.record')).on_duty === false`)
	if me, err := app.FindRecordById("staff", staffX); err != nil || me.GetBool("on_duty") {
		t.Fatalf("staff X is still on duty on the server (%v)", err)
	}

	do("filter by need", chromedp.SetValue("#f-need", "documents"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-need').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitFor("the need filter applies", `[...document.querySelectorAll('#list li[data-id]')].map(li => li.dataset.id).join() === 'docsxx0000000000001x'`)
	do("clear and search", chromedp.Click(`#filters button[type="reset"]`), chromedp.SendKeys("#f-q", "river"))
	waitFor("the search applies", `[...document.querySelectorAll('#list li[data-id]')].map(li => li.dataset.id).join() === '`+reportX+`'`)
	// Counts and the export get the search as a filter; TestCounts shows
	// that this expression finds "5_%" literally, as the list's q does.
	do("build a search filter", chromedp.Evaluate[chromedp.Void](`import('/staff/filters.js').then((m) => { window.searchFilter = m.toFilter({ q: '5_%' }); })`))
	waitFor("the search filter takes wildcards literally", "window.searchFilter === "+strconv.Quote(literalSearchFilter))

	do("open the report", chromedp.Click(`li[data-id="`+reportX+`"] a`), chromedp.WaitVisible(`[data-current-status="new"]`))
	waitFor("the report shows its fields", `document.querySelector('[data-field="contact_phone"]').textContent === '`+contactPhoneX+`'`)
	waitFor("the photo loads with a file token", `(() => { const img = document.querySelector('.attachments img'); return !!img && img.complete && img.naturalWidth === 40; })()`)

	do("change the status", chromedp.Click(`button[data-status="in_review"]`), chromedp.WaitVisible(`[data-current-status="in_review"]`))
	waitFor("the history shows the change", `!!document.querySelector('.history [data-kind="status"]')`)

	do("reply", chromedp.SendKeys("#reply-body", "We will call you today."), chromedp.Click(`[data-reply] button[type="submit"]`))
	waitFor("the reply shows", `[...document.querySelectorAll('.bubble.from-staff p')].some(p => p.textContent === 'We will call you today.')`)
	do("add a note", chromedp.SendKeys("#note-body", "Called twice, no answer."), chromedp.Click(`[data-note] button[type="submit"]`))
	waitFor("the note shows", `[...document.querySelectorAll('.history .note')].some(p => p.textContent === 'Called twice, no answer.')`)
	shotFull(t, ctx, "staff-report")

	// The server has the change, the reply and their events.
	rep, err := app.FindRecordById(reports.CollectionReports, reportX)
	if err != nil || rep.GetString("status") != "in_review" {
		t.Fatalf("the status change did not reach the server: %v", err)
	}
	if n := len(findEvents(t, app, dbx.HashExp{"report": reportX, "kind": []any{"status", "reply"}, "actor": staffX})); n != 2 {
		t.Fatalf("want a status and a reply event by staff X, got %d", n)
	}
	msgs, err := app.FindAllRecords("messages", dbx.HashExp{"report": reportX, "direction": "staff", "author": staffX})
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
	if _, err := app.DB().NewQuery("UPDATE reports SET receipt_hash = {:h} WHERE id = {:id}").Bind(dbx.Params{"h": hash, "id": reportX}).Execute(); err != nil {
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

	do("back to the list", chromedp.Click(`a.back`), chromedp.WaitVisible("#reports"), chromedp.Click(`#filters button[type="reset"]`))
	waitFor("the list is back", `document.querySelectorAll('#list li[data-id]').length === 3`)
	waitFor("realtime is connected again", `document.querySelector('[data-live]').dataset.state === 'live'`)

	// A report arrives on the server while the list is open.
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	live := core.NewRecord(col)
	live.Load(map[string]any{"id": "livexx0000000000001x", "embassy": embassyX, "people_count": 2, "nationality": "Indonesia", "needs": []string{"medical"}, "message": "Arrived while you were looking."})
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
	answer.Load(map[string]any{"report": reportX, "direction": "reporter", "body": "Thank you, I am at the bus station."})
	if err := app.Save(answer); err != nil {
		t.Fatal(err)
	}
	waitFor("the reporter's message is flagged live", `!!document.querySelector('li[data-id="`+reportX+`"] .new-message')`)

	do("open counts", chromedp.Navigate(srv.URL+"/staff/#/stats"), chromedp.WaitVisible("[data-export]"))
	waitFor("counts show", `/4 reports/.test(document.querySelector('[data-counts]').textContent)`)
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
				got = append(got, m.String())
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

// consoleSteps returns the two steps the console's browser tests are made
// of: do runs actions, waitFor polls a condition for up to 20 s. A failed
// step fails the test with the browser console's problems and what the
// page shows (its address, title and open section).
func consoleSteps(t *testing.T, ctx context.Context, problems func() []string) (do func(step string, actions ...chromedp.Action[chromedp.Void]), waitFor func(step, js string)) {
	do = func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nconsole: %v", step, err, problems())
		}
	}
	waitFor = func(step, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash + ' | ' + document.title + ' | ' + (document.querySelector('.workflow') || document.querySelector('main section:not([hidden])') || document.body).innerText.slice(0, 600)`))
			t.Fatalf("%s: %v\nconsole: %v\npage: %s", step, err, problems(), state)
		}
	}
	return do, waitFor
}
