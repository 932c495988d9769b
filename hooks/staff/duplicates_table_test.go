package staff

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

// dupCase is a row of testdata/duplicates.json: two reports' fields and
// the score and reasons both scorings give them, this one and the
// console's (pb_public/staff/duplicates.js, checked on the same rows in
// TestSealedDuplicatesAreRankedInTheBrowser).
type dupCase struct {
	Name    string    `json:"name"`
	A       dupFields `json:"a"`
	B       dupFields `json:"b"`
	Score   float64   `json:"score"`
	Reasons []string  `json:"reasons"`
}

// TestDuplicateScoresFollowTheSharedTable: each pair scores as the table
// says, either way round.
func TestDuplicateScoresFollowTheSharedTable(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/duplicates.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []dupCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("the table has %d rows", len(cases))
	}
	for _, c := range cases {
		for _, pair := range [][2]dupFields{{c.A, c.B}, {c.B, c.A}} {
			score, reasons := duplicateScore(pair[0], pair[1])
			if reasons == nil {
				reasons = []string{}
			}
			if math.Abs(score-c.Score) > 1e-9 || !slices.Equal(reasons, c.Reasons) {
				t.Errorf("%s: score %v %q, the table says %v %q", c.Name, score, reasons, c.Score, c.Reasons)
			}
		}
	}
}
