package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"homeward/hooks/reports"
)

// A report's nationality becomes a code of a fixed list (ISO 3166-1
// alpha-2, vocab.Nationalities), "other", or empty for unknown, so that
// "Myanmar" and "မြန်မာ" count as one. Free text stored before is mapped
// where it names a listed country (in any of the app's languages, as a
// demonym or a code); where it does not, the report gets "other" and the
// text moves to nationality_original, which staff see. The records are
// changed with SQL, so their version and updated time stay, and their
// change log entries are changed with them.
// nationalityPattern is vocab.NationalityPattern() as this migration set
// it, frozen: a later change of the list is a migration of its own, and
// TestSelectFieldsHoldTheVocabulary says when one is missing.
const nationalityPattern = "^(|other|KH|CN|HK|TW|VN|TH|LA|MM|MY|ID|PH|SG|TL|IN|BD|NP|PK|LK|KR|JP|MN|KG|RU|TR|BR|KE|UG|ET|NG)$"

func init() {
	m.Register(func(app core.App) error {
		col, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		col.Fields.Add(&core.TextField{Name: "nationality_original", Max: 60,
			Help: "For staff: the nationality as written, where it named no country of the list."})
		if err := app.Save(col); err != nil {
			return fmt.Errorf("add nationality_original: %w", err)
		}
		if err := mapNationalities(app); err != nil {
			return err
		}
		nat := col.Fields.GetByName("nationality").(*core.TextField)
		nat.Pattern = nationalityPattern
		nat.Max = 5
		nat.Help = "ISO 3166-1 alpha-2 code of the list, \"other\" (see nationality_original), or empty for unknown."
		return app.Save(col)
	}, func(app core.App) error {
		col, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		nat := col.Fields.GetByName("nationality").(*core.TextField)
		nat.Pattern, nat.Max, nat.Help = "", 60, ""
		if err := app.Save(col); err != nil {
			return err
		}
		// Codes stay codes; text kept aside goes back where it was.
		_, err = app.DB().NewQuery("UPDATE reports SET nationality = nationality_original WHERE nationality_original != ''").Execute()
		if err != nil {
			return err
		}
		col.Fields.RemoveByName("nationality_original")
		return app.Save(col)
	})
}

// mapNationalities rewrites every stored nationality as reports.NationalityOf
// reads it.
func mapNationalities(app core.App) error {
	var rows []struct {
		Id          string `db:"id"`
		Nationality string `db:"nationality"`
	}
	if err := app.DB().Select("id", "nationality").From("reports").Where(dbx.NewExp("nationality != ''")).All(&rows); err != nil {
		return fmt.Errorf("read nationalities: %w", err)
	}
	for _, r := range rows {
		code, original := reports.NationalityOf(r.Nationality)
		if code == r.Nationality {
			continue
		}
		params := dbx.Params{"id": r.Id, "code": code, "original": original}
		if _, err := app.DB().NewQuery("UPDATE reports SET nationality = {:code}, nationality_original = {:original} WHERE id = {:id}").
			Bind(params).Execute(); err != nil {
			return fmt.Errorf("map nationality of %s: %w", r.Id, err)
		}
		if _, err := app.DB().NewQuery(`UPDATE sync_changes SET data = json_set(data, '$.nationality', {:code}, '$.nationality_original', {:original})
			WHERE collection = 'reports' AND record = {:id} AND kind = 'upsert' AND json_valid(data)`).Bind(params).Execute(); err != nil {
			return fmt.Errorf("map nationality of %s in the change log: %w", r.Id, err)
		}
	}
	return nil
}
