package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// embassies.clear_until_keyed (docs/SECURITY.md, "An embassy with no key
// yet"): an embassy with no sealing key receives no report and no
// reporter's message, on any path, unless this is set; then, until its
// first key epoch, what reporters send it is stored in clear. Off for
// every embassy made from now on. On for the embassies that exist when
// this runs and have no key, which received reports in clear until now:
// a running deployment must not stop taking reports the moment it is
// upgraded. The start banner and the staff console name each embassy in
// that state (hooks/setup). Public, like the embassy: the reporter's app
// tells people whether the embassy can receive their report.

func init() {
	m.Register(func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.Add(&core.BoolField{Name: "clear_until_keyed",
			Help: "Until this embassy has a sealing key, accept reports in clear (readable on the server). Off: reports wait on the phones until its staff make the key (Keys screen)."})
		if err := app.Save(embassies); err != nil {
			return fmt.Errorf("embassies clear_until_keyed: %w", err)
		}
		_, err = app.DB().NewQuery("UPDATE embassies SET clear_until_keyed = TRUE WHERE id NOT IN (SELECT embassy FROM embassy_keys)").Execute()
		if err != nil {
			return fmt.Errorf("embassies clear_until_keyed: %w", err)
		}
		return nil
	}, func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		embassies.Fields.RemoveByName("clear_until_keyed")
		return app.Save(embassies)
	})
}
