package demo_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/demo"
	"homeward/internal/testserver"
)

// TestDemoRefusesADataDirWithRealData: demo data is never loaded beside
// real data. A data dir with an embassy not marked demo, or a superuser of
// its own, is refused with an error that says why, and nothing is written:
// no demo embassy, no demo superuser. A data dir holding the demo alone,
// reports and all, takes it again.
func TestDemoRefusesADataDirWithRealData(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		real func(t *testing.T, app core.App)
		says string
	}{
		{"a real embassy", func(t *testing.T, app core.App) {
			testserver.SaveRecord(t, app, "embassies", map[string]any{"slug": "testland", "name": "Embassy of Testland", "country": "Testland", "hotline": "+000 23 000 000"})
		}, "embassies not marked demo (testland)"},
		{"a superuser of its own", func(t *testing.T, app core.App) {
			col, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
			if err != nil {
				t.Fatal(err)
			}
			su := core.NewRecord(col)
			su.SetEmail("admin@embassy.example")
			su.SetPassword("a long passphrase of our own")
			if err := app.Save(su); err != nil {
				t.Fatal(err)
			}
		}, "1 superuser(s) of its own"},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := testserver.NewApp(t, false)
			c.real(t, app)
			err := demo.Load(app)
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "--dir pb_demo") {
				t.Fatalf("want a refusal saying %q and where to try the demo, got %v", c.says, err)
			}
			if n, err := app.CountRecords("embassies"); err != nil || n > 1 {
				t.Fatalf("%d embassies after the refusal (%v): demo data was written", n, err)
			}
			if _, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, demo.SuperuserEmail); err == nil {
				t.Fatal("the demo superuser was made despite the refusal")
			}
		})
	}

	t.Run("the demo alone", func(t *testing.T) {
		app := testserver.NewApp(t, false)
		if err := demo.Load(app); err != nil {
			t.Fatal(err)
		}
		if err := demo.Load(app); err != nil {
			t.Fatalf("a demo data dir is refused on its second start: %v", err)
		}
	})
}
