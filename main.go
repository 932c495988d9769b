// Command homeward runs the Homeward server: PocketBase with the sync API,
// signed QR links and the embedded web apps.
package main

import (
	"embed"
	"io/fs"
	"log"
	"os"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"homeward/hooks"
	"homeward/internal/sqlitedb"
	_ "homeward/pb_migrations"
)

//go:embed all:pb_public
var embedded embed.FS

func main() {
	app := pocketbase.NewWithConfig(pocketbase.Config{DBConnect: sqlitedb.Connect})

	var withDemo bool
	app.RootCmd.PersistentFlags().BoolVar(&withDemo, "demo", false, "load clearly marked demo embassies and a demo superuser")
	app.RootCmd.ParseFlags(os.Args[1:])

	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangGo,
		Automigrate:  osutils.IsProbablyGoRun(),
		Dir:          "pb_migrations",
	})

	public, err := fs.Sub(embedded, "pb_public")
	if err != nil {
		log.Fatal(err)
	}
	if err := hooks.Register(app, hooks.Config{Public: public, Demo: withDemo, Commands: app.RootCmd}); err != nil {
		log.Fatal(err)
	}

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
