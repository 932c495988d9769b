package syncapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

// withEmbassy is an app with one active embassy whose id is "embassy00000001".
func withEmbassy(t testing.TB) *tests.TestApp {
	app := testserver.NewApp(t, false)
	col, err := app.FindCollectionByNameOrId("embassies")
	if err != nil {
		t.Fatal(err)
	}
	rec := core.NewRecord(col)
	rec.Id = "embassy00000001"
	rec.Load(map[string]any{"name": "E", "country": "E", "slug": "e", "active": true})
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
	return app
}

func TestPushScenarios(t *testing.T) {
	create := `{"device":"d1","ops":[{"op":"1","kind":"create","collection":"reports","id":"abcdefghij0123456789",` +
		`"receipt":"1111 2222 3333 4444 5555","data":{"embassy":"embassy00000001","people_count":2}}]}`
	scenarios := []tests.ApiScenario{
		{
			Name:           "a push goes through the record path: validation, hooks, realtime, change log",
			Method:         http.MethodPost,
			URL:            "/api/sync/push",
			Body:           strings.NewReader(create),
			TestAppFactory: withEmbassy,
			ExpectedStatus: 200,
			ExpectedContent: []string{
				`"status":"applied"`, `"id":"abcdefghij0123456789"`, `"version":1`, `"cursor":"c1.`,
			},
			NotExpectedContent: []string{"1111", "receipt"},
			ExpectedEvents: map[string]int{
				"*":                          0,
				"OnRecordCreate":             1,
				"OnRecordValidate":           1,
				"OnRecordCreateExecute":      1,
				"OnRecordAfterCreateSuccess": 1,
				"OnModelCreate":              1,
				"OnModelValidate":            1,
				"OnModelCreateExecute":       1,
				"OnModelAfterCreateSuccess":  1,
			},
		},
		{
			Name:            "register a device without signing in",
			Method:          http.MethodPost,
			URL:             "/api/sync/devices",
			Body:            strings.NewReader(`{"label":"x"}`),
			TestAppFactory:  withEmbassy,
			ExpectedStatus:  401,
			ExpectedContent: []string{`"status":401`},
			ExpectedEvents:  map[string]int{"*": 0},
		},
		{
			Name:            "pull without any proof",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull",
			TestAppFactory:  withEmbassy,
			ExpectedStatus:  401,
			ExpectedContent: []string{`"code":"receipt_required"`},
			ExpectedEvents:  map[string]int{"*": 0},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
