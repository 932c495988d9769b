package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"homeward/internal/fold"
)

// The search index holds the reports' text folded (internal/fold): NFKC,
// case-folded for every script, invisible format characters removed,
// spaces and dashes made one. A search folds the query the same way, so
// "Hà Nội" typed composed finds it stored decomposed, full-width Latin
// finds half-width, and case is ignored in Vietnamese as in English. The
// triggers fold with the SQL function homeward_fold, which the binary
// registers with SQLite, so every write path indexes the same form; the
// index of the reports already stored is rebuilt here.
var searchFoldUp = []string{
	`DROP TRIGGER report_search_insert`,
	folded(reportSearchInsertTrigger),
	`DROP TRIGGER report_search_update`,
	folded(withWhen(reportSearchUpdateTrigger, "id", "embassy", "message", "compound_location", "current_location")),
	`DELETE FROM report_search`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, ` + fold.SQLFunction + `(r.message), ` + fold.SQLFunction + `(r.compound_location), ` + fold.SQLFunction + `(r.current_location)
		FROM report_search_rows s JOIN reports r ON r.id = s.report`,
}

// searchFoldDown puts back the triggers of 1764119100 and the text as stored.
var searchFoldDown = []string{
	`DROP TRIGGER report_search_insert`,
	reportSearchInsertTrigger,
	`DROP TRIGGER report_search_update`,
	withWhen(reportSearchUpdateTrigger, "id", "embassy", "message", "compound_location", "current_location"),
	`DELETE FROM report_search`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, r.message, r.compound_location, r.current_location
		FROM report_search_rows s JOIN reports r ON r.id = s.report`,
}

// folded makes a search trigger index the folded text of its new row.
func folded(trigger string) string {
	for _, col := range []string{"message", "compound_location", "current_location"} {
		trigger = strings.ReplaceAll(trigger, ", new."+col, ", "+fold.SQLFunction+"(new."+col+")")
		trigger = strings.ReplaceAll(trigger, "= new."+col, "= "+fold.SQLFunction+"(new."+col+")")
	}
	return trigger
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, searchFoldUp)
	}, func(app core.App) error {
		return execAll(app, searchFoldDown)
	})
}
