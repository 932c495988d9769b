package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The change log carries each record's public JSON in its own row, and
// keeps one row per record: its latest change. A write appends the new row
// and drops the record's older one in the same transaction, so a pull is a
// single indexed range read of ready JSON, and the log grows with the
// number of records, not with the number of edits. A delete leaves only its
// tombstone, with no data: old content is never kept.
//
// A cursor still never skips a change: the new row always gets a higher
// seq than every row before it (the row dropped is never the newest), so a
// client that pulled the older row sees the newer one on its next pull.
//
// This replaces sync_snapshots (one JSON copy per record, joined on every
// pull).
var syncChangesDataUp = []string{
	`ALTER TABLE sync_changes ADD COLUMN data TEXT`,
	`UPDATE sync_changes SET data = (
		SELECT s.data FROM sync_snapshots s WHERE s.collection = sync_changes.collection AND s.record = sync_changes.record
	) WHERE kind = 'upsert'`,
	`DELETE FROM sync_changes WHERE seq NOT IN (SELECT MAX(seq) FROM sync_changes GROUP BY collection, record)`,
	`DROP TABLE sync_snapshots`,
}

var syncChangesDataDown = []string{
	`CREATE TABLE sync_snapshots (
		collection TEXT NOT NULL,
		record     TEXT NOT NULL,
		data       TEXT NOT NULL
	)`,
	`CREATE UNIQUE INDEX idx_sync_snapshots_record ON sync_snapshots (collection, record)`,
	`INSERT INTO sync_snapshots (collection, record, data)
		SELECT collection, record, data FROM sync_changes WHERE kind = 'upsert' AND data IS NOT NULL`,
	`ALTER TABLE sync_changes DROP COLUMN data`,
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, syncChangesDataUp)
	}, func(app core.App) error {
		return execAll(app, syncChangesDataDown)
	})
}
