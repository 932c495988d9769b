package openrosa_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/openrosa"
	"homeward/internal/receipts"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestCollectsFormsAreSealedByTheServer: Collect sends plaintext, so a
// form for an embassy with a sealing key is sealed by the server before
// anything is stored; when the key cannot be used, Collect is answered in
// OpenRosa's XML, keeps the form, and nothing is stored.
func TestCollectsFormsAreSealedByTheServer(t *testing.T) {
	t.Parallel()
	const marker = "MARKER-0r0sa"
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = embassyX, embassyY
	var key *testserver.EmbassyKey
	dir, seeded := testserver.SeedDir(t, opts, func(app core.App, _ *testserver.Seeded) {
		key = testserver.AddEmbassyKey(t, app, embassyX, nil)
	})
	w := world{factory: func(t testing.TB) *tests.TestApp { return testserver.NewAppFrom(t, dir) }, seeded: seeded}
	const uuid = "uuid:5e2d1b6c-8c1e-4a3f-9d57-000000000001"
	body := func() *bytes.Buffer {
		return multipartBody(t, xmlPart(filled(uuid, version(), marker+" we are three", "")))
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "a form for an embassy with a key is stored sealed", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: body(), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc:  func(t testing.TB, _ *tests.TestApp, e *core.ServeEvent) { fromLoopback(e) },
			ExpectedStatus:  http.StatusCreated,
			ExpectedContent: []string{`<message nature="submit_success">Report received.</message>`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuid))
				if err != nil {
					t.Fatal(err)
				}
				if r.GetString("sealed_by") != "server" || r.GetString("message") != "" || r.GetString("contact_name") != "" {
					t.Errorf("sealed_by %q, message %q, contact %q", r.GetString("sealed_by"), r.GetString("message"), r.GetString("contact_name"))
				}
				body := key.OpenReport(t, r)
				if body.Message != marker+" we are three" || body.ContactName != "Ani" || body.CompoundLocation != "KK Park, building 4" {
					t.Errorf("opened %+v", body)
				}
				if r.GetString("channel") != "volunteer" || r.GetString("nationality") != "ID" || !r.GetBool("urgent") {
					t.Error("the clear fields were not kept")
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
		},
		{
			Name: "a form that asks for follow-up carries the reply key of the receipt the server issues", Method: http.MethodPost,
			URL: "/openrosa/submission", Headers: w.postHeaders(0), TestAppFactory: w.factory,
			Body: multipartBody(t, xmlPart(strings.Replace(filled(uuid, version(), marker+" we are three", ""),
				"<follow_up>no</follow_up>", "<follow_up>yes</follow_up>", 1))),
			BeforeTestFunc:  func(t testing.TB, _ *tests.TestApp, e *core.ServeEvent) { fromLoopback(e) },
			ExpectedStatus:  http.StatusCreated,
			ExpectedContent: []string{`submit_success`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindRecordById("reports", openrosa.ReportId(uuid))
				if err != nil {
					t.Fatal(err)
				}
				keys, err := receipts.Load(app.DataDir())
				if err != nil {
					t.Fatal(err)
				}
				code := keys.Derive("openrosa", uuid)
				want := base64.RawURLEncoding.EncodeToString(seal.ReplyKey(code, r.Id))
				if got := key.OpenReport(t, r).ReplyKey; got != want {
					t.Errorf("reply key %q, want %q", got, want)
				}
			},
		},
		{
			Name: "a key that cannot be used: 500 in OpenRosa's XML, nothing stored", Method: http.MethodPost,
			URL: "/openrosa/submission", Body: body(), Headers: w.postHeaders(0), TestAppFactory: w.factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				fromLoopback(e)
				// A point off the curve, as a broken row would hold.
				_, err := app.DB().NewQuery("UPDATE embassy_keys SET public_key = 'BA" + string(bytes.Repeat([]byte("A"), 85)) + "'").Execute()
				if err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus:     http.StatusInternalServerError,
			ExpectedContent:    []string{`<OpenRosaResponse`, "nothing was stored"},
			NotExpectedContent: []string{marker},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindRecordById("reports", openrosa.ReportId(uuid)); err == nil {
					t.Error("the report was stored")
				}
				testserver.NoFileHolds(t, app.DataDir(), marker)
			},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
