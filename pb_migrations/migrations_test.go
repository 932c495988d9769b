package pb_migrations_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	_ "homeward/pb_migrations"
)

// TestMigrationsGoDownAndUpAgain applies every migration to an empty data
// dir, reverts Homeward's own, checks they left nothing behind, and applies
// them again.
func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	if _, err := app.FindCollectionByNameOrId("reports"); err != nil {
		t.Fatalf("after up: %v", err)
	}
	if app.Settings().Logs.LogIP {
		t.Fatal("request logs must not store IP addresses")
	}
	checkAccounts(t, app)

	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	// AppMigrations holds only Homeward's own; PocketBase's are separate.
	n := len(core.AppMigrations.Items())
	if n < 4 {
		t.Fatalf("found %d Homeward migrations, want at least 4", n)
	}
	reverted, err := runner.Down(n)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if len(reverted) != n {
		t.Fatalf("reverted %d migrations, want %d", len(reverted), n)
	}
	for _, name := range []string{"embassies", "reports", "report_events"} {
		if _, err := app.FindCollectionByNameOrId(name); err == nil {
			t.Errorf("%s still exists after down", name)
		}
	}
	for _, table := range []string{"sync_changes", "report_needs", "report_search", "report_search_rows"} {
		if app.HasTable(table) {
			t.Errorf("%s still exists after down", table)
		}
	}

	applied, err := runner.Up()
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	if len(applied) != n {
		t.Fatalf("applied %d migrations, want %d", len(applied), n)
	}
	if _, err := app.FindCollectionByNameOrId("reports"); err != nil {
		t.Fatalf("after up again: %v", err)
	}
	// A further run finds nothing to do.
	if again, err := runner.Up(); err != nil || len(again) != 0 {
		t.Fatalf("third up applied %v, %v; want nothing", again, err)
	}
}

// checkAccounts: long passwords everywhere, short superuser sessions.
func checkAccounts(t *testing.T, app core.App) {
	t.Helper()
	for _, name := range []string{core.CollectionNameSuperusers, "staff", "volunteers"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		if min := c.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField).Min; min < 12 {
			t.Errorf("%s passwords may be %d characters, want at least 12", name, min)
		}
		if name == core.CollectionNameSuperusers && c.AuthToken.Duration > 4*60*60 {
			t.Errorf("superuser sessions last %d s, want at most 4 hours", c.AuthToken.Duration)
		}
	}
}
