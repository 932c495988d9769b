package limits_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"homeward/hooks/limits"
	"homeward/internal/testserver"
)

// refusal is a request's answer as a client reads a refusal.
type refusal struct {
	status     int
	retryAfter string
	code       any
	message    string
}

func send(t *testing.T, method, url, body string) refusal {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if method == http.MethodPatch {
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", "1")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	return refusal{res.StatusCode, res.Header.Get("Retry-After"), out.Data["code"], out.Message}
}

// TestRateLimitedRequestsSayWhenToComeBack: a request PocketBase's rate
// limiter refuses, with the rules the migrations set, is answered 429 with
// Retry-After, the window of its rule in seconds, and data.code
// rate_limited, in PocketBase's JSON shape: a sign-in past 5 a minute, an
// anonymous sync request past 300 a minute from one address. tus chunks
// have their own budget, 600 a minute: a phone's 6 MiB voice note (96
// chunks of 64 KiB), or a shelter's many photos, is not refused by the
// sync budget, and a chunk never spends it.
func TestRateLimitedRequestsSayWhenToComeBack(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.NewApp(t, true))

	signIn := `{"identity":"someone@example.org","password":"not the password"}`
	for range 5 {
		if r := send(t, http.MethodPost, srv.URL+"/api/collections/staff/auth-with-password", signIn); r.status != http.StatusBadRequest {
			t.Fatalf("a wrong password within the limit: %+v", r)
		}
	}
	r := send(t, http.MethodPost, srv.URL+"/api/collections/staff/auth-with-password", signIn)
	if r.status != http.StatusTooManyRequests || r.retryAfter != "60" || r.code != limits.CodeRateLimited || !strings.Contains(r.message, "60 seconds") {
		t.Fatalf("the 6th sign-in in a minute: %+v, want 429, Retry-After 60, rate_limited", r)
	}

	// 600 chunks (to an upload that does not exist: each is counted all
	// the same), then the sync budget is still whole.
	for i := range 600 {
		if r := send(t, http.MethodPatch, srv.URL+"/api/sync/files/nosuchupload0001", "x"); r.status == http.StatusTooManyRequests {
			t.Fatalf("chunk %d of 600 in a minute: %+v", i+1, r)
		}
	}
	if r := send(t, http.MethodPatch, srv.URL+"/api/sync/files/nosuchupload0001", "x"); r.status != http.StatusTooManyRequests || r.retryAfter != "60" {
		t.Fatalf("the 601st chunk in a minute: %+v, want 429 with Retry-After 60", r)
	}
	for i := range 300 {
		if r := send(t, http.MethodGet, srv.URL+"/api/sync/pull", ""); r.status == http.StatusTooManyRequests {
			t.Fatalf("anonymous sync request %d of 300 in a minute: %+v", i+1, r)
		}
	}
	r = send(t, http.MethodGet, srv.URL+"/api/sync/pull", "")
	if r.status != http.StatusTooManyRequests || r.retryAfter != "60" || r.code != limits.CodeRateLimited {
		t.Fatalf("the 301st anonymous sync request in a minute: %+v, want 429, Retry-After 60, rate_limited", r)
	}
}
