package staff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestStaffSeeOnlyTheirEmbassy proves that the records API, the rules and
// the staff routes keep staff of embassy X away from embassy Y's reports,
// events and messages, whatever the console asks for.
func TestStaffSeeOnlyTheirEmbassy(t *testing.T) {
	t.Parallel()
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:               "list reports shows only the own embassy's",
			Method:             http.MethodGet,
			URL:                "/api/collections/reports/records",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{reportX, `"totalItems":1`},
			NotExpectedContent: []string{reportY, "receipt_hash"},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "a filter naming another embassy finds nothing",
			Method:             http.MethodGet,
			URL:                "/api/collections/reports/records?filter=" + urlq(`embassy="`+embassyY+`"`),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"items":[]`},
			NotExpectedContent: []string{reportY},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "view another embassy's report is not found",
			Method:          http.MethodGet,
			URL:             "/api/collections/reports/records/" + reportY,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "update another embassy's report is not found",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportY,
			Body:            strings.NewReader(`{"status":"closed"}`),
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "list events shows only the own embassy's",
			Method:             http.MethodGet,
			URL:                "/api/collections/report_events/records",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{eventX},
			NotExpectedContent: []string{eventY, "note of Y"},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "view another embassy's event is not found",
			Method:          http.MethodGet,
			URL:             "/api/collections/report_events/records/" + eventY,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "list messages hides another embassy's",
			Method:             http.MethodGet,
			URL:                "/api/collections/messages/records",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"items":[]`},
			NotExpectedContent: []string{messageY},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "view another embassy's message is not found",
			Method:          http.MethodGet,
			URL:             "/api/collections/messages/records/" + messageY,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "reply on another embassy's report is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            strings.NewReader(`{"report":"` + reportY + `","direction":"staff","author":"` + staffX + `","body":"hi"}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "note on another embassy's report is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            strings.NewReader(`{"report":"` + reportY + `","embassy":"` + embassyX + `","kind":"note","actor":"` + staffX + `","note":"x"}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "export leaves out another embassy's reports",
			Method:             http.MethodGet,
			URL:                "/api/staff/export.csv",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{reportX},
			NotExpectedContent: []string{reportY, "report of embassy Y"},
			ExpectedEvents:     map[string]int{"*": 0, "OnModelCreate": 1, "OnModelCreateExecute": 1, "OnModelAfterCreateSuccess": 1, "OnModelValidate": 1, "OnRecordCreate": 1, "OnRecordCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnRecordValidate": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "export with a filter on another embassy is empty",
			Method:             http.MethodGet,
			URL:                "/api/staff/export.csv?filter=" + urlq(`embassy="`+embassyY+`"`),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"id,created,status"},
			NotExpectedContent: []string{reportY, reportX},
			ExpectedEvents:     map[string]int{"*": 0, "OnModelCreate": 1, "OnModelCreateExecute": 1, "OnModelAfterCreateSuccess": 1, "OnModelValidate": 1, "OnRecordCreate": 1, "OnRecordCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnRecordValidate": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a filter reaching other collections is refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv?filter=" + urlq(`@collection.reports.embassy="`+embassyY+`"`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":"The filter is not valid."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a filter on the hidden receipt hash is refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/counts?filter=" + urlq(`receipt_hash != ""`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":"The filter is not valid."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "counts cover only the own embassy",
			Method:             http.MethodGet,
			URL:                "/api/staff/counts",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"total":1`, `"ID":1`},
			NotExpectedContent: []string{`"VN"`},
			ExpectedEvents:     map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "duplicate suggestions for another embassy's report are not found",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports/" + reportY + "/duplicates",
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"message":"The report was not found."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as("", tests.ApiScenario{
			Name:            "guests cannot use the staff routes",
			Method:          http.MethodGet,
			URL:             "/api/staff/counts",
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as("", tests.ApiScenario{
			Name:            "guests cannot read events",
			Method:          http.MethodGet,
			URL:             "/api/collections/report_events/records",
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordsListRequest": 1},
		}),
		withVolunteer(tests.ApiScenario{
			Name:            "volunteers cannot use the staff routes",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv",
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"message":"The authorized record is not allowed to perform this action."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestEventsAreAppendOnly proves that every status change writes an event
// with who, from and to, and that staff can neither edit nor delete events,
// nor dress a note up as something else.
func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "a status change writes an event",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportX,
			Body:            strings.NewReader(`{"status":"in_review"}`),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"in_review"`, `"version":2`},
			ExpectedEvents: map[string]int{
				"OnRecordUpdateRequest": 1, "OnRecordUpdate": 1, "OnRecordCreate": 1, "OnRecordAfterUpdateSuccess": 1, "OnRecordAfterCreateSuccess": 1,
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"report": reportX, "kind": "status"})
				if len(ev) != 1 {
					t.Fatalf("want 1 status event, got %d", len(ev))
				}
				got := ev[0]
				if got.GetString("from_status") != "new" || got.GetString("to_status") != "in_review" ||
					got.GetString("actor") != staffX || got.GetString("embassy") != embassyX || got.GetString("created") == "" {
					t.Fatalf("event does not say who, when, from and to: %v", got.PublicExport())
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "marking a duplicate writes a status and a duplicate event",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportX,
			Body:            strings.NewReader(`{"status":"duplicate","duplicate_of":"reportx0000000000002"}`),
			BeforeTestFunc:  saveReport("reportx0000000000002", embassyX, nil),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"duplicate_of":"reportx0000000000002"`},
			ExpectedEvents:  map[string]int{"OnRecordUpdateRequest": 1, "OnRecordCreate": 2},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := len(findEvents(t, app, dbx.HashExp{"report": reportX, "kind": []any{"status", "duplicate"}})); n != 2 {
					t.Fatalf("want a status and a duplicate event, got %d", n)
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a reply writes a reply event without its text",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            strings.NewReader(`{"report":"` + reportX + `","direction":"staff","author":"` + staffX + `","body":"We will call you today."}`),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"direction":"staff"`},
			ExpectedEvents:  map[string]int{"OnRecordCreateRequest": 1, "OnRecordCreate": 2},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"report": reportX, "kind": "reply"})
				if len(ev) != 1 || ev[0].GetString("actor") != staffX || ev[0].GetString("note") != "" {
					t.Fatalf("want one reply event by staff X without text, got %d", len(ev))
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff can add an internal note",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            strings.NewReader(`{"report":"` + reportX + `","embassy":"` + embassyX + `","kind":"note","actor":"` + staffX + `","note":"called, no answer"}`),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"kind":"note"`, `"note":"called, no answer"`},
			ExpectedEvents:  map[string]int{"OnRecordCreateRequest": 1, "OnRecordCreate": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a note cannot pose as a status change",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            strings.NewReader(`{"report":"` + reportX + `","embassy":"` + embassyX + `","kind":"note","actor":"` + staffX + `","to_status":"closed"}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff cannot write a status event themselves",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            strings.NewReader(`{"report":"` + reportX + `","embassy":"` + embassyX + `","kind":"status","actor":"` + staffX + `"}`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff cannot edit an event",
			Method:          http.MethodPatch,
			URL:             "/api/collections/report_events/records/" + eventX,
			Body:            strings.NewReader(`{"note":"rewritten"}`),
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff cannot delete an event",
			Method:          http.MethodDelete,
			URL:             "/api/collections/report_events/records/" + eventX,
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff cannot rewrite what the reporter wrote",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportX,
			Body:            strings.NewReader(`{"message":"changed"}`),
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"data":{}`},
			// Refused at the model's update step, which every write path
			// runs, before validation and before anything is written.
			ExpectedEvents: map[string]int{"*": 0, "OnRecordUpdateRequest": 1, "OnModelUpdate": 1, "OnRecordUpdate": 1,
				"OnModelAfterUpdateError": 1, "OnRecordAfterUpdateError": 1},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff cannot mark a reply as read by the reporter",
			Method:          http.MethodPatch,
			URL:             "/api/collections/messages/records/messagex0000001",
			Body:            strings.NewReader(`{"read_by_reporter":true}`),
			BeforeTestFunc:  saveMessage("messagex0000001", reportX),
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "staff can mark a reporter's message as read by staff",
			Method:          http.MethodPatch,
			URL:             "/api/collections/messages/records/messagex0000001",
			Body:            strings.NewReader(`{"read_by_staff":true}`),
			BeforeTestFunc:  saveMessage("messagex0000001", reportX),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"read_by_staff":true`},
			ExpectedEvents:  map[string]int{"OnRecordUpdateRequest": 1},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// withVolunteer makes s run signed in as an approved volunteer.
func withVolunteer(s tests.ApiScenario) tests.ApiScenario {
	headers := map[string]string{}
	s.Headers = headers
	s.TestAppFactory = newApp
	s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		headers["Authorization"] = accountToken(t, app, "volunteers", volunteerV)
	}
	return s
}

func saveMessage(id, report string) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
	return func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		col, err := app.FindCollectionByNameOrId("messages")
		if err != nil {
			t.Fatal(err)
		}
		rec := core.NewRecord(col)
		rec.Load(map[string]any{"id": id, "report": report, "direction": "staff", "author": staffX, "body": "reply"})
		if err := app.Save(rec); err != nil {
			t.Fatal(err)
		}
	}
}

func urlq(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "=", "%3D", "&", "%26", "|", "%7C", "~", "%7E", "@", "%40").Replace(s)
}

// TestStaffViewTheirEmbassyBeforeItIsPublic: a new embassy's staff sign
// in before it is active, and the console reads its name and idle timeout
// from its record; the public and other embassies' staff still find no
// inactive embassy, and the public list stays the active embassies.
func TestStaffViewTheirEmbassyBeforeItIsPublic(t *testing.T) {
	t.Parallel()
	inactive := func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		emb, err := app.FindRecordById("embassies", embassyX)
		if err != nil {
			t.Fatal(err)
		}
		emb.Set("active", false)
		emb.Set("staff_idle_minutes", 45)
		if err := app.Save(emb); err != nil {
			t.Fatal(err)
		}
	}
	view := "/api/collections/embassies/records/" + embassyX
	for _, s := range []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:            "its own staff view it, with the idle timeout",
			Method:          http.MethodGet,
			URL:             view,
			BeforeTestFunc:  inactive,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"id":"` + embassyX + `"`, `"staff_idle_minutes":45`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordViewRequest": 1, "OnRecordEnrich": 1},
		}),
		as(staffY, tests.ApiScenario{
			Name:            "another embassy's staff find nothing",
			Method:          http.MethodGet,
			URL:             view,
			BeforeTestFunc:  inactive,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as("", tests.ApiScenario{
			Name:            "the public finds nothing",
			Method:          http.MethodGet,
			URL:             view,
			BeforeTestFunc:  inactive,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:               "the list stays the public one, for its staff too",
			Method:             http.MethodGet,
			URL:                "/api/collections/embassies/records",
			BeforeTestFunc:     inactive,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"id":"` + embassyY + `"`},
			NotExpectedContent: []string{`"id":"` + embassyX + `"`},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 1},
		}),
	} {
		s.Test(t)
	}
}
