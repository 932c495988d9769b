package staff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/internal/fold"
	"homeward/internal/vocab"
)

// List limits.
const (
	// defaultPerPage is the console's page size.
	defaultPerPage = 50
	// maxPerPage bounds one page: PocketBase's records API allows 1000,
	// but no screen shows more than a few hundred reports.
	maxPerPage = 500
	// maxSearchLength bounds the search text; a message is at most a few
	// thousand characters, and a longer needle finds nothing anyway.
	maxSearchLength = 200
	// minSearchRunes is the shortest search the trigram index can answer;
	// a shorter one is tested on the embassy's reports, newest first.
	minSearchRunes = 3
	// searchDriveLimit is how many of an embassy's matches a search the
	// cube does not page (cube.pick: with a need, waiting, unread, sealed,
	// by last activity, or a filter the cube cannot read) reads by id
	// before it reads the embassy's reports in order instead. In
	// BenchmarkStaffList the ~3,400 matches of a common word took 50 ms
	// read by id, a page filled newest first 8 ms; 1,000 is a round
	// number between, not a tuned one.
	searchDriveLimit = 1000
)

// listForm is the query of GET /api/staff/reports.
type listForm struct {
	Filter  string `json:"filter"`  // PocketBase filter over the other report fields
	Need    string `json:"need"`    // one need, matched in the report_needs index
	Q       string `json:"q"`       // a literal substring of message or either location, folded
	Sort    string `json:"sort"`    // one of listSorts; "-created" if not given
	Waiting bool   `json:"waiting"` // only the waiting queue (waitingExp)
	Unread  bool   `json:"unread"`  // only reports with reporter messages no one has read
	Sealed  bool   `json:"sealed"`  // only reports sealed to the embassy's key (sealedExp)
	Total   bool   `json:"total"`   // count the matches (totalItems)
	paging         // page and perPage, defaultPerPage a page if not given
}

// listSorts are the list's orders, by the sort parameter: newest or
// oldest arrival, most or least recent activity, urgent first (newest
// first within each). Each is served by an (embassy, …) index.
var listSorts = map[string][]string{
	"-created":       {"reports.created DESC"},
	"created":        {"reports.created ASC"},
	"-last_activity": {"reports.last_activity DESC"},
	"last_activity":  {"reports.last_activity ASC"},
	"-urgent":        {"reports.urgent DESC", "reports.created DESC"},
}

var sortValues = func() []any {
	out := []any{}
	for k := range listSorts {
		out = append(out, k)
	}
	return out
}()

// Validate checks the need, the sort, the page and the lengths; the filter
// is checked when it is parsed.
func (f *listForm) Validate() error {
	return validation.ValidateStruct(f, append(f.paging.rules(maxPerPage),
		validation.Field(&f.Need, validation.In(needValues...)),
		validation.Field(&f.Q, validation.RuneLength(0, maxSearchLength)),
		validation.Field(&f.Sort, validation.In(sortValues...)),
	)...)
}

// listHandler is the console's report list: the records API's list with
// more filters, need, q, waiting, unread and sealed, each answered from its own
// index (see pb_migrations/1764118100_report_search.go and
// 1764120140_console_queue.go), which PocketBase's filter language cannot
// reach. The embassy is the caller's, and the collection's list rule
// applies as in the records API; the answer has the records API's shape,
// in the order asked for, counted only when asked (totalItems is -1
// otherwise), each report with its number of unread reporter messages.
func listHandler(e *core.RequestEvent) error {
	form, err := readListForm(e)
	if err != nil {
		return e.BadRequestError("The list query is not valid.", err)
	}
	q, err := scopedReports(e, form.Filter)
	if err != nil {
		return e.BadRequestError("The filter is not valid.", err)
	}
	var idle types.DateTime
	if form.Waiting {
		idle, err = idleSince(e)
		if err != nil {
			return e.InternalServerError("Failed to read the embassy.", err)
		}
		q.AndWhere(waitingExp(idle))
	}
	if form.Sealed {
		q.AndWhere(sealedExp)
	}
	terms, cubed := cubeTermsOf(form.Filter)
	cubed = cubed && !form.Waiting && !form.Unread && !form.Sealed && form.Need == ""
	byMatches := false
	// picked is the page the cube found, when it did; counted says how many
	// reports the list holds, when the cube counted them (maxCount+1 when
	// there are more).
	picked, counted := false, -1
	var text *textSearch
	if form.Q != "" {
		// The test every report is held to; the matches counted below
		// only choose which reports are tested.
		s, err := newTextSearch(e.App, form.Q)
		if err != nil {
			return e.InternalServerError("Failed to search.", err)
		}
		text = &s
		q.AndWhere(searchExp(s, embassyOf(e)))
		// A search with a filter the cube reads, or none, in an order it
		// knows, may find its page in the cube (cube.pick), which reads
		// all its matches, up to maxCount, orders them and reads the
		// page's reports by id: the total costs nothing more, and a page
		// further on no more than the first. It does when the total is
		// asked for, which reads those matches anyway, or for a later
		// page when countMatches guesses there are not too many. A
		// first page alone fills sooner from the index's first matches,
		// or from the embassy's reports in order: for a phrase of common
		// words, reading the index a second time cost more than testing
		// the reports (docs/BENCHMARKS.md).
		_, ordered := cubeSorts[form.Sort]
		pick := ordered && cubed && form.Total
		n := 0
		if !pick {
			m, err := countMatches(e.App, embassyOf(e), s)
			if err != nil {
				return e.BadRequestError("The search is not valid.", err)
			}
			n = m.n
			pick = ordered && cubed && form.Page > 1 && m.estimate() <= maxCount
		}
		if pick {
			// With more matches than maxCount, the page fills from the
			// embassy's reports in order, each tested, and many of them
			// pass.
			ids, all := []string(nil), false
			ids, counted, all, err = pickInCube(e, terms, text, form)
			if err != nil {
				return e.BadRequestError("Failed to search.", err)
			}
			if all {
				// CROSS JOIN reads the page's ids first, each report by
				// its id, as for a search's few matches below.
				raw, err := json.Marshal(ids)
				if err != nil {
					return e.InternalServerError("Failed to search.", err)
				}
				q.From("json_each({:picked}) AS picked CROSS JOIN reports")
				q.AndWhere(dbx.NewExp("reports.id = picked.value", dbx.Params{"picked": string(raw)}))
				picked = true
			}
			n = counted
		}
		if !picked && n <= searchDriveLimit {
			// Few matches in this embassy: they are read from the index
			// and their reports by id. CROSS JOIN keeps the matches as
			// the outer loop; SQLite might otherwise read the embassy's
			// reports newest first and probe each, reading them all.
			q.From(searchHits(s) + " AS search_hits CROSS JOIN reports")
			q.AndWhere(dbx.NewExp("reports.id = search_hits.report"))
			byMatches = true
		}
		// Otherwise the embassy has many matches, and the page fills from
		// the first of its reports read newest first, each tested.
	}
	if form.Unread && byMatches {
		q.AndWhere(unreadExp)
	} else if form.Unread {
		// The unread messages are few (the backlog) and all in their own
		// partial index: read first, their reports by id, as the search's
		// matches are. Tested on each report, the unread of 500 among
		// 100,000 reports meant reading them all.
		q.From("(" + unreadReporterMessages + " GROUP BY report) AS unread_hits CROSS JOIN reports")
		q.AndWhere(dbx.NewExp("reports.id = unread_hits.report"))
		byMatches = true
	}
	if form.Need != "" {
		q.InnerJoin("report_needs", dbx.NewExp(
			"report_needs.report = reports.id AND report_needs.embassy = {:needEmbassy} AND report_needs.need = {:need}",
			dbx.Params{"needEmbassy": embassyOf(e), "need": form.Need}))
	}
	total, pages, capped := -1, -1, false
	facet, value, tallied := listFacet(form)
	switch {
	case form.Total && counted >= 0:
		// Counted as the page was found.
		total = counted
	case form.Total && form.Sealed:
		// Sealed reports are not tallied apart: counted one by one, from
		// their index.
		total, err = countList(e.App, q)
	case form.Total && form.Waiting && !form.Unread && form.Filter == "" && form.Q == "" && form.Need == "":
		// The waiting badge and the queue's pages: counted from the
		// indexes of the queue's three parts.
		total, err = countWaiting(e, idle)
	case form.Total && !form.Waiting && !form.Unread && form.Q == "" && tallied:
		// The whole list, or one facet of it: the running tallies know
		// its size.
		total, err = countTallied(e, facet, value)
	case form.Total && cubed:
		// Several fields, a date range or a search: counted in the cube,
		// as the counts are. A need of the list's own is left to SQL: its
		// pages come from the need index.
		total, err = countListInCube(e, terms, text)
	case form.Total:
		total, err = countList(e.App, q)
	}
	if err != nil {
		return e.BadRequestError("Failed to count the reports.", err)
	}
	if form.Total {
		if total > maxCount {
			total, capped = maxCount, true
		}
		pages = (total + form.PerPage - 1) / form.PerPage
	}
	if form.Need != "" && !byMatches && form.Sort == "-created" {
		// Ordered by the joined row, not the report, so the (embassy,
		// need, created) index gives the rows already in page order.
		q.OrderBy("report_needs.created DESC")
	} else {
		q.OrderBy(listSorts[form.Sort]...)
	}
	offset := form.offset()
	if picked {
		offset = 0
	}
	records := []*core.Record{}
	err = q.Offset(int64(offset)).Limit(int64(form.PerPage)).All(&records)
	if err != nil {
		return e.BadRequestError("Failed to list the reports.", err)
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return e.InternalServerError("Failed to prepare the reports.", err)
	}
	if err := addUnread(e.App, records); err != nil {
		return e.InternalServerError("Failed to count unread messages.", err)
	}
	return writeList(e, search.Result{
		Items:      records,
		Page:       form.Page,
		PerPage:    form.PerPage,
		TotalItems: total,
		TotalPages: pages,
	}, capped)
}

// sealedExp keeps the reports sealed to the embassy's key, as the
// sealing command tells them (hooks/sealing), read from their own index
// (migration 1764120830).
var sealedExp = dbx.NewExp("reports.sealed IS NOT NULL AND reports.sealed != '' AND reports.sealed != 'null'")

// writeList answers with the records API's list shape, its items' fields
// picked as e.JSON picks them (the fields parameter), and totalCapped, true
// when the count stopped at maxCount.
func writeList(e *core.RequestEvent, res search.Result, capped bool) error {
	fields := e.Request.URL.Query().Get("fields")
	if fields == "" {
		fields = "*"
	}
	picked, err := picker.Pick(res, fields)
	if err != nil {
		return e.BadRequestError("The fields are not valid.", err)
	}
	out, ok := picked.(map[string]any)
	if !ok {
		return e.InternalServerError("Failed to prepare the reports.", nil)
	}
	out["totalCapped"] = capped
	e.Response.Header().Set("Content-Type", "application/json")
	e.Response.WriteHeader(http.StatusOK)
	return json.NewEncoder(e.Response).Encode(out)
}

// maxCount is where the list stops counting: a number no one pages
// through, and the most a count may read (at 100,000 reports, counting
// them all took 270 ms; counting to 10,000 reads a tenth). Past it the
// answer says totalItems maxCount and totalCapped true ("10,000+").
const maxCount = 10000

// countList counts the reports q lists, up to maxCount+1, before q is
// ordered and paged. The query's own columns are put back afterwards.
func countList(app core.App, q *dbx.SelectQuery) (int, error) {
	info := q.Info()
	defer func() { q.Select(info.Selects...).Distinct(info.Distinct).Limit(info.Limit) }()
	// A join that can repeat a report (a filter through a multi-valued
	// field) needs DISTINCT; the joins that cannot (the caller's own staff
	// row, which the list rule reads, and the one need of report_needs)
	// are counted without the temporary B-tree DISTINCT builds.
	distinct := false
	for _, j := range info.Join {
		if !strings.Contains(j.Table, "__auth_") && !strings.HasPrefix(j.Table, "report_needs") {
			distinct = true
		}
	}
	inner := q.Distinct(distinct).Select("reports.id").Limit(maxCount + 1).Build()
	var n int
	err := app.ConcurrentDB().NewQuery("SELECT count(*) FROM (" + inner.SQL() + ")").Bind(inner.Params()).Row(&n)
	return n, err
}

// countListInCube counts the reports that pass terms and, unless text is
// nil, contain it, in the cube (cube.go), the list rule deciding first as
// for the counts (seesEmbassysReports).
func countListInCube(e *core.RequestEvent, terms []cubeTerm, text *textSearch) (int, error) {
	sees, err := seesEmbassysReports(e)
	if err != nil || !sees {
		return 0, err
	}
	return cubeOf(e.App).total(e.App, embassyOf(e), terms, text, maxCount)
}

// pickInCube finds the page of form's search in the cube (cube.pick), the
// list rule deciding first as for the counts (seesEmbassysReports): the
// page's ids, how many reports the list holds, up to maxCount+1, and
// whether the cube read them all (at most maxCount).
func pickInCube(e *core.RequestEvent, terms []cubeTerm, text *textSearch, form *listForm) ([]string, int, bool, error) {
	sees, err := seesEmbassysReports(e)
	if err != nil || !sees {
		return nil, 0, err == nil, err
	}
	return cubeOf(e.App).pick(e.App, embassyOf(e), terms, text, form.Sort, form.offset(), form.PerPage, maxCount)
}

// listFacet names the facet of the running tallies that counts the list
// of form (its search, waiting and unread aside): all reports (facet ""),
// one facet of them (facetOf), or one need; ok is false when none does.
func listFacet(form *listForm) (facet, value string, ok bool) {
	facet, value, ok = facetOf(form.Filter)
	switch {
	case !ok:
		return "", "", false
	case form.Need == "":
		return facet, value, true
	case facet == "":
		return "need", form.Need, true
	}
	return "", "", false
}

// countTallied counts the reports of one facet value (listFacet) from the
// running tallies, by their status dimension: one row per status, however
// many reports there are.
func countTallied(e *core.RequestEvent, facet, value string) (int, error) {
	tallies, err := readFacetTallies(e, facet, value)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tallies {
		if t.Dimension == "status" {
			n += t.Reports
		}
	}
	return n, nil
}

// needValues are vocab.Needs as validation.In takes them.
var needValues = func() []any {
	out := make([]any, len(vocab.Needs))
	for i, n := range vocab.Needs {
		out[i] = n
	}
	return out
}()

func readListForm(e *core.RequestEvent) (*listForm, error) {
	query := e.Request.URL.Query()
	form := &listForm{
		Filter: query.Get("filter"),
		Need:   query.Get("need"),
		Q:      fold.Fold(query.Get("q")),
		Sort:   query.Get("sort"),
		paging: newPaging(defaultPerPage),
	}
	if form.Sort == "" {
		form.Sort = "-created"
	}
	for _, p := range []struct {
		name string
		to   *bool
	}{{"waiting", &form.Waiting}, {"unread", &form.Unread}, {"sealed", &form.Sealed}, {"total", &form.Total}} {
		if err := queryBool(query, p.name, p.to); err != nil {
			return nil, err
		}
	}
	if err := form.paging.read(query); err != nil {
		return nil, err
	}
	return form, form.Validate()
}

// The search reads the index of the reports' folded text (migrations
// 1764118100, 1764120000 and 1764120810): the FTS5 table report_search,
// keyed by report_search_rows.n, whose content table report_search_content
// holds message, compound_location and current_location folded, each with
// fold.EndMark after it, as c0, c1, c2. A needle of minSearchRunes or more
// is matched through the trigram index as a phrase. A needle of two
// characters (in Chinese, Thai or Burmese two characters can be a word)
// begins every trigram of the text it is in, since each field ends with
// the mark: it is matched as any of the index's terms that begin with it
// (report_search_terms), when there are at most maxPairTerms of them. A
// needle of one character, or two that begin more terms than that (and
// so are common, and fill a page from the newest reports at once), is
// looked for with instr in the folded text the index keeps. Every report
// a search lists or exports is tested with instr the same way
// (searchExp); the index only chooses which reports are tested. The
// counts of the cube take the index's phrase matches as they are, which
// hold the same reports (cube.matches).

// maxPairTerms bounds the trigrams a two-character search matches through
// the index.
const maxPairTerms = 200

// textSearch is a folded search text and how the index finds it.
type textSearch struct {
	needle string
	// match is the FTS5 query of the trigram index that finds needle, or
	// "" when the folded text is to be tested report by report.
	match string
	// none is true when the index knows needle is in no report.
	none bool
}

// newTextSearch chooses how needle (folded) is looked for.
func newTextSearch(app core.App, needle string) (textSearch, error) {
	s := textSearch{needle: needle}
	switch n := utf8.RuneCountInString(needle); {
	case n >= minSearchRunes:
		s.match = matchPhrase(needle)
		return s, nil
	case n < 2 || strings.Contains(needle, fold.EndMark):
		return s, nil
	}
	var terms []string
	err := app.ConcurrentDB().NewQuery("SELECT term FROM report_search_terms WHERE term >= {:from} AND term <= {:to} LIMIT {:limit}").
		Bind(dbx.Params{"from": needle, "to": needle + string(utf8.MaxRune), "limit": maxPairTerms + 1}).Column(&terms)
	if err != nil {
		return s, fmt.Errorf("read the search index's terms: %w", err)
	}
	switch {
	case len(terms) == 0:
		s.none = true
	case len(terms) <= maxPairTerms:
		phrases := make([]string, len(terms))
		for i, t := range terms {
			phrases[i] = matchPhrase(t)
		}
		s.match = strings.Join(phrases, " OR ")
	}
	return s, nil
}

// searchHits is the SQL of the ids of the reports of {:searchEmbassy}
// whose text contains {:needle} ({:match} for the trigram index).
func searchHits(s textSearch) string {
	switch {
	case s.none:
		return "(SELECT NULL AS report WHERE false)"
	case s.match == "":
		return "(SELECT sr.report FROM report_search_rows sr JOIN report_search_content sc ON sc.id = sr.n" +
			" WHERE sr.embassy = {:searchEmbassy} AND " + contentHas + ")"
	}
	return "(SELECT report FROM report_search_rows WHERE embassy = {:searchEmbassy} AND n IN " +
		"(SELECT rowid FROM report_search WHERE report_search MATCH {:match}))"
}

// contentHas tests the folded text of the index's row sc for {:needle}.
const contentHas = "(instr(sc.c0, {:needle}) > 0 OR instr(sc.c1, {:needle}) > 0 OR instr(sc.c2, {:needle}) > 0)"

// searchCount is what countMatches found: n of an embassy's matches, up
// to searchDriveLimit+1, the last of them the index's row number last, of
// rows in all.
type searchCount struct{ n, last, rows int }

// estimate is how many matches the embassy has, guessed from the index's
// rows countMatches read to find its n (they come in the order of their
// numbers): n itself when it read them all, otherwise as many again for
// each as many rows. The guess only chooses how the list reads a page.
func (m searchCount) estimate() int {
	if m.n <= searchDriveLimit || m.last <= 0 {
		return m.n
	}
	return int(int64(m.n) * int64(m.rows) / int64(m.last))
}

// countMatches counts an embassy's matches for s, up to
// searchDriveLimit+1: enough to choose the plan. The trigram index's
// matches are joined one by one to their embassy, so counting stops at
// the limit; an IN list would collect every match of every embassy first
// (a third of 110,000 reports took 200 ms).
func countMatches(app core.App, embassy string, s textSearch) (searchCount, error) {
	var m searchCount
	if s.none {
		return m, nil
	}
	sql := `SELECT count(*), coalesce(max(n), 0), (SELECT coalesce(max(n), 0) FROM report_search_rows) FROM (
		SELECT report_search_rows.n AS n FROM report_search
		CROSS JOIN report_search_rows ON report_search_rows.n = report_search.rowid
		WHERE report_search MATCH {:match} AND report_search_rows.embassy = {:searchEmbassy} LIMIT {:limit})`
	if s.match == "" {
		sql = "SELECT count(*), 0, 0 FROM (SELECT 1 FROM " + searchHits(s) + " LIMIT {:limit})"
	}
	err := app.ConcurrentDB().NewQuery(sql).
		Bind(dbx.Params{"match": s.match, "needle": s.needle, "searchEmbassy": embassy, "limit": searchDriveLimit + 1}).
		Row(&m.n, &m.last, &m.rows)
	return m, err
}

// matchPhrase is an FTS5 query for s as one phrase: with the trigram
// tokenizer, any text containing s.
func matchPhrase(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// searchParam reads the search text (q) of the counts and the export,
// folded; its limit is the list's.
func searchParam(e *core.RequestEvent) (string, error) {
	q := fold.Fold(e.Request.URL.Query().Get("q"))
	if err := validation.Validate(q, validation.RuneLength(0, maxSearchLength)); err != nil {
		return "", validation.Errors{"q": err}
	}
	return q, nil
}

// searchExp is the search's meaning, for the list, the export and the
// counts not taken from the cube: the folded text (internal/fold) of message,
// compound_location or current_location contains needle, itself folded,
// taken literally (no wildcards). It reads the folded text the search
// index keeps, the same the fold function gives, so no report is folded
// again per search; it binds what searchHits needs too.
func searchExp(s textSearch, embassy string) dbx.Expression {
	return dbx.NewExp("EXISTS (SELECT 1 FROM report_search_rows sr JOIN report_search_content sc ON sc.id = sr.n"+
		" WHERE sr.report = reports.id AND "+contentHas+")",
		dbx.Params{"needle": s.needle, "match": s.match, "searchEmbassy": embassy})
}
