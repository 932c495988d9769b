package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// embassies.staff_idle_minutes: how long the staff console may sit unused
// in a browser before it signs out every tab and drops its token. The
// console keeps one sign-in per browser (localStorage), so on a shared or
// borrowed computer this is what ends a session someone walked away from.
// Empty means 30 minutes. There is no "off": the longest is 600 minutes,
// the staff token's own life (1764118000_staff_console.go), after which
// the session ends anyway. Decimals are allowed (0.5 is 30 seconds).
// Hidden from the public embassy list; the embassy's own staff read it
// (hooks/staff unhides it for them).

func init() {
	m.Register(func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.Add(&core.NumberField{Name: "staff_idle_minutes", Min: types.Pointer(0.0), Max: types.Pointer(600.0), Hidden: true,
			Help: "Minutes the staff console may sit unused before it signs out on every tab of that browser (30 when empty, at most 600)."})
		if err := app.Save(embassies); err != nil {
			return fmt.Errorf("embassies staff_idle_minutes: %w", err)
		}
		return nil
	}, func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.RemoveByName("staff_idle_minutes")
		return app.Save(embassies)
	})
}
