package staff

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/vocab"
)

// Counting limits.
const (
	// MinCell is the smallest number of people a public statistic shows;
	// smaller cells are suppressed (k-anonymity with k = 11, as the Counter
	// Trafficking Data Collaborative publishes: nothing under 11).
	MinCell = 11
	// maxCountRows bounds the rows one count reads: years of a busy embassy.
	maxCountRows = 200000
)

// tally is one cell of counts: how many reports, and how many people they
// speak for, have key in dimension ("status", "need", "nationality",
// "week"); counted is false for duplicates and spam. The keys are those
// the view report_tally_log_keys computes from a report's counted columns
// (migration 1764120800, as the view report_tally_keys of 1764120310 did).
type tally struct {
	Counted   int    `db:"counted"`
	Dimension string `db:"dimension"`
	Key       string `db:"key"`
	Reports   int    `db:"reports"`
	People    int    `db:"people"`
}

// Counts are the console's working numbers: reports per status, need,
// nationality and ISO week, over the caller's filtered list.
type Counts struct {
	Total       int            `json:"total"`
	Status      map[string]int `json:"status"`
	Needs       map[string]int `json:"needs"`
	Nationality map[string]int `json:"nationality"`
	Week        map[string]int `json:"week"`
}

func countsHandler(e *core.RequestEvent) error {
	needle, err := searchParam(e)
	if err != nil {
		return e.BadRequestError("The search is not valid.", err)
	}
	tallies, err := readTallies(e, e.Request.URL.Query().Get("filter"), needle)
	if err != nil {
		return e.BadRequestError("The filter is not valid.", err)
	}
	c := Counts{Status: map[string]int{}, Needs: map[string]int{}, Nationality: map[string]int{}, Week: map[string]int{}}
	for _, t := range tallies {
		switch t.Dimension {
		case "status":
			c.Total += t.Reports
			c.Status[t.Key] += t.Reports
		case "need":
			c.Needs[t.Key] += t.Reports
		case "nationality":
			c.Nationality[t.Key] += t.Reports
		case "week":
			c.Week[t.Key] += t.Reports
		}
	}
	return e.JSON(http.StatusOK, c)
}

// readTallies counts the caller's reports that pass filter and, when
// needle is not empty, the search for it (already folded).
//
// With no search, and no filter or a filter of one facet as the console
// writes it (facetOf), it reads the running tallies, which are kept in
// step with every write (readFacetTallies): a few hundred rows however
// many reports the embassy has. A filter of several facets or a date
// range, and a search with such a filter or none, are counted in the cube
// (cube.go), kept in step the same way. Any other filter counts the
// matching reports' keys with the same expressions the tallies use.
func readTallies(e *core.RequestEvent, filter, needle string) ([]tally, error) {
	if facet, value, ok := facetOf(filter); ok && needle == "" {
		return readFacetTallies(e, facet, value)
	}
	if terms, ok := cubeTermsOf(filter); ok {
		return countInCube(e, terms, needle)
	}
	db := e.App.ConcurrentDB()
	// The id keeps DISTINCT (added when a filter joins) from merging reports.
	q, err := scopedReports(e, filter, append([]string{"reports.id"}, tallyExpressions...)...)
	if err != nil {
		return nil, err
	}
	if needle != "" {
		// The index's matches drive the count, as in the list: 100,000
		// reports tested one by one took 0.6 s for a word in none.
		search, err := newTextSearch(e.App, needle)
		if err != nil {
			return nil, err
		}
		q.AndWhere(searchExp(search, embassyOf(e)))
		q.From(searchHits(search) + " AS search_hits CROSS JOIN reports")
		q.AndWhere(dbx.NewExp("reports.id = search_hits.report"))
	}
	// The matching reports are grouped once by every key at once, which
	// sorts them once; each dimension then groups those few hundred
	// groups. Grouping the reports per dimension sorted them four times,
	// and the sorts were most of the time.
	matching := q.Limit(maxCountRows).Build()
	var tallies []tally
	err = db.NewQuery(`WITH g AS MATERIALIZED (
			SELECT counted, status, nationality, week, needs, count(*) AS reports, sum(people) AS people
			FROM (` + matching.SQL() + `) GROUP BY counted, status, nationality, week, needs)
		SELECT counted, 'status' AS dimension, status AS key, sum(reports) AS reports, sum(people) AS people FROM g GROUP BY counted, status
		UNION ALL SELECT counted, 'nationality', nationality, sum(reports), sum(people) FROM g GROUP BY counted, nationality
		UNION ALL SELECT counted, 'week', week, sum(reports), sum(people) FROM g GROUP BY counted, week
		UNION ALL SELECT g.counted, 'need', j.value, sum(g.reports), sum(g.people) FROM g, json_each(g.needs) j GROUP BY g.counted, j.value`).
		Bind(matching.Params()).All(&tallies)
	if err != nil {
		return nil, fmt.Errorf("count reports: %w", err)
	}
	return tallies, nil
}

// countInCube counts the caller's reports that pass terms and, when
// needle is not empty, the search for it, in the cube (cube.go). The list
// rule still decides (seesEmbassysReports); a search's matches are read
// from its index (cube.matches).
func countInCube(e *core.RequestEvent, terms []cubeTerm, needle string) ([]tally, error) {
	sees, err := seesEmbassysReports(e)
	if err != nil || !sees {
		return nil, err
	}
	var search *textSearch
	if needle != "" {
		s, err := newTextSearch(e.App, needle)
		if err != nil {
			return nil, err
		}
		search = &s
	}
	return cubeOf(e.App).count(e.App, embassyOf(e), terms, search)
}

// facetFilter is a filter of one facet of report_facet_tallies (migration
// 1764120800), as the console writes it (pb_public/staff/filters.js
// toFilter): status = "new", language, channel or assignee likewise (an
// empty assignee is "unassigned"), needs:each ?= "medical", or urgent,
// safety_risk_now or minors_present = true.
var facetFilter = regexp.MustCompile(`^(status|language|channel|assignee) = "([A-Za-z0-9_]*)"$` +
	`|^(urgent|safety_risk_now|minors_present) = true$` +
	`|^needs:each \?= "([A-Za-z0-9_]+)"$`)

// facetOf names the facet and value that filter keeps, if it is a filter
// of one facet; an empty filter is the facet "", every report.
func facetOf(filter string) (facet, value string, ok bool) {
	filter = strings.TrimSpace(filter)
	if filter == "" {
		return "", "", true
	}
	m := facetFilter.FindStringSubmatch(filter)
	switch {
	case m == nil:
		return "", "", false
	case m[1] != "":
		return m[1], m[2], true
	case m[3] != "":
		return m[3], "true", true
	default:
		return "need", m[4], true
	}
}

// readFacetTallies reads the caller's running tallies: all of them (facet
// ""), or those of one facet value. The list rule still decides
// (seesEmbassysReports). The tallies are what report_tallies or
// report_facet_tallies hold plus the cells of report_tally_log's rows not
// yet folded into them (FoldTallies), read in one statement, so one
// snapshot: a write is counted once, before or after its fold. The facet
// tallies count reports only: their cells have neither counted nor people,
// which only publicStats reads, from the whole list's.
func readFacetTallies(e *core.RequestEvent, facet, value string) ([]tally, error) {
	sees, err := seesEmbassysReports(e)
	if err != nil || !sees {
		return nil, err
	}
	params := dbx.Params{"embassy": embassyOf(e), "facet": facet, "value": value}
	sql := `SELECT counted, dimension, key, sum(reports) AS reports, sum(people) AS people FROM (
			SELECT counted, dimension, key, reports, people FROM report_tallies WHERE embassy = {:embassy}
			UNION ALL
			SELECT counted, dimension, key, sign, sign * people FROM report_tally_log_keys WHERE embassy = {:embassy}
		) GROUP BY counted, dimension, key HAVING sum(reports) != 0`
	if facet != "" {
		sql = `SELECT dimension, key, sum(reports) AS reports FROM (
			SELECT dimension, key, reports FROM report_facet_tallies
			WHERE embassy = {:embassy} AND facet = {:facet} AND value = {:value}
			UNION ALL
			SELECT dimension, key, sign FROM report_tally_log_facet_cells
			WHERE embassy = {:embassy} AND facet = {:facet} AND value = {:value}
		) GROUP BY dimension, key HAVING sum(reports) != 0`
	}
	var tallies []tally
	if err := e.App.ConcurrentDB().NewQuery(sql).Bind(params).All(&tallies); err != nil {
		return nil, fmt.Errorf("read tallies: %w", err)
	}
	return tallies, nil
}

// seesEmbassysReports reports whether the list rule lets the caller see
// the reports of their embassy, for the counts that read an index or a
// tally instead of the reports themselves. The rule depends on the caller
// only (staff of the report's embassy), so one report of the embassy
// passing it stands for all; with none, there is nothing to count.
func seesEmbassysReports(e *core.RequestEvent) (bool, error) {
	q, err := scopedReports(e, "", "reports.id")
	if err != nil {
		return false, err
	}
	var one []struct {
		Id string `db:"id"`
	}
	if err := q.Limit(1).All(&one); err != nil {
		return false, fmt.Errorf("check the list rule: %w", err)
	}
	return len(one) > 0, nil
}

// tallyExpressions compute a report's tally keys in a query over reports,
// as the view report_tally_log_keys does for the tallies (migration 1764120800);
// TestTalliesKeepStepWithEveryWrite and TestFilteredCountsMatchTheTallies
// keep the two equal.
var tallyExpressions = []string{
	"(reports.status NOT IN ('" + vocab.StatusDuplicate + "', '" + vocab.StatusSpam + "')) AS counted",
	"max(coalesce(reports.people_count, 0), 1) AS people",
	"reports.status AS status",
	nationalityKey("reports") + " AS nationality",
	weekKey("reports") + " AS week",
	"CASE WHEN json_valid(reports.needs) AND json_type(reports.needs) = 'array' THEN reports.needs ELSE '[]' END AS needs",
}

// nationalityKey is the nationality a report of table t counts under:
// the column trimmed, or "unknown".
func nationalityKey(t string) string {
	return "coalesce(nullif(trim(" + t + ".nationality, char(32, 9, 10, 13)), ''), 'unknown')"
}

// weekKey is the ISO week a report of table t counts under, as 2026-W48,
// or "unknown".
func weekKey(t string) string {
	return "coalesce(strftime('%G-W%V', " + t + ".created), 'unknown')"
}

// PublicStats count people (not reports) for publication, with every cell
// under MinCell suppressed (null). Duplicates and spam are left out, since
// they would count someone twice or count no one.
type PublicStats struct {
	K           int             `json:"k"`
	Unit        string          `json:"unit"`
	Total       *int            `json:"total"`
	Nationality map[string]*int `json:"nationality"`
	Needs       map[string]*int `json:"needs"`
	Week        map[string]*int `json:"week"`
}

// countedFilter leaves the side exits (duplicates and spam) out of what
// counts people, as the tallies' counted flag does.
var countedFilter = fmt.Sprintf("status != %q && status != %q", vocab.StatusDuplicate, vocab.StatusSpam)

func publicStatsHandler(e *core.RequestEvent) error {
	tallies, err := readTallies(e, "", "")
	if err != nil {
		return e.InternalServerError("Failed to count reports.", err)
	}
	return e.JSON(http.StatusOK, publicStats(tallies))
}

// publicStats counts the people of the tallies, leaving duplicates and
// spam out since they would count someone twice or count no one.
func publicStats(tallies []tally) PublicStats {
	total := 0
	nat, needs, week := map[string]int{}, map[string]int{}, map[string]int{}
	for _, t := range tallies {
		if t.Counted == 0 {
			continue
		}
		switch t.Dimension {
		case "status":
			total += t.People
		case "nationality":
			nat[t.Key] += t.People
		case "need":
			needs[t.Key] += t.People
		case "week":
			week[t.Key] += t.People
		}
	}
	return PublicStats{
		K:           MinCell,
		Unit:        "people",
		Total:       suppressOne(total),
		Nationality: Suppress(nat, true),
		Needs:       Suppress(needs, false),
		Week:        Suppress(week, true),
	}
}

func suppressOne(n int) *int {
	if n < MinCell {
		return nil
	}
	return &n
}

// Suppress returns cells with every count under MinCell replaced by nil.
// For a partition whose total is published (each person in exactly one
// cell), a single suppressed cell could be recomputed from the total, so
// the next smallest cell is suppressed too (complementary suppression).
func Suppress(cells map[string]int, partition bool) map[string]*int {
	out := make(map[string]*int, len(cells))
	var shown []string
	hidden := 0
	for k, v := range cells {
		if v < MinCell {
			out[k] = nil
			hidden++
			continue
		}
		out[k] = &v
		shown = append(shown, k)
	}
	if partition && hidden == 1 && len(shown) > 0 {
		smallest := slices.MinFunc(shown, func(a, b string) int {
			if d := cells[a] - cells[b]; d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		out[smallest] = nil
	}
	return out
}
