package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// An embassy's own staff may view its record before it is active: the
// console names the embassy, takes its idle timeout (staff_idle_minutes)
// and a new QR link's language from it, and a new embassy's first member
// of staff signs in before anyone has checked its contacts and made it
// public. The public still sees active embassies only, and the list stays
// the public list.

const embassyViewPublic = "active = true"

func init() {
	m.Register(func(app core.App) error {
		return setEmbassyViewRule(app, embassyViewPublic+" || ("+isStaff+" && id = @request.auth.embassy)")
	}, func(app core.App) error {
		return setEmbassyViewRule(app, embassyViewPublic)
	})
}

func setEmbassyViewRule(app core.App, rule string) error {
	embassies, err := app.FindCollectionByNameOrId("embassies")
	if err != nil {
		return err
	}
	embassies.ViewRule = types.Pointer(rule)
	if err := app.Save(embassies); err != nil {
		return fmt.Errorf("embassies view rule: %w", err)
	}
	return nil
}
