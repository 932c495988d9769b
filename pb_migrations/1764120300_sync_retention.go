package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// sync_retention keeps the change log's horizon: the highest seq of a
// tombstone that retention has dropped (hooks/syncapi/retention.go). A pull
// from a cursor below it may have missed a deletion, so it is told to start
// again. One row, created at 0 (nothing dropped).
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`
			CREATE TABLE IF NOT EXISTS {{sync_retention}} (
				[[id]]      INTEGER PRIMARY KEY CHECK ([[id]] = 1),
				[[horizon]] INTEGER NOT NULL DEFAULT 0
			);
			INSERT OR IGNORE INTO {{sync_retention}} ([[id]], [[horizon]]) VALUES (1, 0);
			CREATE INDEX IF NOT EXISTS idx_sync_ops_created ON {{sync_ops}} ([[created]]);
			CREATE INDEX IF NOT EXISTS idx_sync_changes_tombstones ON {{sync_changes}} ([[created]]) WHERE [[kind]] = 'delete';
		`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`
			DROP INDEX IF EXISTS idx_sync_changes_tombstones;
			DROP INDEX IF EXISTS idx_sync_ops_created;
			DROP TABLE IF EXISTS {{sync_retention}};
		`).Execute()
		return err
	})
}
