package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

var receiptShape = regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4} \d{4}$`)

// TestReporterWorksOfflineAfterOneVisit visits once, loses the server and
// the network for real, reloads, files two reports with a photo, reloads
// again, and finds both still saved on the phone.
func TestReporterWorksOfflineAfterOneVisit(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 120*time.Second)
	fileTwoReportsOffline(t, ctx, srv.URL, srv.Stop)
}

// fileTwoReportsOffline is the offline half of the reporter journey; it
// returns the two receipt codes, first the one with the photo. base is the
// server's address; stop takes the server away.
func fileTwoReportsOffline(t *testing.T, ctx context.Context, base string, stop func()) []string {
	t.Helper()
	openTestlandReport(t, ctx, base)
	waitForServiceWorker(t, ctx)

	stop()
	setOffline(t, ctx, true)
	openApp(t, ctx, base+"/?embassy=test-indonesia&lang=en")
	waitFor(t, ctx, "the embassy card from the phone", `document.getElementById('embassies').textContent.indexOf('+000 23 000 000') >= 0`)

	// A QR code's /e/{slug} address opens the app with that embassy offline.
	openApp(t, ctx, base+"/e/test-indonesia")
	if got := eval[string](t, ctx, `document.getElementById('f-embassy').selectedOptions[0].textContent`); got != "Embassy of Testland" {
		t.Fatalf("offline /e/test-indonesia pre-selects %q", got)
	}
	openApp(t, ctx, base+"/?embassy=test-indonesia&lang=en")

	photo, _ := filepath.Abs(filepath.Join("testdata", "photo-with-gps.jpg"))
	codes := []string{}
	for i, msg := range []string{"first report written offline", "second report written offline"} {
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
		p := ""
		if i == 0 {
			p = photo
		}
		fillReport(t, ctx, msg, p)
		code := eval[string](t, ctx, `document.getElementById('receipt-code').textContent`)
		if !receiptShape.MatchString(code) {
			t.Fatalf("receipt %q is not five groups of four digits", code)
		}
		codes = append(codes, code)
		waitFor(t, ctx, "the saved state", `document.getElementById('receipt-state').textContent === 'Saved on this phone'`)
		if !eval[bool](t, ctx, `document.getElementById('receipt-done').disabled`) {
			t.Fatal("the receipt screen can be left before confirming the code was written down")
		}
		do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	}
	if codes[0] == codes[1] {
		t.Fatal("two reports got the same receipt")
	}

	openApp(t, ctx, base+"/")
	waitFor(t, ctx, "both reports after an offline reload", `document.querySelectorAll('#mine li').length === 2`)
	states := eval[string](t, ctx, `Array.from(document.querySelectorAll('#mine .state')).map((e) => e.textContent).join('|')`)
	if states != "Saved on this phone|Saved on this phone" {
		t.Fatalf("states offline = %q, want both saved on this phone", states)
	}
	if reps := localReports(t, ctx); len(reps) != 2 {
		t.Fatalf("%d reports on the phone, want 2", len(reps))
	}
	if n := eval[int](t, ctx, `self.homeward.db.all('files').then((f) => f.length)`); n != 1 {
		t.Fatalf("%d files waiting on the phone, want 1", n)
	}
	if n := eval[int](t, ctx, `self.homeward.outbox.list().then((l) => l.length)`); n != 2 {
		t.Fatalf("outbox holds %d operations, want 2", n)
	}
	// The photo was shrunk and re-encoded on the phone: no EXIF left.
	exif := eval[bool](t, ctx, `self.homeward.db.all('files').then((f) => new Response(f[0].blob).arrayBuffer())
		.then((b) => { const s = new TextDecoder('latin1').decode(new Uint8Array(b)); return s.indexOf('Exif') >= 0 || s.indexOf('TestPhone') >= 0; })`)
	if exif {
		t.Fatal("the stored photo still carries EXIF data")
	}
	return codes
}

// TestLayoutFitsA360pxScreen renders the main screens at 360x740, fails if
// anything scrolls sideways, and saves the screenshots when
// HOMEWARD_SCREENSHOTS is set (to refresh docs/screenshots).
func TestLayoutFitsA360pxScreen(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	seedEmbassy(t, srv.App, "test-philippines", "Embassy of Otherland")
	ctx := browsertest.New(t, 90*time.Second)
	do(t, ctx, chromedp.EmulateViewport(360, 740))

	dir := t.TempDir()
	if os.Getenv("HOMEWARD_SCREENSHOTS") != "" {
		dir = filepath.Join(testserver.RepoRoot(), "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
			t.Errorf("%s: the page is %d px wide on a 360 px screen", name, w)
		}
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en")
	waitFor(t, ctx, "the embassy card", `document.querySelector('#embassies details[open]')`)
	waitForServiceWorker(t, ctx)
	inst, err := chromedp.Call(ctx, page.GetInstallabilityErrors, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range inst.InstallabilityErrors {
		t.Errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
	}
	shot("home")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
	shot("report")
	fillReport(t, ctx, "a report for the screenshot", "")
	shot("receipt")
	code := eval[string](t, ctx, `document.getElementById('receipt-code').textContent`)
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	waitFor(t, ctx, "the report sent", `document.querySelector('#mine .state').textContent === 'Sent to the embassy'`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="follow"]`)), chromedp.SendKeys(chromedp.ID("fu-code"), code),
		chromedp.Click(chromedp.CSS(`#follow-form button[type="submit"]`)))
	waitFor(t, ctx, "the follow-up", `!document.getElementById('fu-result').hidden`)
	shot("follow-up")
	openApp(t, ctx, srv.URL+"/?lang=vi")
	shot("home-vietnamese")
	seedVolunteer(t, srv.App, "vol@example.org")
	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	shot("volunteer-login")
	volunteerLogin(t, ctx, "vol@example.org", testserver.Password)
	shot("volunteer")
}

// TestLanguageFollowsTheLinkAndTheSwitch checks ?lang=, the switch, and
// that the choice survives a reload.
func TestLanguageFollowsTheLinkAndTheSwitch(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	ctx := browsertest.New(t, 60*time.Second)

	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=vi#report")
	// The contact page's "File a report" link opens the form, embassy chosen.
	if got := eval[string](t, ctx, `!document.getElementById('report').hidden && document.getElementById('f-embassy').selectedOptions[0].textContent`); got != "Embassy of Testland" {
		t.Fatalf("#report with ?embassy= shows the form with %q", got)
	}
	if got := eval[string](t, ctx, `document.documentElement.lang + '|' + document.querySelector('[data-go="report"]').textContent`); got != "vi|Báo cáo cho đại sứ quán" {
		t.Fatalf("with ?lang=vi the page shows %q", got)
	}
	do(t, ctx, chromedp.SetValue(chromedp.ID("lang"), "th"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').dispatchEvent(new Event('change'))`))
	waitFor(t, ctx, "Thai", `document.documentElement.lang === 'th' && document.querySelector('[data-go="report"]').textContent === 'แจ้งสถานทูต'`)
	openApp(t, ctx, srv.URL+"/")
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != "th" {
		t.Fatalf("after a reload the language is %q, want the chosen th", got)
	}
	// Every language file carries every key and the native-review mark.
	for _, l := range vocab.Languages {
		n := eval[int](t, ctx, `fetch('/i18n/`+l+`.json').then((r) => r.json()).then((d) => Object.keys(d).length)`)
		want := eval[int](t, ctx, `fetch('/i18n/en.json').then((r) => r.json()).then((d) => Object.keys(d).length)`)
		if n != want {
			t.Errorf("%s.json has %d keys, en.json %d", l, n, want)
		}
		if l != "en" && !strings.Contains(eval[string](t, ctx, `fetch('/i18n/`+l+`.json').then((r) => r.json()).then((d) => d._review)`), "NATIVE REVIEW") {
			t.Errorf("%s.json is not marked for native review", l)
		}
	}
}

// TestSafetyControls checks the neutral title option, "erase everything",
// and that quick exit replaces the page without adding a history entry.
func TestSafetyControls(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	// A backstop, not a measure: on a loaded CI machine the steps below
	// took 97 s once.
	ctx := browsertest.New(t, 180*time.Second)

	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="settings"]`)), chromedp.Click(chromedp.ID("neutral")))
	if title := eval[string](t, ctx, `document.title`); title != "Notes" {
		t.Fatalf("neutral title = %q, want Notes", title)
	}
	openApp(t, ctx, srv.URL+"/")
	if title := eval[string](t, ctx, `document.title + '|' + document.getElementById('icon').getAttribute('href')`); title != "Notes|/icons/neutral.svg" {
		t.Fatalf("after reload, title and icon = %q", title)
	}

	// Erase everything: reports, receipts, settings.
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
	fillReport(t, ctx, "to be erased", "")
	if n := len(localReports(t, ctx)); n != 1 {
		t.Fatalf("%d reports before erasing, want 1", n)
	}
	// Step by step, each waiting for the page: the report is being sent in
	// the background meanwhile, and a slow machine must not race the clicks.
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")))
	waitFor(t, ctx, "Done enabled", `!document.getElementById('receipt-done').disabled`)
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-done")))
	waitFor(t, ctx, "the receipt screen closed", `document.getElementById('receipt').hidden`)
	// Pressed until the settings show: the home screen is still redrawn as
	// the report's status arrives, and a click aimed before a redraw can
	// land beside the moved button on a loaded machine.
	waitFor(t, ctx, "the settings screen", `(() => {
		if (document.getElementById('settings').hidden) document.querySelector('#home [data-go="settings"]').click();
		return document.getElementById('erase').offsetParent !== null;
	})()`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(chromedp.ID("erase")))
	waitFor(t, ctx, "the erased app", `document.documentElement.getAttribute('data-ready') === '1' && document.title === 'Homeward'`)
	if n := len(localReports(t, ctx)); n != 0 {
		t.Fatalf("%d reports left after erasing, want 0", n)
	}
	if got := eval[string](t, ctx, `String(localStorage.getItem('hw-neutral'))`); got != "null" {
		t.Fatalf("the neutral-title setting survived erasing: %q", got)
	}
	// A write still in flight when another context (the service worker
	// sending in the background) erases must not bring the database back.
	if got := eval[string](t, ctx, `(async () => {
		await self.homeward.db.put('meta', 1, 'probe');
		await new Promise((ok, no) => { const r = indexedDB.deleteDatabase('homeward'); r.onsuccess = ok; r.onerror = () => no(r.error); });
		let late = 'written';
		try { await self.homeward.db.put('reports', { id: 'late' }); } catch (e) { late = 'refused'; }
		const left = (await indexedDB.databases()).map((d) => d.name).filter((n) => n === 'homeward');
		return late + ', databases left: ' + left.length;
	})()`); got != "refused, databases left: 0" {
		t.Fatalf("a write after another context erased the database: %s, want refused, databases left: 0", got)
	}

	before := eval[int](t, ctx, `history.length`)
	do(t, ctx, chromedp.Click(chromedp.ID("exit")))
	var loc string
	for i := 0; i < 100; i++ {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
		if !strings.HasPrefix(loc, srv.URL) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.HasPrefix(loc, srv.URL) {
		t.Fatalf("quick exit stayed on %s", loc)
	}
	if after := eval[int](t, ctx, `history.length`); after != before {
		t.Fatalf("quick exit added a history entry: %d -> %d", before, after)
	}
}
