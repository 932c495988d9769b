package staff

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/fold"
)

// CubeWarm says whether app's cube and its map of the search index's rows
// are loaded, for the tests of package staff_test.
func CubeWarm(app core.App) bool {
	c := cubeOf(app)
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	c.rows.mu.Lock()
	defer c.rows.mu.Unlock()
	return loaded && c.rows.reports != nil
}

// SetMatchChunk makes app's cube read n of a search's matches at once.
func SetMatchChunk(app core.App, n int) {
	c := cubeOf(app)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chunk = n
}

// CubeTotal is the cube's total of embassy's reports that pass filter (as
// the console writes it) and contain q, up to limit+1.
func CubeTotal(app core.App, embassy, filter, q string, limit int) (int, error) {
	terms, ok := cubeTermsOf(filter)
	if !ok {
		return 0, fmt.Errorf("not a filter of the cube: %q", filter)
	}
	var search *textSearch
	if q != "" {
		s, err := newTextSearch(app, fold.Fold(q))
		if err != nil {
			return 0, err
		}
		search = &s
	}
	return cubeOf(app).total(app, embassy, terms, search, limit)
}

// ReadIndexMatches reads every match of q in the trigram index as
// cube.matches reads them, in one text of rowids, and says how many there
// are: the index's own cost, with no report, cube or answer, for the
// benchmarks to set beside the requests that read it.
func ReadIndexMatches(app core.App, q string) (int, error) {
	s, err := newTextSearch(app, fold.Fold(q))
	if err != nil {
		return 0, err
	}
	if s.match == "" {
		return 0, fmt.Errorf("the index does not answer %q", q)
	}
	var list sql.NullString
	err = app.ConcurrentDB().NewQuery(`SELECT group_concat(rowid) FROM report_search WHERE report_search MATCH {:match}`).
		Bind(dbx.Params{"match": s.match}).Row(&list)
	if err != nil || !list.Valid {
		return 0, err
	}
	return strings.Count(list.String, ",") + 1, nil
}
