// Package drill makes a server started with --drill act on nothing outside
// its own data dir. A restore drill (docs/DEPLOY.md, section 6) starts a
// copy of the live database, with the live server's settings: left as they
// are, the copy's nightly backup would be uploaded to the live server's S3
// bucket and would prune the live archives there (PocketBase keeps the
// newest CronMaxKeep of them, whoever made them), and its mail settings
// would e-mail the embassies' staff.
package drill

import (
	"fmt"
	"io"
	"os"

	"github.com/pocketbase/pocketbase/core"
)

// Register binds the drill's hooks to app when on is true, and says so on
// out (os.Stdout if nil) when the server starts:
//   - each time the settings are loaded, the scheduled backup and the
//     backups' S3 storage are turned off in memory (the stored settings
//     are left as they are), so no backup is made on a schedule and none
//     leaves the machine;
//   - no e-mail is sent; each one held back is logged with its subject,
//     never its recipients.
//
// S3 file storage (attachments) is left on, for the drill to show them:
// deleting a report in a drill deletes its files in the live bucket.
func Register(app core.App, on bool, out io.Writer) error {
	if !on {
		return nil
	}
	if out == nil {
		out = os.Stdout
	}
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		fmt.Fprintln(out, "Restore drill (--drill): no backup is made on a schedule or sent to S3, and no e-mail is sent.")
		fmt.Fprintln(out, "With S3 file storage, attachments are the live server's: delete nothing here.")
		return e.Next()
	})
	app.OnSettingsReload().BindFunc(func(e *core.SettingsReloadEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		s := e.App.Settings()
		s.Backups.Cron = ""
		s.Backups.S3.Enabled = false
		return nil
	})
	app.OnMailerSend().BindFunc(func(e *core.MailerEvent) error {
		e.App.Logger().Info("Restore drill: an e-mail was not sent.", "subject", e.Message.Subject)
		return nil
	})
	return nil
}
