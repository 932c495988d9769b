package pb_migrations_test

import (
	"maps"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// TestTallyLogBackfillsAsTheLogCounts: the facet tallies the migration
// backfills from stored reports are what the log counted as the reports
// were written; its down step counts the running tallies again from the
// reports, the log's rows not yet folded included, and puts back the
// triggers of 1764120310, which keep counting.
func TestTallyLogBackfillsAsTheLogCounts(t *testing.T) {
	app := newTestApp(t)
	emb := saveEmbassy(t, app)
	needs := []string{"medical", "shelter", "documents", "legal"}
	for i := range 40 {
		r := core.NewRecord(mustCollection(t, app, "reports"))
		r.Load(map[string]any{"embassy": emb.Id, "status": []string{"new", "in_review", "spam"}[i%3], "channel": "self",
			"needs": []string{needs[i%4], needs[(i/4)%4]}, "language": []string{"", "km", "th"}[i%3], "nationality": []string{"ID", "TH", ""}[i%3],
			"safety_risk_now": i%2 == 0, "minors_present": i%7 == 0, "people_count": i % 4, "message": "m"})
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	// Needs stored by raw SQL: a repeated need is one facet, a value that
	// is not JSON one need (as PocketBase's :each reads it).
	if _, err := app.DB().NewQuery(`UPDATE reports SET needs = '["legal","legal"]' WHERE rowid IN (SELECT rowid FROM reports LIMIT 3);
		UPDATE reports SET needs = 'legal' WHERE rowid IN (SELECT rowid FROM reports LIMIT 2 OFFSET 3)`).Execute(); err != nil {
		t.Fatal(err)
	}
	if logged := count(t, app, "SELECT count(*) FROM report_tally_log"); logged != 40+2*5 {
		t.Errorf("the log holds %d rows, want 40 creates and 5 updates of two rows each", logged)
	}
	logged := facetCells(t, app)
	tallies := talliesCells(t, app)
	if logged["need|legal|status|new"] == 0 || logged["minors_present|true|status|new"] == 0 {
		t.Fatalf("the log counts no legal need of a report with a repeated need, or no minors: %v", logged)
	}
	m := migration(t, "1764120800_tally_log.go")
	if err := m.Down(app); err != nil {
		t.Fatal(err)
	}
	if down := talliesCells(t, app); !maps.Equal(tallies, down) {
		t.Errorf("after the down step the running tallies are\n%v\nwith the log they were\n%v", down, tallies)
	}
	if err := m.Up(app); err != nil {
		t.Fatal(err)
	}
	if backfilled := facetCells(t, app); !maps.Equal(logged, backfilled) {
		t.Errorf("backfilled facet tallies\n%v\ncounted by the log\n%v", backfilled, logged)
	}
	if n := count(t, app, "SELECT count(*) FROM report_tally_log"); n != 0 {
		t.Errorf("the backfill left %d rows in the log", n)
	}
	// Down: the old triggers count on.
	if err := m.Down(app); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().NewQuery("UPDATE reports SET status = 'closed' WHERE status = 'spam'").Execute(); err != nil {
		t.Fatal(err)
	}
	after := talliesCells(t, app)
	if after["status|closed"] != tallies["status|spam"] || after["status|spam"] != 0 {
		t.Errorf("after the down step, spam reports closed: tallies %v, before %v", after, tallies)
	}
}

func count(t *testing.T, app core.App, sql string) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery(sql).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// facetCells are the facet tallies with the log's rows not yet folded.
func facetCells(t *testing.T, app core.App) map[string]int {
	t.Helper()
	return cells(t, app, `SELECT facet || '|' || value || '|' || dimension || '|' || key AS cell, sum(reports) AS reports FROM (
			SELECT facet, value, dimension, key, reports FROM report_facet_tallies
			UNION ALL SELECT facet, value, dimension, key, sign FROM report_tally_log_facet_cells
		) GROUP BY 1 HAVING sum(reports) != 0`)
}

// talliesCells are the running tallies, with the log's rows not yet
// folded while there is a log.
func talliesCells(t *testing.T, app core.App) map[string]int {
	t.Helper()
	log := ""
	if count(t, app, "SELECT count(*) FROM sqlite_master WHERE name = 'report_tally_log_keys'") == 1 {
		log = "UNION ALL SELECT dimension, key, sign FROM report_tally_log_keys"
	}
	return cells(t, app, `SELECT dimension || '|' || key AS cell, sum(reports) AS reports FROM (
			SELECT dimension, key, reports FROM report_tallies `+log+`
		) GROUP BY 1 HAVING sum(reports) != 0`)
}

func cells(t *testing.T, app core.App, sql string) map[string]int {
	t.Helper()
	var rows []struct {
		Cell    string `db:"cell"`
		Reports int    `db:"reports"`
	}
	if err := app.DB().NewQuery(sql).All(&rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Cell] = r.Reports
	}
	return out
}
