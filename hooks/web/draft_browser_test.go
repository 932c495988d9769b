package web_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAReportBeingWrittenSurvivesThePageBeingDropped: a reporter writes
// half a report and adds a photo, and the phone drops the page (Chrome on
// Android discards a background tab when memory is short, often while the
// camera is open). Back in the app the form is as it was, photo included;
// once the report is saved the draft is gone, and a new one starts empty.
// Switching the language while writing keeps the needs ticked.
func TestAReportBeingWrittenSurvivesThePageBeingDropped(t *testing.T) {
	srv, ctx := testlandReporter(t)

	photo, _ := filepath.Abs(filepath.Join("testdata", "photo-with-gps.jpg"))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")))
	waitFor(t, ctx, "the nationalities", `!!document.querySelector('#f-nationality option[value="ID"]')`)
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("f-nationality"), "ID"),
		chromedp.SendKeys(chromedp.ID("f-people"), "3"),
		chromedp.Click(chromedp.CSS(`input[name="needs"][value="shelter"]`)),
		chromedp.SendKeys(chromedp.ID("f-message"), "We are hiding near the market"),
		chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photo}))
	waitFor(t, ctx, "the shrunk photo", `document.querySelectorAll('#photo-list li').length === 1`)
	waitFor(t, ctx, "the draft kept on the phone", `self.homeward.db.get('meta', 'draft:self').then((d) =>
		!!d && d.photos.length === 1 && d.fields.some(([n, v]) => n === 'message' && v === 'We are hiding near the market'))`)

	// The page is dropped and opened again.
	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")))
	waitFor(t, ctx, "the form as it was left, photo included", `document.getElementById('f-message').value === 'We are hiding near the market' &&
		document.getElementById('f-people').value === '3' && document.getElementById('f-nationality').value === 'ID' &&
		document.querySelector('input[name="needs"][value="shelter"]').checked &&
		document.querySelectorAll('#photo-list li').length === 1`)

	do(t, ctx, chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the receipt", `!document.getElementById('receipt').hidden`)
	waitFor(t, ctx, "no draft once the report is saved", `self.homeward.db.get('meta', 'draft:self').then((d) => !d)`)
	waitFor(t, ctx, "the report saved with its photo", `Promise.all([self.homeward.db.all('reports'), self.homeward.db.all('files')])
		.then(([r, f]) => r.length === 1 && f.length === 1)`)
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")))
	waitFor(t, ctx, "a new report starts empty", `document.getElementById('f-message').value === '' &&
		!document.querySelector('input[name="needs"]:checked') && document.querySelectorAll('#photo-list li').length === 0`)

	// Another language while writing: the needs ticked stay ticked.
	do(t, ctx, chromedp.Click(chromedp.CSS(`input[name="needs"][value="medical"]`)))
	do(t, ctx, chromedp.SetValue(chromedp.ID("lang"), "id"), chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').dispatchEvent(new Event('change'))`))
	waitFor(t, ctx, "the page in Indonesian, with the need still ticked", `document.documentElement.lang === 'id' &&
		document.querySelector('input[name="needs"][value="medical"]').checked`)
}

// TestADraftIsBackBeforeThePageCanWriteOverIt: on 2G the embassy list
// takes seconds to come; the person, back in the app, types before it has.
// The draft is already in the form by then (nothing of it is lost, and
// what they type is kept with it), and the form says it was kept, with a
// way to discard it on a phone that is not theirs. Quick exit removes a
// draft too.
func TestADraftIsBackBeforeThePageCanWriteOverIt(t *testing.T) {
	srv, ctx := testlandReporter(t)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(chromedp.ID("f-message"), "We are hiding near the market"))
	waitFor(t, ctx, "the draft kept on the phone", `self.homeward.db.get('meta', 'draft:self').then((d) => !!d)`)

	// The embassy list is slow to come, as on 2G.
	var slow atomic.Bool
	slow.Store(true)
	hold := func(w http.ResponseWriter, r *http.Request) bool {
		if slow.Load() && r.URL.Path == "/api/collections/embassies/records" {
			time.Sleep(5 * time.Second)
		}
		return false
	}
	srv.intercept.Store(&hold)
	do(t, ctx, chromedp.Navigate(srv.URL+"/?lang=en#report"))
	waitFor(t, ctx, "the page wired, the embassy list still on its way", `document.documentElement.hasAttribute('data-wired') && !document.documentElement.hasAttribute('data-ready')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-go="report"]').click()`), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(chromedp.ID("f-current"), "bus station"))
	waitFor(t, ctx, "the draft and what was typed since, in the form and on the phone, and the form says it was kept", `
		document.getElementById('f-message').value === 'We are hiding near the market' &&
		document.getElementById('f-current').value === 'bus station' && !document.getElementById('f-draft').hidden &&
		self.homeward.db.get('meta', 'draft:self').then((d) => !!d &&
			d.fields.some(([n, v]) => n === 'message' && v === 'We are hiding near the market') &&
			d.fields.some(([n, v]) => n === 'current_location' && v === 'bus station'))`)
	waitFor(t, ctx, "the page ready", `document.documentElement.getAttribute('data-ready') === '1'`)
	slow.Store(false)

	do(t, ctx, chromedp.Click(chromedp.ID("f-draft-discard")))
	waitFor(t, ctx, "discarded: the form empty, nothing on the phone", `document.getElementById('f-message').value === '' &&
		document.getElementById('f-current').value === '' && document.getElementById('f-draft').hidden &&
		self.homeward.db.get('meta', 'draft:self').then((d) => !d)`)

	do(t, ctx, chromedp.SendKeys(chromedp.ID("f-message"), "Written, then quick exit"))
	waitFor(t, ctx, "the draft kept on the phone", `self.homeward.db.get('meta', 'draft:self').then((d) => !!d)`)
	do(t, ctx, chromedp.Click(chromedp.ID("exit")))
	for i := 0; i < 100; i++ {
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, srv.URL) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	openApp(t, ctx, srv.URL+"/?lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")))
	waitFor(t, ctx, "after quick exit, nothing of the draft", `document.getElementById('f-message').value === '' &&
		document.getElementById('f-draft').hidden && self.homeward.db.get('meta', 'draft:self').then((d) => !d)`)
}
