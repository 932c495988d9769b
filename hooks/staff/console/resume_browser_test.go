package console_test

import (
	"context"
	"testing"

	"github.com/pocketbase/pocketbase/core"

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
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	_, ctx, s, problems := signedInConsole(t, app, 1280, 900)
	s.waitFor("the waiting queue shows, empty, live", `document.querySelector('[data-live]').dataset.state === 'live' &&
		document.body.dataset.waiting === '0'`)

	dropLive(t, ctx, app)
	s.waitFor("the console says it is not live", `document.querySelector('[data-live]').dataset.state !== 'live'`)
	arrived := testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
		"embassy": fixture.EmbassyX, "status": "new", "needs": []string{"medical"}, "people_count": 3,
		"nationality": "ID", "message": "We reached the border post during the night.", "channel": "self",
	})
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
	broker := app.SubscriptionsBroker()
	for id := range broker.Clients() {
		broker.Unregister(id)
	}
}
