// Package staff is the server side of the embassy staff console: the
// report list with its waiting queue, bulk changes, duplicate suggestions,
// urgent-report notices, CSV export, counts and k-anonymous public
// statistics, the audit event of a printed case sheet, the embassy's idle
// timeout shown to its own staff, and the last activity a message gives its
// report. Every route is for signed-in staff only and is scoped
// to the caller's embassy here, on the server, on top of the collection's
// own API rules; the console never decides what a member of staff may see.
package staff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"

	"homeward/hooks/reports"
)

// CollectionStaff is the auth collection of embassy staff.
const CollectionStaff = "staff"

// maxFilterLength bounds the filter expression a client may send; the
// console's own filters stay far below it.
const maxFilterLength = 2000

// Options tune the staff package; the zero value means the defaults.
type Options struct {
	NoticeQuiet time.Duration // see DefaultNoticeQuiet
}

// Register binds the staff API routes and the report and message hooks
// with the default options.
func Register(app core.App) error {
	return RegisterWith(app, Options{})
}

// RegisterWith is Register with options, for tests that need a short quiet
// period between notices.
func RegisterWith(app core.App, opts Options) error {
	if opts.NoticeQuiet <= 0 {
		opts.NoticeQuiet = DefaultNoticeQuiet
	}
	n := newNotices(opts.NoticeQuiet)
	app.OnRecordAfterCreateSuccess(reports.CollectionReports).BindFunc(n.onReportCreated)
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		n.stop()
		return e.Next()
	})
	bindFolder(app)
	app.OnRecordCreateExecute("messages").BindFunc(logReply)
	app.OnRecordCreateExecute("messages").BindFunc(touchReport)
	app.OnRecordEnrich("embassies").BindFunc(showIdleToOwnStaff)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		bindStaffApi(se.Router.Group("/api/staff"))
		return se.Next()
	})
	return nil
}

// bindStaffApi registers the console's routes, all behind staff sign-in.
func bindStaffApi(rg *router.RouterGroup[*core.RequestEvent]) {
	rg.Bind(apis.RequireAuth(CollectionStaff))
	rg.GET("/reports", listHandler)
	rg.POST("/reports/bulk", bulkHandler)
	rg.GET("/reports/{id}/duplicates", duplicatesHandler)
	rg.GET("/reports/{id}/duplicate-candidates", duplicateCandidatesHandler)
	rg.POST("/reports/{id}/print", printHandler)
	rg.POST("/reports/{id}/route", routeHandler)
	rg.GET("/export.csv", exportHandler)
	rg.POST("/exports", exportedHandler)
	rg.GET("/counts", countsHandler)
	rg.GET("/stats", publicStatsHandler)
	bindHTCDSApi(rg)
}

// embassyOf returns the embassy of the signed-in staff member.
func embassyOf(e *core.RequestEvent) string {
	if e.Auth == nil {
		return ""
	}
	return e.Auth.GetString("embassy")
}

var (
	errFilterTooLong = errors.New("filter too long")
	errFilterField   = errors.New("filter uses @collection or @request")
	errNotOwnReport  = errors.New("the report is another embassy's")
)

// scopedReports returns a query over the reports the caller may list, with
// the client's filter (PocketBase filter syntax, the same the console sends
// to the records API) applied. The collection's list rule and an explicit
// embassy condition are both added, so a filter can only narrow the set.
// cols are selected as given; the reports table is named "reports".
func scopedReports(e *core.RequestEvent, filter string, cols ...string) (*dbx.SelectQuery, error) {
	if len(filter) > maxFilterLength {
		return nil, errFilterTooLong
	}
	// As in PocketBase's list API: only superusers may reach other
	// collections or request data from a client filter.
	if strings.Contains(filter, "@collection.") || strings.Contains(filter, "@request.") {
		return nil, errFilterField
	}
	col, err := e.App.FindCachedCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		return nil, fmt.Errorf("find reports collection: %w", err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	var q *dbx.SelectQuery
	if len(cols) == 0 {
		q = e.App.RecordQuery(col)
	} else {
		q = e.App.ConcurrentDB().Select(cols...).From(col.Name)
	}
	q.AndWhere(dbx.HashExp{col.Name + ".embassy": embassyOf(e)})

	resolver := core.NewRecordFieldResolver(e.App, col, info, true)
	if col.ListRule == nil {
		return nil, errors.New("reports have no list rule")
	}
	if *col.ListRule != "" {
		expr, err := search.FilterData(*col.ListRule).BuildExpr(resolver)
		if err != nil {
			return nil, fmt.Errorf("apply list rule: %w", err)
		}
		q.AndWhere(expr)
	}
	// Hidden fields (the receipt hash) are never filterable by staff.
	resolver.SetAllowHiddenFields(false)
	if filter != "" {
		expr, err := search.FilterData(filter).BuildExpr(resolver)
		if err != nil {
			return nil, fmt.Errorf("apply filter: %w", err)
		}
		q.AndWhere(expr)
	}
	if err := resolver.UpdateQuery(q); err != nil {
		return nil, fmt.Errorf("join filter relations: %w", err)
	}
	return q, nil
}
