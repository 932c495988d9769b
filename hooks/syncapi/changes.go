package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
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
		return reports.WithinWrite(e, func(txApp core.App) error {
			return appendChange(e.Context, txApp, e.Record, kind)
		})
	}
}

// SQL of the change log writes. They are fixed texts so a push can keep
// them prepared for its whole transaction (see stmtCache).
const (
	insertChangeSQL = "INSERT INTO {{sync_changes}} ([[collection]], [[record]], [[kind]], [[version]], [[embassy]], [[volunteer]], [[report]], [[data]]) " +
		"VALUES ({:collection}, {:record}, {:kind}, {:version}, {:embassy}, {:volunteer}, {:report}, {:data})"
	dropOlderChangesSQL = "DELETE FROM {{sync_changes}} WHERE [[report]] = {:report} AND [[record]] = {:record} AND [[collection]] = {:collection} AND [[seq]] < {:seq}"
	reportScopeSQL      = "SELECT [[embassy]], [[volunteer]] FROM {{reports}} WHERE [[id]] = {:report}"
	lastScopeSQL        = "SELECT [[embassy]], [[volunteer]] FROM {{sync_changes}} WHERE [[report]] = {:report} ORDER BY [[seq]] DESC LIMIT 1"
)

// changeFor is the change log row of rec: its scopes, and for an upsert the
// record's public JSON (hidden fields left out), which a pull returns as is.
func changeFor(ctx context.Context, app core.App, rec *core.Record, kind string) (dbx.Params, error) {
	coll := rec.Collection().Name
	row := dbx.Params{
		"collection": coll,
		"record":     rec.Id,
		"kind":       kind,
		"version":    rec.GetInt("version"),
		"embassy":    "",
		"volunteer":  "",
		"report":     "",
		"data":       nil,
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
		db := app.NonconcurrentDB()
		if err := stmt(ctx, db, reportScopeSQL, dbx.Params{"report": report}).One(&scope); err != nil {
			// A cascade deletes the report before its messages: the
			// report's last change row still has its scope.
			_ = stmt(ctx, db, lastScopeSQL, dbx.Params{"report": report}).One(&scope)
		}
		row["embassy"] = scope.Embassy
		row["volunteer"] = scope.Volunteer
		row["report"] = report
	}
	if kind == kindUpsert {
		data, err := publicJSON(rec)
		if err != nil {
			return nil, fmt.Errorf("encode change: %w", err)
		}
		row["data"] = string(data)
	}
	return row, nil
}

// appendChange writes rec's change row and drops the record's older one, so the log keeps one row per record: its latest
// change. SQLite assigns seq inside the write transaction, and one writer
// at a time means seq order is commit order. The new row is written first,
// so the row dropped is never the newest and seq never goes back.
func appendChange(ctx context.Context, app core.App, rec *core.Record, kind string) error {
	row, err := changeFor(ctx, app, rec, kind)
	if err != nil {
		return err
	}
	db := app.NonconcurrentDB()
	res, err := stmt(ctx, db, insertChangeSQL, row).Execute()
	if err != nil {
		return fmt.Errorf("write change log: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("write change log: %w", err)
	}
	older := dbx.Params{"report": row["report"], "record": rec.Id, "collection": row["collection"], "seq": seq}
	if _, err := stmt(ctx, db, dropOlderChangesSQL, older).Execute(); err != nil {
		return fmt.Errorf("drop older change: %w", err)
	}
	return nil
}

// publicJSON is json.Marshal(rec.PublicExport()) without most of its
// reflection: the common field values are written directly, anything else
// through encoding/json. Keys are sorted as encoding/json sorts them.
func publicJSON(rec *core.Record) ([]byte, error) {
	ex := rec.PublicExport()
	keys := make([]string, 0, len(ex))
	for k := range ex {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := make([]byte, 0, 1024)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSONValue(buf, ex[k]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func appendJSONValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		if utf8.ValidString(v) {
			return appendJSONString(buf, v), nil
		}
	case bool:
		return strconv.AppendBool(buf, v), nil
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case []string:
		start := len(buf)
		buf = append(buf, '[')
		for i, s := range v {
			if !utf8.ValidString(s) {
				return appendJSONMarshal(buf[:start], v)
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, s)
		}
		return append(buf, ']'), nil
	case types.DateTime:
		return appendJSONString(buf, v.String()), nil
	}
	return appendJSONMarshal(buf, v)
}

func appendJSONMarshal(buf []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, out...), nil
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
