package staff

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
)

// logReply writes a "reply" event when staff answer a reporter through the
// records API, in the same transaction as the message. The event holds no
// text: the message itself is the record of what was said.
func logReply(e *core.RecordRequestEvent) error {
	if e.Auth == nil || e.Auth.Collection().Name != CollectionStaff {
		return e.Next()
	}
	actor := reports.ActorFromAuth(e.Auth)
	return e.App.RunInTransaction(func(txApp core.App) error {
		e.App = txApp
		if err := e.Next(); err != nil {
			return err
		}
		report, err := txApp.FindRecordById(reports.CollectionReports, e.Record.GetString("report"))
		if err != nil {
			return fmt.Errorf("find replied report: %w", err)
		}
		return reports.WriteEvent(txApp, reports.Event{Report: report, Kind: "reply", Actor: actor})
	})
}
