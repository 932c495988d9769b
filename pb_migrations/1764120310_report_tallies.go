package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// report_tallies keeps the console's counts of an embassy's reports per
// status, need, nationality and ISO week, so that counting a flood of
// 100,000 reports reads a few hundred rows instead of every report
// (hooks/staff/counts.go). One definition of what is counted, the view
// report_tally_keys, serves the triggers, the backfill below and the
// counts of a filtered list.
//
// Triggers keep the tallies in the same transaction as every write,
// whichever path it takes: the records API, push, the dashboard, a Go
// Save or raw SQL. "counted" is 0 for duplicates and spam, which public
// statistics leave out; "people" is the report's people count, at least
// one.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(reportTalliesUp).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`
			DROP TRIGGER IF EXISTS report_tallies_insert;
			DROP TRIGGER IF EXISTS report_tallies_update_before;
			DROP TRIGGER IF EXISTS report_tallies_update_after;
			DROP TRIGGER IF EXISTS report_tallies_delete;
			DROP VIEW IF EXISTS report_tally_keys;
			DROP VIEW IF EXISTS report_tally_base;
			DROP TABLE IF EXISTS report_tallies;
		`).Execute()
		return err
	})
}

// tallyColumns are the report columns a tally depends on; an update that
// changes none of them leaves the tallies alone.
var tallyColumns = []string{"embassy", "status", "needs", "nationality", "people_count", "created"}

// tallyUpsert adds sign times the report's keys to the tallies; the
// report's row is read through the view, so it runs before a delete or an
// update (the old values) and after an insert or an update (the new).
func tallyUpsert(row string, sign string) string {
	return `INSERT INTO report_tallies (embassy, counted, dimension, key, reports, people)
		SELECT embassy, counted, dimension, key, ` + sign + `1, ` + sign + `people
		FROM report_tally_keys WHERE id = ` + row + `.id AND true
		ON CONFLICT (embassy, counted, dimension, key) DO UPDATE SET
			reports = reports + excluded.reports, people = people + excluded.people;`
}

func tallyChanged() string {
	conds := make([]string, len(tallyColumns))
	for i, c := range tallyColumns {
		conds[i] = "OLD." + c + " IS NOT NEW." + c
	}
	return strings.Join(conds, " OR ")
}

// The statuses public statistics leave out, frozen as this migration
// wrote them (internal/vocab's StatusDuplicate and StatusSpam).
var reportTalliesUp = `
	CREATE TABLE IF NOT EXISTS report_tallies (
		embassy   TEXT    NOT NULL,
		counted   INTEGER NOT NULL,
		dimension TEXT    NOT NULL,
		key       TEXT    NOT NULL,
		reports   INTEGER NOT NULL DEFAULT 0,
		people    INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (embassy, counted, dimension, key)
	) WITHOUT ROWID;

	CREATE VIEW IF NOT EXISTS report_tally_base AS
		SELECT id, embassy,
			status NOT IN ('duplicate', 'spam') AS counted,
			max(coalesce(people_count, 0), 1) AS people,
			status,
			coalesce(nullif(trim(nationality, char(32, 9, 10, 13)), ''), 'unknown') AS nationality,
			coalesce(strftime('%G-W%V', created), 'unknown') AS week,
			CASE WHEN json_valid(needs) AND json_type(needs) = 'array' THEN needs ELSE '[]' END AS needs
		FROM reports;

	CREATE VIEW IF NOT EXISTS report_tally_keys AS
		SELECT id, embassy, counted, people, 'status' AS dimension, status AS key FROM report_tally_base
		UNION ALL
		SELECT id, embassy, counted, people, 'nationality', nationality FROM report_tally_base
		UNION ALL
		SELECT id, embassy, counted, people, 'week', week FROM report_tally_base
		UNION ALL
		SELECT b.id, b.embassy, b.counted, b.people, 'need', j.value FROM report_tally_base b, json_each(b.needs) j;

	CREATE TRIGGER IF NOT EXISTS report_tallies_insert AFTER INSERT ON reports BEGIN
		` + tallyUpsert("NEW", "+") + `
	END;
	CREATE TRIGGER IF NOT EXISTS report_tallies_update_before BEFORE UPDATE ON reports
		WHEN ` + tallyChanged() + ` BEGIN
		` + tallyUpsert("OLD", "-") + `
	END;
	CREATE TRIGGER IF NOT EXISTS report_tallies_update_after AFTER UPDATE ON reports
		WHEN ` + tallyChanged() + ` BEGIN
		` + tallyUpsert("NEW", "+") + `
	END;
	CREATE TRIGGER IF NOT EXISTS report_tallies_delete BEFORE DELETE ON reports BEGIN
		` + tallyUpsert("OLD", "-") + `
	END;

	INSERT INTO report_tallies (embassy, counted, dimension, key, reports, people)
		SELECT embassy, counted, dimension, key, count(*), sum(people)
		FROM report_tally_keys GROUP BY embassy, counted, dimension, key;
`
