package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// idx_reports_embassy_sealed holds an embassy's sealed reports, newest
// first: the console reads them to open and search them itself
// (GET /api/staff/reports?sealed=1, pb_public/staff/sealedsearch.js) with
// every search and every count of a search. Without it, an embassy of
// 100,000 reports in clear and none sealed read all 100,000 to find that
// (57 ms). Its condition is the one the list route's sealed=1 adds.
const idxReportsSealed = "idx_reports_embassy_sealed"

func init() {
	m.Register(func(app core.App) error {
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		reports.AddIndex(idxReportsSealed, false, "embassy, created", "sealed IS NOT NULL AND sealed != '' AND sealed != 'null'")
		return app.Save(reports)
	}, func(app core.App) error {
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		reports.RemoveIndex(idxReportsSealed)
		return app.Save(reports)
	})
}
