package pb_migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A new kind of audit event, "print": a member of staff printed a report's
// case sheet (POST /api/staff/reports/{id}/print, hooks/staff).

// eventKindsWithPrint is vocab.EventKinds as this migration set it, frozen.
var eventKindsWithPrint = []string{"created", "status", "note", "reply", "route", "duplicate", "export", "assign", "print"}

func init() {
	m.Register(func(app core.App) error {
		return setEventKinds(app, eventKindsWithPrint)
	}, func(app core.App) error {
		return setEventKinds(app, eventKindsWithAssign)
	})
}

func setEventKinds(app core.App, values []string) error {
	events, err := app.FindCollectionByNameOrId("report_events")
	if err != nil {
		return err
	}
	kind, ok := events.Fields.GetByName("kind").(*core.SelectField)
	if !ok {
		return fmt.Errorf("report_events.kind is not a select field")
	}
	kind.Values = slices.Clone(values)
	return app.Save(events)
}
