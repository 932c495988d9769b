package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"homeward/internal/fold"
)

// New reports are indexed by the record hook of hooks/reportindex, for a
// whole push in one statement per index, instead of by a trigger per row:
// an INSERT that fires a trigger runs with a statement journal, and FTS5
// writes its index to disk at each such statement. The update and delete
// triggers stay.
//
// Both steps end by indexing any report the indexes lack, so a report
// written while the other step's way was in force is found either way.
var reportIndexInsertsUp = append([]string{
	`DROP TRIGGER report_needs_insert`,
	`DROP TRIGGER report_search_insert`,
}, indexMissingReports...)

// reportIndexInsertsDown puts back the insert triggers of 1764118100, the
// search one folding its text as 1764120000 made it.
var reportIndexInsertsDown = append([]string{
	`CREATE TRIGGER report_needs_insert AFTER INSERT ON reports BEGIN
		INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
			SELECT new.id, new.embassy, j.value, new.created
			FROM json_each(CASE WHEN json_valid(new.needs) THEN new.needs ELSE '[]' END) j
			WHERE j.type = 'text';
	END`,
	`CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN
		INSERT INTO report_search_rows (report, embassy) VALUES (new.id, new.embassy);
		INSERT INTO report_search (rowid, message, compound_location, current_location)
			VALUES (last_insert_rowid(), ` + fold.SQLFunction + `(new.message), ` + fold.SQLFunction + `(new.compound_location), ` + fold.SQLFunction + `(new.current_location));
	END`,
}, indexMissingReports...)

// indexMissingReports indexes the reports that have no search row (oldest
// first), and any need of a report that report_needs lacks.
var indexMissingReports = []string{
	`INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
		SELECT r.id, r.embassy, j.value, r.created
		FROM reports r, json_each(CASE WHEN json_valid(r.needs) THEN r.needs ELSE '[]' END) j
		WHERE j.type = 'text'`,
	`INSERT INTO report_search_rows (report, embassy)
		SELECT id, embassy FROM reports WHERE id NOT IN (SELECT report FROM report_search_rows) ORDER BY created`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, ` + fold.SQLFunction + `(r.message), ` + fold.SQLFunction + `(r.compound_location), ` + fold.SQLFunction + `(r.current_location)
		FROM report_search_rows s JOIN reports r ON r.id = s.report
		WHERE s.n NOT IN (SELECT rowid FROM report_search)`,
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, reportIndexInsertsUp)
	}, func(app core.App) error {
		return execAll(app, reportIndexInsertsDown)
	})
}
