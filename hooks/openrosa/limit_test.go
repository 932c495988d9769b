package openrosa_test

import (
	"net/http"
	"testing"

	"homeward/internal/testserver"
)

// TestWrongSignInsAreLimitedPerAddress: after twenty wrong credentials in
// a minute from one address the API answers 429 without looking further,
// while the right credential from elsewhere is never slowed (the limiter
// counts wrong ones only).
func TestWrongSignInsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := testserver.Start(t, w.factory(t))
	get := func(user, pass string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/openrosa/formList", nil)
		req.SetBasicAuth(user, pass)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After")
	}
	for i := 1; i <= 20; i++ {
		if status, _ := get(w.seeded.Devices[0].Id, "hwd1_wrong"); status != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in %d: %d, want 401", i, status)
		}
	}
	if status, retry := get(w.seeded.Devices[0].Id, "hwd1_wrong"); status != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("21st wrong sign-in: %d (Retry-After %q), want 429", status, retry)
	}
	if status, _ := get(w.seeded.Devices[0].Id, w.seeded.DeviceTokens[0]); status != http.StatusOK {
		t.Fatalf("the right credential: %d, want 200", status)
	}
}

// TestOpenRosaIsRateLimited checks the settings rule "/openrosa/" (300 a
// minute per client, migration 1764120600) applies to the routes as
// registered: Collect's HEAD before each submission counts like any
// request.
func TestOpenRosaIsRateLimited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	app := w.factory(t)
	app.Settings().RateLimits.Enabled = true
	srv := testserver.Start(t, app)
	statuses := map[int]int{}
	for range 301 {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+"/openrosa/submission", nil)
		req.SetBasicAuth(w.seeded.Devices[0].Id, w.seeded.DeviceTokens[0])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		statuses[res.StatusCode]++
		if v := res.Header.Get("X-OpenRosa-Version"); v != "1.0" {
			t.Fatalf("answer %d without X-OpenRosa-Version", res.StatusCode)
		}
		if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
			t.Fatalf("the limiter's refusal is %s, not an OpenRosaResponse", res.Header.Get("Content-Type"))
		}
	}
	if statuses[http.StatusNoContent] != 300 || statuses[http.StatusTooManyRequests] != 1 {
		t.Fatalf("statuses %v, want 300 answered then 429", statuses)
	}
}
