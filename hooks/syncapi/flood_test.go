package syncapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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
	// The 61st report: one refused push, its status, code and Retry-After.
	body, err := json.Marshal(map[string]any{"device": "fake-x", "ops": reportCreates(f.embassy[0], 1)})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sync/push", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", flooder)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var refused struct {
		Data map[string]any `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&refused); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusTooManyRequests || refused.Data["code"] != "reports_rate_limited" {
		t.Fatalf("the 61st report: %d %v, want 429 reports_rate_limited", res.StatusCode, refused.Data)
	}
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
