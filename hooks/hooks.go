// Package hooks wires Homeward's packages into a PocketBase app. main.go
// and the tests both call Register, so tests run the app as it ships.
package hooks

import (
	"io"
	"io/fs"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"homeward/hooks/accounts"
	"homeward/hooks/demo"
	"homeward/hooks/drill"
	"homeward/hooks/limits"
	"homeward/hooks/openrosa"
	"homeward/hooks/privacy"
	"homeward/hooks/qr"
	"homeward/hooks/reportindex"
	"homeward/hooks/reports"
	"homeward/hooks/sealing"
	"homeward/hooks/sealkeys"
	"homeward/hooks/setup"
	"homeward/hooks/staff"
	"homeward/hooks/syncapi"
	"homeward/hooks/web"
)

// Config is what the wiring needs from the command line and the binary.
type Config struct {
	Public fs.FS // the web root (pb_public), embedded in the binary
	Demo   bool  // load clearly marked demo data on serve

	// Dev is --dev: PocketBase's dev mode, and a local public address
	// allowed for trying QR codes on a laptop.
	Dev bool
	// PublicURL is --public-url, saved as the Application URL on serve.
	PublicURL string
	// Drill is --drill: a restore drill's server, which makes no backups
	// on a schedule or in S3 and sends no e-mail (package drill).
	Drill bool
	// Out is where the start-up checks are printed; os.Stdout if nil.
	Out io.Writer

	// Commands is the root command that packages add their subcommands to
	// (e.g. "qr rotate-key"); nil in tests.
	Commands *cobra.Command
}

// Register binds every Homeward package to app.
func Register(app core.App, cfg Config) error {
	for _, register := range []func(core.App) error{
		func(app core.App) error {
			return setup.Register(app, setup.Config{Dev: cfg.Dev, PublicURL: cfg.PublicURL, Out: cfg.Out})
		},
		privacy.Register,
		limits.Register,
		reports.Register,
		sealing.Register,
		reportindex.Register,
		syncapi.Register,
		staff.Register,
		sealkeys.Register,
		qr.Register,
		func(app core.App) error { return openrosa.Register(app, cfg.Public) },
		func(app core.App) error { return demo.Register(app, cfg.Demo) },
		func(app core.App) error { return drill.Register(app, cfg.Drill, cfg.Out) },
		func(app core.App) error { return web.Register(app, cfg.Public) },
	} {
		if err := register(app); err != nil {
			return err
		}
	}
	if cfg.Commands != nil {
		cfg.Commands.AddCommand(qr.NewCommand(app))
		cfg.Commands.AddCommand(accounts.NewCommands(app)...)
		cfg.Commands.AddCommand(privacy.NewSettingsCommand(app))
		cfg.Commands.AddCommand(sealing.NewCommand(app))
		cfg.Commands.AddCommand(sealkeys.NewEscrowCommand(app))
	}
	return nil
}
