package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// What a superuser reads in the dashboard (/_/) beside each private field
// of a report and the body of a message: on a sealed record the field is
// empty, because its content is only in the envelope (`sealed`), which
// only the embassy's staff open, in their browsers (docs/SECURITY.md,
// "Sealed reports"). The dashboard shows a field's help under it.

const sealedHelp = "SEALED when `sealed` is set: then this is empty, and the content is only in the envelope, which only the embassy's staff can open, in their browsers. "

var sealedHelpFields = map[string][]string{
	"reports":  {"message", "contact_name", "contact_phone", "contact_app", "compound_location", "compound_point", "current_location"},
	"messages": {"body"},
}

func init() {
	m.Register(func(app core.App) error {
		return setSealedHelp(app, true)
	}, func(app core.App) error {
		return setSealedHelp(app, false)
	})
}

func setSealedHelp(app core.App, on bool) error {
	for name, fields := range sealedHelpFields {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, f := range fields {
			field := c.Fields.GetByName(f)
			if field == nil {
				return fmt.Errorf("%s.%s: no such field", name, f)
			}
			var help *string
			switch tf := field.(type) {
			case *core.TextField:
				help = &tf.Help
			case *core.GeoPointField:
				help = &tf.Help
			default:
				return fmt.Errorf("%s.%s: a %T", name, f, field)
			}
			if on && !strings.HasPrefix(*help, sealedHelp) {
				*help = sealedHelp + *help
			}
			if !on {
				*help = strings.TrimPrefix(*help, sealedHelp)
			}
		}
		if err := app.Save(c); err != nil {
			return fmt.Errorf("%s sealed help: %w", name, err)
		}
	}
	return nil
}
