package syncapi

import (
	"context"
	"errors"
	"maps"

	"github.com/pocketbase/dbx"
)

// stmtCache keeps the statements of one transaction prepared, keyed by
// their SQL text. dbx parses every statement again on each use; a push of
// 1,000 ops runs the same few INSERTs thousands of times, and SQLite's
// parser was the largest single cost in its profile.
//
// A cache belongs to one transaction: its statements are prepared on that
// transaction's connection and die with it. It is not safe for concurrent
// use, which a transaction never needs.
type stmtCache struct {
	db    dbx.Builder // the transaction the statements belong to
	stmts map[string]cachedStmt
}

// cachedStmt is a prepared statement and the parameter map it owns: each
// use copies its values in, so no caller's map is kept or changed.
type cachedStmt struct {
	q      *dbx.Query
	params dbx.Params
}

func newStmtCache(db dbx.Builder) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]cachedStmt{}}
}

// query returns the prepared statement for sql, preparing it on first use,
// bound to params only.
func (c *stmtCache) query(ctx context.Context, sql string, params dbx.Params) *dbx.Query {
	st, ok := c.stmts[sql]
	if !ok {
		q := c.db.NewQuery(sql).Prepare()
		if q.LastError != nil {
			// Not cached: the error is reported by the caller's Execute.
			return q.Bind(params)
		}
		st = cachedStmt{q: q, params: dbx.Params{}}
		q.Bind(st.params) // the query keeps this map as its own
		c.stmts[sql] = st
	}
	clear(st.params)
	maps.Copy(st.params, params)
	return st.q.WithContext(ctx)
}

// close releases the statements; call it before the transaction ends.
func (c *stmtCache) close() error {
	var errs []error
	for sql, st := range c.stmts {
		errs = append(errs, st.q.Close())
		delete(c.stmts, sql)
	}
	return errors.Join(errs...)
}

type stmtCacheKey struct{}

// withStmtCache carries c to the record hooks of a save, so the change log
// written inside them reuses the push's prepared statements.
func withStmtCache(ctx context.Context, c *stmtCache) context.Context {
	return context.WithValue(ctx, stmtCacheKey{}, c)
}

// stmtCacheFor returns the cache in ctx when it belongs to db, the
// transaction the caller writes in; nil otherwise (callers then run
// unprepared statements, as any other write path does).
func stmtCacheFor(ctx context.Context, db dbx.Builder) *stmtCache {
	if ctx == nil {
		return nil
	}
	c, _ := ctx.Value(stmtCacheKey{}).(*stmtCache)
	if c == nil || c.db != db {
		return nil
	}
	return c
}

// stmt returns a query for sql with params: the transaction's prepared
// statement when a cache for db is in ctx, a one-off query otherwise.
func stmt(ctx context.Context, db dbx.Builder, sql string, params dbx.Params) *dbx.Query {
	if c := stmtCacheFor(ctx, db); c != nil {
		return c.query(ctx, sql, params)
	}
	q := db.NewQuery(sql).Bind(params)
	if ctx != nil {
		q.WithContext(ctx)
	}
	return q
}
