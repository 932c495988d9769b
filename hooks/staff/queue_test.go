package staff_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/internal/testserver"
)

// listAnswer is the part of the list's answer the queue tests read.
type listAnswer struct {
	Items []struct {
		Id     string `json:"id"`
		Unread int    `json:"unread"`
	} `json:"items"`
	TotalItems int `json:"totalItems"`
	TotalPages int `json:"totalPages"`
}

func (a listAnswer) ids() []string {
	out := []string{}
	for _, it := range a.Items {
		out = append(out, it.Id)
	}
	return out
}

// listAs reads the list as staff X.
func listAs(t testing.TB, app *tests.TestApp, srv, query string) listAnswer {
	t.Helper()
	res := get(t, srv+"/api/staff/reports?"+query, token(t, app, staffX))
	defer res.Body.Close()
	var a listAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestWaitingQueueHoldsWhatStaffOweAnAnswer lists the waiting queue: new
// urgent reports, open reports quiet longer than the embassy's idle time,
// and reports with reporter messages no one has read. Reading the
// messages (stored on the server, so it holds across reloads and for the
// whole team) takes a report out; a new reporter message puts it back.
func TestWaitingQueueHoldsWhatStaffOweAnAnswer(t *testing.T) {
	app := newApp(t)
	queueReports(t, app, nil)
	srv := startServer(t, app)

	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
	a := listAs(t, app, srv, "waiting=1&total=1")
	if want := sorted([]string{urgentNewX, idleX, unreadX}); !slices.Equal(sorted(a.ids()), want) || a.TotalItems != 3 || a.TotalPages != 1 {
		t.Fatalf("waiting queue %v (total %d, pages %d), want %v and 3", a.ids(), a.TotalItems, a.TotalPages, want)
	}
	for _, it := range a.Items {
		if want := map[bool]int{true: 1, false: 0}[it.Id == unreadX]; it.Unread != want {
			t.Errorf("%s has %d unread, want %d", it.Id, it.Unread, want)
		}
	}
	if a := listAs(t, app, srv, "unread=1"); !slices.Equal(a.ids(), []string{unreadX}) {
		t.Errorf("unread filter: %v", a.ids())
	}

	// The embassy waits longer: three quiet days are no longer too long.
	emb, err := app.FindRecordById("embassies", embassyX)
	if err != nil {
		t.Fatal(err)
	}
	emb.Set("waiting_idle_hours", 100)
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	if a := listAs(t, app, srv, "waiting=1&total=1"); a.TotalItems != 2 || slices.Contains(a.ids(), idleX) {
		t.Errorf("with 100 idle hours: %v", a.ids())
	}

	// A colleague reads the message, through the records API as the
	// console does: the report leaves the queue for everyone.
	msgs, err := app.FindAllRecords("messages", dbx.HashExp{"report": unreadX})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages of %s: %v", unreadX, err)
	}
	req, _ := http.NewRequest(http.MethodPatch, srv+"/api/collections/messages/records/"+msgs[0].Id, strings.NewReader(`{"read_by_staff":true}`))
	req.Header.Set("Authorization", token(t, app, staffX2))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("mark read: %v %v", err, res)
	}
	res.Body.Close()
	if a := listAs(t, app, srv, "waiting=1&total=1"); a.TotalItems != 1 || a.ids()[0] != urgentNewX {
		t.Errorf("after reading: %v", a.ids())
	}

	// The reporter of the closed report writes again: it waits, and its
	// last activity is now.
	before := time.Now().Add(-time.Minute)
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": idleClosedX, "direction": "reporter", "body": "One more thing"})
	rec, err := app.FindRecordById(reports.CollectionReports, idleClosedX)
	if err != nil {
		t.Fatal(err)
	}
	if rec.GetDateTime("last_activity").Time().Before(before) || rec.GetInt("version") != 1 {
		t.Errorf("a message leaves last_activity %v and version %d; want now and 1", rec.GetDateTime("last_activity"), rec.GetInt("version"))
	}
	if a := listAs(t, app, srv, "waiting=1"); !slices.Contains(a.ids(), idleClosedX) {
		t.Errorf("a new reporter message does not put the report back: %v", a.ids())
	}
	// Embassy Y's unread message (messageY) never shows to X.
	if a := listAs(t, app, srv, "unread=1&total=1"); a.TotalItems != 1 || a.ids()[0] != idleClosedX {
		t.Errorf("unread after the new message: %v", a.ids())
	}
}

// TestListSortsAndCounts orders the list by arrival, last activity and
// urgency, counts it when asked, and refuses an unknown sort.
func TestListSortsAndCounts(t *testing.T) {
	app := newApp(t)
	queueReports(t, app, nil)
	srv := startServer(t, app)
	all := listAs(t, app, srv, "sort=-created&total=1&perPage=2")
	if all.TotalItems != 6 || all.TotalPages != 3 || len(all.Items) != 2 {
		t.Fatalf("counted %d in %d pages, %d items; want 6, 3, 2", all.TotalItems, all.TotalPages, len(all.Items))
	}
	if a := listAs(t, app, srv, "sort=-urgent"); a.ids()[0] != urgentNewX {
		t.Errorf("urgent first: %v", a.ids())
	}
	a := listAs(t, app, srv, "sort=last_activity")
	if quiet := sorted2(a.ids()[:2]); !slices.Equal(quiet, sorted2([]string{idleX, idleClosedX})) {
		t.Errorf("least recent activity first: %v", a.ids())
	}
	if a := listAs(t, app, srv, "sort=-last_activity"); slices.Contains(a.ids()[:4], idleX) {
		t.Errorf("most recent activity first: %v", a.ids())
	}
	if a := listAs(t, app, srv, "sort=created"); a.ids()[0] != reportX {
		t.Errorf("oldest first: %v", a.ids())
	}
	if a := listAs(t, app, srv, "unread=1&q=compound&total=1"); !slices.Equal(a.ids(), []string{unreadX}) || a.TotalItems != 1 {
		t.Errorf("unread and a search: %v (%d)", a.ids(), a.TotalItems)
	}
	if a := listAs(t, app, srv, "unread=1&need=shelter&total=1"); !slices.Equal(a.ids(), []string{unreadX}) || a.TotalItems != 1 {
		t.Errorf("unread and a need: %v (%d)", a.ids(), a.TotalItems)
	}
	if a := listAs(t, app, srv, "filter="+strings.ReplaceAll(`status="closed"`, `"`, "%22")+"&total=1"); a.TotalItems != 1 {
		t.Errorf("a filtered count: %d", a.TotalItems)
	}

	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "an unknown sort is refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?sort=message",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sort":{"code":"validation_in_invalid"`},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "waiting must be a yes or no",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?waiting=soon",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"waiting":{"code":"validation_invalid_bool"`},
		}),
		as(staffX, tests.ApiScenario{
			Name: "a filter that joins a report once per need still counts each report once",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
					"id": "twoneedsx00000000001", "embassy": embassyX, "needs": []string{"medical", "shelter"}, "channel": "self",
				})
			},
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?total=1&fields=id&filter=" + url.QueryEscape(`needs:each ?~ "e"`),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"totalItems":2`},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "assigned to no one: a filter over the assignee field",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?total=1&filter=" + strings.ReplaceAll(`assignee=""`, `"`, "%22"),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"totalItems":1`, `"unread":0`},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestQueueQueriesUseTheirIndexes runs the new sorts and filters under
// EXPLAIN QUERY PLAN: each reads an (embassy, …) index of reports in the
// page's order, never the whole table, and sorts nothing afterwards.
func TestQueueQueriesUseTheirIndexes(t *testing.T) {
	for _, c := range []struct {
		query, index string
		sorts        bool // the few rows read are sorted afterwards
	}{
		{"sort=-last_activity", "idx_reports_embassy_activity", false},
		{"sort=last_activity&waiting=1", "idx_reports_embassy_activity", false},
		{"sort=-urgent", "idx_reports_embassy_urgent", false},
		{"filter=" + strings.ReplaceAll(`assignee="`+staffX+`"`, `"`, "%22"), "idx_reports_embassy_assignee", false},
		{"unread=1", "idx_messages_unread", true},
	} {
		t.Run(c.query, func(t *testing.T) {
			app := newApp(t)
			all := listQueryPlan(t, app, c.query, func(sql string) bool {
				return strings.Contains(sql, "`reports`.*")
			})
			if !strings.Contains(all, c.index) {
				t.Errorf("the plan does not use %s", c.index)
			}
			if strings.Contains(all, "SCAN reports") {
				t.Errorf("the plan scans reports")
			}
			if !c.sorts && strings.Contains(all, "TEMP B-TREE FOR ORDER BY") {
				t.Errorf("the plan sorts afterwards")
			}
			if c.sorts && !strings.Contains(all, "SEARCH reports USING INDEX sqlite_autoindex_reports_1 (id=?)") {
				t.Errorf("the plan does not read the reports by id")
			}
		})
	}
}

// TestListCountStopsAtTenThousand: past 10,000 matches the list says
// 10,000 and totalCapped, instead of reading every report to count them.
// The reports are inserted with SQL: only their number matters here.
func TestListCountStopsAtTenThousand(t *testing.T) {
	app := newApp(t)
	_, err := app.DB().NewQuery(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
		INSERT INTO reports (id, embassy, status, channel, version, created, updated, last_activity)
		SELECT printf('capx%016d', i), {:embassy}, 'new', 'self', 1, '2026-11-01 00:00:00.000Z', '2026-11-01 00:00:00.000Z', '2026-11-01 00:00:00.000Z' FROM n`).
		Bind(dbx.Params{"embassy": embassyX}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, app)
	res := get(t, srv+"/api/staff/reports?total=1&perPage=200&fields=id", token(t, app, staffX))
	defer res.Body.Close()
	var a struct {
		TotalItems  int  `json:"totalItems"`
		TotalPages  int  `json:"totalPages"`
		TotalCapped bool `json:"totalCapped"`
	}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if a.TotalItems != 10000 || a.TotalPages != 50 || !a.TotalCapped {
		t.Errorf("10,002 reports counted as %+v, want 10000, 50 pages, capped", a)
	}
	if b := listAs(t, app, srv, "total=1&filter="+url.QueryEscape(`status = "new" && created > "2026-11-02 00:00:00.000Z"`)); b.TotalItems != 1 {
		t.Errorf("a narrow filter counts %d, want 1", b.TotalItems)
	}
}

// TestWaitingCountIsTheQueuesLength makes reports of every combination of
// the waiting queue's three reasons (each status, urgent or not, quiet or
// recent, an unread reporter message or none), so the reasons overlap in
// every way, and holds the badge's count (counted from the indexes of the
// queue's parts) to the queue as listed and to the rule worked out here.
func TestWaitingCountIsTheQueuesLength(t *testing.T) {
	app := newApp(t)
	srv := startServer(t, app)
	statuses := []string{"new", "in_review", "contacted", "assisted", "closed", "spam"}
	var want []string // reportX of the fixtures: new, not urgent, recent, no message: not waiting
	n := 0
	for _, status := range statuses {
		for _, urgent := range []bool{false, true} {
			for _, quiet := range []bool{false, true} {
				for _, unread := range []bool{false, true} {
					n++
					id := fmt.Sprintf("waitcount%011d", n)
					data := map[string]any{"id": id, "embassy": embassyX, "status": status, "channel": "self", "nationality": "ID"}
					if urgent {
						data["safety_risk_now"] = true // the server sets urgent from it
					}
					testserver.SaveRecord(t, app, reports.CollectionReports, data)
					if unread {
						testserver.SaveRecord(t, app, "messages", map[string]any{"report": id, "direction": "reporter", "body": "still here"})
					}
					if quiet {
						setLastActivity(t, app, id, time.Now().Add(-threeDaysAgo))
					}
					open := status == "new" || status == "in_review" || status == "contacted"
					if unread || (urgent && status == "new") || (open && quiet) {
						want = append(want, id)
					}
				}
			}
		}
	}
	listed := listAs(t, app, srv, "waiting=1&perPage=500")
	counted := listAs(t, app, srv, "waiting=1&total=1&perPage=1")
	if got := slices.Sorted(slices.Values(listed.ids())); !slices.Equal(got, want) {
		t.Fatalf("the waiting queue lists %v, want %v", got, want)
	}
	if counted.TotalItems != len(want) {
		t.Fatalf("the waiting count is %d, the queue has %d", counted.TotalItems, len(want))
	}
	// The whole list is counted from the running tallies: every report,
	// spam included, with reportX of the fixtures.
	if all := listAs(t, app, srv, "total=1&perPage=1"); all.TotalItems != n+1 || all.TotalPages != n+1 {
		t.Fatalf("the whole list counts %d reports in %d pages, want %d", all.TotalItems, all.TotalPages, n+1)
	}
	// Staff of another embassy count none of them.
	res := get(t, srv+"/api/staff/reports?waiting=1&total=1&perPage=1", token(t, app, staffY))
	defer res.Body.Close()
	var y listAnswer
	if err := json.NewDecoder(res.Body).Decode(&y); err != nil {
		t.Fatal(err)
	}
	if y.TotalItems != 1 { // reportY: new, with an unread message
		t.Fatalf("embassy Y's waiting count is %d, want 1", y.TotalItems)
	}
}
