package syncapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/media/mediatest"
	"homeward/internal/receipts"
	"homeward/internal/testserver"
)

// The sync routes as PocketBase's own API tests are written: one
// tests.ApiScenario per case on a clone of one seeded data dir, pinning
// the status, the answer and the app events the request fires.
//
// Why each event is expected: a record created through app.Save fires,
// in order, OnRecordCreate → OnModelCreate, OnRecordValidate →
// OnModelValidate, OnRecordCreateExecute → OnModelCreateExecute and, after
// the commit, OnRecordAfterCreateSuccess → OnModelAfterCreateSuccess: four
// record events, each with its model twin. createdEvents(n) is that for n
// records. Reads, refusals and uploads still in progress write no record
// and fire nothing ("*": 0). The sync routes are Homeward's own, so no
// PocketBase request event (OnRecordsListRequest and the like) fires.

// Ids and codes of the seeded world the scenarios name.
const (
	scenEmbassy  = "scenembassyx001"
	scenOther    = "scenembassyy001"
	scenReport   = "scenreport0000000001" // a reporter's report of scenEmbassy
	scenVolRep   = "scenreport0000000002" // volunteer A's report of scenEmbassy
	scenReceipt  = "1111 2222 3333 4444 5555"
	scenNewId    = "scennewrecord000001a"
	scenUnknown  = "9999 8888 7777 6666 5555"
	scenMalform  = "12345"
	scenUploadId = "{upload}" // replaced by the id a scenario's BeforeTestFunc starts
)

// scenarioWorld seeds testserver.TwoEmbassies with fixed embassy ids, a
// reporter's report with receipt scenReceipt and a volunteer's report, and
// returns the data dir every scenario clones and what was seeded.
func scenarioWorld(t testing.TB) (func(testing.TB) *tests.TestApp, *testserver.Seeded) {
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = scenEmbassy, scenOther
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, s *testserver.Seeded) {
		keys, err := receipts.Load(app.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		hash, err := keys.Hash(scenReceipt)
		if err != nil {
			t.Fatal(err)
		}
		testserver.SaveRecord(t, app, "reports", map[string]any{
			"id": scenReport, "embassy": scenEmbassy, "message": "We are two", "people_count": 2, "receipt_hash": hash,
		})
		testserver.SaveRecord(t, app, "reports", map[string]any{
			"id": scenVolRep, "embassy": scenEmbassy, "message": "Met at the border", "channel": "volunteer", "volunteer": s.Volunteers[0].Id,
		})
	})
	return func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }, seeded
}

// createdEvents is what saving n new records fires (see the top of this file).
func createdEvents(n int) map[string]int {
	return map[string]int{
		"*":                          0,
		"OnRecordCreate":             n,
		"OnModelCreate":              n,
		"OnRecordValidate":           n,
		"OnModelValidate":            n,
		"OnRecordCreateExecute":      n,
		"OnModelCreateExecute":       n,
		"OnRecordAfterCreateSuccess": n,
		"OnModelAfterCreateSuccess":  n,
	}
}

var nothingFired = map[string]int{"*": 0}

func TestPushScenarios(t *testing.T) {
	t.Parallel()
	factory, seeded := scenarioWorld(t)
	reportCreate := `{"device":"d1","ops":[{"op":"1","kind":"create","collection":"reports","id":"` + scenNewId + `",` +
		`"receipt":"3333 2222 3333 4444 5555","data":{"embassy":"` + scenEmbassy + `","people_count":2}}]}`
	staffReply := `{"device":"console","ops":[{"op":"r1","kind":"create","collection":"messages","id":"scenreply000001",` +
		`"data":{"report":"` + scenReport + `","body":"We will call you."}}]}`
	scenarios := []tests.ApiScenario{
		{
			Name:           "a reporter's new report goes through the record path",
			Method:         http.MethodPost,
			URL:            "/api/sync/push",
			Body:           strings.NewReader(reportCreate),
			TestAppFactory: factory,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{
				`"status":"applied"`, `"id":"` + scenNewId + `"`, `"version":1`, `"cursor":"c1.`,
			},
			NotExpectedContent: []string{"3333", "receipt"},
			// The report only: its search and needs indexes, change log and
			// sync_ops rows are written by SQL in the same transaction.
			ExpectedEvents: createdEvents(1),
		},
		{
			Name:            "a staff reply by push writes the message and its reply event",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            strings.NewReader(staffReply),
			Headers:         map[string]string{"Authorization": seeded.StaffTokens[0]},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"op":"r1"`, `"status":"applied"`, `"id":"scenreply000001"`},
			// Two records: the message, and the "reply" report_events
			// record the model-level audit rule adds for a staff message.
			ExpectedEvents: createdEvents(2),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev, err := app.FindFirstRecordByData("report_events", "report", scenReport)
				if err != nil || ev.GetString("kind") != "reply" || ev.GetString("actor") != seeded.Staff[0].Id {
					t.Errorf("reply event: %v %v", ev, err)
				}
			},
		},
		{
			Name:            "staff of another embassy cannot reply to the report",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            strings.NewReader(staffReply),
			Headers:         map[string]string{"Authorization": seeded.StaffTokens[1]},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusOK, // a push answers per operation
			ExpectedContent: []string{`"op":"r1"`, `"status":"rejected"`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "a body that is not a push is refused whole",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            strings.NewReader(`{"device":"d1","ops":{}}`),
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"code":"bad_push"`},
			ExpectedEvents:  nothingFired,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestPullScenarios(t *testing.T) {
	t.Parallel()
	factory, seeded := scenarioWorld(t)
	scenarios := []tests.ApiScenario{
		{
			Name:               "a reporter pulls their report by its receipt",
			Method:             http.MethodGet,
			URL:                "/api/sync/pull",
			Headers:            map[string]string{"X-Receipt": scenReceipt},
			TestAppFactory:     factory,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"id":"` + scenReport + `"`, `"kind":"upsert"`, `"has_more":false`},
			NotExpectedContent: []string{scenVolRep, "receipt_hash"},
			ExpectedEvents:     nothingFired,
		},
		{
			Name:               "a volunteer's device pulls the volunteer's reports only",
			Method:             http.MethodGet,
			URL:                "/api/sync/pull",
			Headers:            map[string]string{"Authorization": "Device " + seeded.DeviceTokens[0]},
			TestAppFactory:     factory,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"id":"` + scenVolRep + `"`},
			NotExpectedContent: []string{scenReport},
			// The device's expiry moves forward by a plain UPDATE of two
			// columns, which is no record save and fires nothing.
			ExpectedEvents: nothingFired,
		},
		{
			Name:            "staff pull their embassy's reports",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull",
			Headers:         map[string]string{"Authorization": seeded.StaffTokens[0]},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"id":"` + scenReport + `"`, `"id":"` + scenVolRep + `"`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:               "staff of another embassy see none of them",
			Method:             http.MethodGet,
			URL:                "/api/sync/pull",
			Headers:            map[string]string{"Authorization": seeded.StaffTokens[1]},
			TestAppFactory:     factory,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"changes":[]`},
			NotExpectedContent: []string{scenReport, scenVolRep},
			ExpectedEvents:     nothingFired,
		},
		{
			Name:            "pull without any proof",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull",
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"code":"receipt_required"`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "a well-formed receipt of no report",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull",
			Headers:         map[string]string{"X-Receipt": scenUnknown},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"code":"receipt_unknown"`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "a code that is not a receipt at all",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull",
			Headers:         map[string]string{"X-Receipt": scenMalform},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"code":"receipt_malformed"`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "a cursor that was never handed out",
			Method:          http.MethodGet,
			URL:             "/api/sync/pull?cursor=nonsense",
			Headers:         map[string]string{"X-Receipt": scenReceipt},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"code":"bad_cursor"`},
			ExpectedEvents:  nothingFired,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestDeviceScenarios(t *testing.T) {
	t.Parallel()
	factory, seeded := scenarioWorld(t)
	scenarios := []tests.ApiScenario{
		{
			Name:               "an approved volunteer registers a device",
			Method:             http.MethodPost,
			URL:                "/api/sync/devices",
			Body:               strings.NewReader(`{"label":"shelter phone"}`),
			Headers:            map[string]string{"Authorization": seeded.VolunteerTokens[0]},
			TestAppFactory:     factory,
			ExpectedStatus:     http.StatusCreated,
			ExpectedContent:    []string{`"label":"shelter phone"`, `"token":"hwd1_`, `"expires":"`},
			NotExpectedContent: []string{"token_hash"},
			ExpectedEvents:     createdEvents(1), // the devices record
		},
		{
			Name:            "register a device without signing in",
			Method:          http.MethodPost,
			URL:             "/api/sync/devices",
			Body:            strings.NewReader(`{"label":"x"}`),
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusUnauthorized,
			ExpectedContent: []string{`"status":401`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "staff have no devices",
			Method:          http.MethodPost,
			URL:             "/api/sync/devices",
			Body:            strings.NewReader(`{"label":"x"}`),
			Headers:         map[string]string{"Authorization": seeded.StaffTokens[0]},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"status":403`},
			ExpectedEvents:  nothingFired,
		},
		{
			Name:            "a device needs a label",
			Method:          http.MethodPost,
			URL:             "/api/sync/devices",
			Body:            strings.NewReader(`{"label":""}`),
			Headers:         map[string]string{"Authorization": seeded.VolunteerTokens[0]},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"label":{"code":"validation_required"`},
			ExpectedEvents:  nothingFired,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// startScenarioUpload starts a tus upload of length bytes for scenReport
// through the app's own router and returns its id.
func startScenarioUpload(t testing.TB, e *core.ServeEvent, length int) string {
	t.Helper()
	mux, err := e.Router.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/sync/files/", nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Receipt", scenReceipt)
	req.Header.Set("Upload-Length", strconv.Itoa(length))
	req.Header.Set("Upload-Metadata", metadata("report", scenReport, "filetype", "image/jpeg"))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusCreated || !strings.HasPrefix(loc, "/api/sync/files/") {
		t.Fatalf("start upload: %d %q %s", rec.Code, loc, rec.Body)
	}
	return strings.TrimPrefix(loc, "/api/sync/files/")
}

// withUpload makes s act on an upload its BeforeTestFunc starts: the
// scenUploadId in s's URL becomes the new upload's id.
func withUpload(s *tests.ApiScenario, length int) {
	url := s.URL
	s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		s.URL = strings.Replace(url, scenUploadId, startScenarioUpload(t, e, length), 1)
	}
}

func TestUploadScenarios(t *testing.T) {
	t.Parallel()
	factory, _ := scenarioWorld(t)
	photo := mediatest.OrientedJPEG(40, 30, 1, "scenario")
	tus := func(h map[string]string) map[string]string {
		h["Tus-Resumable"] = "1.0.0"
		return h
	}

	t.Run("the server says what it speaks", func(t *testing.T) {
		s := tests.ApiScenario{
			Method:         http.MethodOptions,
			URL:            "/api/sync/files/",
			TestAppFactory: factory,
			ExpectedStatus: http.StatusNoContent,
			ExpectedEvents: nothingFired,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if res.Header.Get("Tus-Version") != "1.0.0" || res.Header.Get("Tus-Extension") != "creation" || res.Header.Get("Tus-Max-Size") == "" {
					t.Errorf("OPTIONS headers: %v", res.Header)
				}
			},
		}
		s.Test(t)
	})

	t.Run("a reporter starts an upload for their report", func(t *testing.T) {
		s := tests.ApiScenario{
			Method: http.MethodPost,
			URL:    "/api/sync/files/",
			Headers: tus(map[string]string{"X-Receipt": scenReceipt, "Upload-Length": strconv.Itoa(len(photo)),
				"Upload-Metadata": metadata("report", scenReport, "filetype", "image/jpeg")}),
			TestAppFactory: factory,
			ExpectedStatus: http.StatusCreated,
			// The upload lives in a side folder until its last byte.
			ExpectedEvents: nothingFired,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if !strings.HasPrefix(res.Header.Get("Location"), "/api/sync/files/") || res.Header.Get("Upload-Offset") != "0" {
					t.Errorf("create headers: %v", res.Header)
				}
			},
		}
		s.Test(t)
	})

	t.Run("an upload for a report the server has not got yet", func(t *testing.T) {
		s := tests.ApiScenario{
			Method: http.MethodPost,
			URL:    "/api/sync/files/",
			Headers: tus(map[string]string{"X-Receipt": scenReceipt, "Upload-Length": "10",
				"Upload-Metadata": metadata("report", "notsyncedyet0000001")}),
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusConflict,
			ExpectedContent: []string{`"code":"report_not_synced"`},
			ExpectedEvents:  nothingFired,
		}
		s.Test(t)
	})

	t.Run("another tus version is refused", func(t *testing.T) {
		s := tests.ApiScenario{
			Method:          http.MethodPost,
			URL:             "/api/sync/files/",
			Headers:         map[string]string{"Tus-Resumable": "0.2.2", "X-Receipt": scenReceipt, "Upload-Length": "10"},
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusPreconditionFailed,
			ExpectedContent: []string{`"code":"unsupported_tus_version"`},
			ExpectedEvents:  nothingFired,
		}
		s.Test(t)
	})

	t.Run("the offset of an upload in progress", func(t *testing.T) {
		s := tests.ApiScenario{
			Method:         http.MethodHead,
			URL:            "/api/sync/files/" + scenUploadId,
			Headers:        tus(map[string]string{"X-Receipt": scenReceipt}),
			TestAppFactory: factory,
			ExpectedStatus: http.StatusOK,
			ExpectedEvents: nothingFired,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if res.Header.Get("Upload-Offset") != "0" || res.Header.Get("Upload-Length") != strconv.Itoa(len(photo)) {
					t.Errorf("HEAD headers: %v", res.Header)
				}
			},
		}
		withUpload(&s, len(photo))
		s.Test(t)
	})

	t.Run("the last byte stores the attachment", func(t *testing.T) {
		s := tests.ApiScenario{
			Method: http.MethodPatch,
			URL:    "/api/sync/files/" + scenUploadId,
			Body:   bytes.NewReader(photo),
			Headers: tus(map[string]string{"X-Receipt": scenReceipt, "Upload-Offset": "0",
				"Content-Type": "application/offset+octet-stream"}),
			TestAppFactory: factory,
			ExpectedStatus: http.StatusNoContent,
			// One record: the attachment, its file stripped before the save.
			ExpectedEvents: createdEvents(1),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				id := res.Header.Get("Homeward-Attachment")
				att, err := app.FindRecordById("attachments", id)
				if err != nil || att.GetString("report") != scenReport || res.Header.Get("Upload-Offset") != strconv.Itoa(len(photo)) {
					t.Errorf("attachment %q: %v; headers %v", id, err, res.Header)
				}
			},
		}
		withUpload(&s, len(photo))
		s.Test(t)
	})

	// An upload is found by its id and its owner together: with another
	// receipt it does not exist, and the answer says no more than that.
	t.Run("someone else's upload does not exist", func(t *testing.T) {
		s := tests.ApiScenario{
			Method:          http.MethodPatch,
			URL:             "/api/sync/files/" + scenUploadId,
			Body:            bytes.NewReader(photo),
			Headers:         tus(map[string]string{"X-Receipt": scenUnknown, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}),
			TestAppFactory:  factory,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"code":"upload_not_found"`},
			ExpectedEvents:  nothingFired,
		}
		withUpload(&s, len(photo))
		s.Test(t)
	})
}
