package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// TestBackgroundSyncSendsWithNoPageOpen files a report with a photo while
// the server is gone, closes the page, brings the server back and fires
// the service worker's Background Sync event through DevTools, as Chrome
// does when the network returns. With no page open, the worker itself
// must send the report once and upload its photo; a reopened page shows
// it sent. A periodic sync sends a second report the same way.
func TestBackgroundSyncSendsWithNoPageOpen(t *testing.T) {
	srv := startReal(t)
	srv.seedEmbassy("test-indonesia", "Embassy of Testland")
	// The first tab stays on about:blank: it belongs to no origin, so it is
	// no client of the app, and it keeps the browser alive between pages.
	browser := browsertest.New(t, 180*time.Second)
	photo, _ := filepath.Abs(filepath.Join("testdata", "photo-with-gps.jpg"))

	page := openPage(t, browser, srv.URL+"/?embassy=test-indonesia&lang=en")
	waitForServiceWorker(t, page)
	waitFor(t, page, "the embassy card", `document.getElementById('embassies').textContent.indexOf('+000 23 000 000') >= 0`)
	first := fileOfflineAndClose(t, browser, page, srv, srv.URL+"/?lang=en", "sent by the worker alone", photo)

	srv.Restart()
	dispatchSync(t, browser, srv.URL, false)
	waitForServer(t, "the report sent with no page open", func() bool { return len(srv.records("reports", "")) >= 1 })
	waitForServer(t, "the photo uploaded with no page open", func() bool { return len(srv.records("attachments", "")) >= 1 })
	all := srv.records("reports", "")
	if len(all) != 1 || all[0]["id"] != first || all[0]["message"] != "sent by the worker alone" {
		t.Fatalf("the server holds %d reports (%v), want exactly the one filed offline", len(all), all)
	}
	if atts := srv.records("attachments", ""); len(atts) != 1 || atts[0]["report"] != first {
		t.Fatalf("attachments on the server: %v, want one on %s", atts, first)
	}

	page = openPage(t, browser, srv.URL+"/?lang=en")
	waitFor(t, page, "the report shown as sent", `document.querySelector('#mine .state') &&
		document.querySelector('#mine .state').textContent === 'Sent to the embassy' &&
		!document.querySelector('#mine .hint')`)

	// Periodic sync (installed apps) is the second way the worker sends.
	second := fileOfflineAndClose(t, browser, page, srv, srv.URL+"/?lang=en", "sent on a periodic sync", "")
	srv.Restart()
	dispatchSync(t, browser, srv.URL, true)
	waitForServer(t, "the report sent on a periodic sync", func() bool { return len(srv.records("reports", "")) >= 2 })
	if got := srv.records("reports", fmtFilter("id = %s", second)); len(got) != 1 {
		t.Fatalf("the second report is not on the server once: %v", got)
	}
	if n := len(srv.records("reports", "")); n != 2 {
		t.Fatalf("the server holds %d reports, want exactly 2", n)
	}
}

// TestBackgroundSyncSendsAVolunteersReports does the same for a volunteer,
// whose reports go with the device credential the worker reads from the
// phone's database. A revoked credential sends nothing and loses nothing:
// the next page asks for a login and then sends.
func TestBackgroundSyncSendsAVolunteersReports(t *testing.T) {
	srv := startReal(t)
	embassy := srv.seedEmbassy("test-indonesia", "Embassy of Testland")
	vol := srv.seedVolunteer("vol@example.org", "a long test password")
	browser := browsertest.New(t, 180*time.Second)

	page := openPage(t, browser, srv.URL+"/volunteer?lang=en")
	waitForServiceWorker(t, page)
	volunteerLogin(t, page, "vol@example.org", "a long test password")
	do(t, page, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
	first := fileOfflineAndClose(t, browser, page, srv, "", "a volunteer's report sent by the worker", "")

	srv.Restart()
	dispatchSync(t, browser, srv.URL, false)
	waitForServer(t, "the volunteer's report sent with no page open", func() bool { return len(srv.records("reports", "")) >= 1 })
	if got := srv.records("reports", fmtFilter("id = %s && volunteer = %s && channel = 'volunteer'", first, vol)); len(got) != 1 {
		t.Fatalf("the report did not arrive once with the volunteer: %v", srv.records("reports", ""))
	}

	// The device is revoked while the phone is offline with a new report.
	page = openPage(t, browser, srv.URL+"/volunteer?lang=en")
	volunteerCount(t, page, "Outbox: 0 waiting, 1 sent")
	do(t, page, chromedp.Click(chromedp.ID("vol-new")), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
	second := fileOfflineAndClose(t, browser, page, srv, "", "written after the phone was revoked", "")
	srv.Bin.Start() // out of the phone's reach until the proxy is back
	devices := srv.records("devices", "")
	if len(devices) != 1 {
		t.Fatalf("devices: %d, want 1", len(devices))
	}
	srv.api(http.MethodPatch, "/api/collections/devices/records/"+devices[0]["id"].(string), map[string]any{"revoked": true}, nil)
	srv.Proxy.Restart()
	dispatchSync(t, browser, srv.URL, false)

	// The worker's push is refused; the report stays queued for a login.
	waitForServer(t, "the worker's push refused", func() bool { return srv.Proxy.refused.Load() > 0 })
	page = openPage(t, browser, srv.URL+"/volunteer?lang=en")
	waitFor(t, page, "the login again", `!document.getElementById('vol-login').hidden && document.getElementById('vol-login-note').textContent.indexOf('expired') >= 0`)
	if n := eval[int](t, page, `self.homeward.outbox.list().then((l) => l.length)`); n != 1 {
		t.Fatalf("the outbox holds %d operations after the worker's credential was refused, want 1", n)
	}
	volunteerLogin(t, page, "vol@example.org", "a long test password")
	volunteerCount(t, page, "Outbox: 0 waiting, 2 sent")
	if got := srv.records("reports", fmtFilter("id = %s && volunteer = %s", second, vol)); len(got) != 1 {
		t.Fatalf("the report written after the revocation did not arrive once: %v", got)
	}
	if n := len(srv.records("reports", "")); n != 2 {
		t.Fatalf("the server holds %d reports, want exactly 2", n)
	}
}

// openPage opens url in a new tab of browser and waits for the app.
func openPage(t *testing.T, browser context.Context, url string) context.Context {
	t.Helper()
	page, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	openApp(t, page, url)
	return page
}

// fileOfflineAndClose stops the server, cuts the page's network, reloads
// at reload (unless empty: the form is open already), files a report,
// closes the page and checks that no page of the app is left. It returns
// the report's id.
func fileOfflineAndClose(t *testing.T, browser, page context.Context, srv *realServer, reload, message, photo string) string {
	t.Helper()
	srv.Stop()
	setOffline(t, page, true)
	if reload != "" {
		openApp(t, page, reload)
		do(t, page, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
		do(t, page, chromedp.SetValue(chromedp.ID("f-embassy"), eval[string](t, page, `document.querySelector('#f-embassy option[value]:not([value=""])').value`)))
	}
	fillReport(t, page, message, photo)
	waitFor(t, page, "the saved state", `document.getElementById('receipt-state').textContent === 'Saved on this phone' ||
		document.getElementById('f-saved').textContent.indexOf('Saved on this phone') === 0`)
	reps := localReports(t, page)
	id := ""
	for _, r := range reps {
		if r["state"] == "saved" {
			id, _ = r["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no report waits on the phone: %v", reps)
	}
	if err := chromedp.Cancel(page); err != nil {
		t.Fatalf("close the page: %v", err)
	}
	infos, err := chromedp.CallBrowser(browser, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range infos.TargetInfos {
		if ti.Type == "page" && strings.HasPrefix(ti.URL, srv.URL) {
			t.Fatalf("a page of the app is still open: %s", ti.URL)
		}
	}
	return id
}

// dispatchSync fires the service worker's "outbox" Background Sync event
// (or its periodic sync) through DevTools, from the blank tab.
func dispatchSync(t *testing.T, browser context.Context, origin string, periodic bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	updates := chromedp.Events(ctx, serviceworker.WorkerRegistrationUpdated)
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	var id serviceworker.RegistrationID
	for ev, err := range updates {
		if err != nil {
			t.Fatalf("no service worker registration for %s: %v", origin, err)
		}
		for _, r := range ev.Registrations {
			if r.ScopeURL == origin+"/" && !r.IsDeleted {
				id = r.RegistrationID
			}
		}
		if id != "" {
			break
		}
	}
	var err error
	if periodic {
		_, err = chromedp.Call(ctx, serviceworker.DispatchPeriodicSyncEvent, serviceworker.DispatchPeriodicSyncEventParams{
			Origin: origin, RegistrationID: id, Tag: "outbox",
		})
	} else {
		_, err = chromedp.Call(ctx, serviceworker.DispatchSyncEvent, serviceworker.DispatchSyncEventParams{
			Origin: origin, RegistrationID: id, Tag: "outbox",
		})
	}
	if err != nil {
		t.Fatalf("dispatch the sync event: %v", err)
	}
	chromedp.Call(ctx, serviceworker.Disable, cdp.Empty{})
}

// waitForServer polls the server until ok holds.
func waitForServer(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waiting for %s: the server never got it", what)
}
