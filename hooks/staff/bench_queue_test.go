package staff_test

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/staff"
	"homeward/internal/testserver"
)

// benchSize is the flooded embassy's number of reports: benchReports, or
// HOMEWARD_BENCH_REPORTS (the other embassy gets a tenth as many).
func benchSize(b *testing.B) int {
	s := os.Getenv("HOMEWARD_BENCH_REPORTS")
	if s == "" {
		return benchReports
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkStaffQueue measures the console's waiting queue, sorts,
// counts over a flooded embassy (benchReports, or HOMEWARD_BENCH_REPORTS),
// through the real HTTP stack: half its reports quiet for days, and 500
// unread reporter messages.
//
//	go test ./hooks/staff -run '^$' -bench StaffQueue -benchtime 100x
func BenchmarkStaffQueue(b *testing.B) {
	n := benchSize(b)
	app := testserver.NewApp(b, false)
	seed(b, app)
	seedFlood(b, app, n)
	// Half the reports have been quiet for three days.
	if _, err := app.DB().NewQuery("UPDATE reports SET last_activity = '2020-01-01 00:00:00.000Z' WHERE id LIKE 'flood%' AND (CAST(substr(id, 6) AS INTEGER) % 2) = 0").Execute(); err != nil {
		b.Fatal(err)
	}
	msgs, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		b.Fatal(err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		for i := range 500 {
			m := core.NewRecord(msgs)
			m.Load(map[string]any{"report": fmt.Sprintf("flood%015d", i*(n/500)), "direction": "reporter", "body": "hello again"})
			if err := tx.Save(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := startWarm(b, app)
	tok := token(b, app, staffX)
	fields := "&fields=id,created,status,urgent,needs,people_count,nationality,assignee,last_activity,unread,message:excerpt(140,true)"
	for _, c := range []struct{ name, path string }{
		{"first page, counted", "/api/staff/reports?perPage=50&total=1" + fields},
		{"first page of 200, counted", "/api/staff/reports?perPage=200&total=1" + fields},
		{"waiting count (badge)", "/api/staff/reports?waiting=1&total=1&perPage=1&fields=id"},
		// The same counts the way any other list is counted, report by
		// report: a filter that keeps every report turns the shortcut off.
		{"waiting count, report by report", "/api/staff/reports?waiting=1&total=1&perPage=1&fields=id&filter=" + url.QueryEscape(`status != "none"`)},
		{"first page, counted report by report", "/api/staff/reports?perPage=50&total=1&filter=" + url.QueryEscape(`status != "none"`) + fields},
		{"waiting, longest quiet first", "/api/staff/reports?waiting=1&sort=last_activity&total=1" + fields},
		{"waiting, newest first", "/api/staff/reports?waiting=1&total=1" + fields},
		{"unread, counted", "/api/staff/reports?unread=1&total=1" + fields},
		{"latest activity first", "/api/staff/reports?sort=-last_activity" + fields},
		{"urgent first", "/api/staff/reports?sort=-urgent" + fields},
		{"assigned to me", "/api/staff/reports?total=1&filter=" + url.QueryEscape(`assignee = "`+staffX+`"`) + fields},
		{"unassigned, counted", "/api/staff/reports?total=1&filter=" + url.QueryEscape(`assignee = ""`) + fields},
		{"counts", "/api/staff/counts"},
		{"public statistics", "/api/staff/stats"},
		{"counts, one status", "/api/staff/counts?filter=" + url.QueryEscape(`status = "in_review"`)},
		{"counts, urgent", "/api/staff/counts?filter=" + url.QueryEscape(`urgent = true`)},
		{"counts, need", "/api/staff/counts?filter=" + url.QueryEscape(`needs:each ?= "medical"`)},
		{"counts, unassigned", "/api/staff/counts?filter=" + url.QueryEscape(`assignee = ""`)},
		// The same counts report by report: a term that keeps every report
		// turns the facet tallies off.
		{"counts, one status, report by report", "/api/staff/counts?filter=" + url.QueryEscape(`status = "in_review" && status != "none"`)},
		{"counts, urgent, report by report", "/api/staff/counts?filter=" + url.QueryEscape(`urgent = true && status != "none"`)},
		// Several fields and date ranges, counted in the cube (cube.go).
		{"counts, two filters (status and urgent)", "/api/staff/counts?filter=" + url.QueryEscape(`status = "new" && urgent = true`)},
		{"counts, two filters, report by report", "/api/staff/counts?filter=" + url.QueryEscape(`status = "new" && urgent = true && status != "none"`)},
		{"counts, urgent in one language", "/api/staff/counts?filter=" + url.QueryEscape(`urgent = true && language = "km"`)},
		{"counts, urgent, by volunteers, unassigned", "/api/staff/counts?filter=" + url.QueryEscape(`assignee = "" && urgent = true && channel = "volunteer"`)},
		{"counts, urgent, by volunteers, report by report", "/api/staff/counts?filter=" + url.QueryEscape(`urgent = true && channel = "volunteer" && status != "none"`)},
		{"counts, a date range", "/api/staff/counts?filter=" + url.QueryEscape(`created >= "2000-01-01 00:00:00.000Z" && created < "2100-01-01 00:00:00.000Z"`)},
		{"counts, one need and a date range", "/api/staff/counts?filter=" + url.QueryEscape(`needs:each ?= "medical" && created >= "2000-01-01 00:00:00.000Z"`)},
		{"one status, counted", "/api/staff/reports?total=1&filter=" + url.QueryEscape(`status = "in_review"`) + fields},
		{"one status, counted report by report", "/api/staff/reports?total=1&filter=" + url.QueryEscape(`status = "in_review" && status != "none"`) + fields},
		{"need, counted", "/api/staff/reports?total=1&need=medical" + fields},
		{"counts, search", "/api/staff/counts?q=passport"},
	} {
		b.Run(c.name, func(b *testing.B) { benchGet(b, srv.URL+c.path, tok) })
	}
}

// startWarm starts the server and waits until it has loaded the count
// cube and its map of the search index's rows (cube.go), which it does as
// it starts, so that no load lands in a measured request. It logs how long
// that took and how much more heap the process holds after.
func startWarm(b *testing.B, app *tests.TestApp) *testserver.Server {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	srv := testserver.Start(b, app)
	for !staff.CubeWarm(app) {
		if time.Since(start) > time.Minute {
			b.Fatal("the server has not loaded the count cube a minute after it started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("the server started and loaded the count cube in %s; the heap grew %.1f MB (the server's own included)",
		took.Round(time.Millisecond), float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6)
	return srv
}
