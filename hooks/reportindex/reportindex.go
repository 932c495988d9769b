// Package reportindex indexes new reports for the staff console's need
// filter (report_needs) and text search (report_search, FTS5 over folded
// text), in the transaction that writes them, whatever the write path.
//
// Triggers keep both indexes when a report is changed or deleted
// (pb_migrations/1764118100, 1764119100, 1764120000); a new report is
// indexed here instead (1764120100 dropped the insert triggers). A trigger
// on INSERT makes SQLite open a statement journal for every report written
// inside a longer transaction, and FTS5 writes its pending index to disk at
// each such statement: a push of 1,000 reports wrote 1,000 small index
// segments and merged them, and spent most of its time allocating and
// freeing statement journals. Indexed from Go, a push's reports go into
// each index in one statement (see Batch).
//
// Every PocketBase write path runs the record hook bound here: the records
// API, /api/batch, the dashboard, Go's app.Save, and sync push. A report
// inserted with raw SQL is not indexed, as it gets no change log either;
// write reports through app.Save.
package reportindex

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/fold"
)

// The index rows of the reports whose ids are in the JSON array {:ids},
// read back from the rows as stored, as the triggers did: the same text
// and needs whatever a hook set before the write.
const (
	insertNeedsSQL = `INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
		SELECT r.id, r.embassy, j.value, r.created
		FROM json_each({:ids}) q JOIN reports r ON r.id = q.value,
			json_each(CASE WHEN json_valid(r.needs) THEN r.needs ELSE '[]' END) j
		WHERE j.type = 'text'`
	insertSearchRowsSQL = `INSERT INTO report_search_rows (report, embassy)
		SELECT r.id, r.embassy FROM json_each({:ids}) q JOIN reports r ON r.id = q.value
		ORDER BY q.key`
)

// insertSearchSQL indexes the folded text of the reports, each field with
// fold.EndMark after it (pb_migrations/1764120810).
var insertSearchSQL = `INSERT INTO report_search (rowid, message, compound_location, current_location)
	SELECT s.n, ` + fold.IndexedSQL("r.message") + `, ` + fold.IndexedSQL("r.compound_location") + `, ` + fold.IndexedSQL("r.current_location") + `
	FROM json_each({:ids}) q JOIN report_search_rows s ON s.report = q.value JOIN reports r ON r.id = q.value`

// Register binds the indexing of new reports to app.
func Register(app core.App) error {
	app.OnRecordCreateExecute(reports.CollectionReports).BindFunc(indexNew)
	return nil
}

// indexNew indexes a new report right after its INSERT, in the same
// transaction, or queues it when the write belongs to a batch.
func indexNew(e *core.RecordEvent) error {
	if b := batchFor(e.Context, e.App); b != nil {
		if err := e.Next(); err != nil {
			return err
		}
		b.add(e.Record.Id)
		return nil
	}
	return reports.WithinWrite(e, func(txApp core.App) error {
		return index(txApp.NonconcurrentDB(), []string{e.Record.Id})
	})
}

// index writes the need and search rows of the reports ids, one statement
// per table.
func index(db dbx.Builder, ids []string) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("index reports: %w", err)
	}
	params := dbx.Params{"ids": string(list)}
	for _, sql := range []string{insertNeedsSQL, insertSearchRowsSQL, insertSearchSQL} {
		if _, err := db.NewQuery(sql).Bind(params).Execute(); err != nil {
			return fmt.Errorf("index reports: %w", err)
		}
	}
	return nil
}

// Batch gathers the reports created in one transaction and indexes them
// together when flushed: one statement per index table for the whole
// transaction, so FTS5 writes one index segment instead of one per report.
// Flush must run before the transaction commits; reports of a batch are not
// found by a search or a need filter in that transaction before it.
//
// Flush reads the reports as they are then, so one changed or deleted
// after its create and before the flush is indexed as it is at the flush
// (the update and delete triggers find no index rows of it to change before;
// PocketBase never changes a record's id).
//
// A Batch belongs to one transaction and is not safe for concurrent use,
// which a transaction never needs.
type Batch struct {
	db      dbx.Builder // the transaction the batch's reports are written in
	pending []string
}

type batchKey struct{}

// WithBatch returns ctx carrying a new batch for txApp's transaction. Saves
// on txApp with the returned context (SaveWithContext) queue their new
// reports in the batch instead of indexing each at once.
func WithBatch(ctx context.Context, txApp core.App) (context.Context, *Batch) {
	b := &Batch{db: txApp.NonconcurrentDB()}
	return context.WithValue(ctx, batchKey{}, b), b
}

// batchFor returns the batch in ctx when it belongs to app's transaction.
func batchFor(ctx context.Context, app core.App) *Batch {
	if ctx == nil {
		return nil
	}
	b, _ := ctx.Value(batchKey{}).(*Batch)
	if b == nil || b.db != app.NonconcurrentDB() {
		return nil
	}
	return b
}

func (b *Batch) add(id string) {
	b.pending = append(b.pending, id)
}

// Flush indexes the pending reports. Call it before the transaction
// commits; a batch can be flushed any number of times.
func (b *Batch) Flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	if err := index(b.db, b.pending); err != nil {
		return err
	}
	b.pending = b.pending[:0]
	return nil
}
