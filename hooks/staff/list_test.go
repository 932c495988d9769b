package staff_test

import (
	"context"
	"database/sql"
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

	"homeward/internal/testserver"
)

// Reports for the list tests, beside reportX ("...the compound at the
// river", needs shelter, saved now) and reportY (needs documents).
const (
	thaiX    = "listx000000000thai01" // Thai text without spaces; medical, shelter
	riverX   = "listx0000000river001" // RIVER in the current location; medical
	percentX = "listx00000percent001" // "50%", and "rivXiver", which is not "river"
	riverY   = "listy0000000river001" // Y's river; medical
)

func listReports(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	for _, r := range []struct {
		id, embassy string
		data        map[string]any
	}{
		{thaiX, embassyX, map[string]any{"created": "2026-11-01 10:00:00.000Z", "needs": []string{"medical", "shelter"},
			"message": "ขอความช่วยเหลือด่วนที่สุด"}},
		{riverX, embassyX, map[string]any{"created": "2026-11-02 10:00:00.000Z", "needs": []string{"medical"},
			"current_location": "near the RIVER bridge"}},
		{percentX, embassyX, map[string]any{"created": "2026-11-03 10:00:00.000Z", "needs": []string{"food_money"},
			"message": "50% of us are sick, rivXiver"}},
		{riverY, embassyY, map[string]any{"created": "2026-11-04 10:00:00.000Z", "needs": []string{"medical"},
			"message": "the river in Y"}},
	} {
		r.data["people_count"] = 1
		r.data["channel"] = "self"
		saveReport(r.id, r.embassy, r.data)(t, app, e)
	}
}

// expectIds checks the listed ids, in order.
func expectIds(want ...string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		var body struct {
			Items []struct {
				Id string `json:"id"`
			} `json:"items"`
			TotalItems int `json:"totalItems"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, it := range body.Items {
			got = append(got, it.Id)
		}
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
		if body.TotalItems != -1 {
			t.Errorf("totalItems %d: the list must not count", body.TotalItems)
		}
	}
}

func TestListFiltersByNeedAndSearch(t *testing.T) {
	t.Parallel()
	list := func(staffId, name, query string, want ...string) tests.ApiScenario {
		return as(staffId, tests.ApiScenario{
			Name:            name,
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?" + query,
			BeforeTestFunc:  listReports,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"items":`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordEnrich": len(want)},
			AfterTestFunc:   expectIds(want...),
		})
	}
	scenarios := []tests.ApiScenario{
		list(staffX, "no filter: all of X's, newest first", "", reportX, percentX, riverX, thaiX),
		list(staffX, "need: only X's reports with that need", "need=medical", riverX, thaiX),
		list(staffX, "search: any field, any case, not a trigram lookalike", "q=river", reportX, riverX),
		list(staffX, "search: Thai text without spaces", "q="+urlq("ความช่วยเหลือ"), thaiX),
		list(staffX, "search: % and _ are literal", "q="+url.QueryEscape("50%"), percentX),
		list(staffX, "search: _ is literal", "q="+url.QueryEscape("5_%"), nil...),
		list(staffX, "search: two characters still match", "q=50", percentX),
		list(staffX, "need, search and filter together", "need=medical&q=river&filter="+urlq(`status = "new"`), riverX),
		list(staffX, "pages are read in order", "perPage=2&page=2", riverX, thaiX),
		list(staffY, "need: Y never sees X's", "need=medical", riverY),
		list(staffY, "search: Y never sees X's", "q=river", riverY),
		list(staffY, "a filter naming X's embassy cannot widen the list", "q=river&filter="+urlq(`embassy = "`+embassyX+`"`), nil...),
		as("", tests.ApiScenario{
			Name:            "guests are refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?q=river",
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a need outside the vocabulary is refused, not answered with an empty list",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?need=urgent",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"need":{"code":"validation_in_invalid"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a page larger than the limit is refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?perPage=501",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"perPage"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "page 0 is refused, as the page before the first",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?page=0",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"page":{"code":"validation_min_greater_equal_than_required"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			// Its offset overflowed, and the answer was page 1's reports.
			Name:            "a page past the highest is refused, not answered with another page",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?page=9223372036854775807&perPage=500&fields=id",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"page":{"code":"validation_max_less_equal_than_required"`, `"threshold":1000000000`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a page number too large for any integer is refused the same way",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?page=99999999999999999999999",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"page":{"code":"validation_max_less_equal_than_required"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		list(staffX, "the highest page is past the end, and empty", "page=1000000000&perPage=500", nil...),
		as(staffX, tests.ApiScenario{
			Name:            "a page that is not a whole number is refused by name",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?page=abc",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"page":{"code":"validation_invalid_int","message":"Must be a whole number."}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			// It failed in counting the pages, by dividing by 0.
			Name:            "a page of 0 reports is refused, with its total too",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?perPage=0&total=1",
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"perPage":{"code":"validation_min_greater_equal_than_required"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a filter reaching another collection is refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?filter=" + urlq(`@collection.staff.id != ""`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// editAndDelete moves riverX away from the river and off medical, and
// deletes thaiX, through the app like any other write.
func editAndDelete(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	listReports(t, app, e)
	r, err := app.FindRecordById("reports", riverX)
	if err != nil {
		t.Fatal(err)
	}
	r.Set("current_location", "a hotel in town")
	r.Set("needs", []string{"food_money"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	gone, err := app.FindRecordById("reports", thaiX)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Delete(gone); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"report_needs", "report_search_rows"} {
		var n int
		err := app.DB().Select("count(*)").From(table).Where(dbx.HashExp{"report": thaiX}).Row(&n)
		if err != nil || n != 0 {
			t.Errorf("%s holds %d rows of a deleted report (%v)", table, n, err)
		}
	}
}

func TestListIndexesFollowEditsAndDeletes(t *testing.T) {
	t.Parallel()
	list := func(name, query string, want ...string) tests.ApiScenario {
		return as(staffX, tests.ApiScenario{
			Name:            name,
			Method:          http.MethodGet,
			URL:             "/api/staff/reports?" + query,
			BeforeTestFunc:  editAndDelete,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"items":`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordEnrich": len(want)},
			AfterTestFunc:   expectIds(want...),
		})
	}
	for _, s := range []tests.ApiScenario{
		list("an edited location is no longer found", "q=river", reportX),
		list("an edited location is found by its new text", "q=hotel", riverX),
		list("a removed need no longer lists", "need=medical", nil...),
		list("an added need lists", "need=food_money", percentX, riverX),
		list("a deleted report is not found", "q="+urlq("ความช่วย"), nil...),
	} {
		s.Test(t)
	}
}

// savePassports saves n reports of embassy X that mention a passport.
func savePassports(t testing.TB, app *tests.TestApp, n int) {
	col, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		t.Fatal(err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		for i := range n {
			r := core.NewRecord(col)
			r.Load(map[string]any{"embassy": embassyX, "people_count": 1, "channel": "self",
				"message": fmt.Sprintf("passport %d is with the company", i)})
			if err := tx.Save(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestASearchWithMoreMatchesThanTheCubeOrders: a search with its total
// and more matches than the cube orders (maxCount) says "10,000+", and its
// pages, read from the reports in order once the cube has counted past
// maxCount, are the same search's read report by report.
func TestASearchWithMoreMatchesThanTheCubeOrders(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	savePassports(t, app, 10001)
	srv, tok := startServer(t, app), token(t, app, staffX)
	type list struct {
		Items []struct {
			Id string `json:"id"`
		} `json:"items"`
		TotalItems  int  `json:"totalItems"`
		TotalCapped bool `json:"totalCapped"`
	}
	for _, sort := range []string{"-created", "-urgent", "created"} {
		for _, page := range []int{1, 3} {
			query := fmt.Sprintf("/api/staff/reports?q=passport&total=1&perPage=7&fields=id&sort=%s&page=%d", sort, page)
			var got, want list
			if err := json.Unmarshal([]byte(getBody(t, srv+query, tok)), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(getBody(t, srv+query+"&filter="+urlq(`status != "none"`), tok)), &want); err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 7 || !slices.Equal(got.Items, want.Items) || got.TotalItems != 10000 || !got.TotalCapped {
				t.Errorf("%s: lists %v of %d (capped %v), report by report %v of %d", query, got.Items, got.TotalItems, got.TotalCapped, want.Items, want.TotalItems)
			}
		}
	}
}

// TestListOfSealedReports: sealed=1 lists only the reports sealed to the
// embassy's key, newest first, counted one by one, and only the caller's
// embassy's; the rest of the query still applies.
func TestListOfSealedReports(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	listReports(t, app, nil)
	testserver.AddEmbassyKey(t, app, embassyX, nil)
	sealed := []string{"sealedx0000000000002", "sealedx0000000000001"} // newest first
	for i, id := range []string{sealed[1], sealed[0]} {
		testserver.SaveRecord(t, app, "reports", map[string]any{
			"id": id, "embassy": embassyX, "people_count": 1, "channel": "self", "message": "by the river",
			"created": fmt.Sprintf("2026-11-2%d 10:00:00.000Z", i),
		})
	}
	srv, tokX, tokY := startServer(t, app), token(t, app, staffX), token(t, app, staffY)
	for _, c := range []struct {
		query, tok string
		want       []string
	}{
		{"sealed=1&total=1", tokX, sealed},
		{"sealed=true&total=1&perPage=1&page=2", tokX, sealed[1:]},
		{"sealed=1&total=1&filter=" + urlq(`status = "new"`), tokX, sealed},
		{"sealed=1&total=1&filter=" + urlq(`status = "closed"`), tokX, nil},
		// The server cannot read a sealed report's text.
		{"sealed=1&total=1&q=river", tokX, nil},
		{"sealed=0&total=1&q=river", tokX, []string{reportX, riverX}},
		{"sealed=1&total=1", tokY, nil},
	} {
		res := get(t, srv+"/api/staff/reports?"+c.query, c.tok)
		var body struct {
			Items []struct {
				Id     string          `json:"id"`
				Sealed json.RawMessage `json:"sealed"`
			} `json:"items"`
			TotalItems int `json:"totalItems"`
		}
		err := json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s, %v", c.query, res.Status, err)
		}
		var got []string
		for _, it := range body.Items {
			got = append(got, it.Id)
			if slices.Contains(sealed, it.Id) != (len(it.Sealed) > 4) {
				t.Errorf("%s: %s has sealed %s", c.query, it.Id, it.Sealed)
			}
		}
		want := len(c.want)
		if strings.Contains(c.query, "page=2") {
			want = len(sealed)
		}
		if !slices.Equal(got, c.want) || body.TotalItems != want {
			t.Errorf("%s: lists %v of %d, want %v of %d", c.query, got, body.TotalItems, c.want, want)
		}
	}
	if err := getOK(srv+"/api/staff/reports?sealed=maybe", tokX); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("sealed=maybe: %v, want 400", err)
	}
}

// TestListQueriesUseTheirIndexes runs the list's need and search queries
// under EXPLAIN QUERY PLAN: each must read its own index and find reports
// by key, never scan reports. With both, the search drives (M is FTS5's
// MATCH) and the need is checked by its primary key. A search with more
// matches than searchDriveLimit reads the embassy's reports newest first.
func TestListQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, index string
		many         bool // more matches than the index reads by id
	}{
		{"need=medical", "idx_report_needs_embassy_need_created", false},
		// With its total, or past its first page, the cube finds a
		// search's page in the orders it knows, and its reports are read
		// by id.
		{"q=river&total=1", "SEARCH reports USING INDEX sqlite_autoindex_reports_1 (id=?)", false},
		{"q=passport&sort=-urgent&page=2", "SEARCH reports USING INDEX sqlite_autoindex_reports_1 (id=?)", true},
		// Otherwise few matches are read from the index, many tested in order.
		{"q=river", "report_search VIRTUAL TABLE INDEX 0:M", false},
		{"q=passport&sort=-urgent", "idx_reports_embassy_urgent", true},
		{"q=river&sort=-last_activity&total=1", "report_search VIRTUAL TABLE INDEX 0:M", false},
		{"need=medical&q=river", "report_search VIRTUAL TABLE INDEX 0:M", false},
		{"q=passport&sort=-last_activity", "idx_reports_embassy_activity", true},
		{"sealed=1", "idx_reports_embassy_sealed", false},
	} {
		t.Run(c.query, func(t *testing.T) {
			app := newApp(t)
			listReports(t, app, nil)
			if c.many {
				savePassports(t, app, 1001)
			}
			all := listQueryPlan(t, app, c.query, func(sql string) bool {
				return strings.Contains(sql, "`reports`.*") && (strings.Contains(sql, "instr(") || strings.Contains(sql, "report_needs") || strings.Contains(sql, "sealed IS NOT NULL"))
			})
			if !strings.Contains(all, c.index) {
				t.Errorf("the plan does not use %s", c.index)
			}
			if strings.Contains(all, "SCAN reports") {
				t.Errorf("the plan scans reports")
			}
		})
	}
}

// listQueryPlan asks the staff list for query as staff X and returns
// SQLite's query plan of the one list query that match picks out of the
// queries it runs.
func listQueryPlan(t *testing.T, app *tests.TestApp, query string, match func(sql string) bool) string {
	t.Helper()
	var sqls []string
	db := app.ConcurrentDB().(*dbx.DB)
	db.QueryLogFunc = func(_ context.Context, _ time.Duration, sql string, _ *sql.Rows, _ error) {
		if match(sql) {
			sqls = append(sqls, sql)
		}
	}
	res := get(t, startServer(t, app)+"/api/staff/reports?"+query, token(t, app, staffX))
	res.Body.Close()
	db.QueryLogFunc = nil
	if len(sqls) != 1 {
		t.Fatalf("want one list query, got %q", sqls)
	}
	rows, err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + sqls[0]).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "\n")
	t.Logf("plan:\n%s", all)
	return all
}
