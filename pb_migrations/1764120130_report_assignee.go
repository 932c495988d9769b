package pb_migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A report may be assigned to one member of its embassy's staff, so a small
// team can share a flood of reports without two people answering the same
// one. Every change of assignee is an audit event of the kind "assign"
// (hooks/reports); the list's "assigned to me" and "unassigned" filters
// are served by an (embassy, assignee, created) index.

// eventKindsWithAssign is vocab.EventKinds as this migration set it, frozen.
var eventKindsWithAssign = []string{"created", "status", "note", "reply", "route", "duplicate", "export", "assign"}

// eventKindsBeforeAssign is the select's values before, for the down step.
var eventKindsBeforeAssign = []string{"created", "status", "note", "reply", "route", "duplicate", "export"}

const idxReportsAssignee = "idx_reports_embassy_assignee"

func init() {
	m.Register(func(app core.App) error {
		return applyReportAssignee(app, true)
	}, func(app core.App) error {
		return applyReportAssignee(app, false)
	})
}

func applyReportAssignee(app core.App, up bool) error {
	reportsCol, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		return err
	}
	staff, err := app.FindCollectionByNameOrId("staff")
	if err != nil {
		return err
	}
	if up {
		reportsCol.Fields.Add(&core.RelationField{
			Name:         "assignee",
			CollectionId: staff.Id,
			MaxSelect:    1,
			Help:         "The staff member of the report's embassy who looks after it. Every change is logged in report_events.",
		})
		reportsCol.AddIndex(idxReportsAssignee, false, "embassy, assignee, created", "")
	} else {
		reportsCol.RemoveIndex(idxReportsAssignee)
		reportsCol.Fields.RemoveByName("assignee")
	}
	if err := app.Save(reportsCol); err != nil {
		return fmt.Errorf("reports assignee: %w", err)
	}

	events, err := app.FindCollectionByNameOrId("report_events")
	if err != nil {
		return err
	}
	kind, ok := events.Fields.GetByName("kind").(*core.SelectField)
	if !ok {
		return fmt.Errorf("report_events.kind is not a select field")
	}
	kind.Values = slices.Clone(eventKindsBeforeAssign)
	if up {
		kind.Values = slices.Clone(eventKindsWithAssign)
	}
	return app.Save(events)
}
