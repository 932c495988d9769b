package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"homeward/internal/fold"
)

// The search index's text of each field ends with fold.EndMark, so every
// two characters of a field begin one of its trigrams, its last two
// included. A search of two characters (a word, in Chinese, Thai or
// Burmese) then reads the trigrams that begin with them from the index's
// list of terms (report_search_terms, fts5vocab) and matches any of them,
// where it tested every report's text: 87 ms at 100,000 reports for two
// characters found nowhere (docs/BENCHMARKS.md). The update trigger of
// 1764120000 and the indexing of new reports (hooks/reportindex) append the
// mark; the index of the reports already stored is rebuilt here.
var searchEndMarkUp = []string{
	`DROP TRIGGER report_search_update`,
	endMarked(folded(withWhen(reportSearchUpdateTrigger, "id", "embassy", "message", "compound_location", "current_location"))),
	`DELETE FROM report_search`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, ` + fold.IndexedSQL("r.message") + `, ` + fold.IndexedSQL("r.compound_location") + `, ` + fold.IndexedSQL("r.current_location") + `
		FROM report_search_rows s JOIN reports r ON r.id = s.report`,
	`CREATE VIRTUAL TABLE report_search_terms USING fts5vocab(report_search, 'row')`,
}

// searchEndMarkDown puts back the update trigger of 1764120000 and the
// folded text without the mark.
var searchEndMarkDown = []string{
	`DROP TABLE IF EXISTS report_search_terms`,
	`DROP TRIGGER report_search_update`,
	folded(withWhen(reportSearchUpdateTrigger, "id", "embassy", "message", "compound_location", "current_location")),
	`DELETE FROM report_search`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, ` + fold.SQLFunction + `(r.message), ` + fold.SQLFunction + `(r.compound_location), ` + fold.SQLFunction + `(r.current_location)
		FROM report_search_rows s JOIN reports r ON r.id = s.report`,
}

// endMarked makes a folded search trigger append the mark to each field.
func endMarked(trigger string) string {
	for _, col := range []string{"message", "compound_location", "current_location"} {
		trigger = strings.ReplaceAll(trigger, fold.SQLFunction+"(new."+col+")", fold.IndexedSQL("new."+col))
	}
	return trigger
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, searchEndMarkUp)
	}, func(app core.App) error {
		return execAll(app, searchEndMarkDown)
	})
}
