package pb_migrations_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/vocab"
	_ "homeward/pb_migrations"
)

// selectVocabulary names, for each select field of Homeward's collections,
// the vocabulary it must hold, and whether it holds many values or one.
var selectVocabulary = map[string]map[string]struct {
	values []string
	many   bool
}{
	"embassies": {"languages": {vocab.Languages, true}},
	"reports": {
		"status":        {vocab.Statuses, false},
		"needs":         {vocab.Needs, true},
		"language":      {vocab.Languages, false},
		"gender":        {vocab.Genders, false},
		"age_band":      {vocab.AgeBands, false},
		"passport_held": {vocab.PassportAnswers, false},
		"channel":       {vocab.Channels, false},
		"sealed_by":     {vocab.SealedBy, false},
	},
	"messages":      {"direction": {vocab.Directions, false}, "sealed_by": {vocab.MessageSealedBy, false}},
	"attachments":   {"sealed_by": {vocab.SealedBy, false}},
	"report_events": {"kind": {vocab.EventKinds, false}, "sealed_by": {vocab.EventSealedBy, false}},
	"qr_links":      {"language": {vocab.Languages, false}},
	"staff":         {"language": {vocab.Languages, false}},
}

// TestSelectFieldsHoldTheVocabulary reads the schema the migrations build
// and holds every select field of it to internal/vocab: the same values
// in the same order, room for all of them where many may be chosen, and
// the nationality pattern. Migrations keep frozen copies, so a value
// added to the vocabulary fails here until a migration adds it to the
// database too; a select field added without a vocabulary fails as well.
func TestSelectFieldsHoldTheVocabulary(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	cols, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, col := range cols {
		if col.System {
			continue
		}
		for _, f := range col.Fields {
			sel, ok := f.(*core.SelectField)
			if !ok {
				continue
			}
			want, ok := selectVocabulary[col.Name][sel.Name]
			if !ok {
				t.Errorf("%s.%s is a select field with no vocabulary in internal/vocab", col.Name, sel.Name)
				continue
			}
			seen++
			if !slices.Equal(sel.Values, want.values) {
				t.Errorf("%s.%s holds %v, internal/vocab %v", col.Name, sel.Name, sel.Values, want.values)
			}
			if wantMax := map[bool]int{true: len(want.values), false: 1}[want.many]; sel.MaxSelect != wantMax {
				t.Errorf("%s.%s takes %d values, want %d", col.Name, sel.Name, sel.MaxSelect, wantMax)
			}
		}
	}
	total := 0
	for _, fields := range selectVocabulary {
		total += len(fields)
	}
	if seen != total {
		t.Errorf("found %d of the %d select fields named here", seen, total)
	}

	reports, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		t.Fatal(err)
	}
	nat, ok := reports.Fields.GetByName("nationality").(*core.TextField)
	if !ok {
		t.Fatal("reports.nationality is not a text field")
	}
	if nat.Pattern != vocab.NationalityPattern() {
		t.Errorf("reports.nationality's pattern is %q, internal/vocab's %q", nat.Pattern, vocab.NationalityPattern())
	}
}
