package sync

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A batch stores exactly what one INSERT per row with bound parameters
// stores: the same values with the same SQLite types, in the same order.
func TestWriteBatchStoresWhatBoundParametersStore(t *testing.T) {
	db, err := dbx.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ddl := "(id INTEGER PRIMARY KEY, s TEXT, n NUMERIC, r REAL, b BOOLEAN, j JSON, d TEXT, x)"
	for _, table := range []string{"batched", "bound"} {
		if _, err := db.NewQuery("CREATE TABLE " + table + " " + ddl).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	date, _ := types.ParseDateTime("2026-11-26 10:00:00.123Z")
	cols := []string{"s", "n", "r", "b", "j", "d", "x"}
	rows := [][]any{
		{"plain", 3, 3.0, true, types.JSONRaw(`["shelter","medical"]`), date, nil},
		{`quote " backslash \ newline` + "\n tab\t cr\r bell\x07 ", 3.5, math.Copysign(0, -1), false, types.JSONRaw(nil), types.DateTime{}, int64(math.MaxInt64)},
		{"ภาษาไทย ភាសាខ្មែរ မြန်မာ 中文 😀 \u2028", 1e21, 1.5e-7, 1, "", "", -1},
		{"", int64(-42), math.MaxFloat64, 0, "{}", "text", 2.25},
		// No exact JSON form: written with a bound INSERT, in its place.
		{"bad utf-8 \xff", 1, 1, true, nil, nil, []byte{0, 1, 2}},
		{"nul \x00 inside", 1, 1, true, nil, nil, nil},
		{"after", math.Inf(1), 1, true, nil, nil, nil},
	}

	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmts := newStmtCache(tx)
	defer stmts.close()
	b := newWriteBatch(stmts)
	ctx := context.Background()
	for _, row := range rows {
		data := map[string]any{}
		for i, col := range cols {
			data[col] = row[i]
		}
		if err := b.addRow(ctx, "batched", data); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		data := dbx.Params{}
		for i, col := range cols {
			data[col] = row[i]
		}
		if _, err := tx.Insert("bound", data).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	read := func(table string) []string {
		var out []string
		q := "SELECT quote(s) || '|' || typeof(n) || quote(n) || '|' || typeof(r) || quote(r) || '|' || typeof(b) || quote(b) || '|' || " +
			"quote(j) || '|' || quote(d) || '|' || typeof(x) || quote(x) FROM " + table + " ORDER BY id"
		if err := db.NewQuery(q).Column(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got, want := read("batched"), read("bound")
	if len(got) != len(want) {
		t.Fatalf("batched %d rows, bound %d", len(got), len(want))
	}
	// The rows without a JSON form are the last ones here, so the order
	// is the same either way.
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("row %d:\n batched %s\n bound   %s", i, got[i], want[i])
		}
	}
}

// publicJSON writes the same JSON value as encoding/json for every kind of
// value a record holds.
func TestPublicJSONMatchesEncodingJSON(t *testing.T) {
	col := core.NewBaseCollection("things")
	col.Fields.Add(
		&core.TextField{Name: "text"},
		&core.NumberField{Name: "num"},
		&core.BoolField{Name: "flag"},
		&core.SelectField{Name: "tags", MaxSelect: 5, Values: []string{"a", "<b>", "ü\u2028", "bad\xff"}},
		&core.JSONField{Name: "raw"},
		&core.DateField{Name: "when"},
		&core.GeoPointField{Name: "point"},
		&core.TextField{Name: "secret", Hidden: true},
	)
	for _, data := range []map[string]any{
		{"text": "plain"},
		{"text": "quote \" backslash \\ <html> & \n\t\x01 ภาษาไทย 😀", "num": 3.5, "flag": true, "tags": []string{"a", "<b>", "ü\u2028"},
			"raw": `{"x":[1,2,{"y":null}]}`, "when": "2026-11-26 10:00:00.123Z", "point": map[string]any{"lon": 104.9, "lat": 11.55}, "secret": "never"},
		{"text": "invalid \xff utf-8", "num": -1e21, "tags": []string{"a", "bad\xff"}, "raw": nil},
	} {
		rec := core.NewRecord(col)
		rec.Id = "abc"
		rec.Load(data)
		got, err := publicJSON(rec)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(rec.PublicExport())
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("publicJSON wrote invalid JSON %s: %v", got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("publicJSON:\n %s\nencoding/json:\n %s", got, want)
		}
		if strings.Contains(string(got), "never") {
			t.Errorf("publicJSON wrote a hidden field: %s", got)
		}
	}
}
