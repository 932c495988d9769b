package sealing_test

import (
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

// replyEnvelope seals a staff reply as the console does, with the sealed
// report's reply key.
func replyEnvelope(t testing.TB, id, text string) string {
	t.Helper()
	norm, err := receipts.Normalize(receipt)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(seal.MessageBody{Body: text})
	env, err := seal.SealReply(seal.ReplyKey(norm, sealedReport), seal.ReplyBinding{Message: id, Report: sealedReport, Direction: "staff"}, plain)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	return string(raw)
}

// openReply opens a stored reply of the sealed report with the reply key
// of its receipt.
func openReply(t testing.TB, m *core.Record) string {
	t.Helper()
	norm, err := receipts.Normalize(receipt)
	if err != nil {
		t.Fatal(err)
	}
	return testserver.OpenReply(t, norm, m)
}

// noteEnvelope seals a staff note as the console does, to key.
func noteEnvelope(t testing.TB, key *testserver.EmbassyKey, id, actor, text string) string {
	t.Helper()
	hash, err := seal.ClearHash(seal.NoteClear(stub{"report": sealedReport, "kind": "note", "actor": actor}))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(seal.NoteBody{Note: text})
	env, err := seal.Seal(key.Private.PublicKey(), seal.Binding{Embassy: embX, Kid: key.Kid, Record: id, Clear: hash}, plain)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	return string(raw)
}

// jsonBody writes fields as a request body.
func jsonBody(t testing.TB, fields map[string]any) *strings.Reader {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// TestStaffRepliesAndNotesOfASealedReportArriveSealed: on a sealed report
// a staff reply in clear and a note in clear are refused with a field
// error, on the records API and on a push alike; a reply sealed with the
// report's reply key and a note sealed to the embassy's key are stored
// with their text empty, sealed_by "staff", the reply still logged on the
// audit trail and still marked read afterwards; a report in clear keeps
// replies in clear and refuses a sealed one (there is no reply key for it).
func TestStaffRepliesAndNotesOfASealedReportArriveSealed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const (
		replyID    = "sealreply000001"
		noteID     = "sealnote0000001"
		clearRep   = "sealclear00000000001" // a report of Z, which has no key
		clearReply = "sealreply000002"
	)
	staffX, tokenX := w.seeded.Staff[0].Id, w.seeded.StaffTokens[0]
	asX := map[string]string{"Authorization": tokenX}
	su := map[string]string{"Authorization": w.seeded.SuperuserToken}
	withClearReport := func(t testing.TB) *tests.TestApp {
		app := w.factory(t)
		data := phoneClear(embZ)
		data["id"], data["message"] = clearRep, "a report in clear"
		testserver.SaveRecord(t, app, "reports", data)
		return app
	}
	find := func(t testing.TB, app core.App, coll, id string) *core.Record {
		t.Helper()
		r, err := app.FindRecordById(coll, id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	reply := func(extra map[string]any) map[string]any {
		f := map[string]any{"id": replyID, "report": sealedReport, "direction": "staff", "author": staffX}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	note := func(extra map[string]any) map[string]any {
		f := map[string]any{"id": noteID, "report": sealedReport, "embassy": embX, "kind": "note", "actor": staffX}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	staffPush := func(data map[string]any) *strings.Reader {
		data["report"] = sealedReport
		return jsonBody(t, map[string]any{"device": "staffbrowser1", "ops": []map[string]any{{
			"op": "op-" + replyID, "kind": "create", "collection": "messages", "id": replyID, "data": data,
		}}})
	}
	scenarios := []tests.ApiScenario{
		{
			Name:               "a staff reply in clear to a sealed report is refused",
			Method:             http.MethodPost,
			URL:                "/api/collections/messages/records",
			Body:               jsonBody(t, reply(map[string]any{"body": marker + " reply"})),
			Headers:            asX,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{`"body":{"code":"validation_report_sealed"`, "reply key"},
			NotExpectedContent: []string{marker},
			ExpectedEvents: map[string]int{"OnRecordCreateRequest": 1, "OnRecordCreate": 1, "OnRecordValidate": 1,
				"OnRecordCreateExecute": 0, "OnRecordAfterCreateError": 1},
			TestAppFactory: w.factory,
		},
		{
			Name:            "a staff reply in clear to a sealed report is refused by a push too",
			Method:          http.MethodPost,
			URL:             "/api/sync/push",
			Body:            staffPush(map[string]any{"body": marker + " reply"}),
			Headers:         asX,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"status":"rejected"`, `"body":{"code":"validation_report_sealed"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a staff reply to a sealed report with neither text nor envelope is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            jsonBody(t, reply(nil)),
			Headers:         asX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"body":{"code":"validation_required"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a staff reply sealed to the embassy's key, not the reply key, is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            jsonBody(t, reply(map[string]any{"sealed": noteEnvelope(t, w.x2, replyID, staffX, "x")})),
			Headers:         asX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"validation_envelope_shape"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a reply envelope of another shape is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            jsonBody(t, reply(map[string]any{"sealed": `{"v":1,"suite":"reply-pbkdf2-aes128gcm","nonce":"AAAA","ct":"AAAA"}`})),
			Headers:         asX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"validation_envelope_shape"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a staff reply sealed with the reply key is stored sealed by staff, logged, and can be marked read",
			Method:          http.MethodPost,
			URL:             "/api/collections/messages/records",
			Body:            jsonBody(t, reply(map[string]any{"sealed": replyEnvelope(t, replyID, marker+" reply")})),
			Headers:         asX,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"sealed_by":"staff"`, `"body":""`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m := find(t, app, "messages", replyID)
				if got := openReply(t, m); !strings.Contains(got, marker+" reply") {
					t.Errorf("the stored reply opens as %q", got)
				}
				var n int
				if err := app.DB().NewQuery("SELECT count(*) FROM report_events WHERE report = {:r} AND kind = 'reply'").
					Bind(map[string]any{"r": sealedReport}).Row(&n); err != nil || n != 1 {
					t.Errorf("%d reply events, %v", n, err)
				}
				m.Set("read_by_reporter", true)
				if err := app.Save(m); err != nil {
					t.Errorf("marking the sealed reply read: %v", err)
				}
				m.Set("body", marker)
				if err := app.SaveNoValidate(m); err == nil {
					t.Error("a body was written in clear beside the reply's envelope, skipping validation")
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:   "staff cannot change a reply's envelope afterwards, as they cannot change its body",
			Method: http.MethodPatch,
			URL:    "/api/collections/messages/records/" + replyID,
			Body:   jsonBody(t, map[string]any{"sealed": replyEnvelope(t, replyID, "changed")}),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				testserver.SaveRecord(t, app, "messages", reply(map[string]any{"sealed": replyEnvelope(t, replyID, "first")}))
			},
			Headers:         asX,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"status":404`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := openReply(t, find(t, app, "messages", replyID)); !strings.Contains(got, "first") {
					t.Errorf("the reply was changed to %q", got)
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:               "a staff note in clear on a sealed report is refused",
			Method:             http.MethodPost,
			URL:                "/api/collections/report_events/records",
			Body:               jsonBody(t, note(map[string]any{"note": marker + " note"})),
			Headers:            asX,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{`"note":{"code":"validation_report_sealed"`},
			NotExpectedContent: []string{marker},
			TestAppFactory:     w.factory,
		},
		{
			Name:            "a staff note sealed to another embassy's key is refused",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            jsonBody(t, note(map[string]any{"sealed": noteEnvelope(t, w.yKey, noteID, staffX, "x")})),
			Headers:         asX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"validation_envelope_key"`},
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a staff note sealed to the embassy's key is stored sealed by staff, and opens with it",
			Method:          http.MethodPost,
			URL:             "/api/collections/report_events/records",
			Body:            jsonBody(t, note(map[string]any{"sealed": noteEnvelope(t, w.x2, noteID, staffX, marker+" note")})),
			Headers:         asX,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"sealed_by":"staff"`, `"note":""`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := w.x2.OpenNote(t, find(t, app, "report_events", noteID)); got != marker+" note" {
					t.Errorf("the stored note opens as %q", got)
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
			TestAppFactory: w.factory,
		},
		{
			Name:   "a report in clear keeps replies in clear",
			Method: http.MethodPost,
			URL:    "/api/collections/messages/records",
			Body: jsonBody(t, map[string]any{"id": clearReply, "report": clearRep, "direction": "staff",
				"body": "We will call you."}),
			Headers:         su,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"body":"We will call you."`, `"sealed_by":""`},
			TestAppFactory:  withClearReport,
		},
		{
			Name:   "a report in clear has no reply key: a sealed reply to it is refused",
			Method: http.MethodPost,
			URL:    "/api/collections/messages/records",
			Body: jsonBody(t, map[string]any{"id": clearReply, "report": clearRep, "direction": "staff",
				"sealed": replyEnvelope(t, clearReply, "x")}),
			Headers:         su,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"validation_report_not_sealed"`},
			TestAppFactory:  withClearReport,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestAReplyStoredInClearIsSealedToTheEmbassyKeyOnlyAfterwards: a staff
// reply stored in clear (its report was in clear, its embassy had no key)
// may be sealed afterwards to the embassy's key, as seal-existing does,
// and is then marked sealed by the server; a new reply sealed to the
// embassy's key is refused, as no phone could open it.
func TestAReplyStoredInClearIsSealedToTheEmbassyKeyOnlyAfterwards(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	app := w.factory(t)
	data := phoneClear(embZ)
	data["message"] = "a report in clear"
	report := testserver.SaveRecord(t, app, "reports", data)
	staffX := w.seeded.Staff[0].Id
	old := testserver.SaveRecord(t, app, "messages", map[string]any{"report": report.Id, "direction": "staff", "body": "come on Monday", "author": staffX})

	key := testserver.AddEmbassyKey(t, app, embZ, nil)
	k, err := sealing.NewestKey(app, embZ)
	if err != nil {
		t.Fatal(err)
	}
	if err := sealing.SealReport(report, k); err != nil {
		t.Fatal(err)
	}
	if err := app.Save(report); err != nil {
		t.Fatal(err)
	}
	toEmbassy := func(id string) map[string]any {
		hash, err := seal.ClearHash(seal.MessageClear(stub{"report": report.Id, "direction": "staff"}))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := json.Marshal(seal.MessageBody{Body: "come on Monday"})
		env, err := seal.Seal(key.Private.PublicKey(), seal.Binding{Embassy: embZ, Kid: key.Kid, Record: id, Clear: hash}, plain)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(env)
		var out map[string]any
		json.Unmarshal(raw, &out)
		return out
	}

	old, err = app.FindRecordById("messages", old.Id)
	if err != nil {
		t.Fatal(err)
	}
	old.Set("sealed", toEmbassy(old.Id))
	old.Set("body", "")
	if err := app.Save(old); err != nil {
		t.Fatalf("sealing a reply stored in clear to the embassy's key: %v", err)
	}
	if got := key.OpenMessage(t, embZ, old); got != "come on Monday" || old.GetString("sealed_by") != "server" {
		t.Fatalf("the reply (sealed_by %q) opens as %q", old.GetString("sealed_by"), got)
	}

	col, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		t.Fatal(err)
	}
	fresh := core.NewRecord(col)
	fresh.Id = "sealreplyfresh1"
	fresh.Load(map[string]any{"report": report.Id, "direction": "staff", "author": staffX, "sealed": toEmbassy(fresh.Id)})
	if err := app.Save(fresh); err == nil || !strings.Contains(err.Error(), "v, suite, nonce") {
		t.Fatalf("a new reply sealed to the embassy's key was not refused as a reply envelope: %v", err)
	}
}
