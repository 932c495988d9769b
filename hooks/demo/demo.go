// Package demo loads clearly marked demo data on request (serve --demo), and
// tells a new operator how to create the first superuser. A plain start
// never invents embassy contacts: real ones come from administrators.
package demo

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/dbx"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/osutils"
)

// Marker is written into every contact field of demo data.
const Marker = "DEMO: not a real number"

// SuperuserEmail is the demo superuser's login.
const SuperuserEmail = "demo-admin@homeward.example"

type embassy struct {
	slug, name, country string
	languages           []string
}

var embassies = []embassy{
	{"demo-indonesia", "DEMO Embassy of Indonesia", "Indonesia", []string{"id", "en"}},
	{"demo-philippines", "DEMO Embassy of the Philippines", "Philippines", []string{"fil", "en"}},
	{"demo-vietnam", "DEMO Embassy of Viet Nam", "Viet Nam", []string{"vi", "en"}},
	{"demo-myanmar", "DEMO Embassy of Myanmar", "Myanmar", []string{"my", "en"}},
}

// Register makes app load demo data when enabled, and print set-up hints.
func Register(app core.App, enabled bool) error {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if enabled {
			if err := Load(se.App); err != nil {
				return fmt.Errorf("load demo data: %w", err)
			}
		} else if n, _ := se.App.CountRecords(core.CollectionNameSuperusers); n == 0 {
			fmt.Println("No superuser yet. Create one with:  " + command(se.App, "superuser upsert EMAIL PASSWORD"))
			fmt.Println("or try demo data, in a data dir of its own: " + program() + " serve --demo --dir pb_demo")
		}
		return se.Next()
	})
	return nil
}

// program is how the operator started this binary: `go run .` under go
// run, else the path it was started by.
func program() string {
	if osutils.IsProbablyGoRun() {
		return "go run ."
	}
	return os.Args[0]
}

// command is the command line that runs args on app's data dir: with its
// --dir unless it is the default one, which a command given no --dir
// opens. Without it, the hint on a server would make a superuser in
// another data dir, and sign-ins would still fail.
func command(app core.App, args string) string {
	line := program() + " " + args
	base := filepath.Dir(os.Args[0])
	if osutils.IsProbablyGoRun() {
		base, _ = os.Getwd()
	}
	dir, _ := filepath.Abs(app.DataDir())
	if def, _ := filepath.Abs(filepath.Join(base, "pb_data")); dir != def {
		line += " --dir " + dir
	}
	return line
}

// Load upserts the demo embassies and a demo superuser with a new random
// password, printed on the console. It refuses, writing nothing, a data dir
// that holds real data (see RefuseRealData).
func Load(app core.App) error {
	if err := RefuseRealData(app); err != nil {
		return err
	}
	col, err := app.FindCollectionByNameOrId("embassies")
	if err != nil {
		return err
	}
	passphrase, err := demoPassphrase(app)
	if err != nil {
		return err
	}
	var lines []string
	for _, d := range embassies {
		rec, err := app.FindFirstRecordByData(col, "slug", d.slug)
		if err != nil {
			rec = core.NewRecord(col)
		}
		rec.Load(map[string]any{
			"slug":          d.slug,
			"name":          d.name,
			"country":       d.country,
			"active":        true,
			"demo":          true,
			"hotline":       Marker,
			"messaging":     Marker,
			"address":       "DEMO: not a real address",
			"hours":         "DEMO: Mon-Fri 08:00-17:00",
			"languages":     d.languages,
			"what_to_bring": "DEMO: any ID you still have, even a photo of your passport.",
			"notes":         "This is demo data for trying Homeward. Do not call or visit.",
		})
		if err := app.Save(rec); err != nil {
			return fmt.Errorf("save %s: %w", d.slug, err)
		}
		member, password, err := demoStaff(app, rec, d)
		if err != nil {
			return err
		}
		made, err := demoKeys(app, rec, member, passphrase)
		if err != nil {
			return fmt.Errorf("demo keys of %s: %w", d.slug, err)
		}
		line := fmt.Sprintf("DEMO staff of %s for /staff/:  %s  /  %s", d.country, member.Email(), password)
		if made {
			line += "  (demo key made)"
		}
		lines = append(lines, line)
	}

	su, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, SuperuserEmail)
	if err != nil {
		col, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		su = core.NewRecord(col)
		su.SetEmail(SuperuserEmail)
	}
	password := rand.Text()
	su.SetPassword(password)
	if err := app.Save(su); err != nil {
		return fmt.Errorf("save demo superuser: %w", err)
	}
	fmt.Printf("DEMO data loaded: %d demo embassies (marked %q).\n", len(embassies), Marker)
	fmt.Printf("DEMO superuser for /_/:  %s  /  %s\n", SuperuserEmail, password)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("DEMO key passphrase of every demo staff member (Keys screen, \"restore\"):  %s\n", passphrase)
	fmt.Printf("  (demo keys are not secret: the passphrase is kept in %s)\n", DemoPassphraseFile)
	return nil
}

// RefuseRealData answers an error when the data dir holds an embassy not
// marked demo, or a superuser other than the demo one: demo data there
// would list four active embassies reporters could pick, and print a
// working superuser password into the operator's console or journal.
func RefuseRealData(app core.App) error {
	var why []string
	var real []string
	err := app.RecordQuery("embassies").Select("slug").AndWhere(dbx.HashExp{"demo": false}).OrderBy("slug").Limit(3).Column(&real)
	if err != nil {
		return err
	}
	if len(real) > 0 {
		why = append(why, "embassies not marked demo ("+strings.Join(real, ", ")+")")
	}
	n, err := app.CountRecords(core.CollectionNameSuperusers, dbx.Not(dbx.HashExp{"email": SuperuserEmail}))
	if err != nil {
		return err
	}
	if n > 0 {
		why = append(why, fmt.Sprintf("%d superuser(s) of its own", n))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("--demo refused: this data dir holds real data: %s. Demo data would add four active demo embassies reporters could pick, and a demo superuser. Try the demo in a data dir of its own: serve --demo --dir pb_demo", strings.Join(why, " and "))
}
