package sync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Change log kinds.
const (
	kindUpsert = "upsert"
	kindDelete = "delete"
)

// registerChangeLog makes every write of a report or message, whatever the
// path (sync push, REST, dashboard, Go code), append to sync_changes in the
// same transaction as the write. The hooks sit at the model execute level,
// below all request handling, so no write path can skip them.
func registerChangeLog(app core.App) {
	for _, coll := range []string{collReports, collMessages} {
		app.OnRecordCreateExecute(coll).BindFunc(logChangeOn(kindUpsert))
		app.OnRecordUpdateExecute(coll).BindFunc(logChangeOn(kindUpsert))
		app.OnRecordDeleteExecute(coll).BindFunc(logChangeOn(kindDelete))
	}
}

func logChangeOn(kind string) func(e *core.RecordEvent) error {
	return func(e *core.RecordEvent) error {
		// Joins the caller's transaction when there is one; otherwise the
		// write and its change row get a transaction of their own.
		// The event's app is put back afterwards: the after-success hooks
		// (realtime, urgent notices) run on it once the transaction is over,
		// and a finished transaction can no longer be queried.
		app := e.App
		defer func() { e.App = app }()
		return app.RunInTransaction(func(txApp core.App) error {
			e.App = txApp
			if err := e.Next(); err != nil {
				return err
			}
			return appendChange(e.Context, txApp, e.Record, kind)
		})
	}
}

// SQL of the change log writes. They are fixed texts so a push can keep
// them prepared for its whole transaction (see stmtCache).
const (
	insertChangeSQL = "INSERT INTO {{sync_changes}} ([[collection]], [[record]], [[kind]], [[version]], [[embassy]], [[volunteer]], [[report]]) " +
		"VALUES ({:collection}, {:record}, {:kind}, {:version}, {:embassy}, {:volunteer}, {:report})"
	reportScopeSQL    = "SELECT [[embassy]], [[volunteer]] FROM {{reports}} WHERE [[id]] = {:report}"
	lastScopeSQL      = "SELECT [[embassy]], [[volunteer]] FROM {{sync_changes}} WHERE [[report]] = {:report} ORDER BY [[seq]] DESC LIMIT 1"
	upsertSnapshotSQL = "INSERT INTO {{sync_snapshots}} ([[collection]], [[record]], [[data]]) VALUES ({:c}, {:r}, {:d}) " +
		"ON CONFLICT ([[collection]], [[record]]) DO UPDATE SET [[data]] = excluded.[[data]]"
)

// appendChange writes one change row. SQLite assigns seq inside the write
// transaction, and one writer at a time means seq order is commit order.
func appendChange(ctx context.Context, app core.App, rec *core.Record, kind string) error {
	db := app.NonconcurrentDB()
	coll := rec.Collection().Name
	row := dbx.Params{
		"collection": coll,
		"record":     rec.Id,
		"kind":       kind,
		"version":    rec.GetInt("version"),
		"embassy":    "",
		"volunteer":  "",
		"report":     "",
	}
	switch coll {
	case collReports:
		row["embassy"] = rec.GetString("embassy")
		row["volunteer"] = rec.GetString("volunteer")
		row["report"] = rec.Id
	case collMessages:
		report := rec.GetString("report")
		var scope struct {
			Embassy   string `db:"embassy"`
			Volunteer string `db:"volunteer"`
		}
		err := stmt(ctx, db, reportScopeSQL, dbx.Params{"report": report}).One(&scope)
		if err != nil {
			// A cascade deletes the report before its messages: the
			// report's last change row still has its scope.
			_ = stmt(ctx, db, lastScopeSQL, dbx.Params{"report": report}).One(&scope)
		}
		row["embassy"] = scope.Embassy
		row["volunteer"] = scope.Volunteer
		row["report"] = report
	}
	if _, err := stmt(ctx, db, insertChangeSQL, row).Execute(); err != nil {
		return fmt.Errorf("write change log: %w", err)
	}
	return writeSnapshot(ctx, app, rec, kind)
}

// writeSnapshot keeps sync_snapshots at the record's current public JSON,
// or drops it with the record.
func writeSnapshot(ctx context.Context, app core.App, rec *core.Record, kind string) error {
	coll := rec.Collection().Name
	if kind == kindDelete {
		_, err := app.DB().Delete("sync_snapshots", dbx.HashExp{"collection": coll, "record": rec.Id}).Execute()
		if err != nil {
			return fmt.Errorf("drop snapshot: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(rec.PublicExport())
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	params := dbx.Params{"c": coll, "r": rec.Id, "d": string(data)}
	if _, err := stmt(ctx, app.NonconcurrentDB(), upsertSnapshotSQL, params).Execute(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}
