package sealing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/hooks/sealing"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// routedMessage is a reporter's message of sealedReport, sealed by the
// phone to X's first key.
const routedMessage = "sealroutemsg001"

// messageTo seals a reporter's message of sealedReport to key of embassy.
func messageTo(t testing.TB, key *testserver.EmbassyKey, embassy, id, text string) seal.Envelope {
	t.Helper()
	hash, err := seal.ClearHash(seal.MessageClear(stub{"report": sealedReport, "direction": "reporter"}))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(seal.MessageBody{Body: text})
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Seal(key.Private.PublicKey(), seal.Binding{Embassy: embassy, Kid: key.Kid, Record: id, Clear: hash}, plain)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// codeOf is the code of a save's field error for field, or "".
func codeOf(err error, field string) string {
	var errs validation.Errors
	if !errors.As(err, &errs) {
		return ""
	}
	var verr validation.Error
	if !errors.As(errs[field], &verr) {
		return ""
	}
	return verr.Code()
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestASealedReportMovesOnlySealedToTheNewEmbassy: on every write path
// (the records API, the console's route endpoint, Go code), a sealed
// report moves to another embassy only with an envelope sealed, in the
// same write, to a key of the new embassy; never to an embassy with no
// key; never with its envelope taken away; and the route endpoint moves
// it only with its reporter's messages sealed again too.
func TestASealedReportMovesOnlySealedToTheNewEmbassy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	staffX := map[string]string{"Authorization": w.seeded.StaffTokens[0]}
	su := map[string]string{"Authorization": w.seeded.SuperuserToken}
	toY := jsonOf(t, phoneEnvelope(t, w.yKey, sealedReport, phoneClear(embY), markedBody()))
	toYWithXKey := jsonOf(t, phoneEnvelope(t, w.x2, sealedReport, phoneClear(embY), markedBody()))
	toZ := jsonOf(t, phoneEnvelope(t, w.yKey, sealedReport, phoneClear(embZ), markedBody()))
	msgToY := jsonOf(t, messageTo(t, w.yKey, embY, routedMessage, marker+" follow-up"))
	withMessage := func(t testing.TB, app *tests.TestApp) {
		testserver.SaveRecord(t, app, "messages", map[string]any{"id": routedMessage, "report": sealedReport, "direction": "reporter",
			"sealed": jsonOf(t, messageTo(t, w.x1, embX, routedMessage, marker+" follow-up"))})
	}
	unmoved := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if r := findReport(t, app, sealedReport); r.GetString("embassy") != embX {
			t.Errorf("the report moved to %s", r.GetString("embassy"))
		}
	}
	patch := func(body string) *strings.Reader { return strings.NewReader(body) }
	url := "/api/collections/reports/records/" + sealedReport
	scenarios := []tests.ApiScenario{
		{
			Name:            "records API: routed with the first embassy's envelope",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embY + `"}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"` + sealing.CodeNotResealed + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: a superuser is held to it too",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embY + `"}`),
			Headers:         su,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"` + sealing.CodeNotResealed + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: routed with an envelope to the first embassy's key",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embY + `","sealed":` + toYWithXKey + `}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"validation_envelope_key"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: routed to an embassy with no key",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embZ + `","sealed":` + toZ + `}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"embassy":{"code":"` + sealing.CodeNoKey + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: routed with the envelope taken away",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embY + `","sealed":null}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"` + sealing.CodeUnsealed + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: staff replace the envelope without routing",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"sealed":` + toY + `}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{`"Staff may change only`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "records API: routed sealed to the new embassy's key",
			Method:          http.MethodPatch,
			URL:             url,
			Body:            patch(`{"embassy":"` + embY + `","sealed":` + toY + `}`),
			Headers:         staffX,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"embassy":"` + embY + `"`, `"sealed_by":"phone"`, `"kid":"` + w.yKey.Kid + `"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, sealedReport)
				if got := w.yKey.OpenReport(t, r); got.Message != marker+" message" {
					t.Errorf("opened %+v", got)
				}
				n, err := app.CountRecords("report_events", nil)
				if err != nil || n == 0 {
					t.Errorf("no route events (%v)", err)
				}
			},
			TestAppFactory: w.factory,
		},
		{
			Name:            "route endpoint: a reporter's message left sealed to the first embassy",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + sealedReport + "/route",
			Body:            patch(`{"embassy":"` + embY + `","sealed":` + toY + `}`),
			Headers:         staffX,
			BeforeTestFunc:  func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) { withMessage(t, app) },
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"messages":{"code":"validation_route_messages_not_resealed"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "route endpoint: routed without the envelope sealed again",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + sealedReport + "/route",
			Body:            patch(`{"embassy":"` + embY + `","messages":[{"id":"` + routedMessage + `","sealed":` + msgToY + `}]}`),
			Headers:         staffX,
			BeforeTestFunc:  func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) { withMessage(t, app) },
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"sealed":{"code":"` + sealing.CodeNotResealed + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "route endpoint: another embassy's staff cannot route it",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + sealedReport + "/route",
			Body:            patch(`{"embassy":"` + embY + `","sealed":` + toY + `}`),
			Headers:         map[string]string{"Authorization": w.seeded.StaffTokens[1]},
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{`"The report was not found."`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "route endpoint: the report and its reporter's messages sealed again, in one write",
			Method:          http.MethodPost,
			URL:             "/api/staff/reports/" + sealedReport + "/route",
			Body:            patch(`{"embassy":"` + embY + `","sealed":` + toY + `,"messages":[{"id":"` + routedMessage + `","sealed":` + msgToY + `}]}`),
			Headers:         staffX,
			BeforeTestFunc:  func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) { withMessage(t, app) },
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"embassy":"` + embY + `"`, `"messages":1`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r := findReport(t, app, sealedReport)
				if got := w.yKey.OpenReport(t, r); got.Message != marker+" message" {
					t.Errorf("opened %+v", got)
				}
				m, err := app.FindRecordById("messages", routedMessage)
				if err != nil {
					t.Fatal(err)
				}
				if got := w.yKey.OpenMessage(t, embY, m); got != marker+" follow-up" || m.GetString("sealed_by") != "phone" {
					t.Errorf("message %q sealed_by %q", got, m.GetString("sealed_by"))
				}
				requireNoPlaintext(t, app, r)
			},
			TestAppFactory: w.factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestGoCodeCannotMoveASealedReportUnsealed: Go code (the dashboard, a
// command) obeys the same rule through app.Save.
func TestGoCodeCannotMoveASealedReportUnsealed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	app := w.factory(t)
	defer app.Cleanup()

	r := findReport(t, app, sealedReport)
	r.Set("embassy", embY)
	if err := app.Save(r); err == nil || codeOf(err, "sealed") != sealing.CodeNotResealed {
		t.Fatalf("routed with the first embassy's envelope: %v", err)
	}

	r = findReport(t, app, sealedReport)
	r.Set("sealed", nil)
	if err := app.Save(r); err == nil || codeOf(err, "sealed") != sealing.CodeUnsealed {
		t.Fatalf("envelope taken away: %v", err)
	}

	r = findReport(t, app, sealedReport)
	r.Set("embassy", embY)
	r.Set("sealed", jsonOf(t, phoneEnvelope(t, w.yKey, sealedReport, phoneClear(embY), markedBody())))
	if err := app.Save(r); err != nil {
		t.Fatalf("routed sealed to the new embassy's key: %v", err)
	}
	if got := w.yKey.OpenReport(t, findReport(t, app, sealedReport)); got.ContactPhone != "+000 555 0100" {
		t.Fatalf("opened %+v", got)
	}
}

// tinyPNG is a 2×2 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// routedAttachment is a photo of sealedReport, sealed by the server to X's
// newest key on arrival.
const routedAttachment = "sealrouteatt001"

// multipartRouting is a routing body with files: the JSON as PocketBase's
// @jsonPayload, each file under its field name.
func multipartRouting(t testing.TB, payload string, files map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("@jsonPayload", payload); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		part, err := w.CreateFormFile(name, "sealed.bin")
		if err != nil {
			t.Fatal(err)
		}
		part.Write(b)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, w.FormDataContentType()
}

// TestARoutedReportsSealedFilesAreSealedAgain: the route endpoint moves a
// report with sealed attachments only with each sent sealed again to a
// key of the new embassy, in the same write; the stored file is then the
// new one, it opens with the new embassy's key, and it keeps who first
// sealed it.
func TestARoutedReportsSealedFilesAreSealedAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	photo := tinyPNG(t)
	withPhoto := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		col, err := app.FindCollectionByNameOrId("attachments")
		if err != nil {
			t.Fatal(err)
		}
		att := core.NewRecord(col)
		att.Id = routedAttachment
		att.Set("report", sealedReport)
		att.Set("mime", "image/png")
		f, err := filesystem.NewFileFromBytes(photo, "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		att.Set("file", f)
		if err := app.Save(att); err != nil {
			t.Fatal(err)
		}
		if att.GetString("sealed_by") != "server" {
			t.Fatalf("the photo is stored sealed by %q", att.GetString("sealed_by"))
		}
	}
	toY := jsonOf(t, phoneEnvelope(t, w.yKey, sealedReport, phoneClear(embY), markedBody()))
	payload := `{"embassy":"` + embY + `","sealed":` + toY + `}`
	forY, err := seal.SealFile(w.yKey.Private.PublicKey(), embY, w.yKey.Kid, sealedReport, "image/png", photo)
	if err != nil {
		t.Fatal(err)
	}
	forX, err := seal.SealFile(w.x2.Private.PublicKey(), embX, w.x2.Kid, sealedReport, "image/png", photo)
	if err != nil {
		t.Fatal(err)
	}
	staffX := map[string]string{"Authorization": w.seeded.StaffTokens[0]}
	url := "/api/staff/reports/" + sealedReport + "/route"
	unmoved := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if r := findReport(t, app, sealedReport); r.GetString("embassy") != embX {
			t.Errorf("the report moved to %s", r.GetString("embassy"))
		}
	}
	withFiles := func(files map[string][]byte) (*bytes.Buffer, map[string]string) {
		body, ctype := multipartRouting(t, payload, files)
		return body, map[string]string{"Authorization": staffX["Authorization"], "Content-Type": ctype}
	}
	leftOut, leftOutHeaders := withFiles(nil)
	toOld, toOldHeaders := withFiles(map[string][]byte{"file_" + routedAttachment: forX})
	good, goodHeaders := withFiles(map[string][]byte{"file_" + routedAttachment: forY})
	scenarios := []tests.ApiScenario{
		{
			Name:            "a sealed photo left out",
			Method:          http.MethodPost,
			URL:             url,
			Body:            leftOut,
			Headers:         leftOutHeaders,
			BeforeTestFunc:  withPhoto,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"attachments":{"code":"validation_route_attachments_not_resealed"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "a sealed photo sealed again to the first embassy's key",
			Method:          http.MethodPost,
			URL:             url,
			Body:            toOld,
			Headers:         toOldHeaders,
			BeforeTestFunc:  withPhoto,
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"code":"` + sealing.CodeSealedFileKey + `"`},
			AfterTestFunc:   unmoved,
			TestAppFactory:  w.factory,
		},
		{
			Name:            "the photo sealed again to the new embassy's key, in the same write",
			Method:          http.MethodPost,
			URL:             url,
			Body:            good,
			Headers:         goodHeaders,
			BeforeTestFunc:  withPhoto,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"embassy":"` + embY + `"`, `"attachments":1`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				att, err := app.FindRecordById("attachments", routedAttachment)
				if err != nil {
					t.Fatal(err)
				}
				mime, data := w.yKey.OpenAttachment(t, app, att)
				if mime != "image/png" || !bytes.Equal(data, photo) || att.GetString("sealed_by") != "server" || att.GetInt("size") != len(forY) {
					t.Errorf("stored %s (%d bytes, sealed_by %q, size %d)", mime, len(data), att.GetString("sealed_by"), att.GetInt("size"))
				}
				// The copy sealed to X is gone from the storage.
				dir := filepath.Join(app.DataDir(), "storage", att.Collection().Id, att.Id)
				entries, err := os.ReadDir(dir)
				var left []string
				for _, e := range entries {
					if !strings.HasSuffix(e.Name(), ".attrs") { // the local storage's metadata beside each file
						left = append(left, e.Name())
					}
				}
				if err != nil || len(left) != 1 || left[0] != att.GetString("file") {
					t.Errorf("the attachment's storage holds %v (%v), want only %s", left, err, att.GetString("file"))
				}
			},
			TestAppFactory: w.factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
