package privacy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// payload is hostile markup that runs script if any page inserts it as
// HTML. It must come out as the same text, and create no element.
const payload = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script><svg onload="window.__pwned=1"> "'&`

// short is the payload for fields with a small length limit.
const short = `<img src=x onerror=window.__pwned=1>`

// injected is true when the page holds an element or handler made from
// the payload, or the payload's script ran.
const injected = `(() => {
	if (window.__pwned) return 'script ran';
	if (document.querySelector('img[src="x"], svg[onload]')) return 'element injected';
	for (const s of document.scripts) if (s.textContent.indexOf('__pwned') >= 0) return 'script element injected';
	for (const el of document.querySelectorAll('*'))
		for (const a of el.attributes) if (a.name.indexOf('on') === 0) return 'handler attribute ' + a.name;
	return '';
})()`

// TestHostileTextStaysText stores markup in every text field a reporter
// or an administrator controls, then renders it in the staff console, the
// reporter app and the embassy contact page in a real Chromium: each page
// must show it as text, with no element made and no script run.
func TestHostileTextStaysText(t *testing.T) {
	app := testserver.NewApp(t, false)
	save := func(col string, data map[string]any) *core.Record {
		return testserver.SaveRecord(t, app, col, data)
	}
	seeded := testserver.Seed(t, app, testserver.Options{
		Embassies: []testserver.Embassy{{Slug: "xss", Name: "Embassy " + payload, Fields: map[string]any{
			"country": short, "hotline": "+000 23 000 000", "messaging": payload, "address": payload, "hours": payload,
			"what_to_bring": payload, "notes": payload,
		}}},
		Staff: []testserver.Staff{{Email: "staff@example.org", Name: short, Embassy: 0}},
	})
	embassy := seeded.Embassies[0]
	report := save("reports", map[string]any{
		"id": "xssreport00000000001", "embassy": embassy.Id, "nationality": short, "message": payload,
		"compound_location": payload, "current_location": payload, "contact_name": short,
		"contact_phone": short, "contact_app": payload, "consent_version": "v1",
	})
	save("messages", map[string]any{"report": report.Id, "direction": "reporter", "body": payload})

	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 120*time.Second)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	check := func(page, textSelector string) {
		t.Helper()
		wait := `document.querySelector(` + jsString(textSelector) + `) && document.querySelector(` + jsString(textSelector) + `).textContent.indexOf('window.__pwned=1') >= 0`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](wait, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 800)`))
			t.Fatalf("%s: the payload is not shown as text in %s: %v\n%s", page, textSelector, err, body)
		}
		if what, err := chromedp.Run(ctx, chromedp.Evaluate[string](injected)); err != nil || what != "" {
			t.Fatalf("%s: %s (%v)", page, what, err)
		}
	}

	run("staff console", chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email"),
		chromedp.SendKeys("#login-email", "staff@example.org"),
		chromedp.SendKeys("#login-password", testserver.Password),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible("#reports"))
	check("staff list", "#list")
	run("staff report view", chromedp.Navigate(srv.URL+"/staff/#/report/"+report.Id), chromedp.WaitVisible(`[data-current-status]`))
	check("staff report view", "main")

	run("reporter app", chromedp.Navigate(srv.URL+"/?lang=en"))
	check("reporter embassy directory", "#embassies")

	run("contact page", chromedp.Navigate(srv.URL+"/e/xss"))
	check("embassy contact page", "main")
}

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
