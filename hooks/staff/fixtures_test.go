package staff_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/internal/testserver"
	_ "homeward/pb_migrations" // the test apps need Homeward's collections
)

// Fixed ids, so scenario URLs can name records before the app exists.
const (
	embassyX   = "embassyx0000001"
	embassyY   = "embassyy0000001"
	staffX     = "staffx000000001" // on duty
	staffX2    = "staffx000000002" // off duty
	staffY     = "staffy000000001" // on duty
	volunteerV = "volunteerv00001" // approved
	reportX    = "reportx0000000000001"
	reportY    = "reporty0000000000001"
	messageY   = "messagey0000001"
	eventX     = "eventx000000001"
	eventY     = "eventy000000001"

	// contactPhoneX is in reportX only, so its absence from an export
	// proves contact fields were left out.
	contactPhoneX = "+000 12 777 001"
	messageTextX  = "We are six people from the compound at the river"
)

// newApp is the scenario app factory: the whole app with two embassies,
// their staff and one report each.
func newApp(t testing.TB) *tests.TestApp {
	app := testserver.NewApp(t, false)
	seed(t, app)
	return app
}

// configureAll sets what the setup checks ask for (the official address,
// mail, off-site backups), so no setup notice stands over the console.
func configureAll(app core.App) {
	app.Settings().Meta.AppURL = "https://homeward.example.org"
	app.Settings().SMTP.Enabled = true
	app.Settings().Backups.S3.Enabled = true
}

func seed(t testing.TB, app core.App) {
	t.Helper()
	testserver.Seed(t, app, testserver.Options{
		Embassies: []testserver.Embassy{{Id: embassyX, Name: "Embassy X", Slug: "x"}, {Id: embassyY, Name: "Embassy Y", Slug: "y"}},
		Staff: []testserver.Staff{
			{Id: staffX, Email: "x@example.org", Name: "Staff X", Embassy: 0, OnDuty: true},
			{Id: staffX2, Email: "x2@example.org", Name: "Staff X2", Embassy: 0},
			{Id: staffY, Email: "y@example.org", Name: "Staff Y", Embassy: 1, OnDuty: true},
		},
		Volunteers: []testserver.Volunteer{{Id: volunteerV, Email: "v@example.org"}},
	})
	save := func(collection string, data map[string]any) *core.Record {
		t.Helper()
		return testserver.SaveRecord(t, app, collection, data)
	}
	save(reports.CollectionReports, map[string]any{
		"id": reportX, "embassy": embassyX, "people_count": 6, "nationality": "Indonesia",
		"needs": []string{"shelter"}, "message": messageTextX, "compound_location": "river compound",
		"contact_phone": contactPhoneX, "contact_name": "Ani", "channel": "self",
	})
	save(reports.CollectionReports, map[string]any{
		"id": reportY, "embassy": embassyY, "people_count": 2, "nationality": "Viet Nam",
		"needs": []string{"documents"}, "message": "report of embassy Y", "channel": "self",
	})
	save("messages", map[string]any{"id": messageY, "report": reportY, "direction": "reporter", "body": "hello Y"})
	save(reports.CollectionEvents, map[string]any{"id": eventX, "embassy": embassyX, "report": reportX, "kind": "note", "note": "note of X"})
	save(reports.CollectionEvents, map[string]any{"id": eventY, "embassy": embassyY, "report": reportY, "kind": "note", "note": "note of Y"})
}

// token returns a fresh auth token for a staff record.
func token(t testing.TB, app core.App, staffId string) string {
	t.Helper()
	return accountToken(t, app, "staff", staffId)
}

// accountToken returns a fresh auth token for a seeded account.
func accountToken(t testing.TB, app core.App, collection, id string) string {
	t.Helper()
	rec, err := app.FindRecordById(collection, id)
	if err != nil {
		t.Fatal(err)
	}
	return testserver.AuthToken(t, rec)
}

// as makes s run on a seeded app, signed in as staffId ("" for a guest).
// The token can only be made once the app exists, so it is written into
// the scenario's header map from BeforeTestFunc, which runs before the
// request is built.
func as(staffId string, s tests.ApiScenario) tests.ApiScenario {
	headers := map[string]string{}
	for k, v := range s.Headers {
		headers[k] = v
	}
	before := s.BeforeTestFunc
	s.Headers = headers
	s.TestAppFactory = newApp
	s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		if staffId != "" {
			headers["Authorization"] = token(t, app, staffId)
		}
		if before != nil {
			before(t, app, e)
		}
	}
	return s
}
