package syncapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// reportCreates returns n reporter create ops for embassy emb, each with
// its own receipt.
func reportCreates(emb string, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		ops[i] = reportCreate(newId(), newId(), emb, newReceipt(), nil)
	}
	return ops
}

// TestAnonymousPushCarriesAHandfulOfReports: a push without an account may
// create at most 5 reports; a larger one is told to halve (413
// too_many_ops) and stores nothing, and the halves go through. A
// volunteer's push keeps its large batch.
func TestAnonymousPushCarriesAHandfulOfReports(t *testing.T) {
	f := newFixture(t)
	var refused struct {
		Data map[string]any `json:"data"`
	}
	status := f.call(http.MethodPost, "/api/sync/push", nil, map[string]any{"device": "phone", "ops": reportCreates(f.embassy[0], 6)}, &refused)
	if status != http.StatusRequestEntityTooLarge || refused.Data["code"] != "too_many_ops" {
		t.Fatalf("6 creates: %d %v, want 413 too_many_ops", status, refused.Data)
	}
	if n := f.count("reports"); n != 0 {
		t.Fatalf("%d reports stored from a refused push", n)
	}
	for _, half := range [][]op{reportCreates(f.embassy[0], 3), reportCreates(f.embassy[0], 3)} {
		for _, r := range f.push(nil, "phone", half).Results {
			if r.Status != "applied" {
				t.Fatalf("half: %+v", r)
			}
		}
	}
	// Messages and read marks are not report creates: a phone's follow-ups
	// travel with its reports.
	if n := f.count("reports"); n != 6 {
		t.Fatalf("%d reports after the halves, want 6", n)
	}

	_, tok := f.registerDevice(0)
	vol := f.push(device(tok), "tablet", reportCreates(f.embassy[0], 200))
	for _, r := range vol.Results {
		if r.Status != "applied" {
			t.Fatalf("volunteer batch: %+v", r)
		}
	}
}

// TestAFloodOfAnonymousReportsFromOneAddressIsThrottled: one address may
// create 60 reports in 10 minutes without an account; the next push is
// told when to come back (429 reports_rate_limited, Retry-After) and
// stores nothing. Another address, and a volunteer at the flooding
// address, are not slowed.
func TestAFloodOfAnonymousReportsFromOneAddressIsThrottled(t *testing.T) {
	f := newFixture(t)
	settings := f.app.Settings()
	settings.RateLimits.Enabled = true
	// Behind a proxy, each client has its own address.
	settings.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if err := f.app.Save(settings); err != nil {
		t.Fatal(err)
	}
	from := func(addr string) header { return header{"X-Forwarded-For": addr} }
	const flooder, shelter = "203.0.113.7", "198.51.100.20"

	for i := range 12 {
		for _, r := range f.push(from(flooder), fmt.Sprint("fake-", i), reportCreates(f.embassy[0], 5)).Results {
			if r.Status != "applied" {
				t.Fatalf("push %d of the first 60 reports: %+v", i, r)
			}
		}
	}
	before := f.count("reports")
	status, raw := f.raw(http.MethodPost, "/api/sync/push", from(flooder), map[string]any{"device": "fake-x", "ops": reportCreates(f.embassy[0], 1)})
	if status != http.StatusTooManyRequests {
		t.Fatalf("the 61st report: %d %s, want 429", status, raw)
	}
	var refused struct {
		Data map[string]any `json:"data"`
	}
	f.call(http.MethodPost, "/api/sync/push", from(flooder), map[string]any{"device": "fake-y", "ops": reportCreates(f.embassy[0], 1)}, &refused)
	if refused.Data["code"] != "reports_rate_limited" {
		t.Fatalf("code %v, want reports_rate_limited", refused.Data["code"])
	}
	res, err := http.DefaultClient.Do(mustRequest(t, f, from(flooder)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 60 || secs > 600 {
		t.Fatalf("Retry-After %q, want the rest of the 10-minute window in seconds", res.Header.Get("Retry-After"))
	}
	if n := f.count("reports"); n != before {
		t.Fatalf("%d reports stored by refused pushes", n-before)
	}

	// A reporter elsewhere, and a volunteer at the same address, get through.
	if r := f.push(from(shelter), "honest", reportCreates(f.embassy[0], 1)).Results[0]; r.Status != "applied" {
		t.Fatalf("another address: %+v", r)
	}
	_, tok := f.registerDevice(0)
	h := device(tok)
	h["X-Forwarded-For"] = flooder
	for _, r := range f.push(h, "tablet", reportCreates(f.embassy[0], 100)).Results {
		if r.Status != "applied" {
			t.Fatalf("volunteer at the flooding address: %+v", r)
		}
	}
}

// mustRequest is a one-report anonymous push, for reading the answer's
// headers.
func mustRequest(t *testing.T, f *fixture, h header) *http.Request {
	t.Helper()
	body := fmt.Sprintf(`{"device":"fake-z","ops":[{"op":%q,"kind":"create","collection":"reports","id":%q,"receipt":%q,"data":{"embassy":%q,"message":"x","people_count":1}}]}`,
		newId(), newId(), newReceipt(), f.embassy[0])
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sync/push", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return req
}
