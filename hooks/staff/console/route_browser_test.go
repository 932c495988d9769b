package console_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/hooks/sealkeys"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestASealedReportRoutedToAnotherEmbassyOpensThere: staff of X route a
// sealed report, with a reporter's message and a sealed photo, to Y in
// the console. While Y
// has no key, the console says so and nothing moves. Then X's
// browser checks Y's key chain, shows Y's fingerprint, opens the report
// and the message and seals them again to Y's key, reply key included;
// Y's staff then open all three in their own browser and may reply. Without the
// seal made again the server refuses the move (and Y could not open it).
func TestASealedReportRoutedToAnotherEmbassyOpensThere(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctxA := browsertest.New(t, 2*time.Minute)
	a := keysTab{consoleSteps(t, ctxA, watchConsole(ctxA)), srv.URL}
	const (
		id         = "routedr0000000000001"
		message    = "routedmsg000001"
		markerBody = "Routed-Marker-Kestrel"
		markerMsg  = "Routed-Marker-Plover"
	)

	a.start("#/keys")
	a.signIn("x@example.org")
	a.makePersonal(passphraseX)
	a.status("waiting")
	a.click("create X's key", "[data-embassy-create]")
	a.status("unlocked")

	sealedReport(t, app, id, 1, seal.ReportBody{Message: markerBody + " at the river gate", ContactPhone: "+000 555 0199",
		ReplyKey: base64.RawURLEncoding.EncodeToString(make([]byte, 16))})
	reporterMessage(t, app, id, message, markerMsg+" we moved")
	photo := sealedPhoto(t, app, id)

	a.open("open the report", "#/report/"+id)
	a.waitFor("X opens the report and the message", `document.querySelector('#report [data-seal="open"]') &&
		document.querySelector('#report .reporter-text').textContent.includes('`+markerBody+`') &&
		document.querySelector('#report [data-messages]').textContent.includes('`+markerMsg+`')`)
	a.waitFor("the embassies are listed", `!!document.querySelector('#report [data-route][data-ready] option[value="`+fixture.EmbassyY+`"]')`)
	a.do("keep what is asked", chromedp.Evaluate[chromedp.Void](`window.confirm = (m) => { window.asked = m; return true; }`))
	a.fill("choose Y", "#report [data-route-to]", fixture.EmbassyY)

	// Y has no key yet: nothing could seal the report for it.
	a.click("route to Y before it has a key", `#report [data-route] button[type="submit"]`)
	a.waitFor("the console says Y has no key", `document.querySelector('#report [data-route-status].error').textContent.startsWith('Embassy Y has no sealing key yet')`)
	if r, err := app.FindRecordById("reports", id); err != nil || r.GetString("embassy") != fixture.EmbassyX {
		t.Fatalf("the report moved to an embassy with no key (%v)", err)
	}

	b := colleague(t, ctxA, srv.URL, "y@example.org", passphraseX2)
	b.click("create Y's key", "[data-embassy-create]")
	b.status("unlocked")

	a.click("route", `#report [data-route] button[type="submit"]`)
	a.waitFor("the routing ends", `document.body.dataset.page !== 'report' || (document.querySelector('#report [data-route-status].error') || {}).textContent.includes('Could not route')`)
	if msg := evaluate[string](a, "read the status", `(document.querySelector('#report [data-route-status].error') || {}).textContent || ''`); msg != "" {
		t.Fatalf("the console did not route the report: %s", msg)
	}
	rootY, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 1", dbx.Params{"e": fixture.EmbassyY})
	if err != nil {
		t.Fatal(err)
	}
	fp := rootY.GetString("kid")[:4] + " " + rootY.GetString("kid")[4:8]
	if asked := evaluate[string](a, "read what was asked", `window.asked || ''`); !strings.Contains(asked, fp) {
		t.Fatalf("X was not shown Y's fingerprint %s: %q", fp, asked)
	}
	r, err := app.FindRecordById("reports", id)
	if err != nil || r.GetString("embassy") != fixture.EmbassyY || r.GetString("sealed_by") != "phone" {
		t.Fatalf("the report is at %q, sealed by %q (%v)", r.GetString("embassy"), r.GetString("sealed_by"), err)
	}

	b.open("Y opens the report", "#/report/"+id)
	b.waitFor("Y opens the report and the message", `document.querySelector('#report [data-seal="open"]') &&
		document.querySelector('#report .reporter-text').textContent.includes('`+markerBody+`') &&
		document.querySelector('#report [data-messages]').textContent.includes('`+markerMsg+`')`)
	b.waitFor("Y can reply: the reply key came along", `!!document.querySelector('#report [data-reply]')`)
	b.waitFor("Y opens the photo", `document.querySelector('#report [data-sealed-attachment]').dataset.sealedAttachment === 'open' &&
		document.querySelector('#report [data-sealed-attachment] img').naturalWidth === 3`)
	att, err := app.FindRecordById("attachments", photo.Id)
	if err != nil || att.GetString("file") == photo.GetString("file") || att.GetString("sealed_by") != "server" {
		t.Fatalf("the photo was not replaced by its copy sealed for Y (%v)", err)
	}
	for _, m := range []string{markerBody, markerMsg, "+000 555 0199"} {
		testserver.NoFileHolds(t, srv.App.DataDir(), m)
	}
}

// reporterMessage saves a reporter's message of report (of embassy X),
// sealed in Go to X's epoch 1 as the phone seals it.
func reporterMessage(t *testing.T, app core.App, report, id, text string) {
	t.Helper()
	env := fixture.SealToX(t, app, 1, id, []seal.Field{{Name: "report", Value: report}, {Name: "direction", Value: "reporter"}},
		seal.MessageBody{Body: text})
	testserver.SaveRecord(t, app, "messages", map[string]any{"id": id, "report": report, "direction": "reporter", "sealed": env})
}

// sealedPhoto saves a 3×2 PNG of report, which the server seals to the
// newest key of its embassy on arrival.
func sealedPhoto(t *testing.T, app core.App, report string) *core.Record {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	f, err := filesystem.NewFileFromBytes(b.Bytes(), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	col, err := app.FindCollectionByNameOrId("attachments")
	if err != nil {
		t.Fatal(err)
	}
	att := core.NewRecord(col)
	att.Set("report", report)
	att.Set("mime", "image/png")
	att.Set("file", f)
	if err := app.Save(att); err != nil {
		t.Fatal(err)
	}
	if att.GetString("sealed_by") != "server" {
		t.Fatalf("the photo is stored sealed by %q", att.GetString("sealed_by"))
	}
	return att
}
