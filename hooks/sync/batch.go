package sync

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
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
// A batch belongs to one transaction and is not safe for concurrent use.
type writeBatch struct {
	tx     *sql.Tx
	tables []*tableRows // in the order of their first row
	stmts  map[string]*sql.Stmt
}

// tableRows are the rows queued for one table, all with the same columns.
type tableRows struct {
	table string
	cols  []string
	rows  [][]any
}

// newWriteBatch returns a batch writing through db, or nil when db is not a
// transaction of the standard driver (records are then written one by one).
func newWriteBatch(db dbx.Builder) *writeBatch {
	tx := sqlTx(db)
	if tx == nil {
		return nil
	}
	return &writeBatch{tx: tx, stmts: map[string]*sql.Stmt{}}
}

// sqlTx is the database/sql transaction under db, or nil.
func sqlTx(db dbx.Builder) *sql.Tx {
	tx, ok := db.(*dbx.Tx)
	if !ok {
		return nil
	}
	ex, ok := tx.Builder.(interface{ Executor() dbx.Executor })
	if !ok {
		return nil
	}
	sqlTx, _ := ex.Executor().(*sql.Tx)
	return sqlTx
}

// owns reports whether app writes in the batch's transaction.
func (b *writeBatch) owns(app core.App) bool {
	return sqlTx(app.NonconcurrentDB()) == b.tx
}

type writeBatchKey struct{}

// withWriteBatch carries b to the record hooks of the push's creates.
func withWriteBatch(ctx context.Context, b *writeBatch) context.Context {
	return context.WithValue(ctx, writeBatchKey{}, b)
}

// writeBatchFor returns the batch in ctx, or nil.
func writeBatchFor(ctx context.Context) *writeBatch {
	if ctx == nil {
		return nil
	}
	b, _ := ctx.Value(writeBatchKey{}).(*writeBatch)
	return b
}

// addRow queues a record's exported columns for table.
func (b *writeBatch) addRow(table string, data map[string]any) error {
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
		if err := b.flush(); err != nil {
			return err
		}
		t = nil
	}
	if t == nil {
		t = &tableRows{table: table}
		for col := range data {
			t.cols = append(t.cols, col)
		}
		slices.Sort(t.cols)
		b.tables = append(b.tables, t)
	}
	row := make([]any, len(t.cols))
	for i, col := range t.cols {
		row[i] = data[col]
	}
	t.rows = append(t.rows, row)
	return nil
}

func sameColumns(cols []string, data map[string]any) bool {
	if len(cols) != len(data) {
		return false
	}
	for _, c := range cols {
		if _, ok := data[c]; !ok {
			return false
		}
	}
	return true
}

// pending reports whether rows wait to be written.
func (b *writeBatch) pending() bool {
	return len(b.tables) > 0
}

// flush writes the queued records, one statement per table.
func (b *writeBatch) flush() error {
	for _, t := range b.tables {
		if err := b.insert(t.table, t.cols, t.rows); err != nil {
			return fmt.Errorf("write %s: %w", t.table, err)
		}
	}
	b.tables = b.tables[:0]
	return nil
}

// insert writes rows into table with one statement: the rows travel as
// one JSON array bound to a single parameter, and SQLite unpacks them with
// json_each. (Binding thousands of parameters instead costs the driver time
// that grows with their square.) The statement is prepared once per push
// and column list.
//
// The JSON carries only what SQL has: text, integers, reals, booleans (1
// and 0, as the driver binds them) and NULL. A row holding anything else
// (bytes, times, invalid UTF-8, NUL characters) is written with a plain
// INSERT instead.
func (b *writeBatch) insert(table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	buf := make([]byte, 0, 256*len(rows))
	buf = append(buf, '[')
	var plain [][]any
	n := 0
	for _, row := range rows {
		start := len(buf)
		if n > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendJSONRow(buf, row); !ok {
			buf = buf[:start]
			plain = append(plain, row)
			continue
		}
		n++
	}
	buf = append(buf, ']')
	if n > 0 {
		st, err := b.stmt(table, cols, true)
		if err != nil {
			return err
		}
		if _, err := st.Exec(string(buf)); err != nil {
			return err
		}
	}
	for _, row := range plain {
		st, err := b.stmt(table, cols, false)
		if err != nil {
			return err
		}
		if _, err := st.Exec(row...); err != nil {
			return err
		}
	}
	return nil
}

func (b *writeBatch) stmt(table string, cols []string, fromJSON bool) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s/%s/%t", table, strings.Join(cols, ","), fromJSON)
	if st, ok := b.stmts[key]; ok {
		return st, nil
	}
	st, err := b.tx.Prepare(batchInsertSQL(table, cols, fromJSON))
	if err != nil {
		return nil, err
	}
	b.stmts[key] = st
	return st, nil
}

// batchInsertSQL is the INSERT of cols into table: from a JSON array of
// rows, or of one row of parameters.
func batchInsertSQL(table string, cols []string, fromJSON bool) string {
	insert := "INSERT INTO `" + table + "` (`" + strings.Join(cols, "`, `") + "`) "
	if !fromJSON {
		return insert + "VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	}
	values := make([]string, len(cols))
	for i := range cols {
		values[i] = fmt.Sprintf("r.value ->> %d", i)
	}
	return insert + "SELECT " + strings.Join(values, ", ") + " FROM jsonb_each(?) r"
}

// appendJSONRow appends row as a JSON array; ok is false when a value has
// no exact JSON form.
func appendJSONRow(buf []byte, row []any) ([]byte, bool) {
	buf = append(buf, '[')
	for i, v := range row {
		if i > 0 {
			buf = append(buf, ',')
		}
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

// close releases the batch's statements; call it before the transaction ends.
func (b *writeBatch) close() error {
	var errs []error
	for key, st := range b.stmts {
		errs = append(errs, st.Close())
		delete(b.stmts, key)
	}
	return errors.Join(errs...)
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
