package sync

import (
	"context"
	"database/sql/driver"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
)

// writeBatch holds the rows of a push's new records until the push has
// gone through all its ops, then writes each table with one statement.
//
// Every record still passes through PocketBase's whole create path (hooks,
// validation, field interceptors, the change log hook, which writes its row
// at once); only the final INSERT of the record is gathered. One statement
// for all reports matters because their search and needs indexes are kept
// by triggers, and SQLite opens a statement journal, and FTS5 flushes its
// pending index to disk, once per statement. Row by row, that was most of a
// push's time.
//
// A batch writes through the push's statement cache, so it belongs to the
// push's transaction and is not safe for concurrent use.
type writeBatch struct {
	stmts  *stmtCache
	tables []*tableRows // in the order of their first row
}

// tableRows are the rows queued for one table, all with the same columns.
type tableRows struct {
	table string
	cols  []string
	rows  []map[string]any
}

// newWriteBatch makes the batch of stmts' transaction; the record hooks
// find it through the statement cache in their context.
func newWriteBatch(stmts *stmtCache) *writeBatch {
	stmts.batch = &writeBatch{stmts: stmts}
	return stmts.batch
}

// writeBatchFor returns the batch of the statement cache in ctx when it
// writes in db's transaction, or nil.
func writeBatchFor(ctx context.Context, db dbx.Builder) *writeBatch {
	if c := stmtCacheFor(ctx, db); c != nil {
		return c.batch
	}
	return nil
}

// addRow queues a record's exported columns for table.
func (b *writeBatch) addRow(ctx context.Context, table string, data map[string]any) error {
	var t *tableRows
	for _, tr := range b.tables {
		if tr.table == table {
			t = tr
			break
		}
	}
	if t != nil && !sameColumns(t.cols, data) {
		// A record with other columns (a schema change mid-push): write
		// what is queued, then start again with the new columns.
		if err := b.flush(ctx); err != nil {
			return err
		}
		t = nil
	}
	if t == nil {
		t = &tableRows{table: table, cols: slices.Sorted(maps.Keys(data))}
		b.tables = append(b.tables, t)
	}
	t.rows = append(t.rows, data)
	return nil
}

// pending reports whether rows wait to be written.
func (b *writeBatch) pending() bool {
	return len(b.tables) > 0
}

// flush writes the queued records, one statement per table.
func (b *writeBatch) flush(ctx context.Context) error {
	for _, t := range b.tables {
		if err := b.insert(ctx, t); err != nil {
			return fmt.Errorf("write %s: %w", t.table, err)
		}
	}
	b.tables = b.tables[:0]
	return nil
}

// insert writes t's rows with one statement: the rows travel as one JSON
// array bound to a single parameter, and SQLite unpacks them with
// jsonb_each. (Binding thousands of parameters instead costs the driver
// time that grows with their square.)
//
// The JSON carries only what SQL has: text, integers, reals, booleans (1
// and 0, as the driver binds them) and NULL. A row holding anything else
// (bytes, times, invalid UTF-8, NUL characters) is written with its own
// INSERT of bound parameters instead, as insertModel writes it.
func (b *writeBatch) insert(ctx context.Context, t *tableRows) error {
	buf := make([]byte, 0, 256*len(t.rows))
	buf = append(buf, '[')
	var plain []map[string]any
	n := 0
	for _, row := range t.rows {
		start := len(buf)
		if n > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendJSONRow(buf, t.cols, row); !ok {
			buf = buf[:start]
			plain = append(plain, row)
			continue
		}
		n++
	}
	buf = append(buf, ']')
	if n > 0 {
		q := b.stmts.query(ctx, jsonInsertSQL(t.table, t.cols), dbx.Params{"rows": string(buf)})
		if _, err := q.Execute(); err != nil {
			return err
		}
	}
	for _, row := range plain {
		if err := insertRow(ctx, b.stmts.db, t.table, row); err != nil {
			return err
		}
	}
	return nil
}

// jsonInsertSQL is the INSERT of cols into table from a JSON array of rows,
// each an array of the values in cols' order.
func jsonInsertSQL(table string, cols []string) string {
	values := make([]string, len(cols))
	for i := range cols {
		values[i] = fmt.Sprintf("r.value ->> %d", i)
	}
	return "INSERT INTO {{" + table + "}} ([[" + strings.Join(cols, "]], [[") + "]]) SELECT " +
		strings.Join(values, ", ") + " FROM jsonb_each({:rows}) r"
}

// appendJSONRow appends row's values for cols as a JSON array; ok is
// false when a value has no exact JSON form.
func appendJSONRow(buf []byte, cols []string, row map[string]any) ([]byte, bool) {
	buf = append(buf, '[')
	for i, col := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		v := row[col]
		if valuer, ok := v.(driver.Valuer); ok {
			var err error
			if v, err = valuer.Value(); err != nil {
				return buf, false
			}
		}
		switch v := v.(type) {
		case nil:
			buf = append(buf, "null"...)
		case string:
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return buf, false
			}
			buf = appendJSONString(buf, v)
		case bool:
			if v {
				buf = append(buf, '1')
			} else {
				buf = append(buf, '0')
			}
		case int:
			buf = strconv.AppendInt(buf, int64(v), 10)
		case int64:
			buf = strconv.AppendInt(buf, v, 10)
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return buf, false
			}
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		default:
			return buf, false
		}
	}
	return append(buf, ']'), true
}

// appendJSONString appends s as a JSON string.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
