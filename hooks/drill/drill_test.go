package drill_test

import (
	"encoding/json"
	"io"
	"net/mail"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"homeward/hooks/drill"
)

// backupSchedule is a schedule no other job of the app has.
const backupSchedule = "17 3 * * *"

// liveSettings gives app the settings of a live server: a nightly backup
// uploaded to S3, and mail.
func liveSettings(t *testing.T, app *tests.TestApp) {
	t.Helper()
	s := app.Settings()
	s.Backups.Cron = backupSchedule
	s.Backups.CronMaxKeep = 7
	s.Backups.S3.Enabled = true
	s.Backups.S3.Bucket = "live-backups"
	s.Backups.S3.Region = "test"
	s.Backups.S3.Endpoint = "http://127.0.0.1:9"
	s.Backups.S3.AccessKey = "key"
	s.Backups.S3.Secret = "secret"
	s.SMTP.Enabled = true
	s.SMTP.Host = "127.0.0.1"
	s.SMTP.Port = 9
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
}

func scheduled(app *tests.TestApp) bool {
	for _, j := range app.Cron().Jobs() {
		if j.Expression() == backupSchedule {
			return true
		}
	}
	return false
}

func send(t *testing.T, app *tests.TestApp) {
	t.Helper()
	err := app.NewMailClient().Send(&mailer.Message{
		From: mail.Address{Address: "homeward@example.org"}, To: []mail.Address{{Address: "staff@example.org"}},
		Subject: "An urgent report has arrived", Text: "Open the staff console.",
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestADrillMakesNoBackupAndSendsNoMail: with the live server's settings
// loaded (as a restored copy has them), a drill schedules no backup, keeps
// no S3 backup storage, and sends no e-mail; the stored settings are left
// as they were. Without --drill the same settings schedule the backup and
// send mail, which shows the test can see both.
func TestADrillMakesNoBackupAndSendsNoMail(t *testing.T) {
	for _, on := range []bool{false, true} {
		app, err := tests.NewTestApp()
		if err != nil {
			t.Fatal(err)
		}
		defer app.Cleanup()
		if err := drill.Register(app, on, io.Discard); err != nil {
			t.Fatal(err)
		}
		liveSettings(t, app) // saving reloads the settings
		if err := app.ReloadSettings(); err != nil {
			t.Fatal(err)
		}
		send(t, app)
		if !on {
			if !scheduled(app) || !app.Settings().Backups.S3.Enabled || app.TestMailer.TotalSend() != 1 {
				t.Fatalf("without --drill: backup scheduled %v, S3 %v, mails sent %d; want the live server's behaviour",
					scheduled(app), app.Settings().Backups.S3.Enabled, app.TestMailer.TotalSend())
			}
			continue
		}
		if scheduled(app) {
			t.Fatal("a drill schedules the live server's backup")
		}
		if app.Settings().Backups.S3.Enabled || app.Settings().Backups.Cron != "" {
			t.Fatalf("a drill's backups: cron %q, S3 %v; want none, local", app.Settings().Backups.Cron, app.Settings().Backups.S3.Enabled)
		}
		if n := app.TestMailer.TotalSend(); n != 0 {
			t.Fatalf("a drill sent %d e-mails", n)
		}
		// The stored settings are the live server's still.
		var stored struct {
			Backups struct {
				Cron string `json:"cron"`
				S3   struct {
					Enabled bool `json:"enabled"`
				} `json:"s3"`
			} `json:"backups"`
		}
		var raw string
		if err := app.DB().NewQuery("SELECT value FROM _params WHERE id = 'settings'").Row(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &stored); err != nil {
			t.Fatal(err)
		}
		if stored.Backups.Cron != backupSchedule || !stored.Backups.S3.Enabled {
			t.Fatalf("a drill changed the stored settings: %+v", stored.Backups)
		}
	}
}
