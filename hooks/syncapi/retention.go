package syncapi

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Retention of the protocol's side tables. sync_changes holds one row per
// record (its latest change), so it grows with the records themselves,
// except for tombstones, which outlive their records; sync_ops holds one
// row per applied op. Both are kept for Retention, then dropped once a day
// (retentionCron, in UTC).
//
// The guarantee, for a client that comes back after a long time offline:
//   - Within Retention of an op being applied, a retry of it is answered
//     exactly as the first time (duplicate, with its record and version).
//     Later, a retried create of a record that still exists is a duplicate
//     when the caller owns the record (its volunteer, the holder of its
//     receipt, the staff member who wrote the message): record ids are made
//     at random on the client, so the owner sending the same id again is
//     the same op. A retried update meets the record's newer version and
//     is a stale_base conflict with the server's copy, as any concurrent
//     edit is. Nothing is stored twice and nothing is lost.
//   - A pull cursor from before the horizon (the last tombstone dropped)
//     may have missed a deletion: the pull is refused with 410
//     cursor_expired, and the client pulls again from the start (cursor
//     ""), which returns every record in its scope as it is now; whatever
//     it holds that the fresh pull does not name was deleted. Its outbox
//     is kept and sent as usual.
const (
	Retention     = 90 * 24 * time.Hour
	retentionCron = "23 3 * * *"
)

// CodeCursorExpired answers a pull from before the retention horizon.
const CodeCursorExpired = "cursor_expired" // 410: pull again from the start; keep the outbox

func registerRetention(app core.App) {
	app.Cron().MustAdd("homewardSyncRetention", retentionCron, func() {
		if err := Prune(app, time.Now()); err != nil {
			app.Logger().Error("sync: retention failed", "error", err)
		}
	})
}

// Prune drops sync_ops rows and change log tombstones older than Retention
// at now, and moves the horizon past the tombstones dropped, in one
// transaction. It is what the daily job runs; tests call it with a later
// now.
func Prune(app core.App, now time.Time) error {
	cutoff, err := types.ParseDateTime(now.Add(-Retention).UTC())
	if err != nil {
		return err
	}
	limit := cutoff.String()
	return app.RunInTransaction(func(tx core.App) error {
		var horizon int64
		err := tx.DB().NewQuery("SELECT COALESCE(MAX([[seq]]), 0) FROM {{sync_changes}} WHERE [[kind]] = 'delete' AND [[created]] < {:cutoff} " +
			// The newest row stays: seq is SQLite's rowid, and dropping the
			// highest one would let the next change take its number.
			"AND [[seq]] < (SELECT MAX([[seq]]) FROM {{sync_changes}})").
			Bind(dbx.Params{"cutoff": limit}).Row(&horizon)
		if err != nil {
			return fmt.Errorf("find old tombstones: %w", err)
		}
		if horizon > 0 {
			if _, err := tx.DB().NewQuery("DELETE FROM {{sync_changes}} WHERE [[kind]] = 'delete' AND [[seq]] <= {:horizon}").
				Bind(dbx.Params{"horizon": horizon}).Execute(); err != nil {
				return fmt.Errorf("drop old tombstones: %w", err)
			}
			if _, err := tx.DB().NewQuery("UPDATE {{sync_retention}} SET [[horizon]] = max([[horizon]], {:horizon}) WHERE [[id]] = 1").
				Bind(dbx.Params{"horizon": horizon}).Execute(); err != nil {
				return fmt.Errorf("move the horizon: %w", err)
			}
		}
		if _, err := tx.DB().NewQuery("DELETE FROM {{sync_ops}} WHERE [[created]] < {:cutoff}").
			Bind(dbx.Params{"cutoff": limit}).Execute(); err != nil {
			return fmt.Errorf("drop old ops: %w", err)
		}
		return nil
	})
}

// horizon returns the change log's horizon (see Prune).
func horizon(app core.App) (int64, error) {
	var h int64
	err := app.DB().NewQuery("SELECT [[horizon]] FROM {{sync_retention}} WHERE [[id]] = 1").Row(&h)
	return h, err
}
