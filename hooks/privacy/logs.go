package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// registerLogScrubbing keeps report content out of everything PocketBase
// prints or logs: query values leave the request log's URL (a staff
// search, a filter on a phone number, a file token), and in dev mode the
// SQL log shows each statement only up to its first value.
func registerLogScrubbing(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id: "homewardScrubLoggedURL",
			// Just inside the activity logger: it reads the URL after
			// the whole chain has run, so the scrubbed copy is what it
			// logs, while every handler still sees the real query.
			Priority: apis.DefaultActivityLoggerMiddlewarePriority + 1,
			Func:     scrubLoggedURL,
		})
		return se.Next()
	})
	app.OnBootstrap().BindFunc(func(e *core.BootstrapEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		redactSQLLog(e.App, os.Stdout)
		return nil
	})
	if app.IsBootstrapped() {
		redactSQLLog(app, os.Stdout)
	}
}

// scrubLoggedURL runs the request, then leaves a URL with the query's
// names but none of its values for the request log.
func scrubLoggedURL(e *core.RequestEvent) error {
	err := e.Next()
	if e.Request.URL.RawQuery != "" {
		u := *e.Request.URL
		u.RawQuery = ScrubQuery(u.RawQuery)
		e.Request.URL = &u
	}
	return err
}

// ScrubQuery returns rawQuery with every value replaced by "…", keeping
// the names (e.g. "q=river&page=2" becomes "q=…&page=…"): a log reader
// sees which features were used, never what was searched.
func ScrubQuery(rawQuery string) string {
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil && safeQueryName(n) {
			parts[i] = url.QueryEscape(n) + "=…"
		} else {
			parts[i] = "…"
		}
	}
	return strings.Join(parts, "&")
}

// safeQueryName reports whether a query parameter's name can be logged: a
// short identifier, not free text that a client put in the name's place.
func safeQueryName(name string) bool {
	if name == "" || len(name) > 32 {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// redactSQLLog replaces dev mode's SQL log, which prints each statement
// with its bound values in place (a report's message, a phone number), by
// one that prints the statement only up to its first value. Outside dev
// mode PocketBase logs no SQL and nothing is changed.
func redactSQLLog(app core.App, w io.Writer) {
	if !app.IsDev() {
		return
	}
	queryLog := func(ctx context.Context, t time.Duration, sql string, rows *sql.Rows, err error) {
		fmt.Fprintf(w, "[%.2fms] %s\n", float64(t.Microseconds())/1000, RedactSQL(sql))
	}
	execLog := func(ctx context.Context, t time.Duration, sql string, result sql.Result, err error) {
		fmt.Fprintf(w, "[%.2fms] %s\n", float64(t.Microseconds())/1000, RedactSQL(sql))
	}
	for _, b := range []dbx.Builder{app.ConcurrentDB(), app.NonconcurrentDB(), app.AuxConcurrentDB(), app.AuxNonconcurrentDB()} {
		if db, ok := b.(*dbx.DB); ok && (db.QueryLogFunc != nil || db.ExecLogFunc != nil) {
			db.QueryLogFunc, db.ExecLogFunc = queryLog, execLog
		}
	}
}

// RedactSQL returns a logged statement cut before its first value: a
// quoted string or a 0x blob, as dbx writes bound values into the text it
// logs. Cutting, rather than replacing each value, is what keeps a value
// out for certain: a value that itself contains quotes or a parameter
// placeholder could not be told from the statement around it.
func RedactSQL(s string) string {
	cut := len(s)
	if i := strings.IndexByte(s, '\''); i >= 0 {
		cut = i
	}
	for i := 0; i+2 < cut; i++ {
		if s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && isHex(s[i+2]) && (i == 0 || !isWordByte(s[i-1])) {
			cut = i
			break
		}
	}
	if cut == len(s) {
		return s
	}
	return s[:cut] + "… (values not logged)"
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
