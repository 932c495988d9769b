package pb_migrations_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestReportIndexesSurviveACollectionChange: the dashboard adds and renames
// fields with ALTER TABLE, which keeps the triggers that fill report_needs
// and report_search working on the renamed columns.
func TestReportIndexesSurviveACollectionChange(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	col, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		t.Fatal(err)
	}
	col.Fields.Add(&core.TextField{Name: "added_later"})
	col.Fields.GetByName("current_location").SetName("location_now")
	if err := app.Save(col); err != nil {
		t.Fatalf("save reports with a new and a renamed field: %v", err)
	}

	emb := core.NewRecord(mustCollection(t, app, "embassies"))
	emb.Load(map[string]any{"name": "E", "country": "E", "slug": "e", "active": true})
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(col)
	r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self",
		"needs": []string{"medical"}, "location_now": "near the river"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}

	var needs, found int
	app.DB().Select("count(*)").From("report_needs").Where(dbx.HashExp{"report": r.Id, "need": "medical"}).Row(&needs)
	app.DB().NewQuery(`SELECT count(*) FROM report_search_rows s JOIN report_search f ON f.rowid = s.n
		WHERE s.report = {:id} AND report_search MATCH '"river"'`).Bind(dbx.Params{"id": r.Id}).Row(&found)
	if needs != 1 || found != 1 {
		t.Fatalf("report_needs has %d rows, the search finds %d; want 1 and 1", needs, found)
	}
}

func mustCollection(t *testing.T, app core.App, name string) *core.Collection {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
