package staff

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
)

// touchReport sets the last_activity of a message's report to now, in the
// same transaction as the message, on every write path (bound to the
// create's execute step). The column is written on its own, not by saving
// the report: a message is no change of the report, so its version (which
// sync conflicts compare), its change log and its realtime notice stay as
// they are; the console learns of the message from the message's own
// realtime notice. A report saved later sets the column to its own time,
// which is later still, so no stale copy of it can win.
func touchReport(e *core.RecordEvent) error {
	return reports.WithinWrite(e, func(txApp core.App) error {
		_, err := txApp.DB().Update(reports.CollectionReports,
			dbx.Params{reports.FieldLastActivity: types.NowDateTime().String()},
			dbx.HashExp{"id": e.Record.GetString("report")}).Execute()
		if err != nil {
			return fmt.Errorf("touch report: %w", err)
		}
		return nil
	})
}
