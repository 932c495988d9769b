package syncapi

import (
	"context"
	"testing"

	"github.com/pocketbase/dbx"
	_ "github.com/pocketbase/pocketbase/core" // registers the sqlite driver
)

func TestStmtCacheReusesStatementsWithinItsTransactionOnly(t *testing.T) {
	t.Parallel()
	db, err := dbx.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.NewQuery("CREATE TABLE t (a TEXT, b TEXT)").Execute(); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	cache := newStmtCache(tx)
	ctx := withStmtCache(context.Background(), cache)
	const insert = "INSERT INTO t (a, b) VALUES ({:a}, {:b})"

	first := dbx.Params{"a": "1", "b": "one"}
	second := dbx.Params{"a": "2", "b": "two"}
	for _, p := range []dbx.Params{first, second} {
		if _, err := stmt(ctx, tx, insert, p).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if len(cache.stmts) != 1 {
		t.Fatalf("%d statements prepared for one SQL text, want 1", len(cache.stmts))
	}
	if first["a"] != "1" || first["b"] != "one" || len(first) != 2 {
		t.Fatalf("the cache changed a caller's parameters: %v", first)
	}
	var rows []struct {
		A string `db:"a"`
		B string `db:"b"`
	}
	if err := tx.NewQuery("SELECT a, b FROM t ORDER BY a").All(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].B != "one" || rows[1].B != "two" {
		t.Fatalf("rows %+v, want each insert with its own values", rows)
	}

	// Another transaction (or the database itself) never gets the
	// statements of this one.
	if stmtCacheFor(ctx, db) != nil {
		t.Fatal("a cache was handed to a builder it does not belong to")
	}
	if err := cache.close(); err != nil || len(cache.stmts) != 0 {
		t.Fatalf("close: %v, %d statements left", err, len(cache.stmts))
	}
}
