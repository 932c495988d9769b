package staff

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// The cube answers the console's counts of a list filtered by several
// fields at once (say new and urgent, or urgent in Khmer this week), or
// searched, which no tally holds: a tally of every combination of fields
// would multiply a report's cells again by the number of fields. It holds,
// in memory, each report's facets (status, language, channel, assignee,
// needs, the three flags and created) and count keys (nationality and ISO
// week as the tallies compute them). A count tests the embassy's reports
// there, a few nanoseconds each, or, for a search, the reports the search
// index matches; counting the matching reports in SQLite read and sorted
// each one's row (55–76 ms for new and urgent at 100,000 reports, where
// the cube takes 2.5; 490–540 for a word in a third of the reports, where
// it takes 38–41, most of it the trigram index's; docs/BENCHMARKS.md).
//
// It is kept in step by the tally log (migrations 1764120800 and
// 1764120820), whose rows set or remove a report whole: it is loaded once
// from the reports (as the server starts, or at the first count that needs
// it), FoldTallies applies to it the rows it folds, and a
// count applies the rows still in the log, read when it counts. Every
// write path appends to the log, so every write is counted, once. With
// the map of the search index's rows, it takes about 220 bytes of memory
// a report (23.5 MB for 110,000; docs/BENCHMARKS.md).

// cubeStoreKey is where an app keeps its cube (core.App.Store).
const cubeStoreKey = "homeward.staff.cube"

// cube is one app's reports; see above. mu orders loads and folds (Lock)
// against counts (RLock): a count reads the reports and the unfolded log
// while no fold can move rows from one to the other.
type cube struct {
	mu      sync.RWMutex
	loaded  bool
	reports map[uint32][]*cubeReport // embassy's name id → its reports, in no order
	where   map[string]*cubeReport   // report id → the report

	names cubeNames
	rows  searchRows
	chunk int // when not 0, how many of a search's matches to read at once (the tests')
}

// cubeReport is one report in the cube. A report keeps its entry while it
// lives, whatever is written to it, so the map of the search index's rows
// can point at it; a removed report's entry is gone, and a row that still
// points at it is read again.
type cubeReport struct {
	id      string
	embassy uint32 // its embassy's name id
	at      int    // its place in c.reports[embassy]
	cell    cubeCell
	gone    bool
}

// cubeCell is a report's counted columns. Text columns are ids in
// cubeNames, 0 for NULL.
type cubeCell struct {
	status, language, channel, assignee uint32
	needs                               uint32 // the needs column as stored
	nationality, week                   uint32 // the count keys
	flags                               uint8  // cubeUrgent, cubeSafety, cubeMinors, cubeNoCreated
	created                             string
}

const (
	cubeUrgent uint8 = 1 << iota
	cubeSafety
	cubeMinors
	cubeNoCreated // created is NULL
)

// cubeNames interns the cells' texts, and keeps what each stored needs
// value means: its count keys and its facets, as SQLite reads them.
type cubeNames struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	texts []string // id → text; texts[0] stands for NULL
	needs map[uint32]cubeNeeds
}

// cubeNeeds is what one needs value counts under (its elements, as the
// tallies' need keys) and which need filters it passes (its distinct text
// values).
type cubeNeeds struct{ keys, facets []uint32 }

func cubeOf(app core.App) *cube {
	return app.Store().GetOrSet(cubeStoreKey, func() any {
		return &cube{names: cubeNames{ids: map[string]uint32{}, texts: []string{""}, needs: map[uint32]cubeNeeds{}}}
	}).(*cube)
}

// id interns s; a NULL is 0.
func (n *cubeNames) id(s sql.NullString) uint32 {
	if !s.Valid {
		return 0
	}
	n.mu.RLock()
	id, ok := n.ids[s.String]
	n.mu.RUnlock()
	if ok {
		return id
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids[s.String]; ok {
		return id
	}
	id = uint32(len(n.texts))
	n.ids[s.String] = id
	n.texts = append(n.texts, s.String)
	return id
}

// lookup is the id of s, or false when no cell has it.
func (n *cubeNames) lookup(s string) (uint32, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.ids[s]
	return id, ok
}

func (n *cubeNames) text(id uint32) string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.texts[id]
}

// cubeColumns read a report's id and cell from table t (reports, or
// report_tally_log, whose columns have the same names and the id as
// report): the count keys with the same expressions as tallyExpressions
// and the view report_tally_log_keys, the flags true as the view
// report_tally_log_facets takes them.
func cubeColumns(t string) string {
	id := t + ".id"
	if t == "report_tally_log" {
		id = t + ".report"
	}
	return strings.Join([]string{
		id, t + ".embassy", t + ".status", t + ".language", t + ".channel", t + ".assignee", t + ".needs",
		nationalityKey(t), weekKey(t), t + ".created",
		"coalesce(" + t + ".urgent = 1, 0) + 2 * coalesce(" + t + ".safety_risk_now = 1, 0) + 4 * coalesce(" + t + ".minors_present = 1, 0) + 8 * (" + t + ".created IS NULL)",
	}, ", ")
}

// cubeRow is one row of a cubeColumns query: a report as it is (sign 1),
// or as it was (-1).
type cubeRow struct {
	report  string
	embassy uint32
	cell    cubeCell
	sign    int
}

// readCubeRows runs query (cubeColumns, then the sign) and
// interns its rows.
func (c *cube) readCubeRows(db dbx.Builder, query string, params dbx.Params) ([]cubeRow, error) {
	rows, err := db.NewQuery(query).Bind(params).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cubeRow
	var report, embassy, status, language, channel, assignee, needs, nationality, week, created sql.NullString
	var flags sql.NullInt64
	var sign int
	for rows.Next() {
		if err := rows.Scan(&report, &embassy, &status, &language, &channel, &assignee, &needs, &nationality, &week, &created, &flags, &sign); err != nil {
			return nil, err
		}
		if !report.Valid {
			// Logged before the log named its report (1764120820), so
			// before any cube was loaded: the reports hold it already.
			continue
		}
		out = append(out, cubeRow{report: report.String, embassy: c.names.id(embassy), sign: sign, cell: cubeCell{
			status: c.names.id(status), language: c.names.id(language), channel: c.names.id(channel),
			assignee: c.names.id(assignee), needs: c.names.id(needs),
			nationality: c.names.id(nationality), week: c.names.id(week),
			flags: uint8(flags.Int64), created: created.String,
		}})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, c.readNeeds(db, out)
}

// readNeeds asks SQLite what the needs values not seen before mean, all in
// one statement: the tallies' need keys (the elements of a JSON array) and
// the need facets (each distinct text value; a value that is not JSON is
// one need), as the views of migration 1764120800 read them.
func (c *cube) readNeeds(db dbx.Builder, rows []cubeRow) error {
	c.names.mu.RLock()
	var fresh []uint32
	seen := map[uint32]bool{}
	for _, r := range rows {
		id := r.cell.needs
		if _, ok := c.names.needs[id]; !ok && !seen[id] {
			seen[id] = true
			fresh = append(fresh, id)
		}
	}
	values := make([]*string, len(fresh))
	for i, id := range fresh {
		if id != 0 {
			text := c.names.texts[id]
			values[i] = &text
		}
	}
	c.names.mu.RUnlock()
	if len(fresh) == 0 {
		return nil
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return err
	}
	var meanings []struct {
		I      int    `db:"i"`
		Keys   string `db:"keys"`
		Facets string `db:"facets"`
	}
	err = db.NewQuery(`SELECT r.key AS i,
			(SELECT json_group_array(CAST(j.value AS TEXT)) FROM json_each(CASE WHEN json_valid(r.value) AND json_type(r.value) = 'array' THEN r.value ELSE '[]' END) j) AS keys,
			(SELECT json_group_array(v) FROM (SELECT DISTINCT n.value AS v FROM json_each(CASE WHEN json_valid(r.value) THEN r.value ELSE json_array(r.value) END) n WHERE n.type = 'text')) AS facets
		FROM json_each({:raw}) r`).Bind(dbx.Params{"raw": string(raw)}).All(&meanings)
	if err != nil {
		return fmt.Errorf("read needs: %w", err)
	}
	got := make(map[uint32]cubeNeeds, len(meanings))
	for _, m := range meanings {
		var keys, facets []*string
		if err := json.Unmarshal([]byte(m.Keys), &keys); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(m.Facets), &facets); err != nil {
			return err
		}
		got[fresh[m.I]] = cubeNeeds{keys: c.nameIds(keys), facets: c.nameIds(facets)}
	}
	c.names.mu.Lock()
	defer c.names.mu.Unlock()
	for id, m := range got {
		c.names.needs[id] = m
	}
	return nil
}

// nameIds interns texts, leaving NULLs out (they count under no key).
func (c *cube) nameIds(texts []*string) []uint32 {
	var ids []uint32
	for _, s := range texts {
		if s != nil {
			ids = append(ids, c.names.id(sql.NullString{String: *s, Valid: true}))
		}
	}
	return ids
}

// apply applies the tally log's rows, in the log's order, to the
// reports: a report as it is now replaces it, as it was removes it. The
// caller holds c.mu.
func (c *cube) apply(rows []cubeRow) {
	for _, r := range rows {
		c.put(r, r.sign > 0)
	}
}

// put sets (or, with set false, removes) r's report in its embassy. A
// report that moves to another embassy is set in the new one before or
// after it is removed from the old (the log's rows of one update come in
// either order); its removal from an embassy it has left changes nothing.
//
// An embassy's reports are a slice, which a count reads in the order the
// reports were loaded, their entries near each other in memory: from a
// map of the entries, counts of several fields took twice as long at
// 100,000 reports (docs/BENCHMARKS.md).
func (c *cube) put(r cubeRow, set bool) {
	e := c.where[r.report]
	if !set {
		if e != nil && e.embassy == r.embassy {
			c.leave(e)
			delete(c.where, e.id)
			e.gone = true
		}
		return
	}
	if e == nil {
		e = &cubeReport{id: r.report, embassy: r.embassy, at: -1}
		c.where[r.report] = e
	} else if e.embassy != r.embassy {
		c.leave(e)
	}
	e.embassy, e.cell = r.embassy, r.cell
	if e.at < 0 {
		e.at = len(c.reports[e.embassy])
		c.reports[e.embassy] = append(c.reports[e.embassy], e)
	}
}

// leave takes e out of its embassy's reports; the last one takes its place.
func (c *cube) leave(e *cubeReport) {
	reports := c.reports[e.embassy]
	last := reports[len(reports)-1]
	reports[e.at], last.at = last, e.at
	reports[len(reports)-1] = nil
	c.reports[e.embassy] = reports[:len(reports)-1]
	e.at = -1
}

// load fills the cube, if it is not yet, with the reports as they are.
// The tally log's rows not yet folded are already in them; applying them
// again (a count's, a fold's) changes nothing, since each row sets or
// removes its report whole, in the log's order. The caller holds c.mu.
func (c *cube) load(app core.App) error {
	if c.loaded {
		return nil
	}
	rows, err := c.readCubeRows(app.ConcurrentDB(), `SELECT `+cubeColumns("reports")+`, 1 FROM reports`, nil)
	if err != nil {
		return fmt.Errorf("load the count cube: %w", err)
	}
	c.reports = map[uint32][]*cubeReport{}
	c.where = map[string]*cubeReport{}
	for _, r := range rows {
		c.put(r, true)
	}
	c.loaded = true
	return nil
}

// cubeTerm is one term of a filter the cube answers: a facet equal to a
// value (facetOf), or created from ("created>=") or before ("created<") a
// time.
type cubeTerm struct {
	facet, value string
}

// createdTerm is a bound of the console's date range: created >= or <
// the start of a day, as an instant in UTC.
var createdTerm = regexp.MustCompile(`^created (>=|<) "([0-9TZ:. -]+)"$`)

// cubeTermsOf splits filter, as the console writes it (toFilter in
// pb_public/staff/filters.js), into terms the cube answers: facets
// (facetFilter) and the date range, joined by &&; an empty filter has
// none. Any other filter is not the cube's.
func cubeTermsOf(filter string) ([]cubeTerm, bool) {
	var terms []cubeTerm
	if strings.TrimSpace(filter) == "" {
		return nil, true
	}
	needs := 0
	for _, part := range strings.Split(filter, " && ") {
		if m := createdTerm.FindStringSubmatch(strings.TrimSpace(part)); m != nil {
			terms = append(terms, cubeTerm{"created" + m[1], m[2]})
			continue
		}
		facet, value, ok := facetOf(part)
		if !ok || facet == "" {
			return nil, false
		}
		if facet == "need" && needs > 0 {
			// PocketBase reads two needs:each terms as one element
			// equal to both, so no report passes; the console sends one.
			return nil, false
		}
		if facet == "need" {
			needs++
		}
		terms = append(terms, cubeTerm{facet, value})
	}
	return terms, true
}

// count counts embassy's reports that pass every term and, unless search
// is nil, contain its text, by the tallies' dimensions: the reports as the
// last fold left them, with the tally log's rows not yet folded applied.
func (c *cube) count(app core.App, embassy string, terms []cubeTerm, search *textSearch) ([]tally, error) {
	var sums [4][]int // status, nationality, week, need: name id → reports
	err := c.each(app, embassy, terms, search, 0, func(_ string, cell *cubeCell, needs map[uint32]cubeNeeds) bool {
		if sums[0] == nil {
			for d := range sums {
				sums[d] = make([]int, len(c.names.texts))
			}
		}
		sums[0][cell.status]++
		sums[1][cell.nationality]++
		sums[2][cell.week]++
		for _, k := range needs[cell.needs].keys {
			sums[3][k]++
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	dimensions := [...]string{"status", "nationality", "week", "need"}
	var tallies []tally
	for d, counts := range sums {
		for id, n := range counts {
			// A NULL (id 0) counts under no key, as the SQL leaves it out.
			if n != 0 && id != 0 {
				tallies = append(tallies, tally{Dimension: dimensions[d], Key: c.names.text(uint32(id)), Reports: n})
			}
		}
	}
	return tallies, nil
}

// total counts embassy's reports that pass every term and, unless search
// is nil, contain its text, as count does, in one number, up to limit+1:
// a search reads limit+1 of its matches first, more if it must, and stops
// there.
func (c *cube) total(app core.App, embassy string, terms []cubeTerm, search *textSearch, limit int) (int, error) {
	n := 0
	err := c.each(app, embassy, terms, search, limit+1, func(string, *cubeCell, map[uint32]cubeNeeds) bool {
		n++
		return n <= limit
	})
	return n, err
}

// cubeSorts order the picks of pick as listSorts order the list: by
// created, or urgent first and newest first within, the id last, so a
// page ends in the same place every time.
var cubeSorts = map[string]func(a, b cubePick) int{
	"-created": func(a, b cubePick) int {
		return cmp.Or(-strings.Compare(a.created, b.created), -strings.Compare(a.id, b.id))
	},
	"created": func(a, b cubePick) int {
		return cmp.Or(strings.Compare(a.created, b.created), strings.Compare(a.id, b.id))
	},
	"-urgent": func(a, b cubePick) int {
		return cmp.Or(-cmp.Compare(a.urgent, b.urgent), -strings.Compare(a.created, b.created), -strings.Compare(a.id, b.id))
	},
}

// cubePick is what pick orders a report by.
type cubePick struct {
	id, created string
	urgent      int
}

// pick finds a page of the list of embassy's reports that pass every
// term and contain search's text, in the order of sort (one of
// cubeSorts), when there are at most limit such reports: the ids of the
// page that skips offset of them and holds at most n, and how many there
// are. all is false, and ids nil, when there are more than limit: pick
// stops reading there, as total does. At 100,000 reports, the page of a
// search found in 2 % of them, with its total, took 24.7 ms so, and 392
// read and counted report by report (docs/BENCHMARKS.md).
func (c *cube) pick(app core.App, embassy string, terms []cubeTerm, search *textSearch, sort string, offset, n, limit int) (ids []string, total int, all bool, err error) {
	order, ok := cubeSorts[sort]
	if !ok {
		return nil, 0, false, fmt.Errorf("the cube cannot order by %q", sort)
	}
	var picks []cubePick
	err = c.each(app, embassy, terms, search, limit+1, func(id string, cell *cubeCell, _ map[uint32]cubeNeeds) bool {
		picks = append(picks, cubePick{id: id, created: cell.created, urgent: int(cell.flags & cubeUrgent)})
		return len(picks) <= limit
	})
	if err != nil || len(picks) > limit {
		return nil, len(picks), false, err
	}
	slices.SortFunc(picks, order)
	for _, p := range picks[min(offset, len(picks)):min(offset+n, len(picks))] {
		ids = append(ids, p.id)
	}
	return ids, len(picks), true, nil
}

// each calls visit with the id and cell of each of embassy's reports
// that pass every term and, unless search is nil, contain its text, until
// visit returns false: the reports as the last fold left them, with the
// tally log's rows not yet folded applied. visit runs with c.names
// read-locked, and gets what the needs values mean. A search reads first
// of its matches at once, unless first is 0, as matches does.
func (c *cube) each(app core.App, embassy string, terms []cubeTerm, search *textSearch, first int, visit func(string, *cubeCell, map[uint32]cubeNeeds) bool) error {
	c.mu.RLock()
	if !c.loaded {
		c.mu.RUnlock()
		c.mu.Lock()
		err := c.load(app)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		c.mu.RLock()
	}
	defer c.mu.RUnlock()
	logged, err := c.readCubeRows(app.ConcurrentDB(), `SELECT `+cubeColumns("report_tally_log")+`, report_tally_log.sign
		FROM report_tally_log WHERE report_tally_log.embassy = {:embassy} ORDER BY report_tally_log.seq`, dbx.Params{"embassy": embassy})
	if err != nil {
		return fmt.Errorf("read the tally log: %w", err)
	}
	// The embassy's reports written since the last fold: as they are now,
	// or gone (nil).
	since := make(map[string]*cubeCell, len(logged))
	for _, r := range logged {
		if r.sign > 0 {
			since[r.report] = &r.cell
		} else {
			since[r.report] = nil
		}
	}
	pass, ok := c.filter(terms)
	if !ok {
		return nil
	}
	c.names.mu.RLock()
	defer c.names.mu.RUnlock()
	emb, ok := c.names.ids[embassy]
	if !ok {
		// No report of the embassy, in the cube or in the log.
		return nil
	}
	needs := c.names.needs
	add := func(id string, cell *cubeCell) bool {
		if cell != nil && pass(*cell, needs) {
			return visit(id, cell, needs)
		}
		return true
	}
	if search != nil {
		return c.matches(app, emb, embassy, *search, since, first, add)
	}
	for _, e := range c.reports[emb] {
		if _, ok := since[e.id]; !ok && !add(e.id, &e.cell) {
			return nil
		}
	}
	for id, cell := range since {
		if !add(id, cell) {
			return nil
		}
	}
	return nil
}

// searchRows maps the trigram index's rowids (report_search_rows.n) to
// their reports' entries in the cube. A row keeps its number while its
// report lives; SQLite gives the number of the last row again only once
// that row is deleted, and a report whose id changes keeps its row under
// the new id, so a number whose report is gone, or written since the last
// fold, is read again.
type searchRows struct {
	mu      sync.Mutex
	reports map[int64]*cubeReport
}

// load reads every row's report, if they are not read yet; the caller
// holds r.mu and c.mu. A row whose report is not in the cube yet is read
// when a search matches it.
func (r *searchRows) load(db dbx.Builder, c *cube) error {
	if r.reports != nil {
		return nil
	}
	var all []struct {
		N      int64  `db:"n"`
		Report string `db:"report"`
	}
	if err := db.NewQuery(`SELECT n, report FROM report_search_rows`).All(&all); err != nil {
		return fmt.Errorf("read the search index's rows: %w", err)
	}
	r.reports = make(map[int64]*cubeReport, len(all))
	for _, row := range all {
		if e := c.where[row.Report]; e != nil {
			r.reports[row.N] = e
		}
	}
	return nil
}

// warm loads the cube and its map of the search index's rows, so the
// first count of several fields or of a search does not wait for them
// (0.8 s at 110,000 reports). The server warms it as it starts.
func (c *cube) warm(app core.App) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(app); err != nil {
		return err
	}
	c.rows.mu.Lock()
	defer c.rows.mu.Unlock()
	return c.rows.load(app.ConcurrentDB(), c)
}

// matches calls yield with the ids and cells of the reports of embassy
// (whose name id is emb) that contain s's text, as they are now, until
// yield returns false: since holds the embassy's reports written since the last
// fold, as each reads them. For a search the trigram index answers
// (s.match), they are its matches' rowids, in their order, mapped to
// their reports in c.rows; otherwise the reports searchHits finds, each
// tested on its folded text. The caller holds c.mu (RLock, at least) and
// c.names (RLock).
//
// A match of the index is not tested on the folded text again, as the
// list tests the reports it shows (searchExp): the index holds the folded
// text (internal/fold, full Unicode case folding), and a trigram phrase
// matches exactly the texts that contain it, in one field (each ends with
// fold.EndMark, which no needle holds). Testing 34,000 matches' texts took
// 13 ms more at 100,000 reports, and joining each to its report 37 ms
// more than the index's 30, where the map takes a few
// (docs/BENCHMARKS.md).
// TestTwoCharacterSearchFindsWhatTheTextHas holds both to what the texts
// hold.
func (c *cube) matches(app core.App, emb uint32, embassy string, s textSearch, since map[string]*cubeCell, first int, yield func(string, *cubeCell) bool) error {
	db := app.ConcurrentDB()
	// cellOf is the report's cell in embassy, as it is now, or nil.
	cellOf := func(id string) *cubeCell {
		if cell, ok := since[id]; ok {
			return cell
		}
		if e := c.where[id]; e != nil && e.embassy == emb {
			return &e.cell
		}
		return nil
	}
	params := dbx.Params{"needle": s.needle, "match": s.match, "searchEmbassy": embassy}
	if s.match == "" {
		var ids []string
		if err := db.NewQuery(`SELECT report FROM ` + searchHits(s)).Bind(params).Column(&ids); err != nil {
			return fmt.Errorf("read the search's matches: %w", err)
		}
		for _, id := range ids {
			if cell := cellOf(id); cell != nil && !yield(id, cell) {
				return nil
			}
		}
		return nil
	}
	// A report written since the last fold, in any embassy, may have a
	// row its entry does not know yet: its rows are read again.
	var written []string
	if err := db.NewQuery(`SELECT report FROM report_tally_log WHERE report IS NOT NULL`).Column(&written); err != nil {
		return fmt.Errorf("read the tally log: %w", err)
	}
	unsure := make(map[*cubeReport]bool, len(written))
	for _, id := range written {
		if e := c.where[id]; e != nil {
			unsure[e] = true
		}
	}
	rows := &c.rows
	rows.mu.Lock()
	defer rows.mu.Unlock()
	if err := rows.load(db, c); err != nil {
		return err
	}
	// The rowids come as one text (read row by row, 38,000 of them took
	// 9 ms more; docs/BENCHMARKS.md): all at once, or, when first is not
	// 0, first, then twice as many as the last time, until yield stops.
	// Each read costs some 6 ms before its first row, for a word in
	// every report, so a count reads once.
	chunk := int64(first)
	if c.chunk > 0 {
		chunk = int64(c.chunk)
	} else if chunk <= 0 {
		chunk = -1 // no limit
	}
	after := int64(0)
	for {
		last := after
		params["after"], params["chunk"] = after, chunk
		var list sql.NullString
		err := db.NewQuery(`SELECT group_concat(rowid) FROM (SELECT rowid FROM report_search
			WHERE report_search MATCH {:match} AND rowid > {:after} ORDER BY rowid LIMIT {:chunk})`).Bind(params).Row(&list)
		if err != nil {
			return fmt.Errorf("read the search's matches: %w", err)
		}
		var unknown []int64
		read := int64(0)
		for text := list.String; text != ""; read++ {
			var n int64
			var err error
			if i := strings.IndexByte(text, ','); i >= 0 {
				n, err = strconv.ParseInt(text[:i], 10, 64)
				text = text[i+1:]
			} else {
				n, err = strconv.ParseInt(text, 10, 64)
				text = ""
			}
			if err != nil {
				return fmt.Errorf("read the search's matches: %w", err)
			}
			after = max(after, n)
			e := rows.reports[n]
			switch {
			case e == nil || e.gone || unsure[e]:
				unknown = append(unknown, n)
			case e.embassy == emb:
				if !yield(e.id, &e.cell) {
					return nil
				}
			}
		}
		if len(unknown) > 0 {
			ids, err := rows.reread(db, c, unknown)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if cell := cellOf(id); cell != nil && !yield(id, cell) {
					return nil
				}
			}
		}
		if chunk < 0 || read < chunk {
			return nil
		}
		if after <= last {
			return fmt.Errorf("read the search's matches: rowid %d again", last)
		}
		if c.chunk == 0 {
			chunk *= 2
		}
	}
}

// reread reads the reports of the rows ns again, and maps each row to its
// report's entry, if the cube has it; the caller holds r.mu and c.mu.
func (r *searchRows) reread(db dbx.Builder, c *cube, ns []int64) ([]string, error) {
	raw, err := json.Marshal(ns)
	if err != nil {
		return nil, err
	}
	var found []struct {
		N      int64  `db:"n"`
		Report string `db:"report"`
	}
	err = db.NewQuery(`SELECT n, report FROM report_search_rows WHERE n IN (SELECT value FROM json_each({:ns}))`).
		Bind(dbx.Params{"ns": string(raw)}).All(&found)
	if err != nil {
		return nil, fmt.Errorf("read the search index's rows: %w", err)
	}
	for _, n := range ns {
		delete(r.reports, n)
	}
	ids := make([]string, len(found))
	for i, f := range found {
		if e := c.where[f.Report]; e != nil {
			r.reports[f.N] = e
		}
		ids[i] = f.Report
	}
	return ids, nil
}

// filter compiles terms into a test of a cell, as the views of migration
// 1764120800 give a report its facets and as PocketBase compares created
// (as text). ok is false when a term's value is in no cell: nothing passes.
func (c *cube) filter(terms []cubeTerm) (pass func(cubeCell, map[uint32]cubeNeeds) bool, ok bool) {
	tests := make([]func(cubeCell, map[uint32]cubeNeeds) bool, 0, len(terms))
	for _, t := range terms {
		var id uint32
		switch t.facet {
		case "status", "language", "channel", "assignee", "need":
			if id, ok = c.names.lookup(t.value); !ok {
				return nil, false
			}
		}
		var test func(cubeCell, map[uint32]cubeNeeds) bool
		switch t.facet {
		case "status":
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool { return cell.status == id }
		case "language":
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool { return cell.language == id }
		case "channel":
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool { return cell.channel == id }
		case "assignee":
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool { return cell.assignee == id }
		case "need":
			test = func(cell cubeCell, needs map[uint32]cubeNeeds) bool {
				for _, f := range needs[cell.needs].facets {
					if f == id {
						return true
					}
				}
				return false
			}
		case "urgent", "safety_risk_now", "minors_present":
			flag := map[string]uint8{"urgent": cubeUrgent, "safety_risk_now": cubeSafety, "minors_present": cubeMinors}[t.facet]
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool { return cell.flags&flag != 0 }
		case "created>=":
			from := t.value
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool {
				return cell.flags&cubeNoCreated == 0 && cell.created >= from
			}
		case "created<":
			before := t.value
			test = func(cell cubeCell, _ map[uint32]cubeNeeds) bool {
				return cell.flags&cubeNoCreated == 0 && cell.created < before
			}
		default:
			return nil, false
		}
		tests = append(tests, test)
	}
	return func(cell cubeCell, needs map[uint32]cubeNeeds) bool {
		for _, test := range tests {
			if !test(cell, needs) {
				return false
			}
		}
		return true
	}, true
}
