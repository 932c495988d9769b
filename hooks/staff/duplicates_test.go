package staff_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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

// TestDuplicateCandidatesAreNarrowedByClearFields: the candidates a staff
// browser ranks are the own embassy's reports within the window, the
// report itself left out, whatever their text (the server ranks no text
// here), those sharing the most clear fields with the report first, at
// most 200; another embassy's report answers as missing.
func TestDuplicateCandidatesAreNarrowedByClearFields(t *testing.T) {
	t.Parallel()
	decode := func(t testing.TB, res *http.Response) (ids []string, capped bool) {
		var body struct {
			Items  []struct{ Id string }
			Capped bool
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		for _, it := range body.Items {
			ids = append(ids, it.Id)
		}
		return ids, body.Capped
	}
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:               "every report of the window and embassy, text alike or not",
			Method:             http.MethodGet,
			URL:                "/api/staff/reports/" + reportX + "/duplicate-candidates",
			BeforeTestFunc:     lookAlikes,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"samecontact000000001", "samegroup00000000001", "samewords00000000001", "unrelated00000000001", `"capped":false`},
			NotExpectedContent: []string{"oldcontact0000000001", "othercontact00000001", `"id":"` + reportX, `"score"`},
			ExpectedEvents:     map[string]int{"*": 0, "OnRecordEnrich": 4},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "at most 200, those sharing the most clear fields first however far in the window",
			Method: http.MethodGet,
			URL:    "/api/staff/reports/" + reportX + "/duplicate-candidates",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				for i := range 205 {
					saveReport(fmt.Sprintf("noise%015d", i), embassyX, map[string]any{"people_count": 1, "nationality": "Viet Nam", "needs": []string{"legal"}})(t, app, e)
				}
				// reportX: 6 people from Indonesia who need shelter.
				saveReport("farmatch000000000001", embassyX, map[string]any{
					"people_count": 6, "nationality": "Indonesia", "needs": []string{"shelter"},
					"created": types.NowDateTime().Add(-13 * 24 * time.Hour),
				})(t, app, e)
				saveReport("othermatch0000000001", embassyY, map[string]any{"people_count": 6, "nationality": "Indonesia", "needs": []string{"shelter"}})(t, app, e)
			},
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"capped":true`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordEnrich": 200},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ids, capped := decode(t, res)
				if len(ids) != 200 || !capped {
					t.Fatalf("%d candidates, capped %v: want 200 of 206, capped", len(ids), capped)
				}
				if ids[0] != "farmatch000000000001" {
					t.Errorf("the first candidate is %s, want the one sharing people count, nationality and need", ids[0])
				}
				if slices.Contains(ids, "othermatch0000000001") || slices.Contains(ids, reportX) {
					t.Error("the candidates hold another embassy's report or the report itself")
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "another embassy's report is not found",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports/" + reportY + "/duplicate-candidates",
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"message":"The report was not found."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "an unknown report is not found",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports/nosuchreport00000001/duplicate-candidates",
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"message":"The report was not found."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as("", tests.ApiScenario{
			Name:            "guests are refused",
			Method:          http.MethodGet,
			URL:             "/api/staff/reports/" + reportX + "/duplicate-candidates",
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"data":{}`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
