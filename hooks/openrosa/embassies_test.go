package openrosa_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/openrosa"
	"homeward/internal/testserver"
	"homeward/internal/xform"
)

// Embassies of keyWorld besides X, which takes reports in clear until it
// has a key (as every seeded embassy does): Y has no key and does not,
// Z has a key, W has a key but is not active.
const (
	embassyZ = "orembassyz00001"
	embassyW = "orembassyw00001"
)

// keyWorld is newWorld with embassies Z and W added and Y made to wait for
// its key, as an embassy added today does.
func keyWorld(t testing.TB) world {
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = embassyX, embassyY
	opts.Embassies[1].Fields = map[string]any{"clear_until_keyed": false}
	opts.Embassies = append(opts.Embassies,
		testserver.Embassy{Id: embassyZ, Slug: "z", Name: "Embassy Z", Fields: map[string]any{"clear_until_keyed": false}},
		testserver.Embassy{Id: embassyW, Slug: "w", Name: "Embassy W", Inactive: true, Fields: map[string]any{"clear_until_keyed": false}})
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, _ *testserver.Seeded) {
		testserver.AddEmbassyKey(t, app, embassyZ, nil)
		testserver.AddEmbassyKey(t, app, embassyW, nil)
	})
	return world{factory: func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }, seeded: seeded}
}

// versionOf is the form version of the given seeded embassies, in the
// form's order (by name).
func versionOf(ids ...string) string {
	names := map[string]string{embassyX: "Embassy X", embassyY: "Embassy Y", embassyZ: "Embassy Z", embassyW: "Embassy W"}
	list := make([]xform.Embassy, len(ids))
	for i, id := range ids {
		list[i] = xform.Embassy{Id: id, Name: names[id]}
	}
	return xform.VersionOf(list)
}

// handOut records version as handed out, as the form list did for a phone
// before the embassies changed (a phone keeps the form it has).
func handOut(t testing.TB, app core.App, version string) {
	_, err := app.DB().NewQuery("INSERT INTO {{openrosa_form_versions}} ([[version]]) VALUES ({:v})").
		Bind(dbx.Params{"v": version}).Execute()
	if err != nil {
		t.Fatal(err)
	}
}

// serve sends one request from device 0 through the scenario's router, over
// loopback, and returns the answer.
func serve(t testing.TB, e *core.ServeEvent, w world, method, path string, body *bytes.Buffer) *httptest.ResponseRecorder {
	mux, err := e.Router.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	var req *http.Request
	if body == nil {
		req = httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", w.basic(0))
	} else {
		req = httptest.NewRequest(method, path, body)
		for k, v := range w.postHeaders(0) {
			req.Header.Set(k, v)
		}
	}
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

var listedHash = regexp.MustCompile(`<hash>(md5:[0-9a-f]{32})</hash>`)

// refusedEvents is what a report the write path refuses in its
// validation fires: the create, the validation and the error, no write.
var refusedEvents = map[string]int{
	"*": 0, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
	"OnRecordAfterCreateError": 1, "OnModelAfterCreateError": 1,
}

// nothingStored checks that no report, file or sync_ops row was written.
func nothingStored(t testing.TB, app *tests.TestApp, res *http.Response) {
	for _, coll := range []string{"reports", "attachments"} {
		countIs(coll, 0)(t, app, res)
	}
	var n int
	if err := app.DB().Select("count(*)").From("sync_ops").Row(&n); err != nil || n != 0 {
		t.Errorf("%d sync_ops rows (%v), want none", n, err)
	}
}

// TestTheFormOffersOnlyEmbassiesThatTakeItsReports: the form's embassy
// choices are the active embassies a report from Collect can be sent to,
// those with a sealing key or taking reports in clear until they have one,
// as the write path decides (hooks/sealing, validation_embassy_no_key);
// an embassy left out is offered, in a form of a new version and hash,
// once its key is made. A form of an older version that offered an embassy
// with no key is refused with a message that says so, nothing is stored,
// and the same form is taken once the key exists. An embassy that is not
// there, or none, gets its own message.
func TestTheFormOffersOnlyEmbassiesThatTakeItsReports(t *testing.T) {
	t.Parallel()
	w := keyWorld(t)
	current := versionOf(embassyX, embassyZ)
	// A form handed out before Y was made to wait for its key, or by a
	// server that offered every active embassy.
	older := versionOf(embassyX, embassyY, embassyZ)
	form := func(uuid, version, embassy string) *bytes.Buffer {
		return multipartBody(t, xmlPart(filledFor(uuid, version, embassy, "We are three", "")))
	}
	orError := `<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="error">`
	noKey := "This embassy cannot receive reports yet: it has no sealing key"
	const uuidY = "uuid:3f0c1e2d-8a4b-4c5d-9e6f-0a1b2c3d4e5f"

	scenarios := []tests.ApiScenario{
		{
			Name: "the form offers X (clear until keyed) and Z (a key), not Y (no key) or W (not active)", Method: http.MethodGet,
			URL: "/openrosa/forms/homeward_report.xml", Headers: map[string]string{"Authorization": w.basic(0)}, TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{
				`version="` + current + `"`,
				`<label>Embassy X</label><value>` + embassyX + `</value>`, `<label>Embassy Z</label><value>` + embassyZ + `</value>`,
			},
			NotExpectedContent: []string{embassyY, "Embassy Y", embassyW, "Embassy W"},
			ExpectedEvents:     nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "the form list carries the version of those choices", Method: http.MethodGet,
			URL: "/openrosa/formList", Headers: map[string]string{"Authorization": w.basic(0)}, TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusOK, ExpectedContent: []string{`<version>` + current + `</version>`},
			ExpectedEvents: nothingFired, AfterTestFunc: protocolHeaders(nil),
		},
		{
			Name: "once Y's key is made the form list has a new version and hash, and the form offers Y", Method: http.MethodGet,
			URL: "/openrosa/forms/homeward_report.xml", Headers: map[string]string{"Authorization": w.basic(0)}, TestAppFactory: w.factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				fromLoopback(e)
				before := serve(t, e, w, http.MethodGet, "/openrosa/formList", nil).Body.String()
				testserver.AddEmbassyKey(t, app, embassyY, nil)
				after := serve(t, e, w, http.MethodGet, "/openrosa/formList", nil).Body.String()
				if !strings.Contains(before, "<version>"+current+"<") || !strings.Contains(after, "<version>"+older+"<") {
					t.Errorf("versions: before the key\n%s\nafter\n%s\nwant %s then %s", before, after, current, older)
				}
				h1, h2 := listedHash.FindStringSubmatch(before), listedHash.FindStringSubmatch(after)
				if h1 == nil || h2 == nil || h1[1] == h2[1] {
					t.Errorf("the hash did not change with the choices: %v then %v", h1, h2)
				}
			},
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`version="` + older + `"`, `<label>Embassy Y</label><value>` + embassyY + `</value>`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   protocolHeaders(nil),
		},
		{
			Name: "a form for an embassy it offers is stored: X", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuid1, current, embassyX), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"Report received."},
			ExpectedEvents: createdEvents(1), AfterTestFunc: protocolHeaders(nil, countIs("reports", 1)),
		},
		{
			Name: "a form for an embassy it offers is stored: Z, sealed", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuid1, current, embassyZ), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"Report received."},
			ExpectedEvents: createdEvents(1),
			AfterTestFunc: protocolHeaders(nil, func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuid1))
				if err != nil || r.GetString("sealed_by") != "server" {
					t.Errorf("the report for Z was not stored sealed: %v", err)
				}
			}),
		},
		{
			Name: "an older form's choice of an embassy with no key: 400 that says so, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuidY, older, embassyY), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				fromLoopback(e)
				handOut(t, app, older)
			},
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{orError + noKey, "Nothing was stored", "send it again once the embassy"},
			NotExpectedContent: []string{"check embassy"},
			ExpectedEvents:     refusedEvents,
			AfterTestFunc:      protocolHeaders(nil, nothingStored),
		},
		{
			Name: "the same form sent again once the embassy has its key is stored, sealed, once", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuidY, older, embassyY), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				fromLoopback(e)
				handOut(t, app, older)
				if rec := serve(t, e, w, http.MethodPost, "/openrosa/submission", form(uuidY, older, embassyY)); rec.Code != http.StatusBadRequest {
					t.Fatalf("before the key: %d %s", rec.Code, rec.Body)
				}
				testserver.AddEmbassyKey(t, app, embassyY, nil)
			},
			ExpectedStatus: http.StatusCreated, ExpectedContent: []string{"Report received."},
			ExpectedEvents: createdEvents(1),
			AfterTestFunc: protocolHeaders(nil, countIs("reports", 1), func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuidY))
				if err != nil || r.GetString("embassy") != embassyY || r.GetString("sealed_by") != "server" {
					t.Errorf("the report for Y was not stored sealed: %v", err)
				}
			}),
		},
		{
			Name: "an embassy that is not on this server: 400 that says so, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuid1, current, "orgoneembassy01"), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{orError + "The embassy chosen in this form is not on this server. Nothing was stored. Get the blank form again"},
			NotExpectedContent: []string{noKey, "check embassy"},
			ExpectedEvents:     refusedEvents,
			AfterTestFunc:      protocolHeaders(nil, nothingStored),
		},
		{
			Name: "no embassy chosen: 400 that says so, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: form(uuid1, current, ""), Headers: w.postHeaders(0), TestAppFactory: w.factory, BeforeTestFunc: loopback,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{orError + "The form names no embassy. Nothing was stored."},
			NotExpectedContent: []string{noKey, "not on this server", "check embassy"},
			ExpectedEvents:     refusedEvents,
			AfterTestFunc:      protocolHeaders(nil, nothingStored),
		},
		{
			Name: "no embassy can receive yet: the form list is empty", Method: http.MethodGet,
			URL: "/openrosa/formList", Headers: map[string]string{"Authorization": w.basic(0)}, TestAppFactory: w.factory, BeforeTestFunc: noneReceives,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{`<xforms xmlns="http://openrosa.org/xforms/xformsList"></xforms>`},
			NotExpectedContent: []string{"<xform>"},
			ExpectedEvents:     map[string]int{"*": 0},
			AfterTestFunc:      protocolHeaders(nil),
		},
		{
			Name: "no embassy can receive yet: no form to download, and why", Method: http.MethodGet,
			URL: "/openrosa/forms/homeward_report.xml", Headers: map[string]string{"Authorization": w.basic(0)}, TestAppFactory: w.factory, BeforeTestFunc: noneReceives,
			ExpectedStatus:  http.StatusNotFound,
			ExpectedContent: []string{orError + "No embassy can receive reports here yet"},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   protocolHeaders(nil),
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// noneReceives leaves keyWorld with no embassy a form's report can go to,
// as a new server before any embassy's staff have made its key: X stops
// taking reports in clear, Z (with a key) is made inactive.
func noneReceives(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	fromLoopback(e)
	for _, q := range []string{
		"UPDATE embassies SET clear_until_keyed = FALSE WHERE id = '" + embassyX + "'",
		"UPDATE embassies SET active = FALSE WHERE id = '" + embassyZ + "'",
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
}
