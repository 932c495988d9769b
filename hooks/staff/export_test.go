package staff_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
)

// exportEvents are the hooks one export triggers: the export event's save.
var exportEvents = map[string]int{
	"*": 0, "OnModelCreate": 1, "OnModelCreateExecute": 1, "OnModelAfterCreateSuccess": 1, "OnModelValidate": 1,
	"OnRecordCreate": 1, "OnRecordCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnRecordValidate": 1,
}

func TestExport(t *testing.T) {
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:               "contact fields are left out by default, and the export is logged",
			Method:             http.MethodGet,
			URL:                "/api/staff/export.csv",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{reportX, messageTextX},
			NotExpectedContent: []string{"contact_phone", contactPhoneX, "contact_name", "Ani"},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
					t.Fatalf("content type %q", ct)
				}
				ev := findEvents(t, app, dbx.HashExp{"kind": "export", "embassy": embassyX})
				if len(ev) != 1 || ev[0].GetString("actor") != staffX || !strings.Contains(ev[0].GetString("note"), "without contact") {
					t.Fatalf("want one export event by staff X without contact fields, got %d", len(ev))
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "contact fields when asked, and the event says so",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv?contact=1",
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{"contact_phone", contactPhoneX, "Ani"},
			ExpectedEvents:  exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export"})
				if len(ev) != 1 || !strings.Contains(ev[0].GetString("note"), "WITH contact") {
					t.Fatal("the export event does not say contact fields were exported")
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "the filter of the list applies",
			Method: http.MethodGet,
			URL:    "/api/staff/export.csv?filter=" + urlq(`status="closed"`),
			BeforeTestFunc: saveReport("reportx0000000000003", embassyX, map[string]any{
				"status": "closed", "message": "=HYPERLINK(\"http://evil\")",
			}),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"reportx0000000000003", `'=HYPERLINK`},
			NotExpectedContent: []string{reportX + ","},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export"})
				if len(ev) != 1 || !strings.Contains(ev[0].GetString("note"), `status="closed"`) {
					t.Fatal("the export event does not record the filter")
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a broken filter is refused and not logged",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv?filter=" + urlq(`status=`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":"The filter is not valid."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestExportRowsParseAsCSV(t *testing.T) {
	app := newApp(t)
	srv := startServer(t, app)
	res := get(t, srv+"/api/staff/export.csv", token(t, app, staffX))
	defer res.Body.Close()
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("want a header and one report, got %d rows", len(rows))
	}
	if len(rows[0]) != len(rows[1]) || rows[0][0] != "id" || rows[1][0] != reportX {
		t.Fatalf("unexpected rows %q", rows)
	}
	_, _ = io.Copy(io.Discard, res.Body)
}
