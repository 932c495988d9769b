package staff

import (
	"fmt"
	"html"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// Notice text. It carries no report content, not even the report id: mail
// crosses servers the embassy does not control, and a staff inbox may be
// read by others.
const (
	noticeSubject = "Homeward: an urgent report is waiting"
	noticeText    = "An urgent report has arrived for your embassy.\n\n" +
		"Open the staff console to read it:\n%s\n\n" +
		"You receive this because you are marked on duty in Homeward.\n"
)

// DefaultNoticeQuiet is how long after a notice an embassy's on-duty staff
// get no other. A volunteer's sync can bring dozens of urgent reports in
// one request; one mail says they are waiting, and the console shows them
// all. Reports that arrive in the quiet period get one more notice at its
// end, so none goes unannounced.
const DefaultNoticeQuiet = 10 * time.Minute

// notices sends urgent-report notices, at most one per embassy per quiet
// period, and a trailing one for what arrived in between.
type notices struct {
	quiet time.Duration

	mu      sync.Mutex
	last    map[string]time.Time   // embassy id → last notice sent
	pending map[string]*time.Timer // embassy id → trailing notice
}

func newNotices(quiet time.Duration) *notices {
	return &notices{quiet: quiet, last: map[string]time.Time{}, pending: map[string]*time.Timer{}}
}

// onReportCreated is bound to reports' after-create-success: it runs once
// the report is committed, whichever way it came in. A mail failure is
// logged and never undoes the report.
func (n *notices) onReportCreated(e *core.RecordEvent) error {
	if e.Record.GetBool("urgent") {
		n.urgent(e.App, e.Record.GetString("embassy"))
	}
	return e.Next()
}

func (n *notices) urgent(app core.App, embassy string) {
	n.mu.Lock()
	now := time.Now()
	last, seen := n.last[embassy]
	if !seen || now.Sub(last) >= n.quiet {
		n.last[embassy] = now
		n.mu.Unlock()
		sendNotices(app, embassy)
		return
	}
	defer n.mu.Unlock()
	if n.pending[embassy] != nil {
		return // a trailing notice is already due
	}
	n.pending[embassy] = time.AfterFunc(last.Add(n.quiet).Sub(now), func() {
		n.mu.Lock()
		delete(n.pending, embassy)
		n.last[embassy] = time.Now()
		n.mu.Unlock()
		sendNotices(app, embassy)
	})
}

// stop cancels the trailing notices when the app shuts down.
func (n *notices) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for embassy, t := range n.pending {
		t.Stop()
		delete(n.pending, embassy)
	}
}

// sendNotices e-mails every on-duty member of staff of embassy.
func sendNotices(app core.App, embassy string) {
	var onDuty []*core.Record
	err := app.RecordQuery(CollectionStaff).
		AndWhere(dbx.HashExp{"embassy": embassy, "on_duty": true}).
		All(&onDuty)
	if err != nil {
		app.Logger().Error("Failed to find on-duty staff for an urgent report notice.", "error", err)
		return
	}
	for _, s := range onDuty {
		if err := sendNotice(app, s.Email()); err != nil {
			// The address is not logged: logs are kept and read more widely.
			app.Logger().Error("Failed to send an urgent report notice.", "error", err)
		}
	}
}

// ConsoleURL is the staff console's address on this deployment.
func ConsoleURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/staff/"
}

func sendNotice(app core.App, to string) error {
	if to == "" {
		return nil
	}
	meta := app.Settings().Meta
	link := ConsoleURL(app)
	msg := &mailer.Message{
		From:    mail.Address{Name: meta.SenderName, Address: meta.SenderAddress},
		To:      []mail.Address{{Address: to}},
		Subject: noticeSubject,
		Text:    fmt.Sprintf(noticeText, link),
		HTML: "<p>An urgent report has arrived for your embassy.</p>" +
			`<p><a href="` + html.EscapeString(link) + `">Open the staff console</a> to read it.</p>` +
			"<p>You receive this because you are marked on duty in Homeward.</p>",
	}
	return app.NewMailClient().Send(msg)
}
