package syncapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"homeward/hooks/syncapi"
)

// BenchmarkPush1000 times one push of 1,000 report creates over a real
// socket; bench/sync compares it with the other write paths.
func BenchmarkPush1000(b *testing.B) {
	f := newFixture(b)
	tablet := f.tablet()
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
		req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sync/push", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", tablet["Authorization"])
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(res, err)
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
	f.push(f.tablet(), "bench", ops)
	var page pullAnswer
	f.call(http.MethodGet, "/api/sync/pull?limit=900", bearer(f.staffTok[0]), nil, &page)
	path := "/api/sync/pull?limit=100&cursor=" + page.Cursor
	for b.Loop() {
		if status, _ := f.raw(http.MethodGet, path, bearer(f.staffTok[0]), nil); status != 200 {
			b.Fatal(status)
		}
	}
}

// BenchmarkDatabaseGrowth measures what 10,000 reports cost on disk: each
// iteration pushes 10,000 reports (a volunteer's batches of 1,000, with a
// photo-less report of about 300 bytes of text each) into a fresh data
// dir and reports the database's size, and the share of the sync tables,
// in bytes per report; then retention drops sync_ops and the size is
// measured again. Run: go test -run - -bench DatabaseGrowth -benchtime 1x ./hooks/syncapi
func BenchmarkDatabaseGrowth(b *testing.B) {
	for b.Loop() {
		f := newFixture(b)
		tablet := f.tablet()
		const total, batch = 10000, 1000
		for start := 0; start < total; start += batch {
			ops := make([]op, batch)
			for i := range ops {
				ops[i] = reportCreate(newId(), newId(), f.embassy[0], "", map[string]any{
					"message": strings.Repeat("We left the compound at night and walked to the road. ", 5),
					"needs":   []string{"shelter", "food_money"}, "contact_name": "Test Person", "contact_phone": "+000 000 000",
				})
			}
			for _, r := range f.push(tablet, "growth", ops).Results {
				if r.Status != "applied" {
					b.Fatalf("%+v", r)
				}
			}
		}
		size := func() (total, syncTables float64) {
			b.Helper()
			if _, err := f.app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
				b.Fatal(err)
			}
			var pages, pageSize int64
			if err := f.app.DB().NewQuery("PRAGMA page_count").Row(&pages); err != nil {
				b.Fatal(err)
			}
			if err := f.app.DB().NewQuery("PRAGMA page_size").Row(&pageSize); err != nil {
				b.Fatal(err)
			}
			var st int64
			// dbstat counts each table's and index's pages.
			if err := f.app.DB().NewQuery("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'sync_%' OR name LIKE 'idx_sync_%' OR name LIKE 'sqlite_autoindex_sync_%'").Row(&st); err != nil {
				b.Logf("dbstat not available: %v", err)
			}
			return float64(pages * pageSize), float64(st)
		}
		all, syncBytes := size()
		b.ReportMetric(all/total, "bytes/report")
		b.ReportMetric(syncBytes/total, "sync-bytes/report")
		if err := syncapi.Prune(f.app, time.Now().Add(syncapi.Retention+24*time.Hour)); err != nil {
			b.Fatal(err)
		}
		if _, err := f.app.DB().NewQuery("VACUUM").Execute(); err != nil {
			b.Fatal(err)
		}
		after, syncAfter := size()
		b.ReportMetric(after/total, "bytes/report-after-retention")
		b.ReportMetric(syncAfter/total, "sync-bytes/report-after-retention")
	}
}
