package sqlitedb_test

import (
	"path/filepath"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/sqlitedb"
)

// TestAReadThenWriteTransactionSurvivesAnotherWriter: another process (here
// a second connection that never waits, as a stand-in for Litestream)
// writes between a transaction's read and its write. With PocketBase's
// default connection the transaction fails with SQLITE_BUSY; with Connect
// it holds the lock from its start, the other writer is the one told to
// come back, and the transaction commits.
func TestAReadThenWriteTransactionSurvivesAnotherWriter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		connect core.DBConnectFunc
		wantErr bool
	}{
		{"PocketBase's default (deferred)", core.DefaultDBConnect, true},
		{"sqlitedb.Connect (immediate)", sqlitedb.Connect, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.db")
			db, err := tc.connect(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.NewQuery("CREATE TABLE t (n INTEGER)").Execute(); err != nil {
				t.Fatal(err)
			}
			other, err := dbx.Open("sqlite", path+"?_pragma=busy_timeout(0)")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()

			var otherErr error
			txErr := db.Transactional(func(tx *dbx.Tx) error {
				var n int
				if err := tx.NewQuery("SELECT count(*) FROM t").Row(&n); err != nil {
					return err
				}
				_, otherErr = other.NewQuery("INSERT INTO t VALUES (2)").Execute()
				_, err := tx.NewQuery("INSERT INTO t VALUES (1)").Execute()
				return err
			})
			if tc.wantErr {
				if txErr == nil || otherErr != nil {
					t.Fatalf("the default connection was expected to show the fault: tx %v, other writer %v", txErr, otherErr)
				}
				return
			}
			if txErr != nil {
				t.Fatalf("the transaction failed: %v", txErr)
			}
			if otherErr == nil {
				t.Fatal("the other writer got in while the transaction held the lock")
			}
		})
	}
}
