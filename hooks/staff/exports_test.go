package staff_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestExportedReportsAreLogged covers POST /api/staff/exports, which the
// console calls before it hands over a CSV file it built in the browser:
// only signed-in staff, only their embassy's reports, and the audit
// trail lists exactly the ids, never report content.
func TestExportedReportsAreLogged(t *testing.T) {
	t.Parallel()
	body := func(ids ...string) *strings.Reader {
		return strings.NewReader(`{"format":"csv","filter":"status = \"new\"","ids":["` + strings.Join(ids, `","`) + `"]}`)
	}
	noEvent := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if ev := findEvents(t, app, dbx.HashExp{"kind": "export"}); len(ev) != 0 {
			t.Fatalf("a refused export wrote %d export events", len(ev))
		}
	}
	many := make([]string, 160)
	for i := range many {
		many[i] = fmt.Sprintf("reportx%013d", 100+i)
	}
	scenarios := []tests.ApiScenario{
		as("", tests.ApiScenario{
			Name:            "guests are refused",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            body(reportX),
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "the embassy's own reports: one event listing the ids, no content",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            body(reportX),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"reports":1`, `"events":1`},
			ExpectedEvents:  exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export", "embassy": embassyX})
				if len(ev) != 1 {
					t.Fatalf("want one export event, got %d", len(ev))
				}
				note := ev[0].GetString("note")
				if ev[0].GetString("actor") != staffX || !strings.HasSuffix(note, ": "+reportX) ||
					!strings.Contains(note, "without contact") || !strings.Contains(note, `status = "new"`) ||
					strings.Contains(note, messageTextX) || ev[0].GetString("report") != "" {
					t.Fatalf("the export event is %v", ev[0].FieldsData())
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "another embassy's report among them: all refused, nothing logged",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            body(reportX, reportY),
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"message":"Some of these reports are not yours to export."`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   noEvent,
		}),
		as(staffY, tests.ApiScenario{
			Name:            "an id that is no report is refused as another embassy's is",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            body(reportY, "reportz0000000000001"),
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"message":"Some of these reports are not yours to export."`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   noEvent,
		}),
		as(staffX, tests.ApiScenario{
			Name:            "no ids, an unknown format or a malformed id is a bad request",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            strings.NewReader(`{"format":"xlsx","ids":["Report X!"]}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"format":{"code":"validation_in_invalid"`, `"ids":{"0":{"code":"validation_match_invalid"`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			// Logged "without contact fields", of a file that had them.
			Name:            "a field the route does not take is refused, and nothing is logged",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            strings.NewReader(`{"ids":["` + reportX + `"],"format":"csv","contacts":true}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":"The export is not valid."`, `"contacts":{"code":"validation_field_not_allowed"`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   noEvent,
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a value of the wrong type is refused by name",
			Method:          http.MethodPost,
			URL:             "/api/staff/exports",
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            strings.NewReader(`{"ids":["` + reportX + `"],"format":"csv","contact":"yes"}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"contact":{"code":"validation_invalid_type","message":"Must be true or false."}`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   noEvent,
		}),
		as(staffX, tests.ApiScenario{
			Name:    "a large export is logged in parts that together list every id",
			Method:  http.MethodPost,
			URL:     "/api/staff/exports",
			Body:    body(many...),
			Headers: map[string]string{"Content-Type": "application/json"},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				for _, id := range many {
					saveReport(id, embassyX, nil)(t, app, e)
				}
			},
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"reports":160`, `"events":2`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export"})
				listed := []string{}
				for i, e := range ev {
					note := e.GetString("note")
					if !strings.Contains(note, fmt.Sprintf("(ids %d of 2)", i+1)) {
						t.Fatalf("event %d says %q", i, note)
					}
					listed = append(listed, strings.Fields(note[strings.LastIndex(note, ": ")+2:])...)
				}
				if strings.Join(listed, " ") != strings.Join(many, " ") {
					t.Fatalf("the events list %d ids, want the 160 exported", len(listed))
				}
			},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
