package staff_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/staff"
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

// storedTallies reads the running tallies, with the tally log's rows not
// yet folded, in one statement as the counts do, leaving out emptied
// cells.
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
	err := app.DB().NewQuery(`SELECT embassy, counted, dimension, key, sum(reports) AS reports, sum(people) AS people FROM (
			SELECT embassy, counted, dimension, key, reports, people FROM report_tallies
			UNION ALL SELECT embassy, counted, dimension, key, sign, sign * people FROM report_tally_log_keys
		) GROUP BY embassy, counted, dimension, key HAVING sum(reports) != 0 OR sum(people) != 0`).All(&rows)
	if err != nil {
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

// facetKey names one cell of the facet tallies: the reports with the
// facet value that have the key.
type facetKey struct {
	embassy, facet, value, dimension, key string
}

// storedFacetTallies reads the facet tallies as storedTallies does.
func storedFacetTallies(t *testing.T, app core.App) map[facetKey]int {
	t.Helper()
	var rows []struct {
		Embassy   string `db:"embassy"`
		Facet     string `db:"facet"`
		Value     string `db:"value"`
		Dimension string `db:"dimension"`
		Key       string `db:"key"`
		Reports   int    `db:"reports"`
	}
	err := app.DB().NewQuery(`SELECT embassy, facet, value, dimension, key, sum(reports) AS reports FROM (
			SELECT embassy, facet, value, dimension, key, reports FROM report_facet_tallies
			UNION ALL SELECT embassy, facet, value, dimension, key, sign FROM report_tally_log_facet_cells
		) GROUP BY embassy, facet, value, dimension, key HAVING sum(reports) != 0`).All(&rows)
	if err != nil {
		t.Fatal(err)
	}
	out := map[facetKey]int{}
	for _, r := range rows {
		out[facetKey{r.Embassy, r.Facet, r.Value, r.Dimension, r.Key}] = r.Reports
	}
	return out
}

// facetsOf are the facet values of a report, each once: what a filter of
// one field keeps it for.
func facetsOf(r *core.Record) [][2]string {
	facets := [][2]string{{"status", r.GetString("status")}, {"assignee", r.GetString("assignee")},
		{"language", r.GetString("language")}, {"channel", r.GetString("channel")}}
	for _, f := range []string{"urgent", "safety_risk_now", "minors_present"} {
		if r.GetBool(f) {
			facets = append(facets, [2]string{f, "true"})
		}
	}
	seen := map[string]bool{}
	for _, n := range r.GetStringSlice("needs") {
		if !seen[n] {
			seen[n] = true
			facets = append(facets, [2]string{"need", n})
		}
	}
	return facets
}

// recountFacetTallies counts every report in Go once per facet value it
// has: the reference the facet tallies must equal.
func recountFacetTallies(t *testing.T, app core.App) map[facetKey]int {
	t.Helper()
	all, err := app.FindAllRecords(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	out := map[facetKey]int{}
	for _, r := range all {
		for _, f := range facetsOf(r) {
			for k, c := range recountOne(r) {
				out[facetKey{k.embassy, f[0], f[1], k.dimension, k.key}] += c.reports
			}
		}
	}
	return out
}

// compareCells fails t, naming each cell that differs, when got is not want.
func compareCells[K comparable, V comparable](t *testing.T, what string, want, got map[K]V) {
	t.Helper()
	if maps.Equal(want, got) {
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %+v = %+v, recount %+v", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %+v = %+v, not in the recount", what, k, v)
		}
	}
	t.FailNow()
}

// facetFilters are the console's filters of one field (filters.js
// toFilter), each of which the facet tallies count, for every value the
// random writes below use, and one no report has.
func facetFilters() []string {
	var out []string
	for _, s := range append(slices.Clone(vocab.Statuses), "no_such_status") {
		out = append(out, `status = "`+s+`"`)
	}
	for _, n := range vocab.Needs {
		out = append(out, `needs:each ?= "`+n+`"`)
	}
	for _, l := range append([]string{""}, vocab.Languages...) {
		out = append(out, `language = "`+l+`"`)
	}
	for _, c := range vocab.Channels {
		out = append(out, `channel = "`+c+`"`)
	}
	for _, a := range []string{"", staffX, staffX2, staffY} {
		out = append(out, `assignee = "`+a+`"`)
	}
	return append(out, "urgent = true", "safety_risk_now = true", "minors_present = true")
}

// checkFilteredCounts holds every count of a list filtered to one field,
// as /api/staff/counts and the list's totalItems give it from the facet
// tallies, equal to the same filter counted report by report (with a
// term that keeps every report, which turns the tallies off), for the
// staff of each embassy.
// It returns how many searches found more than a page of 3 (checkCubeCounts).
func checkFilteredCounts(t *testing.T, app *tests.TestApp, base string, round int) (paged int) {
	t.Helper()
	for _, staff := range []string{staffX, staffY} {
		tok := token(t, app, staff)
		for _, f := range facetFilters() {
			byRow := f + ` && status != "no such status"`
			tallied, counted := getBody(t, base+"/api/staff/counts?filter="+url.QueryEscape(f), tok),
				getBody(t, base+"/api/staff/counts?filter="+url.QueryEscape(byRow), tok)
			if tallied != counted {
				t.Fatalf("round %d, %s, %s: counts from the facet tallies %s, report by report %s", round, staff, f, tallied, counted)
			}
			list := getBody(t, base+"/api/staff/reports?total=1&perPage=1&fields=id&filter="+url.QueryEscape(f), tok)
			listByRow := getBody(t, base+"/api/staff/reports?total=1&perPage=1&fields=id&filter="+url.QueryEscape(byRow), tok)
			if totalItems(t, list) != totalItems(t, listByRow) {
				t.Fatalf("round %d, %s, %s: the list counts %s from the facet tallies, %s report by report", round, staff, f, list, listByRow)
			}
		}
		paged += checkCubeCounts(t, base, tok, staff, round)
		for _, n := range vocab.Needs {
			need := getBody(t, base+"/api/staff/reports?total=1&perPage=1&fields=id&need="+n, tok)
			// Counted report by report through the filter: the need index
			// the list pages through has no rows of a report inserted with
			// raw SQL (hooks/reportindex), the tallies do.
			byRow := getBody(t, base+"/api/staff/reports?total=1&perPage=1&fields=id&filter="+url.QueryEscape(`needs:each ?= "`+n+`" && status != "no such status"`), tok)
			if totalItems(t, need) != totalItems(t, byRow) {
				t.Fatalf("round %d, %s, need=%s: the list counts %s from the facet tallies, %s report by report", round, staff, n, need, byRow)
			}
		}
	}
	return paged
}

// checkCubeCounts holds counts of a list filtered by two or three fields,
// or a date range, or searched, as the cube gives them, equal to the same
// filter counted report by report.
func checkCubeCounts(t *testing.T, base, tok, staff string, round int) (paged int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(round), 3))
	facets := facetFilters()
	// The raw SQL reports' days, one of them to the millisecond (>= keeps
	// it, < leaves it out), and times around now, the model's reports'.
	now := time.Now().UTC()
	bounds := []string{"2026-03-01 00:00:00.000Z", "2026-02-11 10:00:00.000Z", "2026-05-14 10:00:00.000Z",
		now.Add(-time.Hour).Format("2006-01-02 15:04:05.000Z"), now.Add(time.Hour).Format("2006-01-02 15:04:05.000Z"),
		now.Format("2006-01-02") + " 00:00:00.000Z"}
	found := 0
	for i := 0; i < 30; i++ {
		var parts []string
		for k := rng.IntN(3); k >= 0; k-- {
			parts = append(parts, facets[rng.IntN(len(facets))])
		}
		if rng.IntN(2) == 0 {
			parts = append(parts, `created >= "`+bounds[rng.IntN(len(bounds))]+`"`)
		}
		if rng.IntN(2) == 0 || len(parts) == 1 {
			parts = append(parts, `created < "`+bounds[rng.IntN(len(bounds))]+`"`)
		}
		f := strings.Join(parts, " && ")
		// A search too, now and then: the words the saves without a counted
		// change leave (case 3), two characters of them, none.
		q := ""
		if rng.IntN(3) == 0 {
			q = "&q=" + url.QueryEscape([]string{"round", "nd 1", "ro", "zz", "round 4"}[rng.IntN(5)])
			if rng.IntN(2) == 0 {
				f = parts[0]
			}
		}
		cubed := getBody(t, base+"/api/staff/counts?filter="+url.QueryEscape(f)+q, tok)
		counted := getBody(t, base+"/api/staff/counts?filter="+url.QueryEscape(f+` && status != "no such status"`)+q, tok)
		if cubed != counted {
			t.Fatalf("round %d, %s, %s: counts from the cube %s, report by report %s", round, staff, f, cubed, counted)
		}
		if !strings.Contains(cubed, `"total":0`) {
			found++
		}
		list := "/api/staff/reports?total=1&perPage=1&fields=id" + q + "&filter="
		inCube, byRow := getBody(t, base+list+url.QueryEscape(f), tok), getBody(t, base+list+url.QueryEscape(f+` && status != "no such status"`), tok)
		if totalItems(t, inCube) != totalItems(t, byRow) {
			t.Fatalf("round %d, %s, %s%s: the list counts %s in the cube, %s report by report", round, staff, f, q, inCube, byRow)
		}
		if q != "" {
			checkPickedPages(t, base, tok, f, q, []string{"-created", "created", "-urgent"}[rng.IntN(3)])
		}
	}
	if found == 0 {
		t.Fatalf("round %d, %s: none of 30 filters of several fields found a report; the check checks nothing", round, staff)
	}
	// And a search of all the embassy's reports, in each order.
	for _, sort := range []string{"-created", "created", "-urgent"} {
		for _, q := range []string{"round", "ro"} {
			if checkPickedPages(t, base, tok, "", "&q="+q, sort) > 3 {
				paged++
			}
		}
	}
	return paged
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listedReport is a report as checkPickedPages reads it.
type listedReport struct {
	Id      string `json:"id"`
	Created string `json:"created"`
	Urgent  bool   `json:"urgent"`
}

// checkPickedPages holds the list of a search, whose pages the cube finds
// (cube.pick), to the same list found report by report: the same reports,
// in the order of sort, and a page further on holds the reports at its
// place.
func checkPickedPages(t *testing.T, base, tok, f, q, sort string) int {
	t.Helper()
	read := func(query string) []listedReport {
		var list struct{ Items []listedReport }
		if err := json.Unmarshal([]byte(getBody(t, base+"/api/staff/reports?fields=id,created,urgent&sort="+sort+q+query, tok)), &list); err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	ids := func(list []listedReport) []string {
		out := []string{}
		for _, r := range list {
			out = append(out, r.Id)
		}
		slices.Sort(out)
		return out
	}
	// With its total, and past its first page, a search's page is the
	// cube's.
	picked := read("&perPage=500&total=1&filter=" + url.QueryEscape(f))
	byRow := read("&perPage=500&filter=" + url.QueryEscape(strings.TrimPrefix(f+` && status != "no such status"`, " && ")))
	if !slices.Equal(ids(picked), ids(byRow)) {
		t.Fatalf("%s%s, sort %s: the cube's pages list %v, report by report %v", f, q, sort, ids(picked), ids(byRow))
	}
	// order compares two reports as sort orders them, those created at the
	// same time by id when byId (the greater first, newest first).
	order := func(a, b listedReport, byId bool) int {
		at, id := strings.Compare(a.Created, b.Created), 0
		if byId {
			id = strings.Compare(a.Id, b.Id)
		}
		switch sort {
		case "created":
			return cmp.Or(at, id)
		case "-urgent":
			return cmp.Or(cmp.Compare(b2i(b.Urgent), b2i(a.Urgent)), -at, -id)
		}
		return cmp.Or(-at, -id)
	}
	for i := 1; i < len(picked); i++ {
		if a, b := picked[i-1], picked[i]; order(a, b, false) > 0 {
			t.Fatalf("%s%s: the cube's pages are not in the order %s: %v then %v", f, q, sort, a, b)
		}
	}
	if len(picked) > 3 {
		// Reports created at the same time may come in either order on
		// one page, never across pages.
		slices.SortStableFunc(picked, func(a, b listedReport) int { return order(a, b, true) })
		page := read("&perPage=3&page=2&filter=" + url.QueryEscape(f))
		if want := picked[3:min(6, len(picked))]; !slices.Equal(ids(page), ids(want)) {
			t.Fatalf("%s%s, sort %s: the second page of 3 lists %v, want %v", f, q, sort, ids(page), ids(want))
		}
	}
	return len(picked)
}

func totalItems(t *testing.T, body string) int {
	t.Helper()
	var list struct {
		TotalItems int `json:"totalItems"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	return list.TotalItems
}

func getBody(t *testing.T, addr, tok string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, addr, nil)
	req.Header.Set("Authorization", tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", addr, res.StatusCode, body)
	}
	return string(body)
}

// TestTalliesKeepStepWithEveryWrite makes random creates, updates and
// deletes through the model (as every API path does) and through raw SQL,
// re-routes reports to the other embassy and rolls a transaction back, and
// after each round compares the running tallies and the facet tallies with
// a recount in Go, and every count of a list filtered to one field with
// the same list counted report by report.
func TestTalliesKeepStepWithEveryWrite(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	// A search's matches, read three at a time: every search reads
	// several chunks, as one of a common word does at 8,192.
	staff.SetMatchChunk(app, 3)
	srv := testserver.Start(t, app)
	rng := rand.New(rand.NewPCG(7, 11))
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	embassies := []string{embassyX, embassyY}
	nationalities := []string{"Indonesia", "Thailand", "MM", "", "Atlantis"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	staffOf := map[string][]string{embassyX: {"", staffX, staffX2}, embassyY: {"", staffY}}
	randomFields := func(embassy string) map[string]any {
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
	capsChecked, paged := 0, 0
	for round := 0; round < 6; round++ {
		for i := 0; i < 15; i++ {
			r := core.NewRecord(col)
			r.Load(randomFields(pick(embassies)))
			if err := app.Save(r); err != nil {
				t.Fatalf("create: %v", err)
			}
			ids = append(ids, r.Id)
		}
		// A report written with raw SQL, as an import or a repair would.
		rawId := fmt.Sprintf("rawreport%06d", round)
		_, err := app.DB().NewQuery(`INSERT INTO reports (id, embassy, status, needs, nationality, language, channel, assignee,
			urgent, safety_risk_now, minors_present, people_count, created, updated)
			VALUES ({:id}, {:e}, {:s}, {:n}, 'Thailand', 'km', 'volunteer', '', {:u}, 1, 0, 2, {:c}, {:c})`).
			Bind(dbx.Params{"id": rawId, "e": pick(embassies), "s": pick(vocab.Statuses), "n": `["` + pick(vocab.Needs) + `"]`,
				"u": rng.IntN(2), "c": fmt.Sprintf("2026-0%d-1%d 10:00:00.000Z", 1+round, round)}).Execute()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rawId)
		if round%2 == 1 { // some of the round's writes folded, the rest still in the log
			if _, err := staff.FoldTallies(app); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 12 && len(ids) > 0; i++ {
			id := ids[rng.IntN(len(ids))]
			switch rng.IntN(6) {
			case 0, 1: // the model: what the records API, push and the dashboard run
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				embassy := r.GetString("embassy")
				if rng.IntN(3) == 0 { // re-routed to the other embassy
					embassy = pick(embassies)
				}
				r.Load(randomFields(embassy))
				if err := app.Save(r); err != nil {
					t.Fatalf("update %s: %v", id, err)
				}
			case 2: // raw SQL, as a migration or a repair would
				_, err := app.DB().NewQuery("UPDATE reports SET status = {:s}, people_count = {:p}, assignee = {:a}, urgent = {:u}, needs = {:n}, embassy = {:e} WHERE id = {:id}").
					Bind(dbx.Params{"s": pick(vocab.Statuses), "p": rng.IntN(9), "a": pick([]string{"", staffX, staffY}), "u": rng.IntN(2),
						"n": `["` + pick(vocab.Needs) + `"]`, "e": pick(embassies), "id": id}).Execute()
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
			case 5: // one facet alone, as the console's assign and the dashboard's edits do
				r, err := app.FindRecordById(col, id)
				if err != nil {
					t.Fatal(err)
				}
				switch rng.IntN(3) {
				case 0:
					r.Set("assignee", pick(staffOf[r.GetString("embassy")]))
				case 1:
					r.Set("language", pick(vocab.Languages))
				default:
					r.Set("minors_present", !r.GetBool("minors_present"))
				}
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			}
		}
		if round == 5 {
			_, err := app.DB().NewQuery("DELETE FROM reports WHERE id = {:id}").Bind(dbx.Params{"id": ids[0]}).Execute()
			if err != nil {
				t.Fatal(err)
			}
		}
		if round == 3 {
			// The search index's rows move under a search count that has
			// read them: a report renamed by raw SQL keeps its row under
			// the new id, and the row of the last report deleted gives its
			// number to the next report indexed, here of the other
			// embassy, before any fold.
			var last string
			if err := app.DB().NewQuery("SELECT report FROM report_search_rows ORDER BY n DESC LIMIT 1").Row(&last); err != nil {
				t.Fatal(err)
			}
			r, err := app.FindRecordById(col, last)
			if err != nil {
				t.Fatal(err)
			}
			r.Set("message", "round, the last row")
			if err := app.Save(r); err != nil {
				t.Fatal(err)
			}
			// Folded, and found by a search count first, so the cube
			// knows the rows it moves.
			if _, err := staff.FoldTallies(app); err != nil {
				t.Fatal(err)
			}
			for _, staff := range []string{staffX, staffY} {
				getBody(t, srv.URL+"/api/staff/counts?q=round", token(t, app, staff))
			}
			renamed := fmt.Sprintf("renamedreport%02d", round)
			var first string
			if err := app.DB().NewQuery(`SELECT report FROM report_search_rows
				WHERE report IN (SELECT id FROM reports WHERE message LIKE 'round%' AND id != {:last}) ORDER BY n LIMIT 1`).
				Bind(dbx.Params{"last": last}).Row(&first); err != nil {
				t.Fatal(err)
			}
			if _, err := app.DB().NewQuery(`UPDATE reports SET id = {:to} WHERE id = {:id}`).
				Bind(dbx.Params{"to": renamed, "id": first}).Execute(); err != nil {
				t.Fatal(err)
			}
			if err := app.Delete(r); err != nil {
				t.Fatal(err)
			}
			other := embassyX
			if r.GetString("embassy") == embassyX {
				other = embassyY
			}
			again := core.NewRecord(col)
			again.Load(randomFields(other))
			again.Set("message", "round again")
			if err := app.Save(again); err != nil {
				t.Fatal(err)
			}
			ids = append(removeId(removeId(ids, first), last), renamed, again.Id)
			// The new report's staff count first, before the count of the
			// deleted one's embassy reads the row again.
			order := []string{staffY, staffX}
			if other == embassyX {
				order = []string{staffX, staffY}
			}
			for _, staff := range order {
				tok := token(t, app, staff)
				cubed := getBody(t, srv.URL+"/api/staff/counts?q=round", tok)
				counted := getBody(t, srv.URL+"/api/staff/counts?q=round&filter="+url.QueryEscape(`status != "no such status"`), tok)
				if cubed != counted {
					t.Fatalf("%s, after the search rows moved: counts of a search from the cube %s, report by report %s", staff, cubed, counted)
				}
			}
		}
		// A transaction that fails leaves the tallies as they were.
		_ = app.RunInTransaction(func(tx core.App) error {
			r := core.NewRecord(col)
			r.Load(randomFields(embassyX))
			if err := tx.Save(r); err != nil {
				return err
			}
			if old, err := tx.FindRecordById(col, ids[len(ids)-1]); err == nil {
				old.Load(randomFields(embassyY))
				if err := tx.Save(old); err != nil {
					return err
				}
			}
			return fmt.Errorf("roll back")
		})
		compareCells(t, fmt.Sprintf("round %d, tallies", round), recountTallies(t, app), storedTallies(t, app))
		compareCells(t, fmt.Sprintf("round %d, facet tallies", round), recountFacetTallies(t, app), storedFacetTallies(t, app))
		paged += checkFilteredCounts(t, app, srv.URL, round)
		// A list's total stops once it passes its cap.
		for _, emb := range embassies {
			all, err := staff.CubeTotal(app, emb, "", "round", 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			if all >= 3 {
				capsChecked++
			}
			for _, limit := range []int{0, 1, all - 1, all} {
				if got, err := staff.CubeTotal(app, emb, "", "round", limit); err != nil || got != min(all, limit+1) {
					t.Fatalf("round %d, %s: the total of round up to %d is %d (%v), want %d", round, emb, limit, got, err, min(all, limit+1))
				}
			}
		}
		// Folded, the tallies alone hold every count.
		if _, err := staff.FoldTallies(app); err != nil {
			t.Fatal(err)
		}
		if n := tallyLogLength(t, app); n != 0 {
			t.Fatalf("round %d: %d rows left in the tally log after a fold", round, n)
		}
		compareCells(t, fmt.Sprintf("round %d, tallies folded", round), recountTallies(t, app), storedTallies(t, app))
		compareCells(t, fmt.Sprintf("round %d, facet tallies folded", round), recountFacetTallies(t, app), storedFacetTallies(t, app))
	}
	if paged == 0 {
		t.Fatal("no search found more than a page of 3: the pages the cube finds are not checked")
	}
	if capsChecked == 0 {
		t.Fatal("no embassy had three reports saying round: the cap was never checked")
	}
}

func tallyLogLength(t *testing.T, app core.App) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery("SELECT count(*) FROM report_tally_log").Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
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

// TestTheServerFoldsTheTallyLog: a report written while the app serves is
// folded from the tally log into the running tallies within about
// staff.FoldDelay, with no request asking for it.
func TestTheServerFoldsTheTallyLog(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	testserver.Start(t, app)
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(col)
	r.Load(map[string]any{"embassy": embassyX, "status": vocab.StatusNew, "needs": []string{"medical"}, "nationality": "Indonesia"})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * staff.FoldDelay)
	for tallyLogLength(t, app) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the tally log still holds %d rows %s after a report was saved", tallyLogLength(t, app), 30*staff.FoldDelay)
		}
		time.Sleep(staff.FoldDelay / 10)
	}
	var folded int
	err = app.DB().NewQuery("SELECT reports FROM report_tallies WHERE embassy = {:e} AND dimension = 'need' AND key = 'medical' AND counted = 1").
		Bind(dbx.Params{"e": embassyX}).Row(&folded)
	if err != nil || folded != recountTallies(t, app)[tallyKey{embassyX, "need", "medical", true}].reports {
		t.Fatalf("the folded tallies count %d medical reports (%v), the reports %d", folded, err,
			recountTallies(t, app)[tallyKey{embassyX, "need", "medical", true}].reports)
	}
}

// TestTheServerWarmsTheCube: a serving app loads the count cube and its map
// of the search index's rows with no request asking, so the first count of
// several fields or of a search does not wait for them.
func TestTheServerWarmsTheCube(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	if staff.CubeWarm(app) {
		t.Fatal("the cube is loaded before the app serves")
	}
	testserver.Start(t, app)
	deadline := time.Now().Add(30 * time.Second)
	for !staff.CubeWarm(app) {
		if time.Now().After(deadline) {
			t.Fatal("the serving app has not loaded the cube 30 s after it started")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
