package pb_migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reportindex"
	"homeward/internal/fold"
)

// TestReportIndexesSurviveACollectionChange: the dashboard adds and renames
// fields with ALTER TABLE. An added field changes nothing; SQLite rewrites
// the update triggers of report_needs and report_search for a renamed
// column, and a new report, indexed from Go by the column's name
// (hooks/reportindex), is refused with an error rather than stored
// unindexed.
func TestReportIndexesSurviveACollectionChange(t *testing.T) {
	app := newTestApp(t)
	if err := reportindex.Register(app); err != nil {
		t.Fatal(err)
	}
	emb := saveEmbassy(t, app)
	newReport := func(data map[string]any) (*core.Record, error) {
		r := core.NewRecord(mustCollection(t, app, "reports"))
		r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self", "needs": []string{"medical"}})
		r.Load(data)
		return r, app.Save(r)
	}

	col := mustCollection(t, app, "reports")
	col.Fields.Add(&core.TextField{Name: "added_later"})
	if err := app.Save(col); err != nil {
		t.Fatalf("save reports with a new field: %v", err)
	}
	r, err := newReport(map[string]any{"current_location": "near the river", "added_later": "x"})
	if err != nil {
		t.Fatal(err)
	}
	var needs, found int
	app.DB().Select("count(*)").From("report_needs").Where(dbx.HashExp{"report": r.Id, "need": "medical"}).Row(&needs)
	app.DB().NewQuery(`SELECT count(*) FROM report_search_rows s JOIN report_search f ON f.rowid = s.n
		WHERE s.report = {:id} AND report_search MATCH '"river"'`).Bind(dbx.Params{"id": r.Id}).Row(&found)
	if needs != 1 || found != 1 {
		t.Fatalf("report_needs has %d rows, the search finds %d; want 1 and 1", needs, found)
	}

	col = mustCollection(t, app, "reports")
	col.Fields.GetByName("current_location").SetName("location_now")
	if err := app.Save(col); err != nil {
		t.Fatalf("save reports with a renamed field: %v", err)
	}
	r, err = app.FindRecordById("reports", r.Id)
	if err != nil {
		t.Fatal(err)
	}
	r.Set("location_now", "at the bus station")
	if err := app.Save(r); err != nil {
		t.Fatalf("update after the rename: %v", err)
	}
	app.DB().NewQuery(`SELECT count(*) FROM report_search_rows s JOIN report_search f ON f.rowid = s.n
		WHERE s.report = {:id} AND report_search MATCH '"station"'`).Bind(dbx.Params{"id": r.Id}).Row(&found)
	if found != 1 {
		t.Fatalf("the update trigger did not follow the renamed column: the search finds %d, want 1", found)
	}
	if _, err := newReport(map[string]any{"location_now": "by the sea"}); err == nil || !strings.Contains(err.Error(), "current_location") {
		t.Fatalf("a new report after renaming an indexed field: %v, want an error naming the column", err)
	}
	var reports int
	app.DB().Select("count(*)").From("reports").Row(&reports)
	if reports != 1 {
		t.Fatalf("%d reports stored, want only the first", reports)
	}
}

// newTestApp is a migrated app over a temporary data dir.
func newTestApp(t testing.TB) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

// saveEmbassy stores an embassy for reports to belong to.
func saveEmbassy(t testing.TB, app core.App) *core.Record {
	t.Helper()
	emb := core.NewRecord(mustCollection(t, app, "embassies"))
	emb.Load(map[string]any{"name": "E", "country": "E", "slug": "e", "active": true, "clear_until_keyed": true})
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	return emb
}

func mustCollection(t testing.TB, app core.App, name string) *core.Collection {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReportIndexesSkipUnchangedText: saving a report whose indexed text
// did not change (a status change) leaves the search and needs indexes
// alone; changing the text re-indexes it.
func TestReportIndexesSkipUnchangedText(t *testing.T) {
	app := newTestApp(t)
	if err := reportindex.Register(app); err != nil {
		t.Fatal(err)
	}
	for _, trigger := range []string{"report_needs_update", "report_search_update"} {
		var sql string
		app.DB().NewQuery("SELECT sql FROM sqlite_master WHERE name = {:n}").Bind(dbx.Params{"n": trigger}).Row(&sql)
		if !strings.Contains(sql, " WHEN old.id IS NOT new.id OR ") {
			t.Fatalf("%s has no WHEN clause: %s", trigger, sql)
		}
	}

	emb := saveEmbassy(t, app)
	r := core.NewRecord(mustCollection(t, app, "reports"))
	r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self",
		"needs": []string{"medical"}, "message": "near the river"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	// Mark the index entries, so a trigger that runs shows by undoing it.
	mark := func() {
		_, err := app.DB().NewQuery(`UPDATE report_search SET message = 'marker'
			WHERE rowid = (SELECT n FROM report_search_rows WHERE report = {:id})`).Bind(dbx.Params{"id": r.Id}).Execute()
		if err == nil {
			_, err = app.DB().NewQuery("UPDATE report_needs SET need = 'marker' WHERE report = {:id}").Bind(dbx.Params{"id": r.Id}).Execute()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	indexed := func() (search, need string) {
		app.DB().NewQuery(`SELECT message FROM report_search WHERE rowid = (SELECT n FROM report_search_rows WHERE report = {:id})`).
			Bind(dbx.Params{"id": r.Id}).Row(&search)
		app.DB().NewQuery("SELECT need FROM report_needs WHERE report = {:id}").Bind(dbx.Params{"id": r.Id}).Row(&need)
		return search, need
	}

	mark()
	r.Set("status", "in_review")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if search, need := indexed(); search != "marker" || need != "marker" {
		t.Fatalf("a status change re-indexed the report: search %q, need %q", search, need)
	}
	r.Set("message", "at the bus station")
	r.Set("needs", []string{"shelter"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if search, need := indexed(); search != "at the bus station"+fold.EndMark || need != "shelter" {
		t.Fatalf("a text change was not indexed: search %q, need %q", search, need)
	}
}
