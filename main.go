// Command homeward runs the Homeward server: PocketBase with the sync API,
// signed QR links and the embedded web apps.
package main

import (
	"embed"
	"io/fs"
	"log"
	"os"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"

	"homeward/hooks"
	"homeward/hooks/sealkeys"
	"homeward/internal/sqlitedb"
	_ "homeward/pb_migrations"
)

//go:embed all:pb_public
var embedded embed.FS

func main() {
	// Making an escrow key pair happens on the escrow holder's offline
	// machine and needs no app: opening one would leave a data dir there.
	if len(os.Args) > 2 && os.Args[1] == "escrow" && os.Args[2] == "keygen" {
		keygen := sealkeys.EscrowKeygenCommand()
		keygen.SetArgs(os.Args[3:])
		if err := keygen.Execute(); err != nil {
			os.Exit(1)
		}
		return
	}

	// Dev mode is off unless --dev is given: PocketBase would otherwise turn
	// it on by itself under `go run`, the README's command, and print every
	// SQL statement with its values.
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false, DBConnect: sqlitedb.Connect})

	var withDemo, automigrate, drill bool
	var publicURL string
	flags := app.RootCmd.PersistentFlags()
	flags.BoolVar(&withDemo, "demo", false, "load clearly marked demo embassies and a demo superuser")
	flags.BoolVar(&automigrate, "automigrate", false, "write a migration into ./pb_migrations for each collection change made in the dashboard (development only)")
	flags.BoolVar(&drill, "drill", false, "a restore drill's server: no scheduled or S3 backups and no e-mail, whatever the restored settings say")
	flags.StringVar(&publicURL, "public-url", "", "the official public address, e.g. https://homeward.example.org (saved as the Application URL)")
	app.RootCmd.ParseFlags(os.Args[1:])

	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangGo,
		Automigrate:  automigrate,
		Dir:          "pb_migrations",
	})

	public, err := fs.Sub(embedded, "pb_public")
	if err != nil {
		log.Fatal(err)
	}
	cfg := hooks.Config{
		Public:    public,
		Demo:      withDemo,
		Dev:       app.IsDev(),
		PublicURL: publicURL,
		Drill:     drill,
		Commands:  app.RootCmd,
	}
	if err := hooks.Register(app, cfg); err != nil {
		log.Fatal(err)
	}

	profileFromEnv(app)
	// What app.Start does, with the command line's failures watched: the
	// system commands, then Execute.
	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app))
	app.RootCmd.AddCommand(cmd.NewServeCommand(app, true))
	failed := watchFailures(app.RootCmd)
	if err := app.Execute(); err != nil {
		log.Fatal(err)
	}
	if failed() {
		os.Exit(1)
	}
}
