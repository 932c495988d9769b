package staff_test

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// tallyKey names one cell of the running tallies.
type tallyKey struct {
	embassy, dimension, key string
	counted                 bool
}

// tallyCell is what a cell holds.
type tallyCell struct{ reports, people int }

// storedTallies reads the running tallies, leaving out emptied cells.
func storedTallies(t *testing.T, app core.App) map[tallyKey]tallyCell {
	t.Helper()
	var rows []struct {
		Embassy   string `db:"embassy"`
		Counted   int    `db:"counted"`
		Dimension string `db:"dimension"`
		Key       string `db:"key"`
		Reports   int    `db:"reports"`
		People    int    `db:"people"`
	}
	if err := app.DB().Select("*").From("report_tallies").Where(dbx.NewExp("reports != 0 OR people != 0")).All(&rows); err != nil {
		t.Fatal(err)
	}
	out := map[tallyKey]tallyCell{}
	for _, r := range rows {
		out[tallyKey{r.Embassy, r.Dimension, r.Key, r.Counted == 1}] = tallyCell{r.Reports, r.People}
	}
	return out
}

// recountTallies counts every report in Go, apart from the SQL that keeps
// the tallies: the reference they must equal.
func recountTallies(t *testing.T, app core.App) map[tallyKey]tallyCell {
	t.Helper()
	all, err := app.FindAllRecords(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	out := map[tallyKey]tallyCell{}
	for _, r := range all {
		status := r.GetString("status")
		counted := status != vocab.StatusDuplicate && status != vocab.StatusSpam
		people := max(r.GetInt("people_count"), 1)
		nationality := strings.TrimSpace(r.GetString("nationality"))
		if nationality == "" {
			nationality = "unknown"
		}
		y, w := r.GetDateTime("created").Time().ISOWeek()
		keys := [][2]string{{"status", status}, {"nationality", nationality}, {"week", fmt.Sprintf("%04d-W%02d", y, w)}}
		for _, n := range r.GetStringSlice("needs") {
			keys = append(keys, [2]string{"need", n})
		}
		for _, k := range keys {
			c := out[tallyKey{r.GetString("embassy"), k[0], k[1], counted}]
			out[tallyKey{r.GetString("embassy"), k[0], k[1], counted}] = tallyCell{c.reports + 1, c.people + people}
		}
	}
	return out
}

// TestTalliesKeepStepWithEveryWrite makes random creates, updates and
// deletes through the model (as every API path does) and through raw SQL,
// and after each round compares the running tallies with a recount.
func TestTalliesKeepStepWithEveryWrite(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	rng := rand.New(rand.NewPCG(7, 11))
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	embassies := []string{embassyX, embassyY}
	nationalities := []string{"Indonesia", "Thailand", "MM", "", "Atlantis"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	randomFields := func() map[string]any {
		return map[string]any{
			"embassy":      pick(embassies),
			"status":       pick(vocab.Statuses),
			"needs":        []string{pick(vocab.Needs), pick(vocab.Needs)},
			"nationality":  pick(nationalities),
			"people_count": rng.IntN(5),
		}
	}
	var ids []string
	for round := 0; round < 6; round++ {
		for i := 0; i < 15; i++ {
			r := core.NewRecord(col)
			r.Load(randomFields())
			if err := app.Save(r); err != nil {
				t.Fatalf("create: %v", err)
			}
			ids = append(ids, r.Id)
		}
		for i := 0; i < 10 && len(ids) > 0; i++ {
			id := ids[rng.IntN(len(ids))]
			switch rng.IntN(5) {
			case 0, 1: // the model: what the records API, push and the dashboard run
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				f := randomFields()
				delete(f, "embassy")
				if rng.IntN(3) == 0 {
					f["embassy"] = pick(embassies)
				}
				r.Load(f)
				if err := app.Save(r); err != nil {
					t.Fatalf("update %s: %v", id, err)
				}
			case 2: // raw SQL, as a migration or a repair would
				_, err := app.DB().NewQuery("UPDATE reports SET status = {:s}, people_count = {:p} WHERE id = {:id}").
					Bind(dbx.Params{"s": pick(vocab.Statuses), "p": rng.IntN(9), "id": id}).Execute()
				if err != nil {
					t.Fatal(err)
				}
			case 3: // a save that changes nothing counted
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				r.Set("message", fmt.Sprintf("round %d", round))
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			case 4:
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				if err := app.Delete(r); err != nil {
					t.Fatal(err)
				}
				ids = removeId(ids, id)
			}
		}
		if round == 5 {
			_, err := app.DB().NewQuery("DELETE FROM reports WHERE id = {:id}").Bind(dbx.Params{"id": ids[0]}).Execute()
			if err != nil {
				t.Fatal(err)
			}
		}
		// A transaction that fails leaves the tallies as they were.
		_ = app.RunInTransaction(func(tx core.App) error {
			r := core.NewRecord(col)
			r.Load(randomFields())
			if err := tx.Save(r); err != nil {
				return err
			}
			return fmt.Errorf("roll back")
		})
		want, got := recountTallies(t, app), storedTallies(t, app)
		if !maps.Equal(want, got) {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("round %d: %+v = %+v, recount %+v", round, k, got[k], v)
				}
			}
			for k, v := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("round %d: %+v = %+v, not in the recount", round, k, v)
				}
			}
			t.FailNow()
		}
	}
}

func removeId(ids []string, id string) []string {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// TestFilteredCountsMatchTheTallies checks the two ways counts are read:
// a filter that keeps every report must count what the running tallies
// hold, and the tallies must not reach a staff member the list rule
// refuses.
func TestFilteredCountsMatchTheTallies(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	moreReports(t, app, &core.ServeEvent{App: app})
	srv := testserver.Start(t, app)
	get := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", token(t, app, staffX))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
		}
		return string(body)
	}
	tallied := get("/api/staff/counts")
	if !strings.Contains(tallied, `"total":6`) {
		t.Fatalf("tallied counts = %s, want 6 reports", tallied)
	}
	if filtered := get("/api/staff/counts?filter=" + url.QueryEscape(`status != "no such status"`)); filtered != tallied {
		t.Errorf("counts through a filter that keeps all = %s, tallies = %s", filtered, tallied)
	}
}
