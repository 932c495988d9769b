package staff

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/fold"
)

// Duplicate suggestion limits.
const (
	// dupWindow: people re-report within days (a volunteer and the reporter
	// themself, or a retry from another phone); older look-alikes are more
	// often a different person from the same compound.
	dupWindow = 14 * 24 * time.Hour
	// dupMaxCandidates bounds the rows compared, even in a flooded week.
	dupMaxCandidates = 2000
	// dupMaxSent bounds the candidates sent to a staff browser, which opens
	// each sealed one to compare its text (1,000 envelopes in 2.2 s,
	// docs/BENCHMARKS.md). 200 sealed candidates are 250 KB, and were
	// ranked 0.7-1.2 s after their report opened, on a shared 2-core test
	// machine at load 5-9; the rest of the report shows meanwhile. The
	// console's words for a capped list name this number (dup.capped).
	dupMaxSent = 200
	// dupMaxResults is what a person can review at once.
	dupMaxResults = 10
	// dupMinScore keeps out matches with a single weak signal.
	dupMinScore = 0.3
	// similarText is the trigram similarity from which two texts count as alike.
	similarText = 0.5
)

// The reasons a suggestion gives, in the API's words; the console shows
// them in the staff member's language (pb_public/staff/duplicates.js).
const (
	reasonContact = "same contact"
	reasonName    = "similar name"
	reasonGroup   = "same people count and compound"
	reasonMessage = "similar message"
	reasonProfile = "same nationality, gender and age band"
)

// Suggestion is one likely duplicate of a report, with why it matched.
type Suggestion struct {
	Id               string   `json:"id"`
	Created          string   `json:"created"`
	Status           string   `json:"status"`
	PeopleCount      int      `json:"people_count"`
	CompoundLocation string   `json:"compound_location"`
	Score            float64  `json:"score"`
	Reasons          []string `json:"reasons"`
}

// ownReport finds the report named in the path, if it is of the caller's
// embassy; another embassy's report gets the same answer as a missing one.
func ownReport(e *core.RequestEvent) (*core.Record, error) {
	report, err := e.App.FindRecordById(reports.CollectionReports, e.Request.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if report.GetString("embassy") != embassyOf(e) {
		return nil, errNotOwnReport
	}
	return report, nil
}

// windowCandidates returns the caller's reports received within dupWindow
// of report, report itself left out, newest first, at most
// dupMaxCandidates.
func windowCandidates(e *core.RequestEvent, report *core.Record) ([]*core.Record, error) {
	q, err := scopedReports(e, "")
	if err != nil {
		return nil, err
	}
	created := report.GetDateTime("created").Time()
	var out []*core.Record
	err = q.AndWhere(dbx.Not(dbx.HashExp{"reports.id": report.Id})).
		AndWhere(dbx.Between("reports.created",
			created.Add(-dupWindow).UTC().Format(dbTime),
			created.Add(dupWindow).UTC().Format(dbTime))).
		OrderBy("reports.created DESC").
		Limit(dupMaxCandidates).
		All(&out)
	return out, err
}

// duplicatesHandler ranks a report's likely duplicates on the server, on
// the text it can read: reports in clear. A sealed report's text is not
// here; the console ranks it in the browser (duplicateCandidatesHandler).
func duplicatesHandler(e *core.RequestEvent) error {
	report, err := ownReport(e)
	if err != nil {
		return e.NotFoundError("The report was not found.", err)
	}
	candidates, err := windowCandidates(e, report)
	if err != nil {
		return e.InternalServerError("Failed to look for duplicates.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": suggestDuplicates(report, candidates)})
}

// duplicateCandidatesHandler narrows a report's likely duplicates with
// clear fields only, for a staff browser to open and rank on their text:
// the reports of the window, those sharing the most clear fields with
// the report first (nearest in time among equals), at most dupMaxSent, as
// the records API shows them (a sealed one with its envelope). capped says
// the window held more.
func duplicateCandidatesHandler(e *core.RequestEvent) error {
	report, err := ownReport(e)
	if err != nil {
		return e.NotFoundError("The report was not found.", err)
	}
	candidates, err := windowCandidates(e, report)
	if err != nil {
		return e.InternalServerError("Failed to look for duplicates.", err)
	}
	sent := narrowCandidates(report, candidates)
	if err := apis.EnrichRecords(e, sent); err != nil {
		return e.InternalServerError("Failed to prepare the reports.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": sent, "capped": len(candidates) > len(sent)})
}

// narrowCandidates orders candidates by how many clear fields they share
// with report, then by nearness in time, and keeps dupMaxSent. It reads
// no sealed field, and no private field of a report in clear either, so
// what it chooses is the same for both.
func narrowCandidates(report *core.Record, candidates []*core.Record) []*core.Record {
	at := report.GetDateTime("created").Time()
	away := func(r *core.Record) time.Duration { return r.GetDateTime("created").Time().Sub(at).Abs() }
	sorted := slices.Clone(candidates)
	slices.SortStableFunc(sorted, func(a, b *core.Record) int {
		return cmp.Or(
			cmp.Compare(clearAffinity(report, b), clearAffinity(report, a)),
			cmp.Compare(away(a), away(b)),
			strings.Compare(a.Id, b.Id))
	})
	return sorted[:min(len(sorted), dupMaxSent)]
}

// clearAffinity counts the clear fields two reports share: people count,
// nationality, gender, age band, language, and a need in common.
func clearAffinity(a, b *core.Record) int {
	n := 0
	if c := a.GetInt("people_count"); c > 0 && c == b.GetInt("people_count") {
		n++
	}
	for _, f := range []string{"nationality", "gender", "age_band", "language"} {
		if v := a.GetString(f); v != "" && v == b.GetString(f) {
			n++
		}
	}
	if slices.ContainsFunc(a.GetStringSlice("needs"), func(need string) bool {
		return slices.Contains(b.GetStringSlice("needs"), need)
	}) {
		n++
	}
	return n
}

// dbTime is how PocketBase stores dates, so string comparison orders them.
const dbTime = "2006-01-02 15:04:05.000Z"

// suggestDuplicates scores candidates against report and returns the
// likeliest first.
func suggestDuplicates(report *core.Record, candidates []*core.Record) []Suggestion {
	out := []Suggestion{}
	a := dupFieldsOf(report)
	for _, c := range candidates {
		score, reasons := duplicateScore(a, dupFieldsOf(c))
		if score < dupMinScore {
			continue
		}
		out = append(out, Suggestion{
			Id:               c.Id,
			Created:          c.GetDateTime("created").String(),
			Status:           c.GetString("status"),
			PeopleCount:      c.GetInt("people_count"),
			CompoundLocation: c.GetString("compound_location"),
			Score:            score,
			Reasons:          reasons,
		})
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int { return cmp.Compare(b.Score, a.Score) })
	if len(out) > dupMaxResults {
		out = out[:dupMaxResults]
	}
	return out
}

// dupFields are the fields of a report duplicate scoring reads, named as
// in the records API, so hooks/staff/testdata/duplicates.json holds the
// same cases for this scoring and the console's (duplicates.js).
type dupFields struct {
	Message          string `json:"message"`
	CompoundLocation string `json:"compound_location"`
	ContactName      string `json:"contact_name"`
	ContactPhone     string `json:"contact_phone"`
	ContactApp       string `json:"contact_app"`
	PeopleCount      int    `json:"people_count"`
	Nationality      string `json:"nationality"`
	Gender           string `json:"gender"`
	AgeBand          string `json:"age_band"`
}

func dupFieldsOf(r *core.Record) dupFields {
	return dupFields{
		Message:          r.GetString("message"),
		CompoundLocation: r.GetString("compound_location"),
		ContactName:      r.GetString("contact_name"),
		ContactPhone:     r.GetString("contact_phone"),
		ContactApp:       r.GetString("contact_app"),
		PeopleCount:      r.GetInt("people_count"),
		Nationality:      r.GetString("nationality"),
		Gender:           r.GetString("gender"),
		AgeBand:          r.GetString("age_band"),
	}
}

// duplicateScore weighs the signals staff named: the same contact, a
// similar name, the same number of people from the same compound, a
// similar message, and, weakly, the same nationality, gender and age
// band (each known), which alone never make a suggestion. pb_public/staff/duplicates.js
// scores the same way.
func duplicateScore(a, b dupFields) (float64, []string) {
	var score float64
	var reasons []string
	if samePhone(a.ContactPhone, b.ContactPhone) || sameHandle(a.ContactApp, b.ContactApp) {
		score += 0.5
		reasons = append(reasons, reasonContact)
	}
	if similarName(a.ContactName, b.ContactName) {
		score += 0.2
		reasons = append(reasons, reasonName)
	}
	if a.PeopleCount > 0 && a.PeopleCount == b.PeopleCount &&
		trigramSimilarity(a.CompoundLocation, b.CompoundLocation) >= similarText {
		score += 0.3
		reasons = append(reasons, reasonGroup)
	}
	if s := trigramSimilarity(a.Message, b.Message); s >= similarText {
		score += 0.4 * s
		reasons = append(reasons, reasonMessage)
	}
	if known(a.Nationality) && known(a.Gender) && known(a.AgeBand) &&
		a.Nationality == b.Nationality && a.Gender == b.Gender && a.AgeBand == b.AgeBand {
		score += 0.1
		reasons = append(reasons, reasonProfile)
	}
	return score, reasons
}

// known reports whether a clear answer says something: given, and not
// "unknown".
func known(v string) bool { return v != "" && v != "unknown" }

// samePhone compares phone numbers by their last eight digits, so the
// international "+855 12 345 678" and the national "012 345 678" match;
// short numbers never do. Full-width digits count (folded first).
func samePhone(a, b string) bool {
	da, db := digits(fold.Fold(a)), digits(fold.Fold(b))
	if len(da) < 7 || len(db) < 7 {
		return false
	}
	n := min(8, len(da), len(db))
	return da[len(da)-n:] == db[len(db)-n:]
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameHandle(a, b string) bool {
	na, nb := normalize(a), normalize(b)
	return utf8.RuneCountInString(na) >= 4 && na == nb
}

// similarName: two contact names of at least three letters whose
// trigrams are alike, so a name typed in other case, spacing or with a
// typo matches; tone marks are kept, as the search keeps them.
func similarName(a, b string) bool {
	return utf8.RuneCountInString(normalize(a)) >= 3 && utf8.RuneCountInString(normalize(b)) >= 3 &&
		trigramSimilarity(a, b) >= similarText
}

// normalize folds s (internal/fold) and keeps only its word characters.
func normalize(s string) string {
	return strings.Join(words(s), "")
}

// words are the runs of letters, marks and digits of s folded: a Khmer,
// Thai or Burmese word keeps its vowel signs, which are marks.
func words(s string) []string {
	return strings.FieldsFunc(fold.Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r)
	})
}

// trigramSimilarity is the Jaccard similarity of the character trigrams of
// two texts (as PostgreSQL's pg_trgm), which tolerates typos and reordered
// words in any script.
func trigramSimilarity(a, b string) float64 {
	ta, tb := trigrams(a), trigrams(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	inter := 0
	for g := range ta {
		if tb[g] {
			inter++
		}
	}
	return float64(inter) / float64(len(ta)+len(tb)-inter)
}

func trigrams(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range words(s) {
		rs := []rune("  " + w + " ")
		for i := 0; i+3 <= len(rs); i++ {
			out[string(rs[i:i+3])] = true
		}
	}
	return out
}
