package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The report search migration gives the staff console's last two list
// filters an index of their own: a side table of (report, need) pairs for
// the need filter, and an FTS5 index for the text search. Both are kept in
// step with reports by triggers, so every write path (the records API,
// sync push, hooks, raw SQL) updates them in the same transaction. Since
// 1764120100 a new report is indexed by hooks/reportindex instead of the
// insert triggers made here; the update and delete triggers stay.
//
// The search index uses FTS5's trigram tokenizer: it matches any substring
// of three or more characters, so Thai, Khmer and Burmese text, written
// without spaces between words, is found as well as English. It is queried
// with LIKE, which FTS5 answers from the trigram index and SQLite then
// checks against the stored text, so the result is the same as a LIKE on
// reports.
//
// PocketBase changes a collection's table with ALTER TABLE, and SQLite
// rewrites the triggers when a column is renamed, so adding or renaming
// report fields keeps working. Removing a column the triggers read
// (id, embassy, needs, created, message, compound_location,
// current_location), or changing its type, fails with "error in trigger
// ...": such a migration must drop the triggers first and create them
// again after, so the indexes never go stale unnoticed.
//
// The FTS rows are keyed by report_search_rows.n, an INTEGER PRIMARY KEY,
// not by reports' own rowid, which VACUUM may renumber. The row's embassy
// lets a search count its matches within one embassy without reading
// reports.
var reportSearchUp = []string{
	`CREATE TABLE report_needs (
		report  TEXT NOT NULL,
		embassy TEXT NOT NULL,
		need    TEXT NOT NULL,
		created TEXT NOT NULL,
		PRIMARY KEY (report, need)
	) WITHOUT ROWID`,
	`CREATE INDEX idx_report_needs_embassy_need_created ON report_needs (embassy, need, created)`,
	`CREATE TRIGGER report_needs_insert AFTER INSERT ON reports BEGIN
		INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
			SELECT new.id, new.embassy, j.value, new.created
			FROM json_each(CASE WHEN json_valid(new.needs) THEN new.needs ELSE '[]' END) j
			WHERE j.type = 'text';
	END`,
	reportNeedsUpdateTrigger,
	`CREATE TRIGGER report_needs_delete AFTER DELETE ON reports BEGIN
		DELETE FROM report_needs WHERE report = old.id;
	END`,
	`INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
		SELECT r.id, r.embassy, j.value, r.created
		FROM reports r, json_each(CASE WHEN json_valid(r.needs) THEN r.needs ELSE '[]' END) j
		WHERE j.type = 'text'`,

	`CREATE TABLE report_search_rows (
		n       INTEGER PRIMARY KEY,
		report  TEXT NOT NULL UNIQUE,
		embassy TEXT NOT NULL
	)`,
	`CREATE VIRTUAL TABLE report_search USING fts5 (
		message, compound_location, current_location,
		tokenize = 'trigram'
	)`,
	// A deleted report's words are removed from the index pages at once,
	// not left behind until the next merge.
	`INSERT INTO report_search (report_search, rank) VALUES ('secure-delete', 1)`,
	reportSearchInsertTrigger,
	reportSearchUpdateTrigger,
	`CREATE TRIGGER report_search_delete AFTER DELETE ON reports BEGIN
		DELETE FROM report_search WHERE rowid = (SELECT n FROM report_search_rows WHERE report = old.id);
		DELETE FROM report_search_rows WHERE report = old.id;
	END`,
	`INSERT INTO report_search_rows (report, embassy) SELECT id, embassy FROM reports ORDER BY created`,
	`INSERT INTO report_search (rowid, message, compound_location, current_location)
		SELECT s.n, r.message, r.compound_location, r.current_location
		FROM report_search_rows s JOIN reports r ON r.id = s.report`,
}

// The search triggers as this migration made them; 1764119100 adds a WHEN
// clause to each update trigger and its down step puts these back;
// 1764120000 indexes folded text and its down step puts them back.
const (
	reportSearchInsertTrigger = `CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN
		INSERT INTO report_search_rows (report, embassy) VALUES (new.id, new.embassy);
		INSERT INTO report_search (rowid, message, compound_location, current_location)
			VALUES (last_insert_rowid(), new.message, new.compound_location, new.current_location);
	END`
	reportNeedsUpdateTrigger = `CREATE TRIGGER report_needs_update AFTER UPDATE OF id, embassy, needs, created ON reports BEGIN
		DELETE FROM report_needs WHERE report = old.id;
		INSERT OR IGNORE INTO report_needs (report, embassy, need, created)
			SELECT new.id, new.embassy, j.value, new.created
			FROM json_each(CASE WHEN json_valid(new.needs) THEN new.needs ELSE '[]' END) j
			WHERE j.type = 'text';
	END`
	reportSearchUpdateTrigger = `CREATE TRIGGER report_search_update AFTER UPDATE OF id, embassy, message, compound_location, current_location ON reports BEGIN
		UPDATE report_search_rows SET report = new.id, embassy = new.embassy WHERE report = old.id;
		UPDATE report_search
			SET message = new.message, compound_location = new.compound_location, current_location = new.current_location
			WHERE rowid = (SELECT n FROM report_search_rows WHERE report = new.id);
	END`
)

// reportSearchDown drops the triggers first, so reports are never written
// with a trigger pointing at a dropped table.
var reportSearchDown = []string{
	`DROP TRIGGER IF EXISTS report_search_delete`,
	`DROP TRIGGER IF EXISTS report_search_update`,
	`DROP TRIGGER IF EXISTS report_search_insert`,
	`DROP TABLE IF EXISTS report_search`,
	`DROP TABLE IF EXISTS report_search_rows`,
	`DROP TRIGGER IF EXISTS report_needs_delete`,
	`DROP TRIGGER IF EXISTS report_needs_update`,
	`DROP TRIGGER IF EXISTS report_needs_insert`,
	`DROP TABLE IF EXISTS report_needs`,
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, reportSearchUp)
	}, func(app core.App) error {
		return execAll(app, reportSearchDown)
	})
}

func execAll(app core.App, stmts []string) error {
	for _, s := range stmts {
		if _, err := app.DB().NewQuery(s).Execute(); err != nil {
			return err
		}
	}
	return nil
}
