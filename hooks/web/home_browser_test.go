package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/browsertest"
)

// TestHomeScreenFitsThePhonesLanguage: a Burmese phone lists the embassy
// that answers in Burmese first; the messaging contact is a link built as
// on the contact page; at 360 px the header's name is whole in every
// language; and the embassy's reply shows when it was written.
func TestHomeScreenFitsThePhonesLanguage(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Indonesia (test)")
	myanmar := seedEmbassy(t, srv.App, "test-myanmar", "Embassy of Myanmar (test)")
	rec, err := srv.App.FindRecordById("embassies", myanmar)
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("languages", []string{"my", "en"})
	rec.Set("messaging", "WhatsApp +000 12 345 678")
	if err := srv.App.Save(rec); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, 60*time.Second)
	do(t, ctx, chromedp.EmulateViewport(360, 740))
	openApp(t, ctx, srv.URL+"/?lang=my")
	waitFor(t, ctx, "two embassies", `document.querySelectorAll('#embassies details').length === 2`)
	if first := eval[string](t, ctx, `document.querySelector('#embassies details summary').textContent`); first != "Embassy of Myanmar (test)" {
		t.Errorf("a Burmese phone lists %q first", first)
	}
	if href := eval[string](t, ctx, `(document.querySelector('#embassies a[href^="https://wa.me/"]') || {}).href || ''`); href != "https://wa.me/00012345678" {
		t.Errorf("the WhatsApp contact links to %q", href)
	}
	for _, lang := range []string{"en", "id", "zh", "vi", "th", "my", "km", "fil"} {
		do(t, ctx, chromedp.SetValue(chromedp.ID("lang"), lang), chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').dispatchEvent(new Event('change'))`))
		waitFor(t, ctx, "the page in "+lang, `document.documentElement.lang === '`+lang+`'`)
		if cut := eval[bool](t, ctx, `(() => { const b = document.getElementById('brand'), r = b.getBoundingClientRect();
			return b.scrollWidth > b.clientWidth + 1 || r.right > 360 || document.documentElement.scrollWidth > 360; })()`); cut {
			t.Errorf("%s: the header's name is cut off at 360 px", lang)
		}
		if h := eval[float64](t, ctx, `document.getElementById('exit').getBoundingClientRect().height`); h < 44 {
			t.Errorf("%s: the quick exit is %.0f px tall, under the 44 px tap target", lang, h)
		}
	}

	// A report followed by its receipt shows the embassy's reply with its time.
	openApp(t, ctx, srv.URL+"/?embassy=test-myanmar&lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
	fillReport(t, ctx, "report to be answered", "")
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	waitForRecord(t, srv.App, "message = 'report to be answered'")
	report, err := srv.App.FindFirstRecordByFilter("reports", "message = 'report to be answered'")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.App.FindCollectionByNameOrId("messages")
	if err != nil {
		t.Fatal(err)
	}
	reply := core.NewRecord(msgs)
	reply.Load(map[string]any{"report": report.Id, "direction": "staff", "body": "We will call you."})
	if err := srv.App.Save(reply); err != nil {
		t.Fatal(err)
	}
	// The list is drawn again as the report syncs: click the button as it
	// stands, not a node found a moment earlier.
	waitFor(t, ctx, "the follow button", `!!document.querySelector('#mine li button')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#mine li button').click()`))
	waitFor(t, ctx, "the reply with its time", `Array.from(document.querySelectorAll('#fu-messages li.msg-staff')).some((li) => li.textContent.indexOf('We will call you.') >= 0 && li.querySelector('time') && /\d/.test(li.querySelector('time').textContent))`)
}
