// Package setup checks how a deployment is configured: the official public
// address that QR codes and posters carry (PublicURL), and the settings
// whose absence an operator must hear about before people rely on the
// service (Checks): mail for urgent-report notices, trusted proxy headers,
// backups, demo data. The checks are printed when the server starts and
// shown to staff in the console.
package setup

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// Config is what the command line says about the deployment.
type Config struct {
	// Dev is --dev: a local or plain-http public address is allowed, for
	// trying the QR codes on a laptop.
	Dev bool
	// PublicURL is --public-url: when set, it is checked and saved as the
	// Application URL when the server starts; a bad one stops the start.
	PublicURL string
	// Out is where the start banner's checks are printed; os.Stdout if nil.
	Out io.Writer
}

// configStoreKey is where an app keeps its Config, so the checks of one
// app read its own flags, and tests with many apps do not share them.
const configStoreKey = "homeward.setup.config"

func configOf(app core.App) Config {
	cfg, _ := app.Store().Get(configStoreKey).(Config)
	return cfg
}

// Register saves --public-url, prints what is not configured when the
// server starts, watches for proxied requests the settings do not trust,
// and serves the checks to staff at GET /api/setup/checks.
func Register(app core.App, cfg Config) error {
	if cfg.PublicURL != "" {
		if err := checkFlag(cfg.PublicURL, cfg.Dev); err != nil {
			return err
		}
	}
	app.Store().Set(configStoreKey, cfg)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if cfg.PublicURL != "" {
			if err := savePublicURL(se.App, cfg.PublicURL); err != nil {
				return fmt.Errorf("save --public-url: %w", err)
			}
		}
		// One documented way to make the first superuser (superuser
		// upsert); PocketBase's installer would print a second one, a
		// sign-up link that works for anyone who sees the console.
		se.InstallerFunc = nil
		se.UIExtensions = append(se.UIExtensions, core.UIExtension{Name: "homeward-setup", FS: dashboardExtension})
		se.Router.BindFunc(watchProxies)
		se.Router.GET("/api/setup/checks", checksHandler).Bind(apis.RequireAuth(core.CollectionNameSuperusers, "staff"))
		if err := se.Next(); err != nil {
			return err
		}
		// Printed once every start-up hook has run (the demo data among
		// them), so it says what the console's checks say.
		out := cfg.Out
		if out == nil {
			out = os.Stdout
		}
		printChecks(out, se.App)
		return nil
	})
	return nil
}

// printChecks writes one line for each thing that is not configured, and
// each active embassy that has no sealing key yet.
func printChecks(w io.Writer, app core.App) {
	printKeyless(w, app)
	checks := Checks(app)
	if len(checks) == 0 {
		fmt.Fprintln(w, "Homeward: configured (public address, mail, backups).")
		return
	}
	fmt.Fprintf(w, "Homeward: %d thing(s) not configured:\n", len(checks))
	for _, c := range checks {
		fmt.Fprintf(w, "  ! %s\n    Fix: %s\n", c.Message, c.Fix)
	}
}

// dashboardExtension shows the checks as a banner in PocketBase's
// dashboard (/_/), where superusers work.
//
//go:embed dashboard
var dashboardFiles embed.FS

var dashboardExtension = mustSub(dashboardFiles, "dashboard")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// checksResponse is the body of GET /api/setup/checks.
type checksResponse struct {
	Checks []Check `json:"checks"`
}

func checksHandler(e *core.RequestEvent) error {
	return e.JSON(http.StatusOK, checksResponse{Checks: Checks(e.App)})
}

// printKeyless names the active embassies with no sealing key yet: they
// receive no report until a member of their staff makes it (or, taking
// reports in clear until then, store them readable on the server).
func printKeyless(w io.Writer, app core.App) {
	var rows []struct {
		Slug  string `db:"slug"`
		Clear bool   `db:"clear_until_keyed"`
	}
	err := app.DB().NewQuery("SELECT slug, clear_until_keyed FROM embassies WHERE active = TRUE AND id NOT IN (SELECT embassy FROM embassy_keys) ORDER BY slug").All(&rows)
	if err != nil {
		return // the other checks still print
	}
	for _, r := range rows {
		if r.Clear {
			fmt.Fprintf(w, "Homeward: embassy %s has no sealing key yet and takes reports in clear: they are stored readable on this server. A member of its staff makes the key at /staff/#/keys.\n", r.Slug)
		} else {
			fmt.Fprintf(w, "Homeward: embassy %s has no sealing key yet, so it receives no reports (they wait on the phones). A member of its staff makes it at /staff/#/keys.\n", r.Slug)
		}
	}
}
