// Package reportindex indexes new reports for the staff console's need
// filter (report_needs), text search (report_search, FTS5 over folded
// text) and counts of a filtered list (report_facet_tallies), in the
// transaction that writes them, whatever the write path.
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
	insertSearchSQL = `INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, ` + fold.SQLFunction + `(r.message), ` + fold.SQLFunction + `(r.compound_location), ` + fold.SQLFunction + `(r.current_location)
		FROM json_each({:ids}) q JOIN report_search_rows s ON s.report = q.value JOIN reports r ON r.id = q.value`

	// facetCellsSQL is one report's cells of report_facet_tallies, read
	// through the views that define them (pb_migrations/1764120330), by
	// id: SQLite reads a view of several parts for one id, not for a list.
	facetCellsSQL = `SELECT k.embassy, f.facet, f.value, k.counted, k.dimension, k.key, k.people
		FROM report_tally_keys k JOIN report_facets f ON f.id = k.id
		WHERE k.id = {:id} AND f.id = {:id}`
	// addFacetCellsSQL adds the cells in the JSON array {:cells}, each
	// [embassy, facet, value, counted, dimension, key, reports, people].
	addFacetCellsSQL = `INSERT INTO report_facet_tallies (embassy, facet, value, counted, dimension, key, reports, people)
		SELECT c.value ->> 0, c.value ->> 1, c.value ->> 2, c.value ->> 3, c.value ->> 4, c.value ->> 5, c.value ->> 6, c.value ->> 7
		FROM json_each({:cells}) c WHERE true
		ON CONFLICT (embassy, facet, value, counted, dimension, key) DO UPDATE SET
			reports = reports + excluded.reports, people = people + excluded.people`
)

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
	return tallyFacets(db, ids)
}

// facetCell is one cell of report_facet_tallies.
type facetCell struct {
	Embassy   string `db:"embassy"`
	Facet     string `db:"facet"`
	Value     string `db:"value"`
	Counted   int    `db:"counted"`
	Dimension string `db:"dimension"`
	Key       string `db:"key"`
}

// tallyFacets adds the reports ids to the facet tallies: their cells read
// one report at a time, summed here, and written in one statement, so a
// push of 1,000 reports upserts each cell once instead of once a report.
func tallyFacets(db dbx.Builder, ids []string) error {
	type sum struct{ reports, people int }
	sums := map[facetCell]sum{}
	var order []facetCell
	for _, id := range ids {
		var rows []struct {
			facetCell
			People int `db:"people"`
		}
		if err := db.NewQuery(facetCellsSQL).Bind(dbx.Params{"id": id}).All(&rows); err != nil {
			return fmt.Errorf("tally reports: %w", err)
		}
		for _, r := range rows {
			s, seen := sums[r.facetCell]
			if !seen {
				order = append(order, r.facetCell)
			}
			sums[r.facetCell] = sum{s.reports + 1, s.people + r.People}
		}
	}
	if len(order) == 0 {
		return nil
	}
	cells := make([][]any, len(order))
	for i, c := range order {
		cells[i] = []any{c.Embassy, c.Facet, c.Value, c.Counted, c.Dimension, c.Key, sums[c].reports, sums[c].people}
	}
	list, err := json.Marshal(cells)
	if err != nil {
		return fmt.Errorf("tally reports: %w", err)
	}
	if _, err := db.NewQuery(addFacetCellsSQL).Bind(dbx.Params{"cells": string(list)}).Execute(); err != nil {
		return fmt.Errorf("tally reports: %w", err)
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
