package staff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

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

// countRow is the little of a report that counting needs.
type countRow struct {
	Id          string         `db:"id"`
	Status      string         `db:"status"`
	Needs       types.JSONRaw  `db:"needs"`
	Nationality string         `db:"nationality"`
	PeopleCount int            `db:"people_count"`
	Created     types.DateTime `db:"created"`
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
	rows, err := countRows(e, e.Request.URL.Query().Get("filter"), needle)
	if err != nil {
		return e.BadRequestError("The filter is not valid.", err)
	}
	c := Counts{Status: map[string]int{}, Needs: map[string]int{}, Nationality: map[string]int{}, Week: map[string]int{}}
	for _, r := range rows {
		c.Total++
		c.Status[r.Status]++
		for _, n := range needsOf(r) {
			c.Needs[n]++
		}
		c.Nationality[nationalityKey(r.Nationality)]++
		c.Week[isoWeek(r.Created)]++
	}
	return e.JSON(http.StatusOK, c)
}

// countRows reads the caller's reports that pass filter and, when needle
// is not empty, the search for it (already folded).
func countRows(e *core.RequestEvent, filter, needle string) ([]countRow, error) {
	// The id keeps DISTINCT (added when a filter joins) from merging reports.
	q, err := scopedReports(e, filter, "reports.id", "reports.status", "reports.needs",
		"reports.nationality", "reports.people_count", "reports.created")
	if err != nil {
		return nil, err
	}
	if needle != "" {
		q.AndWhere(searchExp(needle))
	}
	var rows []countRow
	if err := q.Limit(maxCountRows).All(&rows); err != nil {
		return nil, fmt.Errorf("count reports: %w", err)
	}
	return rows, nil
}

func needsOf(r countRow) []string {
	var needs []string
	if err := json.Unmarshal(r.Needs, &needs); err != nil {
		return nil
	}
	return needs
}

func nationalityKey(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "unknown"
	}
	return s
}

func isoWeek(d types.DateTime) string {
	y, w := d.Time().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
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

// countedFilter leaves the side exits out of public statistics.
var countedFilter = fmt.Sprintf("status != %q && status != %q", vocab.StatusDuplicate, vocab.StatusSpam)

func publicStatsHandler(e *core.RequestEvent) error {
	rows, err := countRows(e, countedFilter, "")
	if err != nil {
		return e.InternalServerError("Failed to count reports.", err)
	}
	return e.JSON(http.StatusOK, publicStats(rows))
}

func publicStats(rows []countRow) PublicStats {
	total := 0
	nat, needs, week := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range rows {
		people := max(r.PeopleCount, 1)
		total += people
		nat[nationalityKey(r.Nationality)] += people
		for _, n := range needsOf(r) {
			needs[n] += people
		}
		week[isoWeek(r.Created)] += people
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
