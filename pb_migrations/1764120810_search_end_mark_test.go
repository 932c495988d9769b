package pb_migrations_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reportindex"
	"homeward/internal/fold"
)

// TestEveryTwoCharactersBeginATrigram: after the migration, the last two
// characters of each field of a report stored before it, and of one
// changed after it, begin a term of the search index; its down step
// takes the mark out again.
func TestEveryTwoCharactersBeginATrigram(t *testing.T) {
	app := newTestApp(t)
	if err := reportindex.Register(app); err != nil {
		t.Fatal(err)
	}
	m := migration(t, "1764120810_search_end_mark.go")
	if err := m.Down(app); err != nil {
		t.Fatal(err)
	}
	emb := saveEmbassy(t, app)
	r := core.NewRecord(mustCollection(t, app, "reports"))
	r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self",
		"message": "他们拿走了护照", "compound_location": "KK"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(app); err != nil {
		t.Fatal(err)
	}
	begins := func(pair string) bool {
		var n int
		err := app.DB().NewQuery("SELECT count(*) FROM report_search_terms WHERE term >= {:p} AND term < {:p} || char(1114111)").
			Bind(dbx.Params{"p": pair}).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	for _, pair := range []string{"护照", "kk", "他们"} {
		if !begins(pair) {
			t.Errorf("no term of the index begins with %q", pair)
		}
	}
	r.Set("current_location", "在Ｏ楼")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if !begins("o楼") {
		t.Errorf("a field changed after the migration: no term begins with its last two characters")
	}
	if err := m.Down(app); err != nil {
		t.Fatal(err)
	}
	var message string
	if err := app.DB().NewQuery("SELECT message FROM report_search").Row(&message); err != nil || message != fold.Fold("他们拿走了护照") {
		t.Errorf("after the down step the index holds %q (%v)", message, err)
	}
}
