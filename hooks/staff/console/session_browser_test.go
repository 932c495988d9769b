package console_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestOneSignInPerBrowser drives two tabs of one real headless Chromium
// against the whole app: a second tab opens signed in, a reload stays
// signed in, signing out in one tab signs out the other, drops the token
// and sends nothing more, signing in again in one signs in both, and once the embassy's
// idle time passes with no one using the console every tab signs out,
// saying so, and the token is gone.
func TestOneSignInPerBrowser(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctxA := browsertest.New(t, 120*time.Second)
	problemsA := watchConsole(ctxA)
	a := consoleSteps(t, ctxA, problemsA)

	a.do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/"))
	a.signIn("x@example.org")
	a.waitFor("the list shows", `document.body.dataset.page === 'reports'`)

	// A second tab of the same browser.
	ctxB, cancelB := chromedp.NewContext(ctxA)
	defer cancelB()
	problemsB := watchConsole(ctxB)
	b := consoleSteps(t, ctxB, problemsB)
	b.do("open a second tab", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/#/?queue=all"))
	b.waitFor("the second tab is signed in, with no sign-in form", `document.body.dataset.page === 'reports' && document.querySelector('#login').hidden &&
		document.querySelector('[data-me]').textContent === 'Staff X' && document.querySelectorAll('#list [data-id]').length === 1`)
	b.do("reload the second tab", chromedp.Reload())
	b.waitFor("still signed in after a reload", `document.body.dataset.page === 'reports' && document.querySelector('[data-me]').textContent === 'Staff X'`)
	b.click("open the listed report in the second tab", `#list a.report-link`)
	b.waitFor("the report shows", `document.body.dataset.page === 'report' && !!document.querySelector('#report .report-head')`)

	// Another tab signing out removes the last use and the sign-in; a tab
	// that hears of the first before the second still says "elsewhere",
	// not "idle". The storage event is the one the browser sends.
	if still, err := chromedp.Run(ctxB, chromedp.Evaluate[bool](`(() => {
		const last = localStorage.getItem('homeward.staff.active');
		localStorage.removeItem('homeward.staff.active');
		window.dispatchEvent(new StorageEvent('storage', { key: 'homeward.staff.active', oldValue: last, newValue: null }));
		const signedIn = document.body.dataset.page === 'report';
		localStorage.setItem('homeward.staff.active', last);
		return signedIn;
	})()`)); err != nil || !still {
		t.Fatalf("a tab that sees the last use go before the sign-in signs out as idle (signed in: %v, %v)", still, err)
	}
	// A report arrives live just before the sign-out: the waiting count
	// each tab asks for a moment later is not asked once it has signed out
	// (it was, without a token, and refused: 401).
	fixture.SaveReport("lastminute0000000001", fixture.EmbassyX, map[string]any{
		"message": "just before", "channel": "self", "people_count": 1, "safety_risk_now": true,
	})(t, app, nil)
	a.do("sign out in the first tab as soon as it lists it", chromedp.Evaluate[chromedp.Void](`(async () => {
		while (!document.querySelector('#list [data-id="lastminute0000000001"]')) await new Promise((ok) => setTimeout(ok, 5));
		document.querySelector('[data-logout]').click();
		// The waiting count waits 300 ms for more events before it asks.
		await new Promise((ok) => setTimeout(ok, 600));
	})()`, chromedp.EvalAwaitPromise))
	if p := problemsA(); len(p) > 0 {
		t.Fatalf("the first tab, once signed out: %v", p)
	}
	a.waitFor("the first tab shows the sign-in form", `document.body.dataset.page === 'login' && localStorage.getItem('homeward.staff.auth') === null`)
	b.waitFor("the second tab is signed out too, and says why", `document.body.dataset.page === 'login' &&
		document.querySelector('[data-signed-out]').dataset.signedOut === 'elsewhere' && !document.querySelector('[data-signed-out]').hidden`)
	// Nothing of the reports stays in a signed-out page, even hidden.
	for _, s := range []steps{a, b} {
		s.waitFor("the signed-out page holds no report", `document.querySelector('#report').textContent === '' && !document.querySelector('#list [data-id]')`)
	}

	a.signIn("x@example.org")
	b.waitFor("signing in in one tab signs in the other", `document.body.dataset.page === 'reports' && document.querySelector('[data-me]').textContent === 'Staff X'`)

	// The embassy sets a short idle time, 3 seconds; the first tab reads it
	// when it is reloaded, and no one touches either tab after that.
	emb, err := app.FindRecordById("embassies", fixture.EmbassyX)
	if err != nil {
		t.Fatal(err)
	}
	emb.Set("staff_idle_minutes", 0.05)
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	a.do("reload the first tab", chromedp.Reload())
	a.waitFor("the first tab signs out when the idle time has passed", `document.body.dataset.page === 'login' &&
		['idle', 'elsewhere'].includes(document.querySelector('[data-signed-out]').dataset.signedOut)`)
	b.waitFor("so does the second", `document.body.dataset.page === 'login' &&
		['idle', 'elsewhere'].includes(document.querySelector('[data-signed-out]').dataset.signedOut)`)
	why := map[string]bool{}
	for _, ctx := range []context.Context{ctxA, ctxB} {
		w, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-signed-out]').dataset.signedOut`))
		if err != nil {
			t.Fatal(err)
		}
		why[w] = true
	}
	if !why["idle"] || len(why) != 1 {
		t.Fatalf("both tabs should say they signed out for idleness: %v", why)
	}
	a.waitFor("the token is dropped", `localStorage.getItem('homeward.staff.auth') === null && localStorage.getItem('homeward.staff.active') === null`)
	a.do("reload", chromedp.Reload())
	a.waitFor("a reload shows the sign-in form", `document.body.dataset.page === 'login'`)

	for _, p := range [][]string{problemsA(), problemsB()} {
		if len(p) > 0 {
			t.Fatalf("the page logged errors: %v", p)
		}
	}
}
