package qr_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

func TestVerifyAPI(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		body       func(t *testing.T, f *fixture) string
		status     int
		content    []string
		notContent []string
	}{
		{
			name:       "a genuine token is valid and names the embassy",
			body:       func(t *testing.T, f *fixture) string { return tokenOf(linkURL(t, f.app, f.link)) },
			status:     http.StatusOK,
			content:    []string{`"verdict":"valid"`, `"slug":"kh-indonesia"`, `"hotline":"+000 23 000 111"`, `"contact_url":"https://homeward.example/e/kh-indonesia"`, `"language":"id"`},
			notContent: []string{"Poipet", "label", "scans"},
		},
		{
			name:    "a full link URL is accepted",
			body:    func(t *testing.T, f *fixture) string { return linkURL(t, f.app, f.link) },
			status:  http.StatusOK,
			content: []string{`"verdict":"valid"`},
		},
		{
			name:    "a revoked token is revoked, with the official contacts",
			body:    func(t *testing.T, f *fixture) string { return tokenOf(linkURL(t, f.app, f.revoked)) },
			status:  http.StatusOK,
			content: []string{`"verdict":"revoked"`, `"slug":"kh-indonesia"`},
		},
		{
			name:    "an expired token is expired",
			body:    func(t *testing.T, f *fixture) string { return tokenOf(linkURL(t, f.app, f.expired)) },
			status:  http.StatusOK,
			content: []string{`"verdict":"expired"`},
		},
		{
			name: "a genuine token on another address is invalid and names nothing",
			body: func(t *testing.T, f *fixture) string {
				return "https://homeward-help.example/q/" + tokenOf(linkURL(t, f.app, f.link))
			},
			status:     http.StatusOK,
			content:    []string{`"verdict":"invalid"`, "official address"},
			notContent: []string{`"embassy"`},
		},
		{
			name:       "garbage is invalid",
			body:       func(*testing.T, *fixture) string { return "hello" },
			status:     http.StatusOK,
			content:    []string{`"verdict":"invalid"`},
			notContent: []string{`"embassy"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, false)
			body, _ := json.Marshal(map[string]string{"token": c.body(t, f)})
			s := tests.ApiScenario{
				Method:             http.MethodPost,
				URL:                "/api/qr/verify",
				Body:               strings.NewReader(string(body)),
				Headers:            map[string]string{"Content-Type": "application/json"},
				TestAppFactory:     func(testing.TB) *tests.TestApp { return f.app },
				ExpectedStatus:     c.status,
				ExpectedContent:    c.content,
				NotExpectedContent: c.notContent,
				ExpectedEvents:     map[string]int{"*": 0},
			}
			s.Test(t)
		})
	}

	for _, s := range []tests.ApiScenario{
		{
			Name:            "no token is a 400 with a sentence",
			Method:          http.MethodPost,
			URL:             "/api/qr/verify",
			Body:            strings.NewReader(`{}`),
			Headers:         map[string]string{"Content-Type": "application/json"},
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`Send the code's link or token as \"token\".`, `"token"`},
		},
		{
			Name:            "an oversized token is a 400",
			Method:          http.MethodPost,
			URL:             "/api/qr/verify",
			Body:            strings.NewReader(`{"token":"` + strings.Repeat("a", 3000) + `"}`),
			Headers:         map[string]string{"Content-Type": "application/json"},
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"token"`},
		},
	} {
		s.TestAppFactory = func(t testing.TB) *tests.TestApp { return testserver.NewApp(t, false) }
		s.Test(t)
	}
}

// TestVerifyIsRateLimited checks the settings rule "POST /api/qr/verify"
// (30 a minute per client) applies to the route as registered.
func TestVerifyIsRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	srv := testserver.Start(t, f.app)
	statuses := map[int]int{}
	for range 31 {
		res, err := http.Post(srv.URL+"/api/qr/verify", "application/json", strings.NewReader(`{"token":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		statuses[res.StatusCode]++
	}
	if statuses[http.StatusOK] != 30 || statuses[http.StatusTooManyRequests] != 1 {
		t.Fatalf("statuses %v, want 30 OK then 429", statuses)
	}
}

// TestQRPagesHaveRateLimits checks every anonymous QR route matches a
// rate-limit rule from the settings migrations.
func TestQRPagesHaveRateLimits(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, true)
	for _, c := range []struct{ method, path, label string }{
		{http.MethodPost, "/api/qr/verify", "POST /api/qr/verify"},
		{http.MethodGet, "/api/qr/abc.png", "/api/qr/"},
		{http.MethodGet, "/api/qr/embassy/x/vcard.png", "/api/qr/"},
		{http.MethodGet, "/q/abc", "/q/"},
		{http.MethodGet, "/verify", "/verify"},
		{http.MethodGet, "/e", "/e"},
		{http.MethodGet, "/e/kh-indonesia", "/e/"},
	} {
		rule, ok := app.Settings().RateLimits.FindRateLimitRule([]string{c.method + " " + c.path, c.path}, "", "@guest")
		if !ok || rule.Label != c.label {
			t.Errorf("%s %s matches rule %q (found %v), want %q", c.method, c.path, rule.Label, ok, c.label)
		}
	}
}

// TestJWKSIsRateLimitedPerAddress checks the key set's own limit (its path
// cannot be a settings rule): 60 fetches a minute per client address, and
// another address keeps its own count.
func TestJWKSIsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.app.Settings().TrustedProxy.Headers = []string{"X-Forwarded-For"}
	srv := testserver.Start(t, f.app)
	fetch := func(addr string) int {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/.well-known/jwks.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", addr)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	statuses := map[int]int{}
	for range 61 {
		statuses[fetch("198.51.100.7")]++
	}
	if statuses[http.StatusOK] != 60 || statuses[http.StatusTooManyRequests] != 1 {
		t.Fatalf("statuses %v, want 60 OK then 429", statuses)
	}
	if got := fetch("203.0.113.9"); got != http.StatusOK {
		t.Fatalf("another address got %d, want 200", got)
	}
}
