package staff_test

import (
	"encoding/json"
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
		for k, c := range recountOne(r) {
			sum := out[k]
			out[k] = tallyCell{sum.reports + c.reports, sum.people + c.people}
		}
	}
	return out
}

// recountOne is one report's cells of the tallies.
func recountOne(r *core.Record) map[tallyKey]tallyCell {
	out := map[tallyKey]tallyCell{}
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
	return out
}

// facetKey names one cell of the facet tallies.
type facetKey struct {
	facet, value string
	tallyKey
}

// storedFacetTallies reads the facet tallies, leaving out emptied cells.
func storedFacetTallies(t *testing.T, app core.App) map[facetKey]tallyCell {
	t.Helper()
	var rows []struct {
		Embassy   string `db:"embassy"`
		Facet     string `db:"facet"`
		Value     string `db:"value"`
		Counted   int    `db:"counted"`
		Dimension string `db:"dimension"`
		Key       string `db:"key"`
		Reports   int    `db:"reports"`
		People    int    `db:"people"`
	}
	if err := app.DB().Select("*").From("report_facet_tallies").Where(dbx.NewExp("reports != 0 OR people != 0")).All(&rows); err != nil {
		t.Fatal(err)
	}
	out := map[facetKey]tallyCell{}
	for _, r := range rows {
		out[facetKey{r.Facet, r.Value, tallyKey{r.Embassy, r.Dimension, r.Key, r.Counted == 1}}] = tallyCell{r.Reports, r.People}
	}
	return out
}

// recountFacetTallies counts every report in Go once per facet value it
// has: the reference the facet tallies must equal.
func recountFacetTallies(t *testing.T, app core.App) map[facetKey]tallyCell {
	t.Helper()
	all, err := app.FindAllRecords(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	out := map[facetKey]tallyCell{}
	for _, r := range all {
		facets := [][2]string{{"status", r.GetString("status")}, {"assignee", r.GetString("assignee")}}
		for _, f := range []string{"language", "channel"} {
			if v := r.GetString(f); v != "" {
				facets = append(facets, [2]string{f, v})
			}
		}
		for _, f := range []string{"urgent", "safety_risk_now", "minors_present"} {
			if r.GetBool(f) {
				facets = append(facets, [2]string{f, "true"})
			}
		}
		for _, n := range r.GetStringSlice("needs") {
			facets = append(facets, [2]string{"need", n})
		}
		one := recountOne(r)
		for _, f := range facets {
			for k, c := range one {
				fk := facetKey{f[0], f[1], k}
				sum := out[fk]
				out[fk] = tallyCell{sum.reports + c.reports, sum.people + c.people}
			}
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
	staffOf := map[string][]string{embassyX: {"", staffX, staffX2}, embassyY: {"", staffY}}
	randomFields := func() map[string]any {
		embassy := pick(embassies)
		return map[string]any{
			"embassy":      embassy,
			"status":       pick(vocab.Statuses),
			"needs":        []string{pick(vocab.Needs), pick(vocab.Needs)},
			"nationality":  pick(nationalities),
			"people_count": rng.IntN(5),
			// The facets the console filters on (urgent follows safety,
			// minors and the medical need).
			"language":        pick(append([]string{""}, vocab.Languages...)),
			"channel":         pick(vocab.Channels),
			"assignee":        pick(staffOf[embassy]),
			"safety_risk_now": rng.IntN(3) == 0,
			"minors_present":  rng.IntN(4) == 0,
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
			switch rng.IntN(6) {
			case 0, 1: // the model: what the records API, push and the dashboard run
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				f := randomFields()
				if rng.IntN(3) != 0 { // the same embassy, and one of its staff
					f["embassy"] = r.GetString("embassy")
					f["assignee"] = pick(staffOf[r.GetString("embassy")])
				}
				r.Load(f)
				if err := app.Save(r); err != nil {
					t.Fatalf("update %s: %v", id, err)
				}
			case 2: // raw SQL, as a migration or a repair would
				_, err := app.DB().NewQuery("UPDATE reports SET status = {:s}, people_count = {:p}, assignee = {:a}, urgent = {:u} WHERE id = {:id}").
					Bind(dbx.Params{"s": pick(vocab.Statuses), "p": rng.IntN(9), "a": pick([]string{"", staffX, staffY}), "u": rng.IntN(2), "id": id}).Execute()
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
			case 5: // one facet alone, as the console's assign and the dashboard's edits do
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				if rng.IntN(2) == 0 {
					r.Set("assignee", pick(staffOf[r.GetString("embassy")]))
				} else {
					r.Set("language", pick(vocab.Languages))
				}
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
		wantFacets, gotFacets := recountFacetTallies(t, app), storedFacetTallies(t, app)
		if !maps.Equal(wantFacets, gotFacets) {
			for k, v := range wantFacets {
				if gotFacets[k] != v {
					t.Errorf("round %d: facet %+v = %+v, recount %+v", round, k, gotFacets[k], v)
				}
			}
			for k, v := range gotFacets {
				if _, ok := wantFacets[k]; !ok {
					t.Errorf("round %d: facet %+v = %+v, not in the recount", round, k, v)
				}
			}
			t.FailNow()
		}
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
	for i, f := range []map[string]any{
		{"language": "km", "safety_risk_now": true, "assignee": staffX, "needs": []string{"medical"}},
		{"language": "km", "minors_present": true, "channel": "volunteer", "volunteer": volunteerV, "status": "in_review"},
		{"language": "th", "safety_risk_now": true, "minors_present": true, "assignee": staffX2, "status": "spam"},
		{"assignee": staffX, "status": "in_review", "needs": []string{"shelter", "legal"}, "people_count": 4},
	} {
		f["id"], f["embassy"], f["nationality"] = fmt.Sprintf("facetx%014d", i), embassyX, "Indonesia"
		if f["channel"] == nil {
			f["channel"] = "self"
		}
		testserver.SaveRecord(t, app, reports.CollectionReports, f)
	}
	tallied = get("/api/staff/counts")
	if !strings.Contains(tallied, `"total":10`) {
		t.Fatalf("tallied counts = %s, want 10 reports", tallied)
	}
	if filtered := get("/api/staff/counts?filter=" + url.QueryEscape(`status != "no such status"`)); filtered != tallied {
		t.Errorf("counts through a filter that keeps all = %s, tallies = %s", filtered, tallied)
	}
	// A filter of one facet reads the facet tallies; the same filter with
	// a term that keeps every report is counted report by report. Both
	// must say the same, and so must the list's count.
	for _, f := range []string{`status = "new"`, `status = "in_review"`, `needs:each ?= "medical"`, `needs:each ?= "shelter"`,
		`urgent = true`, `safety_risk_now = true`, `minors_present = true`, `language = "km"`, `channel = "self"`,
		`channel = "volunteer"`, `assignee = ""`, `assignee = "` + staffX + `"`} {
		tallied := get("/api/staff/counts?filter=" + url.QueryEscape(f))
		counted := get("/api/staff/counts?filter=" + url.QueryEscape(f+` && status != "no such status"`))
		if tallied != counted {
			t.Errorf("%s: counts from the facet tallies %s, counted report by report %s", f, tallied, counted)
		}
		var list, byRow struct {
			TotalItems int `json:"totalItems"`
		}
		json.Unmarshal([]byte(get("/api/staff/reports?total=1&perPage=1&filter="+url.QueryEscape(f))), &list)
		json.Unmarshal([]byte(get("/api/staff/reports?total=1&perPage=1&filter="+url.QueryEscape(f+` && status != "no such status"`))), &byRow)
		if list.TotalItems != byRow.TotalItems {
			t.Errorf("%s: the list counts %d from the facet tallies, %d report by report", f, list.TotalItems, byRow.TotalItems)
		}
	}
	var needList, needRow struct {
		TotalItems int `json:"totalItems"`
	}
	json.Unmarshal([]byte(get("/api/staff/reports?total=1&perPage=1&need=medical")), &needList)
	json.Unmarshal([]byte(get("/api/staff/reports?total=1&perPage=1&need=medical&filter="+url.QueryEscape(`status != "no such status"`))), &needRow)
	if needList.TotalItems != needRow.TotalItems || needList.TotalItems == 0 {
		t.Errorf("need=medical: the list counts %d from the facet tallies, %d report by report", needList.TotalItems, needRow.TotalItems)
	}
}
