package privacy_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"homeward/hooks/privacy"
	"homeward/internal/testserver"
)

func post(t *testing.T, url, body string) int {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestSignInIsThrottled: password guessing against staff, volunteer and
// superuser accounts is refused after five tries a minute.
func TestSignInIsThrottled(t *testing.T) {
	t.Parallel()
	for _, col := range []string{"staff", "volunteers", "_superusers"} {
		t.Run(col, func(t *testing.T) {
			srv := testserver.Start(t, testserver.NewApp(t, true))
			url := srv.URL + "/api/collections/" + col + "/auth-with-password"
			body := `{"identity":"nobody@example.org","password":"wrong password 123"}`
			for i := 1; i <= 5; i++ {
				if got := post(t, url, body); got != http.StatusBadRequest {
					t.Fatalf("attempt %d = %d, want 400", i, got)
				}
			}
			if got := post(t, url, body); got != http.StatusTooManyRequests {
				t.Fatalf("attempt 6 = %d, want 429", got)
			}
		})
	}
}

// inlineHashes are the hash sources a page's policy may add.
var inlineHashes = regexp.MustCompile(` 'sha256-[A-Za-z0-9+/]+={0,2}'`)

func TestSecurityHeadersOnPagesAndAPI(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.NewApp(t, false))
	for _, path := range []string{
		// Every HTML page: the reporter and volunteer app, the staff
		// console, the QR contact flow, the check page, a poster.
		"/", "/volunteer", "/staff/", "/e", "/e/unknown", "/q/not-a-token", "/verify", "/api/qr/unknown/poster",
		// And API answers.
		"/api/health", "/api/collections/embassies/records", "/.well-known/jwks.json",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := map[string]string{
			"Content-Security-Policy": privacy.ContentSecurityPolicy,
			"Referrer-Policy":         "no-referrer",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
		}
		for k, v := range want {
			got := res.Header.Get(k)
			if k == "Content-Security-Policy" && (path == "/" || path == "/volunteer") {
				// The app's shell also allows its own inline blocks, by hash
				// only (hooks/web, TestShellsInlineBlocksAreTheOnesItsPolicyAllows).
				got = inlineHashes.ReplaceAllString(got, "")
			}
			if got != v {
				t.Errorf("%s %s = %q, want %q", path, k, got, v)
			}
		}
		if c := res.Header.Get("Set-Cookie"); c != "" {
			t.Errorf("%s sets a cookie: %q", path, c)
		}
	}
}

func TestPolicyAllowsNoThirdPartyOrInlineScript(t *testing.T) {
	t.Parallel()
	csp := privacy.ContentSecurityPolicy
	for _, bad := range []string{"http:", "https:", "*", "'unsafe-inline'", "'unsafe-eval'"} {
		if strings.Contains(csp, bad) {
			t.Errorf("policy contains %q", bad)
		}
	}
	for _, need := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, need) {
			t.Errorf("policy lacks %q", need)
		}
	}
}

func TestGuestsAreRefusedOnPrivateCollections(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.NewApp(t, false))
	for _, col := range privacy.PrivateCollections {
		res, err := http.Get(srv.URL + "/api/collections/" + col + "/records")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("guest list of %s = %d, want 401", col, res.StatusCode)
		}
	}
}
