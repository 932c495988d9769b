package pb_migrations_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// TestTallyLogRowsNameTheirReport: every row the log's triggers append
// names its report, for a create, an update (the row as it was and as it
// is) and a delete; the down step puts back the log without the name.
func TestTallyLogRowsNameTheirReport(t *testing.T) {
	app := newTestApp(t)
	emb := saveEmbassy(t, app)
	r := core.NewRecord(mustCollection(t, app, "reports"))
	r.Load(map[string]any{"embassy": emb.Id, "status": "new", "channel": "self", "message": "m"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	r.Set("status", "in_review")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	// A change of id alone (raw SQL) is logged too: the report as it was
	// leaves, the report as it is comes.
	if _, err := app.DB().NewQuery("UPDATE reports SET id = 'renamedreport01' WHERE id = {:id}").Bind(map[string]any{"id": r.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().NewQuery("DELETE FROM reports WHERE id = 'renamedreport01'").Execute(); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Report string `db:"report"`
		Sign   int    `db:"sign"`
		Status string `db:"status"`
	}
	if err := app.DB().NewQuery("SELECT report, sign, status FROM report_tally_log ORDER BY seq").All(&rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rows {
		got = append(got, row.Report+" "+map[int]string{1: "+", -1: "-"}[row.Sign]+row.Status)
	}
	want := []string{r.Id + " +new", r.Id + " -new", r.Id + " +in_review", r.Id + " -in_review", "renamedreport01 +in_review", "renamedreport01 -in_review"}
	if !slices.Equal(got, want) {
		t.Fatalf("the log holds\n%q\nwant\n%q", got, want)
	}
	m := migration(t, "1764120820_tally_log_report.go")
	if err := m.Down(app); err != nil {
		t.Fatal(err)
	}
	if n := count(t, app, "SELECT count(*) FROM pragma_table_info('report_tally_log') WHERE name = 'report'"); n != 0 {
		t.Fatal("the down step left the log's report column")
	}
	r2 := core.NewRecord(mustCollection(t, app, "reports"))
	r2.Load(map[string]any{"embassy": emb.Id, "status": "new", "channel": "self", "message": "m"})
	if err := app.Save(r2); err != nil {
		t.Fatalf("a report saved after the down step: %v", err)
	}
	if err := m.Up(app); err != nil {
		t.Fatal(err)
	}
	// Rows logged before the up step name no report (the cube skips them:
	// the reports it loads hold them already); rows logged after do.
	if n := count(t, app, "SELECT count(*) FROM report_tally_log WHERE report IS NULL"); n != len(want)+1 {
		t.Fatalf("%d rows of the log name no report, want the %d logged before the up step", n, len(want)+1)
	}
	r2.Set("status", "closed")
	if err := app.Save(r2); err != nil {
		t.Fatal(err)
	}
	if n := count(t, app, "SELECT count(*) FROM report_tally_log WHERE report = '"+r2.Id+"'"); n != 2 {
		t.Fatalf("%d rows name the report updated after the up step, want 2", n)
	}
}
