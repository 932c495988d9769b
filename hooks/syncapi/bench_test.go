package syncapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// BenchmarkPush1000 times one push of 1,000 report creates over a real
// socket; bench/sync compares it with the other write paths.
func BenchmarkPush1000(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		rcpt := newReceipt()
		ops := make([]op, 1000)
		for i := range ops {
			ops[i] = reportCreate(newId(), newId(), f.embassy[0], rcpt, nil)
		}
		body, _ := json.Marshal(map[string]any{"device": "bench", "ops": ops})
		b.StartTimer()
		res, err := http.Post(f.srv.URL+"/api/sync/push", "application/json", bytes.NewReader(body))
		if err != nil || res.StatusCode != 200 {
			b.Fatal(res.StatusCode, err)
		}
		res.Body.Close()
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPullLast100 times a staff pull of the last 100 of 1,000 changes.
func BenchmarkPullLast100(b *testing.B) {
	f := newFixture(b)
	rcpt := newReceipt()
	ops := make([]op, 1000)
	for i := range ops {
		ops[i] = reportCreate(newId(), newId(), f.embassy[0], rcpt, nil)
	}
	f.push(nil, "bench", ops)
	var page pullAnswer
	f.call(http.MethodGet, "/api/sync/pull?limit=900", bearer(f.staffTok[0]), nil, &page)
	path := "/api/sync/pull?limit=100&cursor=" + page.Cursor
	for b.Loop() {
		if status, _ := f.raw(http.MethodGet, path, bearer(f.staffTok[0]), nil); status != 200 {
			b.Fatal(status)
		}
	}
}
