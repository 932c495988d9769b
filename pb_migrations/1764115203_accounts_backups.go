package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// minPasswordLength applies to staff, volunteers and superusers: long
// passphrases beat complexity rules, and sign-in attempts are rate limited.
const minPasswordLength = 12

// authCollections are the accounts whose password rule is raised.
var authCollections = []string{core.CollectionNameSuperusers, "staff", "volunteers"}

func init() {
	m.Register(func(app core.App) error {
		if err := setPasswordMin(app, minPasswordLength); err != nil {
			return err
		}
		// A nightly local backup, a week kept; off-site copies are set up per
		// deployment (S3 backups or Litestream, see docs/SECURITY.md).
		s := app.Settings()
		s.Backups.Cron = "30 2 * * *"
		s.Backups.CronMaxKeep = 7
		return app.Save(s)
	}, func(app core.App) error {
		if err := setPasswordMin(app, 8); err != nil {
			return err
		}
		s := app.Settings()
		s.Backups.Cron = ""
		s.Backups.CronMaxKeep = 3
		return app.Save(s)
	})
}

func setPasswordMin(app core.App, min int) error {
	for _, name := range authCollections {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		c.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField).Min = min
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
