package openrosa_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
	"homeward/internal/xform"
	_ "homeward/pb_migrations" // the schema under test
)

// Ids of the seeded world the tests name.
const (
	embassyX = "orembassyx00001"
	embassyY = "orembassyy00001"
)

// world is the seeded data dir every test clones, and what was seeded:
// testserver.TwoEmbassies, plus volunteer 2 (not approved) with device 2,
// and device 3 of volunteer 0, revoked.
type world struct {
	factory func(testing.TB) *tests.TestApp
	seeded  *testserver.Seeded
}

func newWorld(t testing.TB) world {
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = embassyX, embassyY
	opts.Volunteers = append(opts.Volunteers, testserver.Volunteer{Email: "c@example.org", Unapproved: true})
	opts.Devices = append(opts.Devices, testserver.Device{Volunteer: 2}, testserver.Device{Volunteer: 0, Label: "lost phone"})
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, s *testserver.Seeded) {
		s.Devices[3].Set("revoked", true)
		if err := app.Save(s.Devices[3]); err != nil {
			t.Fatal(err)
		}
	})
	return world{factory: func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }, seeded: seeded}
}

// basic is the Authorization header of seeded device i, as Collect sends
// it: the device id as the username, its credential as the password.
func (w world) basic(i int) string {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(w.seeded.Devices[i].Id, w.seeded.DeviceTokens[i])
	return req.Header.Get("Authorization")
}

// version is the form version of the seeded embassies (both active,
// listed by name).
func version() string {
	return xform.VersionOf([]xform.Embassy{{Id: embassyX, Name: "Embassy X"}, {Id: embassyY, Name: "Embassy Y"}})
}

// filled is a filled form's XML as ODK's engine writes it, with fields in
// the form's order; photo names the photo's file, if any.
func filled(instanceID, version, message, photo string) string {
	return fmt.Sprintf(`<?xml version="1.0"?>`+
		`<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="homeward_report" version="%s">`+
		`<embassy>%s</embassy><nationality>ID</nationality><nationality_other/><people_count>3</people_count>`+
		`<minors_present>yes</minors_present><compound_location>KK Park, building 4</compound_location><current_location/>`+
		`<left_on>2026-11-20</left_on><needs>shelter documents</needs><safety_risk_now>no</safety_risk_now>`+
		`<passport_held>yes</passport_held><message>%s</message><language>id</language>`+
		`<contact><contact_name>Ani</contact_name><contact_phone>+000 555 0101</contact_phone><contact_app/>`+
		`<consent_contact>yes</consent_contact><consent_share>no</consent_share></contact>`+
		`<follow_up>no</follow_up><photo>%s</photo><voice/>`+
		`<meta><instanceID>%s</instanceID></meta></data>`, version, embassyX, message, photo, instanceID)
}

// boundary is fixed so a scenario's Content-Type can be written out.
const boundary = "HomewardTestBoundary7MA4YWxkTrZu0gW"

// part is one part of a multipart body: the XML, or a file.
type part struct {
	field, file string
	data        []byte
}

func xmlPart(x string) part {
	return part{field: "xml_submission_file", file: "submission.xml", data: []byte(x)}
}

func filePart(name string, data []byte) part { return part{field: name, file: name, data: data} }

// multipartBody is a submission body as Collect sends it.
func multipartBody(t testing.TB, parts ...part) *bytes.Buffer {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		create := func() (io.Writer, error) { return w.CreateFormFile(p.field, p.file) }
		if p.file == "" {
			create = func() (io.Writer, error) { return w.CreateFormField(p.field) }
		}
		fw, err := create()
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(p.data)
	}
	w.Close()
	return &buf
}

// postHeaders are a submission's headers from device i.
func (w world) postHeaders(i int) map[string]string {
	return map[string]string{
		"Authorization":      w.basic(i),
		"Content-Type":       "multipart/form-data; boundary=" + boundary,
		"X-OpenRosa-Version": "1.0",
	}
}

// fromLoopback makes the scenario's request come from this machine, as
// Caddy's does (httptest's requests come from 192.0.2.1).
func fromLoopback(e *core.ServeEvent) {
	e.Router.BindFunc(func(re *core.RequestEvent) error {
		re.Request.RemoteAddr = "127.0.0.1:40000"
		return re.Next()
	})
}

// before runs a scenario's earlier POSTs (e.g. the first submission of a
// retried one) through the same router, over loopback, and checks each
// was stored.
func before(w world, bodies ...func(testing.TB) *bytes.Buffer) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
	return func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		fromLoopback(e)
		mux, err := e.Router.BuildMux()
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range bodies {
			req := httptest.NewRequest(http.MethodPost, "/openrosa/submission", body(t))
			for k, v := range w.postHeaders(0) {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				t.Fatalf("earlier submission: %d %s", rec.Code, rec.Body)
			}
		}
	}
}

func loopback(t testing.TB, app *tests.TestApp, e *core.ServeEvent) { fromLoopback(e) }

// protocolHeaders checks what every OpenRosa answer carries, and more.
func protocolHeaders(more map[string]string, then ...func(testing.TB, *tests.TestApp, *http.Response)) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if v := res.Header.Get("X-OpenRosa-Version"); v != "1.0" {
			t.Errorf("X-OpenRosa-Version %q, want 1.0", v)
		}
		if _, err := http.ParseTime(res.Header.Get("Date")); err != nil {
			t.Errorf("Date %q: %v", res.Header.Get("Date"), err)
		}
		for k, v := range more {
			if got := res.Header.Get(k); !strings.Contains(got, v) {
				t.Errorf("%s %q, want %q", k, got, v)
			}
		}
		for _, f := range then {
			f(t, app, res)
		}
	}
}

// countIs checks the number of records of a collection after a scenario.
func countIs(coll string, want int) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		n, err := app.CountRecords(coll)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != want {
			t.Errorf("%d %s, want %d", n, coll, want)
		}
	}
}

// basicValue is the credentials part of a Basic Authorization header.
func basicValue(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// readFile is a stored attachment's bytes.
func readFile(t testing.TB, app core.App, a *core.Record) []byte {
	return testserver.ReadFile(t, app, a, "file")
}
