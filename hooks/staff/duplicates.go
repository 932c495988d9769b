package staff

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
)

// Duplicate suggestion limits.
const (
	// dupWindow: people re-report within days (a volunteer and the reporter
	// themself, or a retry from another phone); older look-alikes are more
	// often a different person from the same compound.
	dupWindow = 14 * 24 * time.Hour
	// dupMaxCandidates bounds the rows compared, even in a flooded week.
	dupMaxCandidates = 2000
	// dupMaxResults is what a person can review at once.
	dupMaxResults = 10
	// dupMinScore keeps out matches with a single weak signal.
	dupMinScore = 0.3
	// similarText is the trigram similarity from which two texts count as alike.
	similarText = 0.5
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

func duplicatesHandler(e *core.RequestEvent) error {
	report, err := e.App.FindRecordById(reports.CollectionReports, e.Request.PathValue("id"))
	// Another embassy's report gets the same answer as a missing one.
	if err != nil || report.GetString("embassy") != embassyOf(e) {
		return e.NotFoundError("The report was not found.", err)
	}
	created := report.GetDateTime("created").Time()
	var candidates []*core.Record
	err = e.App.RecordQuery(reports.CollectionReports).
		AndWhere(dbx.HashExp{"embassy": report.GetString("embassy")}).
		AndWhere(dbx.Not(dbx.HashExp{"id": report.Id})).
		AndWhere(dbx.Between("created",
			created.Add(-dupWindow).UTC().Format(dbTime),
			created.Add(dupWindow).UTC().Format(dbTime))).
		OrderBy("created DESC").
		Limit(dupMaxCandidates).
		All(&candidates)
	if err != nil {
		return e.InternalServerError("Failed to look for duplicates.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": suggestDuplicates(report, candidates)})
}

// dbTime is how PocketBase stores dates, so string comparison orders them.
const dbTime = "2006-01-02 15:04:05.000Z"

// suggestDuplicates scores candidates against report and returns the
// likeliest first.
func suggestDuplicates(report *core.Record, candidates []*core.Record) []Suggestion {
	out := []Suggestion{}
	for _, c := range candidates {
		score, reasons := duplicateScore(report, c)
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
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if len(out) > dupMaxResults {
		out = out[:dupMaxResults]
	}
	return out
}

// duplicateScore weighs the signals staff named: the same contact, the same
// number of people from the same compound, a similar message.
func duplicateScore(a, b *core.Record) (float64, []string) {
	var score float64
	var reasons []string
	if samePhone(a.GetString("contact_phone"), b.GetString("contact_phone")) ||
		sameHandle(a.GetString("contact_app"), b.GetString("contact_app")) {
		score += 0.5
		reasons = append(reasons, "same contact")
	}
	if n := a.GetInt("people_count"); n > 0 && n == b.GetInt("people_count") &&
		trigramSimilarity(a.GetString("compound_location"), b.GetString("compound_location")) >= similarText {
		score += 0.3
		reasons = append(reasons, "same people count and compound")
	}
	if s := trigramSimilarity(a.GetString("message"), b.GetString("message")); s >= similarText {
		score += 0.4 * s
		reasons = append(reasons, "similar message")
	}
	return score, reasons
}

// samePhone compares phone numbers by their last eight digits, so the
// international "+855 12 345 678" and the national "012 345 678" match;
// short numbers never do.
func samePhone(a, b string) bool {
	da, db := digits(a), digits(b)
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
	return len(na) >= 4 && na == nb
}

// normalize lowercases s and keeps only letters and digits, in any script.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
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
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		rs := []rune("  " + w + " ")
		for i := 0; i+3 <= len(rs); i++ {
			out[string(rs[i:i+3])] = true
		}
	}
	return out
}
