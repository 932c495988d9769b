package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// TestEmbassyDetailsInThePhonesLanguage: an embassy's name, hours, notes
// and what to bring show in the page's language where the embassy gave a
// variant (embassies.i18n), each field left out falling back to the plain
// one, and in the plain fields in a language it gave none for; the report
// form's choice of embassy names it the same way.
func TestEmbassyDetailsInThePhonesLanguage(t *testing.T) {
	srv := startLive(t)
	id := seedEmbassy(t, srv.App, "test-thailand", "Royal Thai Embassy (test)")
	rec, err := srv.App.FindRecordById("embassies", id)
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("hours", "Mon–Fri 8:30–16:30")
	rec.Set("notes", "Bring any document you still have.")
	rec.Set("what_to_bring", "Passport copy")
	rec.Set("i18n", map[string]any{"th": map[string]string{
		"name": "สถานเอกอัครราชทูตไทย (ทดสอบ)", "hours": "จันทร์–ศุกร์ 8:30–16:30", "what_to_bring": "สำเนาหนังสือเดินทาง",
	}})
	if err := srv.App.Save(rec); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, 60*time.Second)
	do(t, ctx, chromedp.EmulateViewport(360, 740))
	openApp(t, ctx, srv.URL+"/?lang=th")
	card := `document.querySelector('#embassies details')`
	waitFor(t, ctx, "the embassy's Thai name", card+` && `+card+`.querySelector('summary').textContent === 'สถานเอกอัครราชทูตไทย (ทดสอบ)'`)
	text := eval[string](t, ctx, card+`.textContent`)
	for _, want := range []string{"จันทร์–ศุกร์ 8:30–16:30", "สำเนาหนังสือเดินทาง", "Bring any document you still have."} {
		if !strings.Contains(text, want) {
			t.Errorf("the Thai card lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "Passport copy") || strings.Contains(text, "Mon–Fri") {
		t.Errorf("the Thai card still shows the plain fields its variant replaces: %s", text)
	}
	if got := eval[string](t, ctx, `document.querySelector('#f-embassy option[value="`+id+`"]').textContent`); got != "สถานเอกอัครราชทูตไทย (ทดสอบ)" {
		t.Errorf("the report form names the embassy %q in Thai", got)
	}

	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('lang'); s.value = 'id'; s.dispatchEvent(new Event('change')); })()`))
	waitFor(t, ctx, "the plain name in Indonesian, which has no variant", card+`.querySelector('summary').textContent === 'Royal Thai Embassy (test)' && `+card+`.textContent.includes('Passport copy')`)
}
