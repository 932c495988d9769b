package pb_migrations

import (
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Each row of report_tally_log names its report. The console's counts of a
// list filtered by several fields, or searched, are counted in memory, per
// report (hooks/staff/cube.go): a write's rows replace or remove that
// report's counted columns there, and a search's matches, which are
// reports, find theirs. The triggers of 1764120800 are made again with the
// id; rows already logged have none and are folded as before.
func init() {
	m.Register(func(app core.App) error {
		return execAll(app, tallyLogReportUp(true))
	}, func(app core.App) error {
		return execAll(app, tallyLogReportUp(false))
	})
}

// tallyLogReportUp makes the log's triggers, with the report's id (withId)
// or, going down, without it as 1764120800 made them.
func tallyLogReportUp(withId bool) []string {
	columns := tallyLogColumns
	if withId {
		columns = append([]string{"id"}, tallyLogColumns...)
	}
	appendRow := func(row, sign string) string {
		values := make([]string, len(columns))
		names := slices.Clone(columns)
		for i, c := range columns {
			values[i] = row + "." + c
			if c == "id" {
				names[i] = "report"
			}
		}
		return `INSERT INTO report_tally_log (sign, ` + strings.Join(names, ", ") + `)
		VALUES (` + sign + `, ` + strings.Join(values, ", ") + `);`
	}
	changed := tallyLogChanged()
	if withId {
		changed += " OR OLD.id IS NOT NEW.id"
	}
	sqls := []string{
		`DROP TRIGGER report_tally_log_insert`,
		`DROP TRIGGER report_tally_log_update`,
		`DROP TRIGGER report_tally_log_delete`,
	}
	if withId {
		sqls = append(sqls, `ALTER TABLE report_tally_log ADD COLUMN report TEXT`)
	} else {
		sqls = append(sqls, `ALTER TABLE report_tally_log DROP COLUMN report`)
	}
	return append(sqls,
		`CREATE TRIGGER report_tally_log_insert AFTER INSERT ON reports BEGIN
			`+appendRow("NEW", "1")+`
		END`,
		`CREATE TRIGGER report_tally_log_update AFTER UPDATE ON reports
			WHEN `+changed+` BEGIN
			`+appendRow("OLD", "-1")+`
			`+appendRow("NEW", "1")+`
		END`,
		`CREATE TRIGGER report_tally_log_delete AFTER DELETE ON reports BEGIN
			`+appendRow("OLD", "-1")+`
		END`,
	)
}
