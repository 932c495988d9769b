package staff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/internal/testserver"
)

// reportX2 is a second report of embassy X, saved by withSecondReport.
const reportX2 = "reportx0000000000002"

func withSecondReport(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
	testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
		"id": reportX2, "embassy": embassyX, "people_count": 1, "message": "second report of X", "channel": "self",
	})
}

// eventsOf returns the audit events of a report of the given kind.
func eventsOf(t testing.TB, app core.App, report, kind string) []*core.Record {
	t.Helper()
	evs, err := app.FindAllRecords(reports.CollectionEvents, dbx.HashExp{"report": report, "kind": kind})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// wantField fails unless the stored report has value in field.
func wantField(t testing.TB, app core.App, report, field, value string) {
	t.Helper()
	rec, err := app.FindRecordById(reports.CollectionReports, report)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.GetString(field); got != value {
		t.Errorf("%s.%s = %q, want %q", report, field, got, value)
	}
}

// TestAssigningAReportIsAuditedAndHeldToTheEmbassy assigns reports through
// the records API, the way the console's report view does: the assignee is
// a colleague of the same embassy, every change writes one "assign" event
// with the writer as actor, and a report routed away loses its assignee.
func TestAssigningAReportIsAuditedAndHeldToTheEmbassy(t *testing.T) {
	patch := func(name, body string, status int, content []string, after func(t testing.TB, app *tests.TestApp)) tests.ApiScenario {
		return as(staffX, tests.ApiScenario{
			Name:            name,
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportX,
			Body:            strings.NewReader(body),
			ExpectedStatus:  status,
			ExpectedContent: content,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if after != nil {
					after(t, app)
				}
			},
		})
	}
	scenarios := []tests.ApiScenario{
		patch("assign to a colleague", `{"assignee":"`+staffX2+`"}`, http.StatusOK,
			[]string{`"assignee":"` + staffX2 + `"`, `"version":2`},
			func(t testing.TB, app *tests.TestApp) {
				evs := eventsOf(t, app, reportX, "assign")
				if len(evs) != 1 || evs[0].GetString("actor") != staffX || evs[0].GetString("embassy") != embassyX ||
					evs[0].GetString("note") != "from nobody to "+staffX2 {
					t.Fatalf("assign events = %v", evs)
				}
			}),
		patch("assign and change the status at once: one event of each", `{"assignee":"`+staffX+`","status":"in_review"}`, http.StatusOK,
			[]string{`"assignee":"` + staffX + `"`},
			func(t testing.TB, app *tests.TestApp) {
				if a, s := len(eventsOf(t, app, reportX, "assign")), len(eventsOf(t, app, reportX, "status")); a != 1 || s != 1 {
					t.Fatalf("%d assign and %d status events, want 1 and 1", a, s)
				}
			}),
		patch("staff of another embassy cannot be the assignee", `{"assignee":"`+staffY+`"}`, http.StatusBadRequest,
			[]string{`"assignee":{"code":"validation_invalid_assignee"`},
			func(t testing.TB, app *tests.TestApp) {
				wantField(t, app, reportX, "assignee", "")
				if n := len(eventsOf(t, app, reportX, "assign")); n != 0 {
					t.Fatalf("%d assign events after a refused change", n)
				}
			}),
		patch("an unknown assignee is refused", `{"assignee":"nosuchstaff0001"}`, http.StatusBadRequest,
			[]string{`validation_invalid_assignee`}, nil),
		patch("the reporter's words stay refused beside an assignee", `{"assignee":"`+staffX2+`","message":"changed"}`,
			http.StatusForbidden, []string{"Staff may change only the status, duplicate, embassy and assignee"},
			func(t testing.TB, app *tests.TestApp) { wantField(t, app, reportX, "assignee", "") }),
	}
	for _, s := range scenarios {
		s.Test(t)
	}

	t.Run("a report routed to another embassy goes unassigned, and says so", func(t *testing.T) {
		app := newApp(t)
		rec, err := app.FindRecordById(reports.CollectionReports, reportX)
		if err != nil {
			t.Fatal(err)
		}
		rec.Set("assignee", staffX2)
		ctx := reports.WithActor(t.Context(), reports.Actor{StaffId: staffX})
		if err := app.SaveWithContext(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if rec, err = app.FindRecordById(reports.CollectionReports, reportX); err != nil {
			t.Fatal(err)
		}
		rec.Set("embassy", embassyY)
		if err := app.SaveWithContext(ctx, rec); err != nil {
			t.Fatalf("routing an assigned report: %v", err)
		}
		wantField(t, app, reportX, "assignee", "")
		evs := eventsOf(t, app, reportX, "assign")
		if len(evs) != 2 || evs[1].GetString("note") != "from "+staffX2+" to nobody" {
			t.Fatalf("assign events = %d, want the assignment and its end", len(evs))
		}
	})
}

// TestBulkChangeWritesOneEventPerReport changes many reports at once
// through POST /api/staff/reports/bulk: each report gets its own events,
// by the caller; a report of another embassy, or a change a rule refuses,
// leaves every report as it was.
func TestBulkChangeWritesOneEventPerReport(t *testing.T) {
	bulk := func(name, body string, status int, content []string, after func(t testing.TB, app *tests.TestApp)) tests.ApiScenario {
		s := as(staffX, tests.ApiScenario{
			Name:            name,
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/bulk",
			Body:            strings.NewReader(body),
			Headers:         map[string]string{"Content-Type": "application/json"},
			ExpectedStatus:  status,
			ExpectedContent: content,
			BeforeTestFunc:  withSecondReport,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if after != nil {
					after(t, app)
				}
			},
		})
		return s
	}
	unchanged := func(t testing.TB, app *tests.TestApp) {
		for _, id := range []string{reportX, reportX2} {
			wantField(t, app, id, "status", "new")
			wantField(t, app, id, "assignee", "")
			if n := len(eventsOf(t, app, id, "status")) + len(eventsOf(t, app, id, "assign")); n != 0 {
				t.Errorf("%s has %d events after a refused bulk change", id, n)
			}
		}
	}
	scenarios := []tests.ApiScenario{
		bulk("status and assignee of two reports", `{"ids":["`+reportX+`","`+reportX2+`"],"status":"in_review","assignee":"`+staffX2+`"}`,
			http.StatusOK,
			[]string{`{"items":[{"id":"` + reportX + `","status":"in_review","assignee":"` + staffX2 + `","version":2}`},
			func(t testing.TB, app *tests.TestApp) {
				for _, id := range []string{reportX, reportX2} {
					for _, kind := range []string{"status", "assign"} {
						evs := eventsOf(t, app, id, kind)
						if len(evs) != 1 || evs[0].GetString("actor") != staffX {
							t.Errorf("%s: %d %s events (want 1 by staff X)", id, len(evs), kind)
						}
					}
				}
			}),
		bulk("unassign only", `{"ids":["`+reportX+`"],"assignee":""}`, http.StatusOK,
			[]string{`"assignee":""`, `"version":1`}, // nothing to change: not saved
			func(t testing.TB, app *tests.TestApp) {
				if n := len(eventsOf(t, app, reportX, "assign")); n != 0 {
					t.Errorf("%d assign events for no change", n)
				}
			}),
		bulk("a report of another embassy stops the whole change", `{"ids":["`+reportX+`","`+reportY+`","`+reportX2+`"],"status":"closed"}`,
			http.StatusNotFound, []string{`"message":"Report ` + reportY + ` was not found."`}, unchanged),
		bulk("an assignee of another embassy stops the whole change", `{"ids":["`+reportX+`","`+reportX2+`"],"assignee":"`+staffY+`"}`,
			http.StatusBadRequest, []string{`validation_invalid_assignee`}, unchanged),
		bulk("neither status nor assignee", `{"ids":["`+reportX+`"]}`,
			http.StatusBadRequest, []string{`"status":{"code":"validation_bulk_nothing"`}, unchanged),
		bulk("an unknown status", `{"ids":["`+reportX+`"],"status":"lost"}`,
			http.StatusBadRequest, []string{`"status":{"code":"validation_in_invalid"`}, unchanged),
		bulk("a report named twice", `{"ids":["`+reportX+`","`+reportX+`"],"status":"closed"}`,
			http.StatusBadRequest, []string{`validation_bulk_repeated`}, unchanged),
		bulk("a field bulk does not take stops the whole change", `{"ids":["`+reportX+`"],"status":"closed","embassy":"`+embassyY+`"}`,
			http.StatusBadRequest, []string{`"message":"The bulk change is not valid."`,
				`"embassy":{"code":"validation_field_not_allowed","message":"This field cannot be set here."}`}, unchanged),
		bulk("ids that are not a list are refused by name", `{"ids":"`+reportX+`","status":"closed"}`,
			http.StatusBadRequest, []string{`"ids":{"code":"validation_invalid_type","message":"Must be a list of strings."}`}, unchanged),
		bulk("an assignee that is not a string is refused by name", `{"ids":["`+reportX+`"],"assignee":7}`,
			http.StatusBadRequest, []string{`"assignee":{"code":"validation_invalid_type","message":"Must be a string."}`}, unchanged),
		bulk("more than 200 reports", `{"ids":[`+strings.TrimSuffix(strings.Repeat(`"`+reportX+`",`, 201), ",")+`],"status":"closed"}`,
			http.StatusBadRequest, []string{`"ids":{"code":"validation_length_out_of_range"`}, unchanged),
		{
			Name:            "guests are refused",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/bulk",
			Body:            strings.NewReader(`{"ids":["` + reportX + `"],"status":"closed"}`),
			TestAppFactory:  newApp,
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
