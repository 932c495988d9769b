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
	embassyX = "embassyx0000001"
	embassyY = "embassyy0000001"
	staffX   = "staffx000000001" // on duty
	staffX2  = "staffx000000002" // off duty
	staffY   = "staffy000000001" // on duty
	reportX  = "reportx0000000000001"
	reportY  = "reporty0000000000001"
	messageY = "messagey0000001"
	eventX   = "eventx000000001"
	eventY   = "eventy000000001"

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

func seed(t testing.TB, app core.App) {
	t.Helper()
	save := func(collection string, data map[string]any) *core.Record {
		t.Helper()
		if _, isAccount := data["password"]; isAccount {
			data["verified"] = true
		}
		return testserver.SaveRecord(t, app, collection, data)
	}
	for _, e := range []struct{ id, name, slug string }{
		{embassyX, "Embassy X", "x"}, {embassyY, "Embassy Y", "y"},
	} {
		save("embassies", map[string]any{"id": e.id, "name": e.name, "country": e.name, "slug": e.slug, "active": true})
	}
	save("staff", map[string]any{"id": staffX, "email": "x@example.org", "password": "password-x-1", "name": "Staff X", "embassy": embassyX, "on_duty": true})
	save("staff", map[string]any{"id": staffX2, "email": "x2@example.org", "password": "password-x-2", "name": "Staff X2", "embassy": embassyX, "on_duty": false})
	save("staff", map[string]any{"id": staffY, "email": "y@example.org", "password": "password-y-1", "name": "Staff Y", "embassy": embassyY, "on_duty": true})
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
	rec, err := app.FindRecordById("staff", staffId)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rec.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
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
