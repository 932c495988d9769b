// Package sqlitedb opens Homeward's SQLite databases for PocketBase
// (pocketbase.Config.DBConnect): PocketBase's own settings, with every
// transaction taking the write lock when it begins.
//
// PocketBase serializes its own writes, but another process may write to
// the same file: Litestream bumps its sequence table and takes the write
// lock around checkpoints. A transaction begun DEFERRED that reads and then
// writes fails at once with SQLITE_BUSY when such a write committed after
// its read (SQLite cannot upgrade a stale snapshot, and does not wait):
// under Litestream about one push in six failed that way. BEGIN IMMEDIATE
// waits for the lock under busy_timeout instead, before reading anything.
package sqlitedb

import (
	"github.com/pocketbase/dbx"
	_ "modernc.org/sqlite" // the driver PocketBase uses
)

// pragmas are PocketBase v0.39's defaults (core.DefaultDBConnect), with
// busy_timeout first so the connection waits before WAL mode is set, and
// _txlock=immediate, the driver's option for BEGIN IMMEDIATE.
const pragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)" +
	"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)" +
	"&_txlock=immediate"

// Connect opens the database at dbPath; it is a core.DBConnectFunc.
func Connect(dbPath string) (*dbx.DB, error) {
	return dbx.Open("sqlite", dbPath+pragmas)
}
