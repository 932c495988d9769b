package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// report_facet_tallies keeps the counts of report_tallies (1764120310) once
// more for each value of each field the console filters on: the counts of
// a list filtered to one status, one need, one language, one channel, one
// assignee (or none), or to the urgent, safety-risk or minors reports. A
// filtered count then reads a few hundred rows too, where counting the
// matching reports one by one took 0.2 to 0.9 s at 100,000 reports
// (hooks/staff readTallies; docs/BENCHMARKS.md). A filter of two fields, a
// date range or a search is still counted report by report.
//
// The facets a report has are defined once, by the view report_facets;
// its keys are report_tally_keys'. Triggers follow a report's changes and
// deletes, as report_tallies' do; a new report is tallied by the record
// hook of hooks/reportindex, a push's reports together, as the search
// index is: the same upserts in an insert trigger cost push of 1,000 ops
// a third of its records per CPU-second. A boolean facet is kept for true
// only, since the console filters on true only.

// facetColumns are the report columns the facets read, beyond tallyColumns.
var facetColumns = []string{"urgent", "safety_risk_now", "minors_present", "language", "channel", "assignee"}

func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(facetTalliesUp).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`
			DROP TRIGGER IF EXISTS report_facet_tallies_update_before;
			DROP TRIGGER IF EXISTS report_facet_tallies_update_after;
			DROP TRIGGER IF EXISTS report_facet_tallies_delete;
			DROP VIEW IF EXISTS report_facets;
			DROP TABLE IF EXISTS report_facet_tallies;
		`).Execute()
		return err
	})
}

// facetUpsert adds sign times the report's facets × keys to the tallies,
// read through the views like tallyUpsert.
func facetUpsert(row string, sign string) string {
	return `INSERT INTO report_facet_tallies (embassy, facet, value, counted, dimension, key, reports, people)
		SELECT k.embassy, f.facet, f.value, k.counted, k.dimension, k.key, ` + sign + `1, ` + sign + `k.people
		FROM report_tally_keys k JOIN report_facets f ON f.id = k.id
		WHERE k.id = ` + row + `.id AND f.id = ` + row + `.id AND true
		ON CONFLICT (embassy, facet, value, counted, dimension, key) DO UPDATE SET
			reports = reports + excluded.reports, people = people + excluded.people;`
}

func facetChanged() string {
	cols := append(append([]string{}, tallyColumns...), facetColumns...)
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = "OLD." + c + " IS NOT NEW." + c
	}
	return strings.Join(conds, " OR ")
}

var facetTalliesUp = `
	CREATE TABLE IF NOT EXISTS report_facet_tallies (
		embassy   TEXT    NOT NULL,
		facet     TEXT    NOT NULL,
		value     TEXT    NOT NULL,
		counted   INTEGER NOT NULL,
		dimension TEXT    NOT NULL,
		key       TEXT    NOT NULL,
		reports   INTEGER NOT NULL DEFAULT 0,
		people    INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (embassy, facet, value, counted, dimension, key)
	) WITHOUT ROWID;

	CREATE VIEW IF NOT EXISTS report_facets AS
		SELECT id, 'status' AS facet, status AS value FROM reports
		UNION ALL SELECT id, 'language', language FROM reports WHERE language != ''
		UNION ALL SELECT id, 'channel', channel FROM reports WHERE channel != ''
		UNION ALL SELECT id, 'assignee', assignee FROM reports
		UNION ALL SELECT id, 'urgent', 'true' FROM reports WHERE urgent = 1
		UNION ALL SELECT id, 'safety_risk_now', 'true' FROM reports WHERE safety_risk_now = 1
		UNION ALL SELECT id, 'minors_present', 'true' FROM reports WHERE minors_present = 1
		UNION ALL SELECT r.id, 'need', j.value FROM reports r,
			json_each(CASE WHEN json_valid(r.needs) AND json_type(r.needs) = 'array' THEN r.needs ELSE '[]' END) j;

	CREATE TRIGGER IF NOT EXISTS report_facet_tallies_update_before BEFORE UPDATE ON reports
		WHEN ` + facetChanged() + ` BEGIN
		` + facetUpsert("OLD", "-") + `
	END;
	CREATE TRIGGER IF NOT EXISTS report_facet_tallies_update_after AFTER UPDATE ON reports
		WHEN ` + facetChanged() + ` BEGIN
		` + facetUpsert("NEW", "+") + `
	END;
	CREATE TRIGGER IF NOT EXISTS report_facet_tallies_delete BEFORE DELETE ON reports BEGIN
		` + facetUpsert("OLD", "-") + `
	END;

	INSERT INTO report_facet_tallies (embassy, facet, value, counted, dimension, key, reports, people)
		SELECT k.embassy, f.facet, f.value, k.counted, k.dimension, k.key, count(*), sum(k.people)
		FROM report_tally_keys k JOIN report_facets f ON f.id = k.id
		GROUP BY k.embassy, f.facet, f.value, k.counted, k.dimension, k.key;
`
