package openrosa_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/openrosa"
	"homeward/internal/media/mediatest"
)

// createdEvents is what saving n new records fires: four record events,
// each with its model twin (see hooks/syncapi/scenarios_test.go).
func createdEvents(n int) map[string]int {
	return map[string]int{
		"*": 0, "OnRecordCreate": n, "OnModelCreate": n, "OnRecordValidate": n, "OnModelValidate": n,
		"OnRecordCreateExecute": n, "OnModelCreateExecute": n, "OnRecordAfterCreateSuccess": n, "OnModelAfterCreateSuccess": n,
	}
}

var nothingFired = map[string]int{"*": 0}

const (
	uuid1 = "uuid:6b0e0f3e-0d51-4a4c-9d2f-1b0f3c0e2a11"
	uuid2 = "uuid:0c9a4b52-7e31-4f0a-8a6e-2d4b5c6d7e82"
)

// TestOpenRosaConformance holds the API to the OpenRosa 1.0 form list and
// submission specs, case by case as the public OpenRosa server test
// suites check them: the form list and its parameters, HEAD before POST,
// 201 then 202 for the same submission, files across several POSTs, a
// duplicate file, a mix of new and duplicate files, a file name reused
// with other content, credentials, and errors in OpenRosa's shape with
// nothing stored.
func TestOpenRosaConformance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := version()
	photoA := mediatest.OrientedJPEG(40, 30, 6, "GPS 11.55N 104.92E")
	photoB := mediatest.OrientedJPEG(30, 40, 1, "another photo")
	voice := mediatest.MPEGFrames()
	plain := func(x string) func(testing.TB) *bytes.Buffer {
		return func(t testing.TB) *bytes.Buffer { return multipartBody(t, xmlPart(x)) }
	}
	withFiles := func(x string, files ...part) func(testing.TB) *bytes.Buffer {
		return func(t testing.TB) *bytes.Buffer { return multipartBody(t, append([]part{xmlPart(x)}, files...)...) }
	}
	first := filled(uuid1, v, "We are three", "")
	withPhoto := filled(uuid1, v, "We are three", "photo.jpg")
	withBoth := strings.Replace(withPhoto, "<voice/>", "<voice>voice.mp3</voice>", 1)
	get := map[string]string{"X-OpenRosa-Version": "1.0"}
	authedGet := func(i int) map[string]string {
		return map[string]string{"X-OpenRosa-Version": "1.0", "Authorization": w.basic(i)}
	}
	orError := `<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="error">`

	scenarios := []tests.ApiScenario{
		{
			Name: "the form list asks for credentials with a Basic challenge", Method: http.MethodGet,
			URL: "/openrosa/formList", Headers: get, TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusUnauthorized, ExpectedContent: []string{orError, "device id"},
			ExpectedEvents: nothingFired,
			AfterTestFunc:  protocolHeaders(map[string]string{"WWW-Authenticate": `Basic realm="Homeward volunteer device"`}),
		},
		{
			Name: "the form list names the form, its version, hash and download URL", Method: http.MethodGet,
			URL: "/openrosa/formList", Headers: authedGet(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{
				`<xforms xmlns="http://openrosa.org/xforms/xformsList"><xform><formID>homeward_report</formID>`,
				`<version>` + v + `</version><hash>md5:`, `<downloadUrl>http://example.com/openrosa/forms/homeward_report.xml</downloadUrl>`,
			},
			NotExpectedContent: []string{"manifestUrl", "descriptionText"},
			ExpectedEvents:     nothingFired,
			AfterTestFunc:      protocolHeaders(map[string]string{"Content-Type": "text/xml"}),
		},
		{
			Name: "verbose and listAllVersions add the description and list the one version", Method: http.MethodGet,
			URL: "/openrosa/formList?verbose=true&listAllVersions=true", Headers: authedGet(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`<formID>homeward_report</formID>`, `<descriptionText>A report to an embassy`},
			ExpectedEvents:  nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "formID of another form lists nothing", Method: http.MethodGet,
			URL: "/openrosa/formList?formID=other", Headers: authedGet(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusOK, ExpectedContent: []string{`<xforms xmlns="http://openrosa.org/xforms/xformsList"></xforms>`},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "the form downloads with its labels in eight languages and the embassies", Method: http.MethodGet,
			URL: "/openrosa/forms/homeward_report.xml", Headers: authedGet(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{
				`<data id="homeward_report" version="` + v + `">`, `<translation lang="English (en)" default="true()">`,
				`<translation lang="ខ្មែរ (km)">`, `<label>Embassy X</label><value>` + embassyX + `</value>`,
				`jr:preload="uid"`,
			},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "HEAD before POST answers 204 with the size Collect may send", Method: http.MethodHead,
			URL: "/openrosa/submission", Headers: authedGet(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusNoContent, ExpectedEvents: nothingFired,
			AfterTestFunc: protocolHeaders(map[string]string{"X-OpenRosa-Accept-Content-Length": "10485760"}),
		},
		{
			Name: "a new submission is stored as a volunteer's report: 201", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus:     http.StatusCreated,
			ExpectedContent:    []string{`<message nature="submit_success">Report received.</message>`},
			NotExpectedContent: []string{"Receipt"},
			ExpectedEvents:     createdEvents(1),
			AfterTestFunc: protocolHeaders(nil, countIs("reports", 1), func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuid1))
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]any{
					"channel": "volunteer", "volunteer": w.seeded.Volunteers[0].Id, "embassy": embassyX, "nationality": "ID",
					"people_count": 3.0, "minors_present": true, "urgent": true, "message": "We are three", "language": "id",
					"passport_held": "yes", "contact_name": "Ani", "consent_contact": true, "consent_share": false,
					"status": "new", "receipt_hash": "",
				}
				for k, v := range want {
					if got := r.Get(k); got != v {
						t.Errorf("%s = %#v, want %#v", k, got, v)
					}
				}
				if got := r.GetStringSlice("needs"); strings.Join(got, " ") != "shelter documents" {
					t.Errorf("needs %v", got)
				}
				var n int
				if err := app.DB().NewQuery("SELECT count(*) FROM sync_changes WHERE record = {:id}").Bind(map[string]any{"id": r.Id}).Row(&n); err != nil || n != 1 {
					t.Error("no change log row: the submission did not go through the write path")
				}
			}),
		},
		{
			Name: "the same submission again answers 202 and changes nothing", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, plain(first)),
			ExpectedStatus: http.StatusAccepted, ExpectedContent: []string{`nature="submit_success"`, "already received"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 1)),
		},
		{
			Name: "the same instanceID with other XML is a conflict: 409", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(filled(uuid1, v, "We are four", ""))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, plain(first)),
			ExpectedStatus: http.StatusConflict, ExpectedContent: []string{orError, "already received with other content"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 1)),
		},
		{
			Name: "a submission with its photo stores the photo cleaned", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(withPhoto, filePart("photo.jpg", photoA))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"Report received."},
			ExpectedEvents: createdEvents(2),
			AfterTestFunc: protocolHeaders(nil, countIs("attachments", 1), func(t testing.TB, app *tests.TestApp, res *http.Response) {
				a, err := app.FindFirstRecordByData("attachments", "report", openrosa.ReportId(uuid1))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(readFile(t, app, a), []byte("GPS 11.55N")) {
					t.Error("the stored photo kept its EXIF")
				}
			}),
		},
		{
			Name: "a file sent as a plain field named by its file name is taken as the file", Method: http.MethodPost,
			URL:     "/openrosa/submission",
			Body:    multipartBody(t, xmlPart(withPhoto), part{field: "*isIncomplete*", data: []byte("no")}, part{field: "photo.jpg", data: photoA}),
			Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"Report received."},
			ExpectedEvents: createdEvents(2), AfterTestFunc: protocolHeaders(nil, countIs("attachments", 1)),
		},
		{
			Name: "a file in a second POST of the same XML is added: 201", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(withBoth, filePart("voice.mp3", voice))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, withFiles(withBoth, filePart("photo.jpg", photoA))),
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"1 more file(s) added"},
			ExpectedEvents: createdEvents(1), AfterTestFunc: protocolHeaders(nil, countIs("reports", 1), countIs("attachments", 2)),
		},
		{
			Name: "a duplicate file changes nothing: 202", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(withPhoto, filePart("photo.jpg", photoA))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, withFiles(withPhoto, filePart("photo.jpg", photoA))),
			ExpectedStatus: http.StatusAccepted, ExpectedContent: []string{"already received"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("attachments", 1)),
		},
		{
			Name: "a mix of a new and a duplicate file adds the new one once", Method: http.MethodPost,
			URL:     "/openrosa/submission",
			Body:    withFiles(withBoth, filePart("photo.jpg", photoA), filePart("voice.mp3", voice))(t),
			Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, withFiles(withBoth, filePart("photo.jpg", photoA))),
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"1 more file(s) added"},
			ExpectedEvents: createdEvents(1), AfterTestFunc: protocolHeaders(nil, countIs("attachments", 2)),
		},
		{
			Name: "the same file name with other content is a conflict: 409", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(withPhoto, filePart("photo.jpg", photoB))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, withFiles(withPhoto, filePart("photo.jpg", photoA))),
			ExpectedStatus: http.StatusConflict, ExpectedContent: []string{orError, "photo.jpg"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("attachments", 1)),
		},
		{
			Name: "a follow-up gets a receipt in the answer, the same on a retry", Method: http.MethodPost,
			URL:     "/openrosa/submission",
			Body:    plain(strings.Replace(filled(uuid2, v, "Call me", ""), "<follow_up>no", "<follow_up>yes", 1))(t),
			Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: before(w, plain(strings.Replace(filled(uuid2, v, "Call me", ""), "<follow_up>no", "<follow_up>yes", 1))),
			ExpectedStatus: http.StatusAccepted, ExpectedContent: []string{"Receipt code for the person"},
			ExpectedEvents: nothingFired,
			AfterTestFunc: protocolHeaders(nil, func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuid2))
				if err != nil || r.GetString("receipt_hash") == "" {
					t.Errorf("the report has no receipt hash: %v", err)
				}
			}),
		},
		{
			Name: "wrong credentials: 401 with the challenge", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			Headers: map[string]string{
				"Authorization": "Basic " + basicValue(w.seeded.Devices[0].Id, "hwd1_wrong"),
				"Content-Type":  "multipart/form-data; boundary=" + boundary,
			},
			ExpectedStatus: http.StatusUnauthorized, ExpectedContent: []string{orError, "wrong"},
			ExpectedEvents: nothingFired,
			AfterTestFunc:  protocolHeaders(map[string]string{"WWW-Authenticate": "Basic"}, countIs("reports", 0)),
		},
		{
			Name: "another device's id with this credential: 401", Method: http.MethodGet,
			URL: "/openrosa/formList", TestAppFactory: w.factory, BeforeTestFunc: loopback,
			Headers:        map[string]string{"Authorization": "Basic " + basicValue(w.seeded.Devices[1].Id, w.seeded.DeviceTokens[0])},
			ExpectedStatus: http.StatusUnauthorized, ExpectedContent: []string{orError},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(map[string]string{"WWW-Authenticate": "Basic"}),
		},
		{
			Name: "a revoked device: 401, asked to register again", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), Headers: w.postHeaders(3), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusUnauthorized, ExpectedContent: []string{orError, "revoked"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(map[string]string{"WWW-Authenticate": "Basic"}, countIs("reports", 0)),
		},
		{
			Name: "an unapproved volunteer's device: 403", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), Headers: w.postHeaders(2), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusForbidden, ExpectedContent: []string{orError, "not approved"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "plain http from another machine is refused before credentials are read", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first)(t), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			ExpectedStatus: http.StatusForbidden, ExpectedContent: []string{orError, "https://"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "a proxy on this machine that says the phone used plain http is refused", Method: http.MethodGet,
			URL: "/openrosa/formList", TestAppFactory: w.factory, BeforeTestFunc: loopback,
			Headers:        map[string]string{"Authorization": w.basic(0), "X-Forwarded-Proto": "http"},
			ExpectedStatus: http.StatusForbidden, ExpectedContent: []string{orError, "https://"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "XML that is not well-formed: 400, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(first[:len(first)-20])(t), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{orError, "not well-formed"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "a form version that does not exist: 400, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: plain(filled(uuid1, "1.000000000000", "x", ""))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{orError, "does not exist on this server"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "no xml_submission_file: 400, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: multipartBody(t, filePart("photo.jpg", photoA)), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{orError, "xml_submission_file"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0), countIs("attachments", 0)),
		},
		{
			Name: "a body that is not multipart: 400", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: strings.NewReader(first), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			Headers:        map[string]string{"Authorization": w.basic(0), "Content-Type": "text/xml"},
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{orError, "multipart/form-data"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "an oversize body: 413, nothing stored", Method: http.MethodPost,
			URL:     "/openrosa/submission",
			Body:    withFiles(withBoth, filePart("photo.jpg", photoA), filePart("voice.mp3", bytes.Repeat([]byte{0}, openrosa.AcceptContentLength+(10<<20))))(t),
			Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusRequestEntityTooLarge, ExpectedContent: []string{orError, "larger than"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0), countIs("attachments", 0)),
		},
		{
			Name: "a file the form does not name: 400, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(first, filePart("other.jpg", photoA))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{orError, "other.jpg"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "a file that is no photo or voice note: 415, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: withFiles(withPhoto, filePart("photo.jpg", []byte("not a photo at all")))(t), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusUnsupportedMediaType, ExpectedContent: []string{orError, "photo.jpg"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil, countIs("reports", 0)),
		},
		{
			Name: "an address outside the API answers in OpenRosa's shape", Method: http.MethodGet,
			URL: "/openrosa/nothing", TestAppFactory: w.factory,
			ExpectedStatus: http.StatusNotFound, ExpectedContent: []string{orError, "/openrosa"},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
