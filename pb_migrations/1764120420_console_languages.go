package pb_migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The console in the staff's languages, and embassy details in the
// reporters':
//   - staff.language, the language the console shows a member of staff
//     (their browser's when empty);
//   - embassies.i18n, optional per-language variants of what reporters
//     read about an embassy: {"th": {"name": "…", "hours": "…", "notes":
//     "…", "what_to_bring": "…"}}. The plain fields stay the default, so a
//     client that knows nothing of i18n shows what it always showed.

// maxEmbassyI18n bounds the variants: eight languages of the four fields
// at their own limits (200 + 200 + 2000 + 1000 characters, up to 4 bytes
// each in UTF-8) fit.
const maxEmbassyI18n = 8 * 4 * (200 + 200 + 2000 + 1000 + 100)

func init() {
	m.Register(func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		staff.Fields.Add(&core.SelectField{Name: "language", Values: slices.Clone(languages), MaxSelect: 1,
			Help: "The language of the staff console for this person; their browser's when empty."})
		if err := app.Save(staff); err != nil {
			return fmt.Errorf("staff language: %w", err)
		}
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.Add(&core.JSONField{Name: "i18n", MaxSize: maxEmbassyI18n,
			Help: `Optional, by language: {"th": {"name": "…", "hours": "…", "notes": "…", "what_to_bring": "…"}}. Reporters reading in that language see these instead of the fields above; any left out fall back to them.`})
		if err := app.Save(embassies); err != nil {
			return fmt.Errorf("embassies i18n: %w", err)
		}
		return nil
	}, func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.RemoveByName("i18n")
		if err := app.Save(embassies); err != nil {
			return err
		}
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		staff.Fields.RemoveByName("language")
		return app.Save(staff)
	})
}
