package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The sync change log is a plain table, not a collection: nobody reads it
// through the records API, and an INTEGER PRIMARY KEY gives the
// server-assigned sequence for free. SQLite has one writer at a time, so a
// sequence taken inside the write transaction is also commit order, and
// rows are never deleted, so the sequence has no gaps a cursor could skip.
//
// Each row carries the scopes a pull filters on (embassy, volunteer,
// report), each with a (scope, seq) index, so a pull reads only the rows it
// returns. A delete is a row with kind "delete": the tombstone.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`
			CREATE TABLE IF NOT EXISTS {{sync_changes}} (
				[[seq]]        INTEGER PRIMARY KEY,
				[[collection]] TEXT    NOT NULL,
				[[record]]     TEXT    NOT NULL,
				[[kind]]       TEXT    NOT NULL CHECK ([[kind]] IN ('upsert', 'delete')),
				[[version]]    INTEGER NOT NULL DEFAULT 0,
				[[embassy]]    TEXT    NOT NULL DEFAULT '',
				[[volunteer]]  TEXT    NOT NULL DEFAULT '',
				[[report]]     TEXT    NOT NULL DEFAULT '',
				[[created]]    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ'))
			);
			CREATE INDEX IF NOT EXISTS idx_sync_changes_embassy   ON {{sync_changes}} ([[embassy]], [[seq]]);
			CREATE INDEX IF NOT EXISTS idx_sync_changes_volunteer ON {{sync_changes}} ([[volunteer]], [[seq]]) WHERE [[volunteer]] != '';
			CREATE INDEX IF NOT EXISTS idx_sync_changes_report    ON {{sync_changes}} ([[report]], [[seq]]);
		`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS {{sync_changes}}").Execute()
		return err
	})
}
