package qr_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

// TestStaffMakeLinksForTheirEmbassy goes through PocketBase's record API,
// as the staff console will: the creator is the caller whatever the body
// says, and an expiry is always set.
func TestStaffMakeLinksForTheirEmbassy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	body := `{"label":"Border post","embassy":"` + f.embassy.Id + `","language":"vi","created_by":"` + f.otherStaff.Id + `"}`
	s := tests.ApiScenario{
		Name:           "staff create a link",
		Method:         http.MethodPost,
		URL:            "/api/collections/qr_links/records",
		Body:           strings.NewReader(body),
		Headers:        map[string]string{"Authorization": testserver.AuthToken(t, f.staff), "Content-Type": "application/json"},
		TestAppFactory: func(testing.TB) *tests.TestApp { return f.app },
		ExpectedStatus: http.StatusOK,
		ExpectedContent: []string{
			`"label":"Border post"`,
			`"created_by":"` + f.staff.Id + `"`,
		},
		ExpectedEvents: map[string]int{
			"*":                          0,
			"OnRecordCreateRequest":      1,
			"OnModelCreate":              1,
			"OnModelCreateExecute":       1,
			"OnModelAfterCreateSuccess":  1,
			"OnModelValidate":            1,
			"OnRecordCreate":             1,
			"OnRecordCreateExecute":      1,
			"OnRecordAfterCreateSuccess": 1,
			"OnRecordValidate":           1,
			"OnRecordEnrich":             1,
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			links, err := app.FindRecordsByFilter("qr_links", "label = 'Border post'", "", 1, 0)
			if err != nil || len(links) != 1 {
				t.Fatalf("link not stored: %v", err)
			}
			exp := links[0].GetDateTime("expires").Time()
			if exp.Before(time.Now().Add(700 * 24 * time.Hour)) {
				t.Fatalf("expires %v, want the two-year default", exp)
			}
		},
	}
	s.Test(t)

	g := newFixture(t, false)
	other := tests.ApiScenario{
		Name:            "staff cannot make links for another embassy",
		Method:          http.MethodPost,
		URL:             "/api/collections/qr_links/records",
		Body:            strings.NewReader(`{"label":"Fake","embassy":"` + g.embassy.Id + `"}`),
		Headers:         map[string]string{"Authorization": testserver.AuthToken(t, g.otherStaff), "Content-Type": "application/json"},
		TestAppFactory:  func(testing.TB) *tests.TestApp { return g.app },
		ExpectedStatus:  http.StatusBadRequest,
		ExpectedContent: []string{`"status":400`},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			if n, _ := app.CountRecords("qr_links"); n != 3 {
				t.Fatalf("%d links, want the fixture's 3", n)
			}
		},
	}
	other.Test(t)
}
