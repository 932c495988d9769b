package console_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestAReportThatArrivesDuringABreakIsShownOnceLive: the console's live
// connection breaks (the office's network drops, or the server ends an
// idle one, as PocketBase does after five minutes), and meanwhile a report
// arrives and a reporter writes on the report open on screen. The server
// keeps no events for a client away, so once the console is live again it
// must read what it shows afresh: the new report is listed, and the
// message shown, with no reload.
func TestAReportThatArrivesDuringABreakIsShownOnceLive(t *testing.T) {
	app, ctx, s, problems := liveConsole(t)

	dropLive(t, ctx, app)
	s.waitFor("the console says it is not live", `document.querySelector('[data-live]').dataset.state !== 'live'`)
	arrived := urgentReportArrives(t, app, "We reached the border post during the night.")
	browsertest.SetOffline(t, ctx, false)
	s.waitFor("live again, the report that arrived during the break is listed and counted", `document.querySelector('[data-live]').dataset.state === 'live' &&
		!!document.querySelector('#list tr[data-id="`+arrived.Id+`"]') && document.body.dataset.waiting === '1'`)

	// The same with a report open: a reporter's message during a break.
	s.openReport(fixture.ReportX)
	dropLive(t, ctx, app)
	s.waitFor("the console says it is not live", `document.querySelector('[data-live]').dataset.state !== 'live'`)
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "reporter", "body": "We are at the border post now."})
	browsertest.SetOffline(t, ctx, false)
	s.waitFor("live again, the message written during the break is shown", `document.querySelector('[data-live]').dataset.state === 'live' &&
		[...document.querySelectorAll('#report .bubble.from-reporter')].some((b) => b.textContent.includes('We are at the border post now.'))`)
	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors: %v", p)
	}
}

// dropLive breaks the console's live connection and keeps it from coming
// back until the browser is online again: the browser goes offline (which
// stops new requests, not the open stream) and the server ends the
// stream.
func dropLive(t *testing.T, ctx context.Context, app core.App) {
	t.Helper()
	browsertest.SetOffline(t, ctx, true)
	endLiveStreams(app)
}

// endLiveStreams has the server end every live stream, as PocketBase does
// with an idle one.
func endLiveStreams(app core.App) {
	broker := app.SubscriptionsBroker()
	for id := range broker.Clients() {
		broker.Unregister(id)
	}
}

// liveConsole signs staff X in to the console over the fixture's embassies
// and waits until it is live on an empty waiting queue.
func liveConsole(t *testing.T) (*tests.TestApp, context.Context, steps, func() []string) {
	t.Helper()
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	_, ctx, s, problems := signedInConsole(t, app, 1280, 900)
	s.waitFor("the waiting queue shows, empty, live", `document.querySelector('[data-live]').dataset.state === 'live' &&
		document.body.dataset.waiting === '0'`)
	return app, ctx, s, problems
}

// urgentReportArrives saves a new report to embassy X that waits for staff
// (a medical need), as the sync API would, and returns it.
func urgentReportArrives(t *testing.T, app core.App, message string) *core.Record {
	t.Helper()
	return testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
		"embassy": fixture.EmbassyX, "status": "new", "needs": []string{"medical"}, "people_count": 3,
		"nationality": "ID", "message": message, "channel": "self",
	})
}

// TestTheConsoleComesBackLiveAfterAProxyError: while the server restarts,
// the proxy in front answers the console's live stream with 502. The
// browser then gives the stream up for good; the console must open a new
// one once the server is back, and show what arrived meanwhile.
func TestTheConsoleComesBackLiveAfterAProxyError(t *testing.T) {
	app, ctx, s, _ := liveConsole(t)

	// The proxy's 502, for the stream's requests while the server is away.
	var away atomic.Bool
	away.Store(true)
	var refused atomic.Int32
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/realtime"}}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			if away.Load() && ev.Request.Method == http.MethodGet {
				refused.Add(1)
				chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: http.StatusBadGateway,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}}, Body: []byte("<h1>502 Bad Gateway</h1>")})
				continue
			}
			chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	endLiveStreams(app)
	s.waitFor("the console says it is offline", `document.querySelector('[data-live]').dataset.state === 'offline'`)
	arrived := urgentReportArrives(t, app, "We are at the checkpoint.")
	away.Store(false)
	s.waitFor("live again, the report that arrived while the server was away is listed", `document.querySelector('[data-live]').dataset.state === 'live' &&
		!!document.querySelector('#list tr[data-id="`+arrived.Id+`"]')`)
	if refused.Load() == 0 {
		t.Fatal("the proxy refused no stream")
	}
}
