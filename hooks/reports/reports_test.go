package reports_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

const (
	embX     = "embx00000000000"
	embY     = "emby00000000000"
	staffX   = "stfx00000000000"
	reportId = "rep00000000000000001"
	otherId  = "rep00000000000000002"
	foreign  = "rep00000000000000003"
)

// fixture seeds embassies X and Y, staff of X, two reports of X (one
// urgent) and one of Y, then closes the app; scenarios run on clones, and
// the returned token (staff X) is valid in every clone.
func fixture(t testing.TB) (dir, token string) {
	opts := testserver.Options{
		Embassies: []testserver.Embassy{{Id: embX, Name: "X", Slug: "x"}, {Id: embY, Name: "Y", Slug: "y"}},
		Staff:     []testserver.Staff{{Id: staffX, Email: "x@example.org", Embassy: 0}},
	}
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, _ *testserver.Seeded) {
		save := func(col string, data map[string]any) {
			testserver.SaveRecord(t, app, col, data)
		}
		save("reports", map[string]any{"id": reportId, "embassy": embX, "message": "We are 4 people", "needs": []string{"medical"}})
		save("reports", map[string]any{"id": otherId, "embassy": embX, "message": "Same group"})
		save("reports", map[string]any{"id": foreign, "embassy": embY})
	})
	return dir, seeded.StaffTokens[0]
}

func TestNewReportGetsServerDefaults(t *testing.T) {
	t.Parallel()
	dir, _ := fixture(t)
	app := testserver.NewAppFrom(t, dir)
	r, err := app.FindRecordById("reports", reportId)
	if err != nil {
		t.Fatal(err)
	}
	if r.GetString("status") != "new" || r.GetInt("version") != 1 || r.GetString("channel") != "self" {
		t.Errorf("defaults: status %q version %d channel %q", r.GetString("status"), r.GetInt("version"), r.GetString("channel"))
	}
	if !r.GetBool("urgent") {
		t.Error("a report with a medical need must be urgent")
	}
	other, _ := app.FindRecordById("reports", otherId)
	if other.GetBool("urgent") {
		t.Error("a report with no safety risk, minors or medical need must not be urgent")
	}
}

func TestStaffReportUpdates(t *testing.T) {
	t.Parallel()
	dir, token := fixture(t)
	factory := func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }
	auth := map[string]string{"Authorization": token}
	eventsOf := func(t testing.TB, app core.App) []*core.Record {
		events, err := app.FindAllRecords("report_events")
		if err != nil {
			t.Fatal(err)
		}
		return events
	}

	scenarios := []tests.ApiScenario{
		{
			Name:            "a status change raises the version and writes an audit event",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportId,
			Body:            strings.NewReader(`{"status":"in_review"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"in_review"`, `"version":2`},
			ExpectedEvents:  map[string]int{"OnRecordUpdateRequest": 1, "OnRecordUpdate": 1, "OnRecordCreate": 1},
			TestAppFactory:  factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				events := eventsOf(t, app)
				if len(events) != 1 {
					t.Fatalf("events = %d, want 1", len(events))
				}
				ev := events[0]
				if ev.GetString("kind") != "status" || ev.GetString("from_status") != "new" ||
					ev.GetString("to_status") != "in_review" || ev.GetString("actor") != staffX ||
					ev.GetString("report") != reportId || ev.GetString("embassy") != embX {
					t.Errorf("event = %v", ev.FieldsData())
				}
			},
		},
		{
			Name:            "staff cannot rewrite what the reporter wrote",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + reportId,
			Body:            strings.NewReader(`{"status":"closed","message":"nothing happened"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{"Staff may change only the status"},
			// Refused at the model's update step, before anything is written.
			ExpectedEvents: map[string]int{"OnRecordUpdateRequest": 1, "OnRecordUpdate": 1, "OnRecordValidate": 0,
				"OnRecordUpdateExecute": 0, "OnRecordAfterUpdateError": 1, "OnRecordCreate": 0},
			TestAppFactory: factory,
		},
		{
			Name:            "marking a duplicate of another report of the same embassy is audited",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + otherId,
			Body:            strings.NewReader(`{"status":"duplicate","duplicate_of":"` + reportId + `"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"duplicate_of":"` + reportId + `"`},
			TestAppFactory:  factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				kinds := map[string]bool{}
				for _, ev := range eventsOf(t, app) {
					kinds[ev.GetString("kind")] = true
				}
				if !kinds["status"] || !kinds["duplicate"] {
					t.Errorf("event kinds = %v, want status and duplicate", kinds)
				}
			},
		},
		{
			Name:    "a duplicate moved to another status loses its duplicate mark",
			Method:  http.MethodPatch,
			URL:     "/api/collections/reports/records/" + otherId,
			Body:    strings.NewReader(`{"status":"assisted"}`),
			Headers: auth,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				r, err := app.FindRecordById("reports", otherId)
				if err != nil {
					t.Fatal(err)
				}
				r.Set("status", "duplicate")
				r.Set("duplicate_of", reportId)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"assisted"`, `"duplicate_of":""`},
			TestAppFactory:  factory,
		},
		{
			Name:            "a report cannot duplicate another embassy's report",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + otherId,
			Body:            strings.NewReader(`{"duplicate_of":"` + foreign + `"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{"same embassy", "validation_invalid_duplicate"},
			ExpectedEvents:  map[string]int{"OnRecordValidate": 1, "OnRecordUpdateExecute": 0},
			TestAppFactory:  factory,
		},
		{
			Name:            "a report cannot duplicate itself",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + otherId,
			Body:            strings.NewReader(`{"duplicate_of":"` + otherId + `"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{"same embassy", "validation_invalid_duplicate"},
			ExpectedEvents:  map[string]int{"OnRecordValidate": 1, "OnRecordUpdateExecute": 0},
			TestAppFactory:  factory,
		},
		{
			Name:            "staff cannot forge a status event, only add notes",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            strings.NewReader(`{"embassy":"` + embX + `","report":"` + reportId + `","kind":"status","to_status":"closed","actor":"` + staffX + `"}`),
			Headers:         auth,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{"Failed to create record"},
			ExpectedEvents:  map[string]int{"OnRecordCreate": 0},
			TestAppFactory:  factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
