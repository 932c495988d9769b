package pb_migrations_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// TestNationalityMigrationMapsFreeText: nationalities stored as free text
// before the list become its codes where they name a listed country, in any
// of the app's languages; other text becomes "other" and is kept for staff.
func TestNationalityMigrationMapsFreeText(t *testing.T) {
	app := newTestApp(t)
	mig := migration(t, "1764120010_nationality_list.go")
	if err := mig.Down(app); err != nil {
		t.Fatal(err)
	}
	emb := saveEmbassy(t, app)
	cases := []struct{ stored, code, original string }{
		{"Myanmar", "MM", ""},
		{"မြန်မာ", "MM", ""},
		{"Burmese", "MM", ""},
		{"Indonesia", "ID", ""},
		{"indonesian ", "ID", ""},
		{"Viet Nam", "VN", ""},
		{"Việt Nam", "VN", ""},
		{"vn", "VN", ""},
		{"THA", "TH", ""},
		{"ประเทศไทย", "TH", ""},
		{"中国", "CN", ""},
		{"កម្ពុជា", "KH", ""},
		{"Pilipinas", "PH", ""},
		{"Filipino", "PH", ""},
		{"Lào", "LA", ""},
		{"Atlantis", "other", "Atlantis"},
		{"Germany", "other", "Germany"},
		{"", "", ""},
	}
	ids := make([]string, len(cases))
	for i, c := range cases {
		r := core.NewRecord(mustCollection(t, app, "reports"))
		r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self", "nationality": c.stored})
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		ids[i] = r.Id
	}
	if err := mig.Up(app); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		r, err := app.FindRecordById("reports", ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.GetString("nationality") != c.code || r.GetString("nationality_original") != c.original {
			t.Errorf("%q became %q (kept %q), want %q (kept %q)", c.stored,
				r.GetString("nationality"), r.GetString("nationality_original"), c.code, c.original)
		}
	}
	// The list is enforced on every write from now on.
	r, _ := app.FindRecordById("reports", ids[0])
	r.Set("nationality", "Myanmar")
	if err := app.Save(r); err == nil {
		t.Fatal("a nationality outside the list was saved")
	}
}
