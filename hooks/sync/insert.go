package sync

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// createInTx stores a new record the way app.Save does inside a
// transaction, with one difference: the final INSERT is a statement the
// push keeps prepared (see stmtCache), where dbx would build and SQLite
// parse a 30-column INSERT for every record.
//
// Everything else is PocketBase's own create path, in its order: the
// OnModelCreate / OnRecordCreate hooks (reports' defaults: status, version,
// urgency), validation through app.Validate (every field's validators and
// the OnRecordValidate hooks), the OnModelCreateExecute / OnRecordCreateExecute
// hooks (the change log, the fields' interceptors such as autodates), and
// OnModelAfterCreateError on failure. The after-success hooks (realtime
// broadcasts, urgent notices) must wait for the commit: the returned event
// is handed to afterCommit once the transaction is over.
//
// It mirrors BaseApp.create in PocketBase v0.39 (core/db.go): check it
// when PocketBase is upgraded. TestPushScenarios pins the events a push
// fires to those of a REST create.
func createInTx(ctx context.Context, txApp core.App, rec *core.Record) (*core.ModelEvent, error) {
	event := new(core.ModelEvent)
	event.App = txApp
	event.Context = ctx
	event.Type = core.ModelEventTypeCreate
	event.Model = rec

	err := txApp.OnModelCreate().Trigger(event, func(e *core.ModelEvent) error {
		if err := e.App.ValidateWithContext(e.Context, e.Model); err != nil {
			return err
		}
		return e.App.OnModelCreateExecute().Trigger(event, func(e *core.ModelEvent) error {
			if err := insertModel(e.Context, e.App, e.Model); err != nil {
				return err
			}
			e.Model.MarkAsNotNew()
			return nil
		})
	})
	if err != nil {
		event.Model.MarkAsNew()
		errEvent := &core.ModelErrorEvent{ModelEvent: *event, Error: err}
		errEvent.App = txApp
		if hookErr := txApp.OnModelAfterCreateError().Trigger(errEvent); hookErr != nil {
			return nil, errors.Join(err, hookErr)
		}
		return nil, err
	}
	return event, nil
}

// afterCommit runs what app.Save defers to the end of its transaction for
// each created record: the after-success hooks when the transaction
// committed, the after-error hooks when it rolled back. app is the app
// outside the transaction, as PocketBase passes it.
func afterCommit(app core.App, events []*core.ModelEvent, txErr error) error {
	var errs []error
	for _, event := range events {
		event.App = app
		if txErr != nil {
			event.Model.MarkAsNew()
			errs = append(errs, app.OnModelAfterCreateError().Trigger(&core.ModelErrorEvent{ModelEvent: *event, Error: txErr}))
			continue
		}
		errs = append(errs, app.OnModelAfterCreateSuccess().Trigger(event))
	}
	return errors.Join(errs...)
}

// insertModel writes the model's exported columns with one INSERT, the
// same columns and values as PocketBase's create; in a push with a write
// batch, the row joins the batch instead.
func insertModel(ctx context.Context, app core.App, model core.Model) error {
	exporter, ok := model.(core.DBExporter)
	if !ok {
		return errors.New("insert: the model does not export its columns")
	}
	data, err := exporter.DBExport(app)
	if err != nil {
		return err
	}
	if _, ok := data["id"]; !ok {
		data["id"] = model.PK()
	}
	if id, _ := data["id"].(string); id == "" {
		return errors.New("insert: empty primary key")
	}
	db := app.NonconcurrentDB()
	if b := writeBatchFor(ctx, db); b != nil {
		return b.addRow(ctx, model.TableName(), data)
	}
	return insertRow(ctx, db, model.TableName(), data)
}

// insertRow writes data's columns into table with one INSERT, prepared
// once per push when ctx carries the push's statement cache for db.
func insertRow(ctx context.Context, db dbx.Builder, table string, data map[string]any) error {
	var sql string
	if c := stmtCacheFor(ctx, db); c != nil {
		sql = c.insertSQL(table, data)
	} else {
		sql = insertSQL(table, data)
	}
	_, err := stmt(ctx, db, sql, dbx.Params(data)).Execute()
	return err
}

// insertSQL is the INSERT of data's columns into table, with the columns in
// a fixed order so every record of a collection shares one statement.
func insertSQL(table string, data map[string]any) string {
	cols := make([]string, 0, len(data))
	for col := range data {
		cols = append(cols, col)
	}
	slices.Sort(cols)
	return "INSERT INTO {{" + table + "}} ([[" + strings.Join(cols, "]], [[") + "]]) VALUES ({:" + strings.Join(cols, "}, {:") + "})"
}
