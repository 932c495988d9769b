package pb_migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// report_events.sealed_by gains "server": `homeward seal-existing` seals a
// staff note stored in clear before its report was sealed to the
// embassy's key on the server, as it seals old reports and messages.

func init() {
	m.Register(func(app core.App) error {
		return eventSealedBy(app, func(v []string) []string {
			if !slices.Contains(v, "server") {
				v = append(v, "server")
			}
			return v
		}, "Who sealed the note: a staff browser, or the server (seal-existing, for a note stored in clear before its report was sealed).")
	}, func(app core.App) error {
		return eventSealedBy(app, func(v []string) []string {
			return slices.DeleteFunc(v, func(s string) bool { return s == "server" })
		}, "Who sealed the note: a staff browser.")
	})
}

func eventSealedBy(app core.App, values func([]string) []string, help string) error {
	events, err := app.FindCollectionByNameOrId("report_events")
	if err != nil {
		return err
	}
	by, ok := events.Fields.GetByName("sealed_by").(*core.SelectField)
	if !ok {
		return fmt.Errorf("report_events.sealed_by is not a select field")
	}
	by.Values = values(by.Values)
	by.Help = help
	if err := app.Save(events); err != nil {
		return fmt.Errorf("report_events sealed_by server: %w", err)
	}
	return nil
}
