package staff

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/internal/vocab"
)

// defaultIdleHours is how long an open report may go without activity
// before it joins the waiting queue, when its embassy has not set
// waiting_idle_hours: two days, the most a person in hiding should wait to
// hear back.
const defaultIdleHours = 48

// idleStatuses are the statuses in which a report still waits for the
// embassy to act; assisted, repatriated and closed reports, duplicates and
// spam are not waiting, however long they stay quiet.
var idleStatuses = []string{vocab.StatusNew, vocab.StatusInReview, vocab.StatusContacted}

// unreadReporterMessages selects the reports with a reporter message no
// member of staff has read; the partial index idx_messages_unread holds
// exactly these messages, so it stays as small as the backlog.
const unreadReporterMessages = "SELECT report FROM messages WHERE direction = 'reporter' AND read_by_staff = 0"

// unreadExp keeps the reports with unread reporter messages.
var unreadExp = dbx.NewExp("reports.id IN (" + unreadReporterMessages + ")")

// waitingExp keeps the waiting queue: reports with unread reporter
// messages, new urgent reports, and reports still open with no activity
// since idleBefore.
func waitingExp(idleBefore types.DateTime) dbx.Expression {
	return dbx.NewExp("(reports.id IN ("+unreadReporterMessages+")"+
		" OR (reports.urgent = 1 AND reports.status = '"+vocab.StatusNew+"')"+
		" OR (reports.status IN ("+quotedIdleStatuses+") AND reports.last_activity < {:idleBefore}))",
		dbx.Params{"idleBefore": idleBefore.String()})
}

// countWaiting counts the caller's waiting queue, up to maxCount+1, as
// waitingExp defines it, from three parts that cannot overlap, each read
// from its own index and counted only while the total is under the cap:
// open reports idle since idleBefore (idx_reports_embassy_status_activity,
// the index alone), urgent new reports active since (the same index, each
// read for urgent), and the rest with unread reporter messages (their
// partial index). The queue's OR tested on every report took 61 ms at
// 100,000 reports; the idle part alone, 1 ms. The list rule is checked
// once, as for the tallies (seesEmbassysReports).
func countWaiting(e *core.RequestEvent, idleBefore types.DateTime) (int, error) {
	if sees, err := seesEmbassysReports(e); err != nil || !sees {
		return 0, err
	}
	idle := "reports.status IN (" + quotedIdleStatuses + ") AND reports.last_activity < {:idleBefore}"
	urgentNew := "reports.urgent = 1 AND reports.status = '" + vocab.StatusNew + "'"
	parts := []string{
		"SELECT 1 FROM reports WHERE reports.embassy = {:embassy} AND " + idle,
		"SELECT 1 FROM reports WHERE reports.embassy = {:embassy} AND " + urgentNew + " AND NOT (" + idle + ")",
		"SELECT 1 FROM reports WHERE reports.embassy = {:embassy} AND reports.id IN (" + unreadReporterMessages + ")" +
			" AND NOT (" + idle + ") AND NOT (" + urgentNew + ")",
	}
	total := 0
	for _, part := range parts {
		var n int
		err := e.App.ConcurrentDB().NewQuery("SELECT count(*) FROM (" + part + " LIMIT {:limit})").
			Bind(dbx.Params{"embassy": embassyOf(e), "idleBefore": idleBefore.String(), "limit": maxCount + 1 - total}).Row(&n)
		if err != nil {
			return 0, fmt.Errorf("count the waiting reports: %w", err)
		}
		if total += n; total > maxCount {
			break
		}
	}
	return total, nil
}

// quotedIdleStatuses are idleStatuses as an SQL list: the vocabulary's own
// words, with no quotes in them.
var quotedIdleStatuses = func() string {
	quoted := make([]string, len(idleStatuses))
	for i, s := range idleStatuses {
		quoted[i] = "'" + s + "'"
	}
	return strings.Join(quoted, ", ")
}()

// idleSince is the time before which an open report of the caller's
// embassy counts as idle, by the embassy's waiting_idle_hours.
func idleSince(e *core.RequestEvent) (types.DateTime, error) {
	hours := defaultIdleHours
	emb, err := e.App.FindRecordById("embassies", embassyOf(e))
	if err != nil {
		return types.DateTime{}, fmt.Errorf("find embassy: %w", err)
	}
	if h := emb.GetInt("waiting_idle_hours"); h > 0 {
		hours = h
	}
	return types.ParseDateTime(time.Now().Add(-time.Duration(hours) * time.Hour))
}

// addUnread gives each listed report its number of unread reporter
// messages, as "unread" beside its fields.
func addUnread(app core.App, records []*core.Record) error {
	if len(records) == 0 {
		return nil
	}
	ids := make([]any, len(records))
	for i, r := range records {
		ids[i] = r.Id
	}
	var rows []struct {
		Report string `db:"report"`
		N      int    `db:"n"`
	}
	err := app.ConcurrentDB().Select("report", "count(*) AS n").From("messages").
		Where(dbx.NewExp("direction = 'reporter' AND read_by_staff = 0")).
		AndWhere(dbx.In("report", ids...)).GroupBy("report").All(&rows)
	if err != nil {
		return err
	}
	unread := make(map[string]int, len(rows))
	for _, r := range rows {
		unread[r.Report] = r.N
	}
	for _, r := range records {
		r.WithCustomData(true)
		r.Set("unread", unread[r.Id])
	}
	return nil
}
