package pb_migrations

import (
	"encoding/json"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// sync_snapshots holds the current public JSON of every report and message
// (hidden fields left out), written in the same transaction as the record.
// A pull joins it to the change log, so its cost is one indexed range read
// that returns ready JSON, instead of loading each record through the
// record model. A deleted record's snapshot is deleted with it: the log
// keeps only the tombstone, never old content.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`
			CREATE TABLE IF NOT EXISTS {{sync_snapshots}} (
				[[collection]] TEXT NOT NULL,
				[[record]]     TEXT NOT NULL,
				[[data]]       TEXT NOT NULL
			);
			CREATE UNIQUE INDEX IF NOT EXISTS idx_sync_snapshots_record ON {{sync_snapshots}} ([[collection]], [[record]]);
		`).Execute()
		if err != nil {
			return err
		}
		// Records written before the sync API existed get a snapshot now.
		for _, coll := range []string{"reports", "messages"} {
			records, err := app.FindAllRecords(coll)
			if err != nil {
				return err
			}
			for _, rec := range records {
				data, err := json.Marshal(rec.PublicExport())
				if err != nil {
					return err
				}
				_, err = app.DB().Insert("sync_snapshots", dbx.Params{"collection": coll, "record": rec.Id, "data": string(data)}).Execute()
				if err != nil {
					return err
				}
			}
		}
		return nil
	}, func(app core.App) error {
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS {{sync_snapshots}}").Execute()
		return err
	})
}
