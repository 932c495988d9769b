package console_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestThePhonesSealedPhotoOpensInTheConsole: staff X makes the embassy's
// key in the console; a reporter's phone (another browser) pins it and
// files a report with a photo, which the phone seals before it stores and
// uploads it. The server holds the sealed file only (sealed_by "phone");
// the console opens it in the browser and the photo renders at its size,
// and the case sheet lists it by the media type sealed inside;
// no file the server wrote holds the photo's bytes nor its GPS EXIF.
func TestThePhonesSealedPhotoOpensInTheConsole(t *testing.T) {
	photoPath := filepath.Join(testserver.RepoRoot(), "internal", "testserver", "testdata", "photo-with-gps.jpg")
	photo := testserver.TestData(t, "photo-with-gps.jpg")
	app, srv, ctxA, a := keyedConsole(t, 4*time.Minute)

	ctxP, cancelP := chromedp.NewContext(ctxA, chromedp.WithNewBrowserContext())
	defer cancelP()
	phone := consoleSteps(t, ctxP, watchConsole(ctxP))
	phone.do("open the reporter's app", chromedp.EmulateViewport(390, 800), chromedp.Navigate(srv.URL+"/?embassy=x&lang=en"))
	phone.waitFor("the app starts", `document.documentElement.getAttribute('data-ready') === '1'`)
	phone.poll("the key pinned", `self.homeward.db.get('meta', 'keys:`+fixture.EmbassyX+`').then((k) => !!k && k.epoch === 1 && !k.broken)`)
	phone.click("write a report", `[data-go="report"]`)
	phone.do("fill the report",
		chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), fixture.EmbassyX),
		chromedp.SetValue(chromedp.ID("f-nationality"), "ID"),
		chromedp.SetValue(chromedp.ID("f-people"), "2"),
		chromedp.SendKeys(chromedp.ID("f-message"), "a photo of the gate"),
		chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photoPath}))
	phone.waitFor("the shrunk photo", `document.querySelectorAll('#photo-list li').length === 1`)
	phone.click("send", `#report-form button[type="submit"]`)
	phone.poll("the photo sealed on the phone and sent", `self.homeward.db.all('files').then((f) => f.length === 1 && f[0].sealed === true && f[0].state === 'sent')`)

	atts, err := app.FindAllRecords("attachments")
	if err != nil || len(atts) != 1 {
		t.Fatalf("the server holds %d attachments (%v), want 1", len(atts), err)
	}
	att := atts[0]
	stored := testserver.ReadFile(t, app, att, "file")
	if _, err := seal.ParseFile(stored); err != nil || att.GetString("sealed_by") != "phone" || att.GetString("mime") != seal.FileMime {
		t.Fatalf("stored as %s, sealed_by %q: %v", att.GetString("mime"), att.GetString("sealed_by"), err)
	}

	a.open("open the report", "#/report/"+att.GetString("report"))
	a.waitFor("the photo renders", `(() => { const img = document.querySelector('#report [data-sealed-attachment="open"] img');
		return !!img && img.complete && img.naturalWidth > 0; })()`)
	size, err := chromedp.Run(ctxA, chromedp.Evaluate[[]int](`(() => {
		const img = document.querySelector('#report [data-sealed-attachment="open"] img');
		return [img.naturalWidth, img.naturalHeight]; })()`))
	if err != nil || len(size) != 2 || size[0]*size[1] != 640*480 {
		t.Fatalf("the console shows a %v image (%v), want the 640 x 480 photo", size, err)
	}
	a.do("count print dialogs", chromedp.Evaluate[chromedp.Void](`window.printed = 0; window.print = () => { window.printed++; }`))
	a.click("print its case sheet", "#report [data-print]")
	a.waitFor("the sheet lists the photo by the type sealed inside", `!!document.querySelector('[data-sheet-attachments]') && window.printed === 1 &&
		document.querySelector('[data-sheet-attachments]').textContent.includes('image/jpeg')`)

	exif := bytes.Index(photo, []byte("Exif\x00\x00"))
	if exif < 0 {
		t.Fatal("the test photo has no EXIF")
	}
	for _, part := range [][]byte{photo[exif : exif+64], photo[len(photo)-300 : len(photo)-200], photo[len(photo)/2 : len(photo)/2+64]} {
		testserver.NoFileHolds(t, app.DataDir(), string(part))
	}
}
