package sealing_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/sealing"
)

// TestTheDashboardShowsSealedFieldsAsSealed: a superuser reading a sealed
// report through the records API, as PocketBase's dashboard does, sees
// the mark in each private text field, in a view and in a list; staff see
// them empty, as stored. Saving the form back, mark and all, as the
// dashboard does, changes what was changed (the status) and stores none
// of the mark; a superuser's new text in a sealed field is still refused.
func TestTheDashboardShowsSealedFieldsAsSealed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mark := sealing.SealedMark
	url := "/api/collections/reports/records/" + sealedReport
	superuser := map[string]string{"Authorization": w.seeded.SuperuserToken}
	form := func(message string) *strings.Reader {
		return strings.NewReader(`{"status":"in_review","message":"` + message + `","contact_name":"` + sealing.SealedMark +
			`","contact_phone":"` + sealing.SealedMark + `","contact_app":"` + sealing.SealedMark +
			`","compound_location":"` + sealing.SealedMark + `","current_location":"` + sealing.SealedMark + `"}`)
	}
	scenarios := []tests.ApiScenario{
		{
			Name:            "a superuser's view",
			Method:          http.MethodGet,
			URL:             url,
			Headers:         superuser,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"message":"` + mark + `"`, `"contact_phone":"` + mark + `"`, `"current_location":"` + mark + `"`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordViewRequest": 1, "OnRecordEnrich": 1},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a superuser's list",
			Method:          http.MethodGet,
			URL:             "/api/collections/reports/records?filter=id='" + sealedReport + "'",
			Headers:         superuser,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"totalItems":1`, `"message":"` + mark + `"`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 1},
			TestAppFactory:  w.factory,
		},
		{
			Name:               "staff see the fields as stored",
			Method:             http.MethodGet,
			URL:                url,
			Headers:            map[string]string{"Authorization": w.seeded.StaffTokens[0]},
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"message":""`},
			NotExpectedContent: []string{"sealed:"},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordViewRequest": 1, "OnRecordEnrich": 1},
			TestAppFactory:     w.factory,
		},
		{
			Name:            "the dashboard's form saved back with the mark",
			Method:          http.MethodPatch,
			URL:             url,
			Headers:         superuser,
			Body:            form(sealing.SealedMark),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"in_review"`, `"message":"` + mark + `"`},
			ExpectedEvents:  map[string]int{"OnRecordUpdateRequest": 1, "OnRecordAfterUpdateSuccess": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, sealedReport)
				if r.GetString("status") != "in_review" {
					t.Errorf("status %q", r.GetString("status"))
				}
				requireNoPlaintext(t, app, r)
				if body := w.x1.OpenReport(t, r); body.Message != marker+" message" {
					t.Errorf("the envelope opens to %+v", body)
				}
				var n int
				if err := app.DB().NewQuery("SELECT count(*) FROM reports WHERE message LIKE '%sealed:%' OR contact_name LIKE '%sealed:%'").Row(&n); err != nil || n != 0 {
					t.Errorf("%d reports store the mark (%v)", n, err)
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "new text typed in a sealed field is refused",
			Method:          http.MethodPatch,
			URL:             url,
			Headers:         superuser,
			Body:            form(marker + " typed in the dashboard"),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":{"code":"validation_sealed_field_set"`},
			TestAppFactory:  w.factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
