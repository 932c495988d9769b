package pb_migrations_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/unicode/norm"

	"homeward/hooks/reportindex"
)

// migration returns one of Homeward's migrations by its file name.
func migration(t testing.TB, file string) *core.Migration {
	t.Helper()
	for _, m := range core.AppMigrations.Items() {
		if m.File == file {
			return m
		}
	}
	t.Fatalf("no migration %s", file)
	return nil
}

// TestSearchIndexHoldsFoldedTextOfOldAndNewReports: a report stored before
// the fold migration, in decomposed Unicode and capitals, is found after it
// by its composed lower-case spelling, as is one stored after it.
func TestSearchIndexHoldsFoldedTextOfOldAndNewReports(t *testing.T) {
	app := newTestApp(t)
	mig, inserts := migration(t, "1764120000_search_fold.go"), migration(t, "1764120100_report_index_inserts.go")
	for _, m := range []*core.Migration{inserts, mig} {
		if err := m.Down(app); err != nil {
			t.Fatal(err)
		}
	}
	emb := saveEmbassy(t, app)
	save := func(msg string) string {
		r := core.NewRecord(mustCollection(t, app, "reports"))
		r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self", "message": msg})
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		return r.Id
	}
	old := save(norm.NFD.String("CHÚNG TÔI Ở HÀ NỘI"))
	for _, m := range []*core.Migration{mig, inserts} {
		if err := m.Up(app); err != nil {
			t.Fatal(err)
		}
	}
	// New reports are indexed by the binary's record hook from here on.
	if err := reportindex.Register(app); err != nil {
		t.Fatal(err)
	}
	recent := save(norm.NFD.String("Gần BẾN XE Mỹ Đình"))

	found := func(q string) []string {
		var ids []string
		err := app.DB().NewQuery(`SELECT s.report FROM report_search_rows s JOIN report_search f ON f.rowid = s.n
			WHERE report_search MATCH {:q} ORDER BY s.report`).Bind(dbx.Params{"q": `"` + q + `"`}).Column(&ids)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := found("hà nội"); len(got) != 1 || got[0] != old {
		t.Fatalf("the report stored before the migration: found %v, want [%s]", got, old)
	}
	if got := found("bến xe"); len(got) != 1 || got[0] != recent {
		t.Fatalf("the report stored after the migration: found %v, want [%s]", got, recent)
	}
}
