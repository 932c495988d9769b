package setup_test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/setup"
	"homeward/internal/testserver"
)

func TestCheckPublicURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url     string
		dev     bool
		wantErr error // nil: accepted
	}{
		{"https://homeward.example.org", false, nil},
		{"https://homeward.example.org/", false, nil},
		{"https://report.embassy.example:8443", false, nil},
		{"https://203.0.113.10", false, nil},
		{"", false, setup.ErrNoPublicURL},
		{"http://localhost:8090", false, setup.ErrNoPublicURL}, // PocketBase's default
		{"http://localhost:8090", true, setup.ErrNoPublicURL},  // never official, even in dev
		{"https://localhost", false, setup.ErrLocalPublicURL},
		{"https://app.localhost", false, setup.ErrLocalPublicURL},
		{"https://127.0.0.1:8443", false, setup.ErrLocalPublicURL},
		{"https://[::1]", false, setup.ErrLocalPublicURL},
		{"https://10.0.0.5", false, setup.ErrLocalPublicURL},
		{"https://172.20.1.1", false, setup.ErrLocalPublicURL},
		{"https://192.168.1.20", false, setup.ErrLocalPublicURL},
		{"https://100.64.0.1", false, setup.ErrLocalPublicURL},
		{"https://169.254.1.1", false, setup.ErrLocalPublicURL},
		{"https://0.0.0.0", false, setup.ErrLocalPublicURL},
		{"https://[fd00::1]", false, setup.ErrLocalPublicURL},
		{"https://[::ffff:192.168.1.1]", false, setup.ErrLocalPublicURL},
		{"https://shelter-laptop", false, setup.ErrLocalPublicURL},
		{"https://homeward.local", false, setup.ErrLocalPublicURL},
		{"https://homeward.home.arpa", false, setup.ErrLocalPublicURL},
		{"https://192.168.1.20", true, nil},
		{"http://127.0.0.1:8090", true, nil},
		{"http://homeward.example.org", false, setup.ErrBadPublicURL},
		{"ftp://homeward.example.org", false, setup.ErrBadPublicURL},
		{"homeward.example.org", false, setup.ErrBadPublicURL},
		{"https://homeward.example.org/reports", false, setup.ErrBadPublicURL},
		{"https://homeward.example.org/?x=1", false, setup.ErrBadPublicURL},
		{"https://user:pw@homeward.example.org", false, setup.ErrBadPublicURL},
		{"https://homeward.example.org/#top", false, setup.ErrBadPublicURL},
	}
	for _, c := range cases {
		err := setup.CheckPublicURL(c.url, c.dev)
		if c.wantErr == nil && err != nil {
			t.Errorf("CheckPublicURL(%q, dev=%v) = %v, want accepted", c.url, c.dev, err)
		}
		if c.wantErr != nil && !errors.Is(err, c.wantErr) {
			t.Errorf("CheckPublicURL(%q, dev=%v) = %v, want %v", c.url, c.dev, err, c.wantErr)
		}
	}
}

// newProductionApp registers setup as a server started without --dev.
func newProductionApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	if err := setup.Register(app, setup.Config{}); err != nil {
		t.Fatal(err)
	}
	return app
}

func codes(checks []setup.Check) string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Code)
	}
	return strings.Join(out, ",")
}

func TestPublicURLRefusesLocalAddressesWithoutDev(t *testing.T) {
	t.Parallel()
	app := newProductionApp(t)
	app.Settings().Meta.AppURL = "https://127.0.0.1:8443"
	if _, err := setup.PublicURL(app); !errors.Is(err, setup.ErrLocalPublicURL) {
		t.Fatalf("PublicURL on loopback = %v, want ErrLocalPublicURL", err)
	}
	if !strings.Contains(codes(setup.Checks(app)), setup.CodePublicURL) {
		t.Errorf("the checks do not name the public address: %s", codes(setup.Checks(app)))
	}
	app.Settings().Meta.AppURL = "https://homeward.example.org/"
	if got, err := setup.PublicURL(app); err != nil || got != "https://homeward.example.org" {
		t.Fatalf("PublicURL = %q, %v", got, err)
	}
}

func TestRegisterRefusesABadPublicURLFlag(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	err = setup.Register(app, setup.Config{PublicURL: "http://192.168.1.20:8090"})
	if err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Fatalf("Register with a private --public-url = %v, want a refusal naming the flag", err)
	}
}

// TestChecksNameWhatIsNotConfigured turns each setting on in turn and
// watches its check go away; the proxy check comes from real requests
// through a loopback socket that carry a forwarding header.
func TestChecksNameWhatIsNotConfigured(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	srv := testserver.Start(t, app)
	has := func(code string) bool { return strings.Contains(","+codes(setup.Checks(app))+",", ","+code+",") }

	for _, code := range []string{setup.CodePublicURL, setup.CodeMail, setup.CodeBackups} {
		if !has(code) {
			t.Errorf("a fresh app's checks lack %s: %s", code, codes(setup.Checks(app)))
		}
	}
	if has(setup.CodeProxy) || has(setup.CodeDemo) {
		t.Errorf("nothing came through a proxy and no demo data is loaded, yet: %s", codes(setup.Checks(app)))
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/health", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !has(setup.CodeProxy) {
		t.Errorf("a proxied request with no trusted header is not reported: %s", codes(setup.Checks(app)))
	}
	app.Settings().TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if has(setup.CodeProxy) {
		t.Errorf("the proxy check stays after the header is trusted")
	}

	app.Settings().Meta.AppURL = "https://homeward.example.org"
	app.Settings().SMTP.Enabled = true
	if err := os.Mkdir(filepath.Join(app.DataDir(), ".data.db-litestream"), 0o700); err != nil {
		t.Fatal(err)
	}
	testserver.SaveRecord(t, app, "embassies", map[string]any{
		"name": "DEMO Embassy", "country": "Testland", "slug": "demo-test", "active": true, "demo": true, "hotline": "+000 1",
	})
	if got := codes(setup.Checks(app)); got != setup.CodeDemo {
		t.Errorf("checks = %q, want only %q", got, setup.CodeDemo)
	}
}

func TestChecksRouteIsForStaffAndSuperusers(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	seeded := testserver.Seed(t, app, testserver.Options{
		Embassies: []testserver.Embassy{{Name: "Embassy of Testland", Slug: "testland"}},
		Staff:     []testserver.Staff{{Email: "staff@testland.example", Embassy: 0}},
	})
	srv := testserver.Start(t, app)
	for _, c := range []struct {
		name, token string
		status      int
		want        []string
	}{
		{"guest", "", http.StatusUnauthorized, []string{`"data":{}`}},
		{"staff", seeded.StaffTokens[0], http.StatusOK, []string{`"code":"public_url"`, `"code":"mail"`, `--public-url`}},
		{"superuser", seeded.SuperuserToken, http.StatusOK, []string{`"code":"public_url"`, `"code":"mail"`, `--public-url`}},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/setup/checks", nil)
		if c.token != "" {
			req.Header.Set("Authorization", c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, res.StatusCode, c.status, body)
		}
		for _, w := range c.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: body lacks %s: %s", c.name, w, body)
			}
		}
	}
}
