package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// report_tally_log makes counting a report one appended row. The console's
// counts (reports per status, need, nationality and ISO week) are kept for
// the whole list (report_tallies, 1764120310) and once more for each value
// of each field the console filters on (report_facet_tallies): one status,
// one need, one language, one channel, one assignee (or none), and the
// urgent, safety-risk or minors reports. Counting a list filtered to one of
// them then reads a few hundred rows whatever the embassy's size, where
// counting the matching reports one by one took 0.3 to 0.5 s at 100,000.
//
// A report's cells in both tallies are some fifty upserts. Made by
// triggers, report by report, they cost push of 1,000 ops 15 % of its
// records per CPU-second (docs/BENCHMARKS.md): every page a trigger's
// statement changes is first copied to the statement journal SQLite keeps
// per report. Here the triggers only append the report's counted columns,
// with a sign (+1 for a row as it is now, -1 for a row as it was), to
// report_tally_log, in the same transaction as the write, whatever its
// path (the records API, push, the dashboard, Go or raw SQL); hooks/staff
// folds the log into both tallies a second after a write (every minute for
// raw SQL), one statement each, and every count reads the tallies plus the
// rows not yet folded.
//
// Two views give the cells of the log's rows, for the fold and the counts
// alike: report_tally_log_keys (the running tallies' keys, as the view
// report_tally_keys of 1764120310 defined them) and
// report_tally_log_facet_cells (each facet value times each key). A
// report's facets are those its filter matches, as PocketBase reads the
// filter: a need facet per distinct text value of needs (a needs value
// that is not JSON is one need, as PocketBase's :each takes it), a boolean
// facet for true only (the console filters on true only).
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(tallyLogUp).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(tallyLogDown).Execute()
		return err
	})
}

// tallyLogColumns are the report columns the tallies read; an update that
// changes none of them logs nothing.
var tallyLogColumns = []string{"embassy", "status", "needs", "nationality", "people_count", "created",
	"language", "channel", "assignee", "urgent", "safety_risk_now", "minors_present"}

// tallyLogAppend appends row (NEW or OLD) to the log with sign.
func tallyLogAppend(row, sign string) string {
	values := make([]string, len(tallyLogColumns))
	for i, c := range tallyLogColumns {
		values[i] = row + "." + c
	}
	return `INSERT INTO report_tally_log (sign, ` + strings.Join(tallyLogColumns, ", ") + `)
		VALUES (` + sign + `, ` + strings.Join(values, ", ") + `);`
}

func tallyLogChanged() string {
	conds := make([]string, len(tallyLogColumns))
	for i, c := range tallyLogColumns {
		conds[i] = "OLD." + c + " IS NOT NEW." + c
	}
	return strings.Join(conds, " OR ")
}

// The views read each log row's keys and facets with json_each over JSON
// arrays built from the row: a subquery per row would be a temporary table
// built and freed per row.
const (
	tallyLogScalarKeys = `json_array(json_array('status', l.status),
		json_array('nationality', coalesce(nullif(trim(l.nationality, char(32, 9, 10, 13)), ''), 'unknown')),
		json_array('week', coalesce(strftime('%G-W%V', l.created), 'unknown')))`
	tallyLogNeedKeys     = `CASE WHEN json_valid(l.needs) AND json_type(l.needs) = 'array' THEN l.needs ELSE '[]' END`
	tallyLogScalarFacets = `json_array(json_array('status', l.status), json_array('language', l.language),
		json_array('channel', l.channel), json_array('assignee', l.assignee),
		json_array('urgent', CASE WHEN l.urgent = 1 THEN 'true' END),
		json_array('safety_risk_now', CASE WHEN l.safety_risk_now = 1 THEN 'true' END),
		json_array('minors_present', CASE WHEN l.minors_present = 1 THEN 'true' END))`
	tallyLogNeedFacets = `json_each(CASE WHEN json_valid(l.needs) THEN l.needs ELSE json_array(l.needs) END)`
)

var tallyLogUp = `
	CREATE TABLE report_tally_log (
		seq             INTEGER PRIMARY KEY,
		sign            INTEGER NOT NULL,
		embassy         TEXT,
		status          TEXT,
		needs           TEXT,
		nationality     TEXT,
		people_count    NUMERIC,
		created         TEXT,
		language        TEXT,
		channel         TEXT,
		assignee        TEXT,
		urgent          INTEGER,
		safety_risk_now INTEGER,
		minors_present  INTEGER
	);

	CREATE TABLE report_facet_tallies (
		embassy   TEXT    NOT NULL,
		facet     TEXT    NOT NULL,
		value     TEXT    NOT NULL,
		dimension TEXT    NOT NULL,
		key       TEXT    NOT NULL,
		reports   INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (embassy, facet, value, dimension, key)
	) WITHOUT ROWID;

	CREATE VIEW report_tally_log_keys AS
		SELECT l.seq, l.embassy, l.sign,
			l.status NOT IN ('duplicate', 'spam') AS counted,
			max(coalesce(l.people_count, 0), 1) AS people,
			k.value ->> 0 AS dimension, k.value ->> 1 AS key
		FROM report_tally_log l, json_each(` + tallyLogScalarKeys + `) k
		UNION ALL
		SELECT l.seq, l.embassy, l.sign,
			l.status NOT IN ('duplicate', 'spam'),
			max(coalesce(l.people_count, 0), 1),
			'need', j.value
		FROM report_tally_log l, json_each(` + tallyLogNeedKeys + `) j;

	CREATE VIEW report_tally_log_facets AS
		SELECT l.seq, f.value ->> 0 AS facet, f.value ->> 1 AS value
		FROM report_tally_log l, json_each(` + tallyLogScalarFacets + `) f
		WHERE f.value ->> 1 IS NOT NULL
		UNION ALL
		SELECT l.seq, 'need', n.value
		FROM report_tally_log l, ` + tallyLogNeedFacets + ` n
		WHERE n.type = 'text' AND NOT EXISTS (SELECT 1 FROM ` + tallyLogNeedFacets + ` o
			WHERE o.key < n.key AND o.type = 'text' AND o.value = n.value);

	CREATE VIEW report_tally_log_facet_cells AS
		SELECT k.seq, k.embassy, f.facet, f.value, k.dimension, k.key, k.sign
		FROM report_tally_log_keys k JOIN report_tally_log_facets f ON f.seq = k.seq;

	DROP TRIGGER report_tallies_insert;
	DROP TRIGGER report_tallies_update_before;
	DROP TRIGGER report_tallies_update_after;
	DROP TRIGGER report_tallies_delete;
	DROP VIEW report_tally_keys;
	DROP VIEW report_tally_base;

	CREATE TRIGGER report_tally_log_insert AFTER INSERT ON reports BEGIN
		` + tallyLogAppend("NEW", "1") + `
	END;
	CREATE TRIGGER report_tally_log_update AFTER UPDATE ON reports
		WHEN ` + tallyLogChanged() + ` BEGIN
		` + tallyLogAppend("OLD", "-1") + `
		` + tallyLogAppend("NEW", "1") + `
	END;
	CREATE TRIGGER report_tally_log_delete AFTER DELETE ON reports BEGIN
		` + tallyLogAppend("OLD", "-1") + `
	END;

	-- The facet tallies of the reports already stored, through the same
	-- views: logged, folded into the facet tallies only (the running
	-- tallies count them already), and the log emptied again.
	INSERT INTO report_tally_log (sign, ` + strings.Join(tallyLogColumns, ", ") + `)
		SELECT 1, ` + strings.Join(tallyLogColumns, ", ") + ` FROM reports;
	INSERT INTO report_facet_tallies (embassy, facet, value, dimension, key, reports)
		SELECT embassy, facet, value, dimension, key, sum(sign) FROM report_tally_log_facet_cells
		GROUP BY embassy, facet, value, dimension, key;
	DELETE FROM report_tally_log;
`

// tallyLogDown puts back the triggers and views of 1764120310, which keep
// the running tallies report by report, and counts them again from the
// reports, the log's rows not yet folded included.
var tallyLogDown = `
	DROP TRIGGER IF EXISTS report_tally_log_insert;
	DROP TRIGGER IF EXISTS report_tally_log_update;
	DROP TRIGGER IF EXISTS report_tally_log_delete;
	DROP VIEW IF EXISTS report_tally_log_facet_cells;
	DROP VIEW IF EXISTS report_tally_log_facets;
	DROP VIEW IF EXISTS report_tally_log_keys;
	DROP TABLE IF EXISTS report_facet_tallies;
	DROP TABLE IF EXISTS report_tally_log;
	DELETE FROM report_tallies;
` + reportTalliesUp
