package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/qr"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// seedVolunteer saves an approved volunteer account through the test
// fixture; its password is testserver.Password.
func seedVolunteer(t *testing.T, app core.App, email string) *core.Record {
	t.Helper()
	s := testserver.Seed(t, app, testserver.Options{Volunteers: []testserver.Volunteer{{Email: email, Name: "Test Volunteer"}}})
	return s.Volunteers[0]
}

func volunteerLogin(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	waitFor(t, ctx, "the login form", `!document.getElementById('vol-login').hidden`)
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("vol-email"), email),
		chromedp.SetValue(chromedp.ID("vol-password"), password),
		chromedp.SetValue(chromedp.ID("vol-device"), "shelter phone"),
		chromedp.Click(chromedp.CSS(`#vol-login button[type="submit"]`)),
	)
	waitFor(t, ctx, "the volunteer panel", `!document.getElementById('vol-panel').hidden`)
}

func volunteerCount(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, want, `document.getElementById('vol-count').textContent === `+fmt.Sprintf("%q", want))
}

// TestVolunteerSyncSurvivesAServerCrash runs the real binary behind a
// killer proxy. A volunteer logs in, files 30 reports offline, and the
// binary is SIGKILLed right after it has committed the first batch and
// before the answer leaves; it restarts on the same data dir and port. The
// test checks that the batch survived the kill, that the app retries, that
// exactly 30 reports exist with no duplicate, the progress shown, a staff
// status change made through the REST API after sync, and that a revoked
// device asks for a new login without losing the outbox.
func TestVolunteerSyncSurvivesAServerCrash(t *testing.T) {
	srv := startReal(t)
	embassy := srv.seedEmbassy("test-indonesia", "Embassy of Testland")
	vol := srv.seedVolunteer("vol@example.org", "a long test password")
	ctx := browsertest.New(t, 180*time.Second)

	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	waitForServiceWorker(t, ctx)
	volunteerLogin(t, ctx, "vol@example.org", "a long test password")

	srv.Stop()
	setOffline(t, ctx, true)
	openApp(t, ctx, srv.URL+"/volunteer")
	waitFor(t, ctx, "the panel offline", `!document.getElementById('vol-panel').hidden`)
	const total = 30
	for i := 0; i < total; i++ {
		do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")))
		if i == 0 {
			do(t, ctx, chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
		}
		do(t, ctx,
			chromedp.SendKeys(chromedp.ID("f-message"), fmt.Sprintf("report %d from the shelter", i+1)),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)),
		)
		waitFor(t, ctx, "the form ready for the next", `!document.getElementById('f-saved').hidden && document.getElementById('f-message').value === ''`)
		do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	}
	volunteerCount(t, ctx, fmt.Sprintf("Outbox: %d waiting, 0 sent", total))

	// The first batch is committed by the server, which is then killed
	// before its answer reaches the phone.
	srv.Proxy.KillOnNext(http.MethodPost, "/api/sync/push")
	srv.Restart()
	setOffline(t, ctx, false)
	lost := srv.Proxy.waitKilled("push after coming online")
	srv.Proxy.Stop()
	applied := strings.Count(lost.Body, `"applied"`)
	if lost.Status != http.StatusOK || applied == 0 || applied == total {
		t.Fatalf("the server answered the push it was killed after with %d and %d applied ops; want 200 and part of the %d", lost.Status, applied, total)
	}
	// Back on the same data dir, out of the phone's reach: what the server
	// answered before the kill is on disk.
	srv.Bin.Start()
	if n := len(srv.records("reports", "")); n != applied {
		t.Fatalf("after the kill and a restart the server holds %d reports; it had answered %d applied", n, applied)
	}
	waitFor(t, ctx, "failed, will retry", `document.getElementById('vol-list').textContent.indexOf('Failed, will retry') >= 0`)
	if got := eval[string](t, ctx, `document.getElementById('vol-count').textContent`); got != fmt.Sprintf("Outbox: %d waiting, 0 sent", total) {
		t.Fatalf("after a cut connection the outbox reads %q: nothing was acknowledged", got)
	}

	srv.Proxy.Restart()
	// Record every progress line the volunteer sees during the sync.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.seen = []; new MutationObserver(() => window.seen.push(document.getElementById('vol-progress').textContent))
		.observe(document.getElementById('vol-progress'), { childList: true, characterData: true, subtree: true })`))
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	volunteerCount(t, ctx, fmt.Sprintf("Outbox: 0 waiting, %d sent", total))
	if srv.Proxy.gzipPushes.Load() == 0 {
		t.Error("no push arrived gzipped: the browser has CompressionStream, so batches should")
	}
	seen := eval[string](t, ctx, `window.seen.join('|')`)
	for _, want := range []string{"Sending 1 of 30", "Sending 26 of 30"} {
		if !strings.Contains(seen, want) {
			t.Errorf("progress lines %q lack %q", seen, want)
		}
	}
	all := srv.records("reports", "")
	if len(all) != total {
		t.Fatalf("the server holds %d reports, want exactly %d", len(all), total)
	}
	messages := map[string]bool{}
	for _, r := range all {
		messages[r["message"].(string)] = true
	}
	if len(messages) != total {
		t.Fatalf("the %d reports carry %d different messages: some were stored twice", total, len(messages))
	}
	mine := srv.records("reports", fmtFilter("volunteer = %s && channel = 'volunteer'", vol))
	if len(mine) != total {
		t.Fatalf("%d reports carry the volunteer, want %d", len(mine), total)
	}

	// A staff status change through the REST API shows after the next sync.
	_, token := srv.seedStaff(embassy)
	first := mine[0]["id"].(string)
	if _, err := srv.Bin.Do(http.MethodPatch, "/api/collections/reports/records/"+first, token, map[string]any{"status": "contacted"}, nil); err != nil {
		t.Fatalf("staff status change: %v", err)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	waitFor(t, ctx, "the staff status", `document.querySelector('#vol-list [data-report="`+first+`"]').textContent.indexOf('The embassy contacted you') >= 0`)

	// A revoked device asks for a login and keeps what is queued.
	devices := srv.records("devices", "")
	if len(devices) != 1 {
		t.Fatalf("devices: %d, want 1", len(devices))
	}
	srv.api(http.MethodPatch, "/api/collections/devices/records/"+devices[0]["id"].(string), map[string]any{"revoked": true}, nil)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(chromedp.ID("f-message"), "written after the phone was revoked"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the form ready for the next", `!document.getElementById('f-saved').hidden`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	waitFor(t, ctx, "the login again", `!document.getElementById('vol-login').hidden && document.getElementById('vol-login-note').textContent.indexOf('expired') >= 0`)
	if n := eval[int](t, ctx, `self.homeward.outbox.list().then((l) => l.length)`); n != 1 {
		t.Fatalf("the outbox holds %d operations after the credential was refused, want 1", n)
	}
	volunteerLogin(t, ctx, "vol@example.org", "a long test password")
	volunteerCount(t, ctx, fmt.Sprintf("Outbox: 0 waiting, %d sent", total+1))
	if n := len(srv.records("reports", "")); n != total+1 {
		t.Fatalf("the server holds %d reports, want %d", n, total+1)
	}
}

// TestVolunteerShowsAnEmbassyQROffline saves the embassies' contact-card
// QR codes while online and shows one full screen with no network.
func TestVolunteerShowsAnEmbassyQROffline(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	seedVolunteer(t, srv.App, "vol@example.org")
	ctx := browsertest.New(t, 90*time.Second)

	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	waitForServiceWorker(t, ctx)
	volunteerLogin(t, ctx, "vol@example.org", testserver.Password)

	// No public address yet: the server makes no codes, and the volunteer
	// is told why rather than to go online.
	waitFor(t, ctx, "the server's refusal is noted", `self.homeward.db.get('meta', 'qr:unconfigured').then((v) => v === true)`)
	do(t, ctx, chromedp.SetValue(chromedp.ID("vol-qr-embassy"), "test-indonesia"), chromedp.Click(chromedp.ID("vol-qr-show")))
	waitFor(t, ctx, "the note names the missing address", `document.getElementById('vol-qr-note').textContent.indexOf('public address') >= 0`)

	srv.App.Settings().Meta.AppURL = srv.URL
	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	waitFor(t, ctx, "the saved QR code", `self.homeward.db.get('meta', 'qr:test-indonesia').then((s) => !!s && s.indexOf('<svg') >= 0)`)

	srv.Stop()
	setOffline(t, ctx, true)
	openApp(t, ctx, srv.URL+"/volunteer")
	do(t, ctx, chromedp.SetValue(chromedp.ID("vol-qr-embassy"), "test-indonesia"), chromedp.Click(chromedp.ID("vol-qr-show")))
	waitFor(t, ctx, "the QR code full screen", `!document.getElementById('qr-full').hidden && document.getElementById('qr-img').naturalWidth > 0`)
	if name := eval[string](t, ctx, `document.getElementById('qr-name').textContent`); name != "Embassy of Testland" {
		t.Fatalf("the QR screen names %q", name)
	}
}

// TestVolunteerChecksAPosterOffline: volunteer mode keeps the QR signing
// keys and the check page on the phone, so a poster's code can be told
// genuine or fake at a border post with no signal.
func TestVolunteerChecksAPosterOffline(t *testing.T) {
	srv := startLive(t)
	srv.App.Settings().Meta.AppURL = srv.URL
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	col, err := srv.App.FindCollectionByNameOrId("qr_links")
	if err != nil {
		t.Fatal(err)
	}
	link := core.NewRecord(col)
	link.Load(map[string]any{"embassy": embassy, "label": "Shelter poster", "language": "id"})
	if err := srv.App.Save(link); err != nil {
		t.Fatal(err)
	}
	genuine, err := qr.LinkURL(srv.App, link)
	if err != nil {
		t.Fatal(err)
	}
	// The same link with one signature character changed (not the last,
	// whose low bits are padding).
	i := len(genuine) - 10
	swap := byte('A')
	if genuine[i] == 'A' {
		swap = 'B'
	}
	forged := genuine[:i] + string(swap) + genuine[i+1:]

	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	waitForServiceWorker(t, ctx)
	waitFor(t, ctx, "the signing keys saved on the phone", `import('/js/qrverify.js').then((m) => !!m.cachedKeys())`)

	srv.Stop()
	setOffline(t, ctx, true)
	check := func(url, wantVerdict string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(srv.URL+"/verify"), chromedp.WaitVisible(chromedp.ID("verify-input")),
			chromedp.SetValue(chromedp.ID("verify-input"), url), chromedp.Click(`#verify-form button[type="submit"]`))
		waitFor(t, ctx, "the verdict", `!!document.querySelector('#verify-result [data-verdict]')`)
		if got := eval[string](t, ctx, `document.querySelector('#verify-result [data-verdict]').dataset.verdict`); got != wantVerdict {
			t.Fatalf("offline verdict for %s = %q, want %q", url, got, wantVerdict)
		}
	}
	check(genuine, "valid")
	check(forged, "invalid")
}

// TestAVolunteerLeavesNothingForTheNext: a phone passed from volunteer to
// volunteer sends nothing under, and shows nothing to, the wrong one.
// Logging out says how many reports are not sent yet; declined, nothing
// changes; accepted, the volunteer's reports, receipts and queued
// operations leave the phone. Logging in as another volunteer over a
// lapsed login asks the same of the first volunteer's reports.
func TestAVolunteerLeavesNothingForTheNext(t *testing.T) {
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	seedVolunteer(t, srv.App, "first@example.org")
	second := seedVolunteer(t, srv.App, "second@example.org")
	ctx := browsertest.New(t, 120*time.Second)

	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	volunteerLogin(t, ctx, "first@example.org", testserver.Password)
	file := func(message string) {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("f-embassy"), embassy),
			chromedp.SendKeys(chromedp.ID("f-message"), message),
			chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitFor(t, ctx, "the form ready for the next", `!document.getElementById('f-saved').hidden && document.getElementById('f-message').value === ''`)
		do(t, ctx, chromedp.Click(chromedp.CSS(`#report [data-go="home"]`)))
	}
	answer := func(yes bool) {
		t.Helper()
		do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.asked = ''; window.confirm = (m) => { window.asked = m; return %v; }`, yes)))
	}
	phoneHolds := func(what string, reports, ops int) {
		t.Helper()
		waitFor(t, ctx, what, fmt.Sprintf(`Promise.all([self.homeward.db.all('reports'), self.homeward.db.all('outbox')]).then(([r, o]) => r.length === %d && o.length === %d)`, reports, ops))
	}

	setOffline(t, ctx, true)
	file("filed by the first volunteer, not sent")
	volunteerCount(t, ctx, "Outbox: 1 waiting, 0 sent")

	answer(false)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-logout")))
	waitFor(t, ctx, "logging out says what is not sent", `window.asked.includes('(1)')`)
	waitFor(t, ctx, "declined, still logged in", `!document.getElementById('vol-panel').hidden`)
	phoneHolds("declined, the report stays", 1, 1)

	answer(true)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-logout")))
	waitFor(t, ctx, "the login form", `!document.getElementById('vol-login').hidden`)
	phoneHolds("the first volunteer's report has left the phone", 0, 0)

	setOffline(t, ctx, false)
	volunteerLogin(t, ctx, "second@example.org", testserver.Password)
	volunteerCount(t, ctx, "Outbox: 0 waiting, 0 sent")

	// The second volunteer files a report offline; their device is
	// revoked meanwhile, so it is refused once online and the phone asks
	// for a login, where the first volunteer logs in.
	setOffline(t, ctx, true)
	file("filed by the second volunteer, not sent")
	if _, err := srv.App.DB().NewQuery("UPDATE devices SET revoked = TRUE WHERE volunteer = {:v}").Bind(dbx.Params{"v": second.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	setOffline(t, ctx, false)
	do(t, ctx, chromedp.Click(chromedp.ID("vol-sync")))
	waitFor(t, ctx, "the revoked device asks for a login", `!document.getElementById('vol-login').hidden`)
	answer(true)
	volunteerLogin(t, ctx, "first@example.org", testserver.Password)
	if asked := eval[string](t, ctx, `window.asked`); !strings.Contains(asked, "another volunteer (Test Volunteer), 1 of them not yet sent") {
		t.Fatalf("logging in over another volunteer's reports asked %q", asked)
	}
	volunteerCount(t, ctx, "Outbox: 0 waiting, 0 sent")
	phoneHolds("the second volunteer's report has left the phone", 0, 0)

	if n, err := srv.App.CountRecords("reports"); err != nil || n != 0 {
		t.Fatalf("%d reports reached the server (%v): a report was sent under a volunteer who did not write it", n, err)
	}
}
