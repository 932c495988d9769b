package sealing_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/sealing"
	"homeward/internal/receipts"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// The seeded world: embassy X has a key (two epochs), embassy Y one, and
// embassy Z none yet.
const (
	embX, embY, embZ = "sealembassyx001", "sealembassyy001", "sealembassyz001"
	sealedReport     = "sealreport0000000001" // a phone-sealed report of X
	receipt          = "1111 2222 3333 4444 5555"
	// marker is typed into every private field; it must never be stored.
	marker = "MARKER-7d1c"
)

type world struct {
	factory      func(testing.TB) *tests.TestApp
	seeded       *testserver.Seeded
	x1, x2, yKey *testserver.EmbassyKey
}

// phoneClear is a report's clear fields as a reporter's phone sends them.
func phoneClear(embassy string) map[string]any {
	return map[string]any{"embassy": embassy, "channel": "self", "language": "km", "people_count": 2,
		"minors_present": true, "needs": []string{"shelter", "medical"}, "consent_contact": true, "consent_version": "web-1"}
}

// stub is a report as seal.ReportClear reads it.
type stub map[string]any

func (r stub) GetString(n string) string { s, _ := r[n].(string); return s }
func (r stub) GetBool(n string) bool     { b, _ := r[n].(bool); return b }
func (r stub) GetInt(n string) int       { i, _ := r[n].(int); return i }
func (r stub) GetStringSlice(n string) []string {
	s, _ := r[n].([]string)
	return s
}

// phoneEnvelope seals body as the phone does, for report id with the
// clear fields clear, to key.
func phoneEnvelope(t testing.TB, key *testserver.EmbassyKey, id string, clear map[string]any, body seal.ReportBody) seal.Envelope {
	t.Helper()
	hash, err := seal.ClearHash(seal.ReportClear(stub(clear)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Seal(key.Private.PublicKey(), seal.Binding{Embassy: clear["embassy"].(string), Kid: key.Kid, Record: id, Clear: hash}, plain)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func markedBody() seal.ReportBody {
	return seal.ReportBody{Message: marker + " message", ContactName: marker + " name", ContactPhone: "+000 555 0100",
		ContactApp: marker + " app", CompoundLocation: marker + " compound", CompoundPoint: &seal.Point{Lon: 103.5, Lat: 10.6},
		CurrentLocation: marker + " now"}
}

func newWorld(t testing.TB) *world {
	w := &world{}
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = embX, embY
	opts.Embassies = append(opts.Embassies, testserver.Embassy{Id: embZ, Slug: "z", Name: "Embassy Z"})
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, s *testserver.Seeded) {
		w.x1 = testserver.AddEmbassyKey(t, app, embX, nil)
		w.x2 = testserver.AddEmbassyKey(t, app, embX, w.x1)
		w.yKey = testserver.AddEmbassyKey(t, app, embY, nil)
		env, err := json.Marshal(phoneEnvelope(t, w.x1, sealedReport, phoneClear(embX), markedBody()))
		if err != nil {
			t.Fatal(err)
		}
		data := phoneClear(embX)
		data["id"], data["sealed"] = sealedReport, string(env)
		keys, err := receipts.Load(app.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		if data["receipt_hash"], err = keys.Hash(receipt); err != nil {
			t.Fatal(err)
		}
		testserver.SaveRecord(t, app, "reports", data)
	})
	w.factory = func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }
	w.seeded = seeded
	return w
}

// push is a push body of one report create by a reporter.
func push(t testing.TB, id string, data map[string]any) *strings.Reader {
	t.Helper()
	body, err := json.Marshal(map[string]any{"device": "sealphone01", "ops": []map[string]any{{
		"op": "op-" + id, "kind": "create", "collection": "reports", "id": id, "receipt": receipt, "data": data,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(body))
}

// withEnvelope is the phone's data for report id of embassy with its
// private fields sealed to key, plus extra fields.
func withEnvelope(t testing.TB, key *testserver.EmbassyKey, embassy, id string, env func(*seal.Envelope), extra map[string]any) map[string]any {
	t.Helper()
	e := phoneEnvelope(t, key, id, phoneClear(embassy), markedBody())
	if env != nil {
		env(&e)
	}
	data := phoneClear(embassy)
	delete(data, "channel") // the server sets the channel from who pushes
	data["sealed"] = e
	for k, v := range extra {
		data[k] = v
	}
	return data
}

// plaintext is the data an older phone sends: the private fields in clear.
func plaintext(embassy string) map[string]any {
	data := phoneClear(embassy)
	delete(data, "channel")
	b := markedBody()
	data["message"], data["contact_name"], data["contact_phone"] = b.Message, b.ContactName, b.ContactPhone
	data["contact_app"], data["compound_location"], data["current_location"] = b.ContactApp, b.CompoundLocation, b.CurrentLocation
	data["compound_point"] = map[string]float64{"lon": 103.5, "lat": 10.6}
	return data
}

// findReport reads a stored report.
func findReport(t testing.TB, app core.App, id string) *core.Record {
	t.Helper()
	r, err := app.FindRecordById("reports", id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireNoPlaintext fails when the report has a private field in clear,
// or the marker is anywhere the server wrote: the search index, the change
// log's data, the audit trail, or any byte of any file in the data dir
// (database, WAL, auxiliary database with the request log).
func requireNoPlaintext(t testing.TB, app core.App, r *core.Record) {
	t.Helper()
	for _, f := range seal.SealedReportFields {
		if v := r.GetString(f); v != "" && v != `{"lon":0,"lat":0}` {
			t.Errorf("%s is stored in clear: %q", f, v)
		}
	}
	for _, q := range []string{
		"SELECT count(*) FROM report_search WHERE report_search MATCH '\"" + strings.ToLower(marker) + "\"'",
		"SELECT count(*) FROM sync_changes WHERE data LIKE '%" + marker + "%'",
		"SELECT count(*) FROM report_events WHERE note LIKE '%" + marker + "%'",
	} {
		var n int
		if err := app.DB().NewQuery(q).Row(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows", q, n)
		}
	}
	testserver.NoFileHolds(t, app.DataDir(), marker)
}

var pushCreateEvents = map[string]int{
	"OnRecordCreate": 1, "OnRecordValidate": 1, "OnRecordCreateExecute": 1, "OnRecordAfterCreateSuccess": 1,
}

var pushRefusedEvents = map[string]int{
	"OnRecordCreate": 1, "OnRecordValidate": 1, "OnRecordCreateExecute": 0, "OnRecordAfterCreateSuccess": 0,
}

func TestReportsOfAnEmbassyWithAKeyAreStoredSealed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const (
		fromPhone  = "sealnew0000000000001"
		fromOldApp = "sealnew0000000000002"
		toZ        = "sealnew0000000000003"
		byREST     = "sealnew0000000000004"
	)
	su := map[string]string{"Authorization": w.seeded.SuperuserToken}
	scenarios := []tests.ApiScenario{
		{
			Name:            "a report sealed on the phone is stored as sent, marked sealed by the phone",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            push(t, fromPhone, withEnvelope(t, w.x1, embX, fromPhone, nil, nil)),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"applied"`},
			ExpectedEvents:  pushCreateEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, fromPhone)
				if r.GetString("sealed_by") != "phone" {
					t.Errorf("sealed_by = %q", r.GetString("sealed_by"))
				}
				if got := w.x1.OpenReport(t, r); got.Message != marker+" message" || got.CompoundPoint == nil || got.CompoundPoint.Lat != 10.6 {
					t.Errorf("opened %+v", got)
				}
				requireNoPlaintext(t, app, r)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "a report in plaintext for an embassy with a key is sealed by the server to its newest key before it is stored",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            push(t, fromOldApp, plaintext(embX)),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"applied"`},
			ExpectedEvents:  pushCreateEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, fromOldApp)
				if r.GetString("sealed_by") != "server" {
					t.Errorf("sealed_by = %q", r.GetString("sealed_by"))
				}
				got := w.x2.OpenReport(t, r)
				if got.Message != marker+" message" || got.ContactPhone != "+000 555 0100" ||
					got.CurrentLocation != marker+" now" || got.CompoundPoint == nil || got.CompoundPoint.Lon != 103.5 {
					t.Errorf("opened %+v", got)
				}
				if !r.GetBool("urgent") || r.GetString("channel") != "self" {
					t.Error("the clear fields were not kept for triage")
				}
				// The receipt came with the push: its reply key is in the envelope.
				norm, _ := receipts.Normalize(receipt)
				if want := base64.RawURLEncoding.EncodeToString(seal.ReplyKey(norm, fromOldApp)); got.ReplyKey != want {
					t.Errorf("reply key %q, want %q", got.ReplyKey, want)
				}
				requireNoPlaintext(t, app, r)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "an embassy with no key that takes reports in clear until it has one receives them as before",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            push(t, toZ, plaintext(embZ)),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"applied"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, toZ)
				if r.GetString("message") != marker+" message" || r.GetString("sealed") != "null" && r.GetString("sealed") != "" || r.GetString("sealed_by") != "" {
					t.Errorf("stored %q sealed %q by %q", r.GetString("message"), r.GetString("sealed"), r.GetString("sealed_by"))
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:   "a superuser's REST create in plaintext is sealed by the server too",
			Method: http.MethodPost,
			URL:    "/api/collections/reports/records",
			Body: strings.NewReader(`{"id":"` + byREST + `","embassy":"` + embX + `","people_count":1,"message":"` + marker +
				` by REST","contact_phone":"+000 1","sealed_by":"phone"}`),
			Headers:        su,
			ExpectedStatus: http.StatusOK,
			// The answer shows the superuser the dashboard's mark, not the text.
			ExpectedContent:    []string{`"sealed_by":"server"`, `"message":"` + sealing.SealedMark + `"`, `"kid":"` + w.x2.Kid + `"`},
			NotExpectedContent: []string{marker},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, byREST)
				if got := w.x2.OpenReport(t, r); got.Message != marker+" by REST" {
					t.Errorf("opened %+v", got)
				}
				requireNoPlaintext(t, app, r)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "staff still change the clear fields of a sealed report",
			Method:          http.MethodPatch,
			URL:             "/api/collections/reports/records/" + sealedReport,
			Body:            strings.NewReader(`{"status":"contacted"}`),
			Headers:         map[string]string{"Authorization": w.seeded.StaffTokens[0]},
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"contacted"`, `"sealed_by":"phone"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, sealedReport)
				if r.GetString("status") != "contacted" || r.GetString("message") != "" {
					t.Errorf("embassy %q message %q", r.GetString("embassy"), r.GetString("message"))
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:   "a plaintext report routed to an embassy with a key is sealed to that embassy's key",
			Method: http.MethodPatch,
			URL:    "/api/collections/reports/records/" + toZ,
			Body:   strings.NewReader(`{"embassy":"` + embX + `"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				testserver.SaveRecord(t, app, "reports", map[string]any{"id": toZ, "embassy": embZ, "message": marker + " routed"})
			},
			Headers:            su,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"sealed_by":"server"`, `"kid":"` + w.x2.Kid + `"`},
			NotExpectedContent: []string{marker},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := w.x2.OpenReport(t, findReport(t, app, toZ)); got.Message != marker+" routed" {
					t.Errorf("opened %+v", got)
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:               "nobody writes a sealed report's private fields in clear, superusers included",
			Method:             http.MethodPatch,
			URL:                "/api/collections/reports/records/" + sealedReport,
			Body:               strings.NewReader(`{"message":"` + marker + ` added"}`),
			Headers:            su,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{`"message":{"code":"validation_sealed_field_set"`},
			NotExpectedContent: []string{marker},
			TestAppFactory:     w.factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestEnvelopesThatCannotBeKeptAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const id = "sealbad0000000000001"
	refused := func(name string, data map[string]any, want ...string) tests.ApiScenario {
		return tests.ApiScenario{
			Name:               name,
			Method:             http.MethodPost,
			URL:                "/api/sync/push",
			Body:               push(t, id, data),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    append([]string{`"status":"rejected"`, `"status":400`}, want...),
			NotExpectedContent: []string{marker},
			ExpectedEvents:     pushRefusedEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindRecordById("reports", id); err == nil {
					t.Error("the refused report was stored")
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
			TestAppFactory: w.factory,
		}
	}
	scenarios := []tests.ApiScenario{
		refused("a private field sent in clear beside the envelope",
			withEnvelope(t, w.x1, embX, id, nil, map[string]any{"contact_phone": marker}),
			`"contact_phone":{"code":"validation_sealed_field_set"`),
		refused("a point sent in clear beside the envelope",
			withEnvelope(t, w.x1, embX, id, nil, map[string]any{"compound_point": map[string]float64{"lon": 1, "lat": 2}}),
			`"compound_point":{"code":"validation_sealed_field_set"`),
		refused("another envelope version",
			withEnvelope(t, w.x1, embX, id, func(e *seal.Envelope) { e.V = 2 }, nil),
			`"sealed":{"code":"validation_envelope_version"`),
		refused("another suite",
			withEnvelope(t, w.x1, embX, id, func(e *seal.Envelope) { e.Suite = "X25519" }, nil),
			`"sealed":{"code":"validation_envelope_version"`),
		refused("an encapsulated key that is no P-256 point",
			withEnvelope(t, w.x1, embX, id, func(e *seal.Envelope) { e.Enc = e.Enc[:40] }, nil),
			`"sealed":{"code":"validation_envelope_shape"`),
		refused("a ciphertext that is no padded size",
			withEnvelope(t, w.x1, embX, id, func(e *seal.Envelope) { e.CT = e.CT[:len(e.CT)-8] }, nil),
			`"sealed":{"code":"validation_envelope_shape"`),
		refused("an envelope with a field of its own",
			withEnvelope(t, w.x1, embX, id, nil, map[string]any{"sealed": map[string]any{"v": 1, "extra": marker}}),
			`"sealed":{"code":"validation_envelope_shape"`),
		refused("sealed to another embassy's key",
			withEnvelope(t, w.yKey, embX, id, nil, nil),
			`"sealed":{"code":"validation_envelope_key"`),
		refused("sealed for an embassy with no key yet",
			withEnvelope(t, w.x1, embZ, id, nil, nil),
			`"sealed":{"code":"validation_envelope_key"`),
		refused("not an object",
			withEnvelope(t, w.x1, embX, id, nil, map[string]any{"sealed": "ct"}),
			`"sealed":{"code":"validation_envelope_shape"`),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestAPhoneOfflineAcrossARotationStillSends: an envelope sealed to an
// older epoch of the embassy is kept; the staff open it with that epoch.
func TestAPhoneOfflineAcrossARotationStillSends(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const id = "sealold0000000000001"
	(&tests.ApiScenario{
		Method:          http.MethodPost,
		URL:             "/api/sync/push",
		Body:            push(t, id, withEnvelope(t, w.x1, embX, id, nil, nil)),
		ExpectedStatus:  http.StatusOK,
		ExpectedContent: []string{`"status":"applied"`},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if got := w.x1.OpenReport(t, findReport(t, app, id)); got.ContactName != marker+" name" {
				t.Errorf("opened %+v", got)
			}
		},
		TestAppFactory: w.factory,
	}).Test(t)
}

// pushMessage is a push body of one message create by the reporter of
// sealedReport.
func pushMessage(t testing.TB, id string, data map[string]any) *strings.Reader {
	t.Helper()
	data["report"] = sealedReport
	body, err := json.Marshal(map[string]any{"device": "sealphone01", "ops": []map[string]any{{
		"op": "op-" + id, "kind": "create", "collection": "messages", "id": id, "receipt": receipt, "data": data,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(body))
}

// phoneMessage is a reporter's message body sealed as the phone seals it.
func phoneMessage(t testing.TB, key *testserver.EmbassyKey, id, text string) seal.Envelope {
	t.Helper()
	return messageTo(t, key, embX, id, text)
}

func TestReportersMessagesAreSealedLikeReports(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const (
		sealedMsg = "sealmsg00000001"
		plainMsg  = "sealmsg00000002"
		emptyMsg  = "sealmsg00000003"
	)
	message := func(t testing.TB, app core.App, id string) *core.Record {
		m, err := app.FindRecordById("messages", id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	scenarios := []tests.ApiScenario{
		{
			Name:            "a message sealed on the phone is stored as sent",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            pushMessage(t, sealedMsg, map[string]any{"sealed": phoneMessage(t, w.x1, sealedMsg, marker+" from the phone")}),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"applied"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m := message(t, app, sealedMsg)
				if m.GetString("sealed_by") != "phone" || m.GetString("body") != "" {
					t.Errorf("sealed_by %q body %q", m.GetString("sealed_by"), m.GetString("body"))
				}
				if got := w.x1.OpenMessage(t, embX, m); got != marker+" from the phone" {
					t.Errorf("opened %q", got)
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "a message in plaintext for an embassy with a key is sealed by the server",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            pushMessage(t, plainMsg, map[string]any{"body": marker + " from an older app"}),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"applied"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m := message(t, app, plainMsg)
				if m.GetString("sealed_by") != "server" || m.GetString("body") != "" {
					t.Errorf("sealed_by %q body %q", m.GetString("sealed_by"), m.GetString("body"))
				}
				if got := w.x2.OpenMessage(t, embX, m); got != marker+" from an older app" {
					t.Errorf("opened %q", got)
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "a message with neither a body nor an envelope is refused",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            pushMessage(t, emptyMsg, map[string]any{}),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"rejected"`, `"body":{"code":"validation_required"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:               "a message beside its envelope is refused",
			Method:             http.MethodPost,
			URL:                "/api/sync/push",
			Body:               pushMessage(t, emptyMsg, map[string]any{"body": marker, "sealed": phoneMessage(t, w.x1, emptyMsg, "x")}),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`"status":"rejected"`, `"body":{"code":"validation_sealed_field_set"`},
			NotExpectedContent: []string{marker},
			TestAppFactory:     w.factory,
		},
		{
			Name:            "a message sealed to another embassy's key is refused",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            pushMessage(t, emptyMsg, map[string]any{"sealed": phoneMessage(t, w.yKey, emptyMsg, "x")}),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"rejected"`, `"sealed":{"code":"validation_envelope_key"`},
			TestAppFactory:  w.factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
