package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// sync_ops remembers every applied push operation by (device, op id), so a
// retried push returns the first result instead of writing twice. hash is
// a SHA-256 of the operation's content: the same op id with other content,
// or the same record id created with other content, is a conflict. It is a
// plain table like sync_changes: nobody reads it through the records API.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`
			CREATE TABLE IF NOT EXISTS {{sync_ops}} (
				[[device]]     TEXT    NOT NULL,
				[[op]]         TEXT    NOT NULL,
				[[kind]]       TEXT    NOT NULL,
				[[collection]] TEXT    NOT NULL,
				[[record]]     TEXT    NOT NULL,
				[[hash]]       TEXT    NOT NULL,
				[[version]]    INTEGER NOT NULL DEFAULT 0,
				[[created]]    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')),
				PRIMARY KEY ([[device]], [[op]])
			) WITHOUT ROWID;
			CREATE INDEX IF NOT EXISTS idx_sync_ops_record ON {{sync_ops}} ([[collection]], [[record]], [[kind]]);
		`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS {{sync_ops}}").Execute()
		return err
	})
}
