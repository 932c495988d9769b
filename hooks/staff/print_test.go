package staff_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
)

// TestPrintIsOnTheAuditTrail proves that printing a case sheet writes one
// "print" event by the caller and answers with the footer's name and time;
// another embassy's report is not found and no one else may print.
func TestPrintIsOnTheAuditTrail(t *testing.T) {
	t.Parallel()
	printed := func(n int, actor string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			exp := dbx.HashExp{"kind": "print"}
			if actor != "" {
				exp["actor"] = actor
				exp["report"] = reportX
				exp["embassy"] = embassyX
			}
			evs, err := app.FindAllRecords(reports.CollectionEvents, exp)
			if err != nil || len(evs) != n {
				t.Fatalf("want %d print events, got %d (%v)", n, len(evs), err)
			}
		}
	}
	volunteerHeaders := map[string]string{}
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "staff print their embassy's report: one event, the footer's name and time",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + reportX + "/print",
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"report":"` + reportX + `"`, `"printedBy":"Staff X"`, `"printed":"20`, `"event":"`},
			ExpectedEvents:  map[string]int{"OnRecordCreate": 1, "OnRecordAfterCreateSuccess": 1, "OnModelCreate": 1},
			AfterTestFunc:   printed(1, staffX),
		}),
		as(staffY, tests.ApiScenario{
			Name:            "another embassy's report is not found and nothing is logged",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + reportX + "/print",
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"message":"The report was not found."`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   printed(0, ""),
		}),
		as("", tests.ApiScenario{
			Name:            "no token",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + reportX + "/print",
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   printed(0, ""),
		}),
		{
			Name:           "a volunteer may not print",
			Method:         http.MethodPost,
			URL:            "/api/staff/reports/" + reportX + "/print",
			TestAppFactory: newApp,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				volunteerHeaders["Authorization"] = accountToken(t, app, "volunteers", volunteerV)
			},
			Headers:         volunteerHeaders,
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   printed(0, ""),
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestEmbassyIdleTimeoutIsForItsOwnStaff proves the console can read its
// embassy's idle timeout while the public embassy list and other
// embassies' staff cannot.
func TestEmbassyIdleTimeoutIsForItsOwnStaff(t *testing.T) {
	t.Parallel()
	withIdle := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		e, err := app.FindRecordById("embassies", embassyX)
		if err != nil {
			t.Fatal(err)
		}
		e.Set("staff_idle_minutes", 12.5)
		if err := app.Save(e); err != nil {
			t.Fatal(err)
		}
	}
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "the embassy's own staff read it",
			Method:          http.MethodGet,
			URL:             "/api/collections/embassies/records/" + embassyX,
			BeforeTestFunc:  withIdle,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"staff_idle_minutes":12.5`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordViewRequest": 1, "OnRecordEnrich": 1},
		}),
		as(staffY, tests.ApiScenario{
			Name:               "another embassy's staff do not",
			Method:             http.MethodGet,
			URL:                "/api/collections/embassies/records/" + embassyX,
			BeforeTestFunc:     withIdle,
			ExpectedStatus:     http.StatusOK,
			NotExpectedContent: []string{"staff_idle_minutes"},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordViewRequest": 1, "OnRecordEnrich": 1},
		}),
		as("", tests.ApiScenario{
			Name:               "the public list does not",
			Method:             http.MethodGet,
			URL:                "/api/collections/embassies/records",
			BeforeTestFunc:     withIdle,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{embassyX},
			NotExpectedContent: []string{"staff_idle_minutes"},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 2},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
