package staff_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/staff"
)

func TestSuppressHidesSmallCells(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		cells     map[string]int
		partition bool
		hidden    []string
	}{
		{"cells under 11 are hidden, 11 is shown", map[string]int{"a": 10, "b": 11, "c": 40, "d": 1}, true, []string{"a", "d"}},
		{"a lone hidden cell takes the next smallest with it", map[string]int{"a": 3, "b": 12, "c": 40}, true, []string{"a", "b"}},
		{"no complement where cells overlap (needs)", map[string]int{"a": 3, "b": 12, "c": 40}, false, []string{"a"}},
		{"nothing to hide", map[string]int{"a": 11, "b": 12}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := staff.Suppress(tc.cells, tc.partition)
			for k, v := range tc.cells {
				hide := false
				for _, h := range tc.hidden {
					hide = hide || h == k
				}
				switch {
				case hide && got[k] != nil:
					t.Errorf("%s=%d should be hidden", k, v)
				case !hide && (got[k] == nil || *got[k] != v):
					t.Errorf("%s=%d should be shown", k, v)
				}
			}
		})
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "counts per status, need, nationality and week",
			Method:          http.MethodGet,
			URL:             "/api/staff/counts",
			BeforeTestFunc:  moreReports,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"total":6`, `"status":{"new":5,"spam":1}`, `"shelter":3`, `"medical":1`, `"ID":2`, `"LA":1`, `"week":{"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "counts follow the list filter",
			Method:          http.MethodGet,
			URL:             "/api/staff/counts?filter=" + urlq(`needs ~ "medical"`),
			BeforeTestFunc:  moreReports,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"total":1`, `"ID":1`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "counts take the console's search literally",
			Method: http.MethodGet,
			URL:    "/api/staff/counts?filter=" + url.QueryEscape(literalSearchFilter),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				saveReport("reportx2000000000001", embassyX, map[string]any{"nationality": "Laos", "people_count": 1, "message": "a 5_% b"})(t, app, e)
				saveReport("reportx2000000000002", embassyX, map[string]any{"nationality": "Thailand", "people_count": 1, "message": "50% of us"})(t, app, e)
			},
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"total":1`, `"LA":1`},
			NotExpectedContent: []string{`"TH"`},
			ExpectedEvents:     map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "one country is one row, however its name was written",
			Method: http.MethodGet,
			URL:    "/api/staff/counts",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				for i, name := range []string{"Myanmar", "မြန်မာ", "Burmese", "MM", "Atlantis"} {
					saveReport(fmt.Sprintf("reportx5%012d", i), embassyX, map[string]any{"nationality": name, "people_count": 1})(t, app, e)
				}
			},
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"MM":4`, `"other":1`, `"ID":1`},
			NotExpectedContent: []string{"Myanmar", "မြန်မာ", "Atlantis"},
			ExpectedEvents:     map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:           "public statistics count people and suppress cells under 11",
			Method:         http.MethodGet,
			URL:            "/api/staff/stats",
			BeforeTestFunc: moreReports,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{
				`"k":11`, `"unit":"people"`, `"total":39`,
				`"ID":12`, `"TH":20`, `"VN":null`, `"MM":null`,
				`"shelter":32`, `"medical":null`,
			},
			NotExpectedContent: []string{`"LA"`},
			ExpectedEvents:     map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				var stats staff.PublicStats
				if err := json.NewDecoder(res.Body).Decode(&stats); err != nil {
					t.Fatal(err)
				}
				for _, dim := range []map[string]*int{stats.Nationality, stats.Needs, stats.Week} {
					for k, v := range dim {
						if v != nil && *v < staff.MinCell {
							t.Errorf("cell %s=%d is under %d", k, *v, staff.MinCell)
						}
					}
				}
			},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
