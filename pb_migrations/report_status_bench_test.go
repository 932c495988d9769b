package pb_migrations_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// BenchmarkStatusChange saves a status change of one of 2,000 reports, as
// the staff console does: the search and needs indexes are not touched.
func BenchmarkStatusChange(b *testing.B) {
	app := newTestApp(b)
	emb := saveEmbassy(b, app)
	col := mustCollection(b, app, "reports")
	var recs []*core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range 2000 {
			r := core.NewRecord(col)
			r.Load(map[string]any{"embassy": emb.Id, "status": "new", "people_count": 1, "channel": "self",
				"needs": []string{"medical", "shelter"}, "message": fmt.Sprintf("We were held in a compound near the river for four months (%d). Two of us are sick.", i)})
			if err := tx.Save(r); err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"in_review", "contacted"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		r.Set("status", statuses[i%2])
		if err := app.Save(r); err != nil {
			b.Fatal(err)
		}
	}
}
