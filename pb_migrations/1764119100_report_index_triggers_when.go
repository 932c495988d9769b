package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase writes every column of a record when it saves it, so the
// update triggers of the search and needs indexes fired on each status
// change and re-indexed text that had not changed: for the search index, a
// trigram tokenizing of the old and the new text and a flush of the index.
// The triggers now run only when a column they read has changed.
var reportIndexTriggersWhenUp = []string{
	`DROP TRIGGER report_needs_update`,
	withWhen(reportNeedsUpdateTrigger, "id", "embassy", "needs", "created"),
	`DROP TRIGGER report_search_update`,
	withWhen(reportSearchUpdateTrigger, "id", "embassy", "message", "compound_location", "current_location"),
}

// reportIndexTriggersWhenDown puts back the triggers of 1764118100.
var reportIndexTriggersWhenDown = []string{
	`DROP TRIGGER report_needs_update`,
	reportNeedsUpdateTrigger,
	`DROP TRIGGER report_search_update`,
	reportSearchUpdateTrigger,
}

// withWhen adds to an update trigger on reports the condition that one of
// cols changed.
func withWhen(trigger string, cols ...string) string {
	changed := make([]string, len(cols))
	for i, c := range cols {
		changed[i] = "old." + c + " IS NOT new." + c
	}
	return strings.Replace(trigger, " ON reports BEGIN", " ON reports WHEN "+strings.Join(changed, " OR ")+" BEGIN", 1)
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, reportIndexTriggersWhenUp)
	}, func(app core.App) error {
		return execAll(app, reportIndexTriggersWhenDown)
	})
}
