package pb_migrations_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reportindex"
)

// TestReportIndexInsertsMigrationIndexesEveryReport: each step of the move
// from insert triggers to the record hook ends with every report in both
// indexes exactly once, including one written while nothing indexed it.
func TestReportIndexInsertsMigrationIndexesEveryReport(t *testing.T) {
	app := newTestApp(t) // no record hook: a report saved now is not indexed
	mig := migration(t, "1764120100_report_index_inserts.go")
	emb := saveEmbassy(t, app)
	n := 0
	// save stores a report whose text is "word <its id>".
	save := func() string {
		n++
		r := core.NewRecord(mustCollection(t, app, "reports"))
		r.Id = fmt.Sprintf("migrationtest%07d", n)
		r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self",
			"message": "Word " + r.Id, "needs": []string{"medical", "legal"}})
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		return r.Id
	}
	check := func(step string, ids ...string) {
		t.Helper()
		var rows, entries, needs int
		app.DB().NewQuery(`SELECT (SELECT count(*) FROM report_search_rows), (SELECT count(*) FROM report_search),
			(SELECT count(*) FROM report_needs)`).Row(&rows, &entries, &needs)
		if rows != len(ids) || entries != len(ids) || needs != 2*len(ids) {
			t.Fatalf("%s: %d search rows, %d index entries, %d need rows for %d reports", step, rows, entries, needs, len(ids))
		}
		for _, id := range ids {
			var found int
			app.DB().NewQuery(`SELECT count(*) FROM report_search_rows s JOIN report_search f ON f.rowid = s.n
				WHERE s.report = {:id} AND report_search MATCH '"word ' || {:id} || '"'`).Bind(dbx.Params{"id": id}).Row(&found)
			if found != 1 {
				t.Fatalf("%s: report %s is not found by its text", step, id)
			}
		}
	}

	unindexed := save()
	if err := mig.Down(app); err != nil {
		t.Fatal(err)
	}
	check("down", unindexed)
	byTrigger := save()
	check("a report saved while the triggers are back", unindexed, byTrigger)
	if err := mig.Up(app); err != nil {
		t.Fatal(err)
	}
	check("up again", unindexed, byTrigger)
	if err := reportindex.Register(app); err != nil {
		t.Fatal(err)
	}
	byHook := save()
	check("a report saved after, with the record hook", unindexed, byTrigger, byHook)
}
