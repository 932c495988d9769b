package staff_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/staff"
)

// lookAlikes are reports of X beside reportX (6 people, river compound,
// +000 12 777 001): some are likely the same people, some are not.
func lookAlikes(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	for id, data := range map[string]map[string]any{
		"samecontact000000001": {"contact_phone": "012 777 001", "message": "please help", "people_count": 1},
		"samegroup00000000001": {"people_count": 6, "compound_location": "River compound", "message": "six of us left"},
		"samewords00000000001": {"people_count": 2, "message": "We are six people from the compound at the river!"},
		"unrelated00000000001": {"people_count": 6, "compound_location": "airport hotel", "message": "lost my passport"},
		"oldcontact0000000001": {"contact_phone": "+000 12 777 001", "created": types.NowDateTime().Add(-30 * 24 * time.Hour)},
	} {
		saveReport(id, embassyX, data)(t, app, e)
	}
	saveReport("othercontact00000001", embassyY, map[string]any{"contact_phone": "+000 12 777 001"})(t, app, e)
}

func TestDuplicateSuggestions(t *testing.T) {
	t.Parallel()
	s := as(staffX, tests.ApiScenario{
		Name:               "suggests same contact, same group and similar words within days, in the own embassy",
		Method:             http.MethodGet,
		URL:                "/api/staff/reports/" + reportX + "/duplicates",
		BeforeTestFunc:     lookAlikes,
		ExpectedStatus:     http.StatusOK,
		ExpectedContent:    []string{"samecontact000000001", "samegroup00000000001", "samewords00000000001"},
		NotExpectedContent: []string{"unrelated00000000001", "oldcontact0000000001", "othercontact00000001", `"id":"` + reportX},
		ExpectedEvents:     map[string]int{"*": 0},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			var body struct{ Items []staff.Suggestion }
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"samecontact000000001": "same contact",
				"samegroup00000000001": "same people count and compound",
				"samewords00000000001": "similar message",
			}
			for _, it := range body.Items {
				if r, ok := want[it.Id]; !ok || len(it.Reasons) == 0 || it.Reasons[0] != r {
					t.Errorf("%s: reasons %v, want %q", it.Id, it.Reasons, r)
				}
			}
			for i := 1; i < len(body.Items); i++ {
				if body.Items[i].Score > body.Items[i-1].Score {
					t.Error("suggestions are not sorted by score")
				}
			}
		},
	})
	s.Test(t)
}
