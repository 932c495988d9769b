package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Tab is one person's browser profile (its own storage, service workers
// and cookies) in a Chromium that New started, with the steps a test
// takes in it. Each step fails the test with its name.
type Tab struct {
	T   *testing.T
	Ctx context.Context
}

// NewTab opens a new profile in parent's Chromium.
func NewTab(t *testing.T, parent context.Context) Tab {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return Tab{t, ctx}
}

// StepTimeout bounds one step of a browser test (a click, a navigation,
// a few actions in a row): a step that waits for an element that never
// shows fails after it, with the page's state (see New), rather than
// holding the machine's one browser until the whole session's limit.
const StepTimeout = 90 * time.Second

// Step runs actions within StepTimeout. A new tab is opened with ctx
// itself first: a tab opened under the step's own deadline would be closed
// with it.
func Step(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	if err := chromedp.Do(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Do runs an action.
func (b Tab) Do(step string, a chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	if err := Step(b.Ctx, a); err != nil {
		b.T.Fatalf("%s: %v", step, err)
	}
}

// JS runs script in the page, awaiting what it returns.
func (b Tab) JS(step, script string) {
	b.T.Helper()
	b.Do(step, chromedp.Evaluate[chromedp.Void](script, chromedp.EvalAwaitPromise))
}

// Fill sets a field's value as typing does (input and change events).
func (b Tab) Fill(step, sel, value string) {
	b.T.Helper()
	b.JS(step, `(() => { const el = document.querySelector(`+strconv.Quote(sel)+`); el.value = `+strconv.Quote(value)+`;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

// Click clicks the element sel selects, as the page's own script would.
func (b Tab) Click(step, sel string) {
	b.T.Helper()
	b.JS(step, `document.querySelector(`+strconv.Quote(sel)+`).click()`)
}

// Until waits up to 90 s for js to be true (or a promise of true). A page
// that navigates meanwhile (the staff console reloads itself once signed
// in) is waited for again.
func (b Tab) Until(step, js string) {
	b.T.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !(strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context with specified id")) {
			b.T.Fatalf("waiting for %s: %v", step, err)
		}
	}
}

// Offline cuts (or restores) the profile's network: navigator.onLine and
// the online and offline events, and every request of its pages and of
// their service worker.
func (b Tab) Offline(offline bool) {
	b.T.Helper()
	SetOffline(b.T, b.Ctx, offline)
}

// SetOffline is Offline for a browser context.
func SetOffline(t testing.TB, ctx context.Context, offline bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatal(err)
	}
	sw := offline
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &sw,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatal(err)
	}
}
