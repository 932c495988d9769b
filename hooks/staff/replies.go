package staff

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/vocab"
)

// logReply writes a "reply" event when a staff message is stored, in the
// same transaction as the message, whichever way it came in: the records
// API, a sync push, the dashboard or Go code. It is bound to the model
// level (the create's execute step), which every write path runs. The
// event holds no text: the message itself is the record of what was said.
// The actor is the message's author; a staff message with no author (a
// superuser's, through the dashboard) is logged as the superuser's.
func logReply(e *core.RecordEvent) error {
	if e.Record.GetString("direction") != vocab.DirectionStaff {
		return e.Next()
	}
	actor := reports.Actor{StaffId: e.Record.GetString("author")}
	if actor.StaffId == "" {
		actor.Label = "superuser"
	}
	return reports.WithinWrite(e, func(txApp core.App) error {
		report, err := txApp.FindRecordById(reports.CollectionReports, e.Record.GetString("report"))
		if err != nil {
			return fmt.Errorf("find replied report: %w", err)
		}
		return reports.WriteEvent(txApp, reports.Event{Report: report, Kind: vocab.EventReply, Actor: actor})
	})
}
