package staff_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/staff"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// benchReports is the default load: an embassy flooded with ten thousand
// reports, beside another embassy's thousand (HOMEWARD_BENCH_REPORTS
// changes it, see benchSize).
const benchReports = 10000

// seedFlood saves n reports for embassy X (and n/10 for Y) in one
// transaction, through the same hooks as any other write.
func seedFlood(b *testing.B, app *tests.TestApp, n int) {
	b.Helper()
	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	needs, langs := vocab.Needs, vocab.Languages
	words := []string{"compound", "river", "passport", "guards", "bus", "border", "phone", "money", "hotel", "building"}
	err = app.RunInTransaction(func(tx core.App) error {
		for i := 0; i < n+n/10; i++ {
			emb := embassyX
			if i >= n {
				emb = embassyY
			}
			r := core.NewRecord(col)
			r.Load(map[string]any{
				"id":                fmt.Sprintf("flood%015d", i),
				"embassy":           emb,
				"status":            vocab.Statuses[rng.IntN(len(vocab.Statuses))],
				"needs":             []string{needs[rng.IntN(len(needs))], needs[rng.IntN(len(needs))]},
				"safety_risk_now":   rng.IntN(10) == 0,
				"minors_present":    rng.IntN(20) == 0,
				"people_count":      1 + rng.IntN(8),
				"nationality":       "Indonesia",
				"language":          langs[rng.IntN(len(langs))],
				"channel":           []string{"self", "volunteer"}[rng.IntN(2)],
				"message":           words[rng.IntN(10)] + " " + words[rng.IntN(10)] + " " + words[rng.IntN(10)],
				"compound_location": words[rng.IntN(10)] + " compound",
			})
			if err := tx.Save(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// The running tallies, as the server folds them a second after a write.
	start := time.Now()
	folded, err := staff.FoldTallies(app)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("folded %d rows of the tally log in %s", folded, time.Since(start).Round(time.Millisecond))
}

// BenchmarkStaffList measures the console's requests over a flooded
// embassy, through the real HTTP stack and the collection rules:
//
//	go test ./hooks/staff -run '^$' -bench StaffList -benchtime 200x
func BenchmarkStaffList(b *testing.B) {
	app := testserver.NewApp(b, false)
	seed(b, app)
	seedFlood(b, app, benchSize(b))
	srv := startWarm(b, app)
	tok := token(b, app, staffX)

	// The console's list request: the embassy term first, as list.js sends it.
	list := "/api/collections/reports/records?perPage=50&skipTotal=1&sort=-created&fields=id,created,status,urgent,needs,people_count,nationality,message:excerpt(140,true)"
	own := `embassy = "` + embassyX + `"`
	filtered := func(f string) string { return list + "&filter=" + url.QueryEscape(own+" && "+f) }
	// The console's list route, which answers need and search from their
	// own indexes.
	route := "/api/staff/reports?perPage=50&fields=id,created,status,urgent,needs,people_count,nationality,message:excerpt(140,true)"
	wide := "/api/staff/reports?perPage=500&fields=id,created,status,urgent,needs,people_count,nationality,message:excerpt(140,true)"
	for _, c := range []struct{ name, path string }{
		{"rule only, no embassy term", list},
		{"first page", list + "&filter=" + url.QueryEscape(own)},
		{"page 20", list + "&page=20&filter=" + url.QueryEscape(own)},
		{"first page, route", route},
		{"status", filtered(`status = "in_review"`)},
		{"need, records API", filtered(`needs:each ?= "medical"`)},
		{"need", route + "&need=medical"},
		{"urgent", filtered(`urgent = true`)},
		{"safety and minors", filtered(`safety_risk_now = true && minors_present = true`)},
		{"language", filtered(`language = "km"`)},
		{"channel", filtered(`channel = "volunteer"`)},
		{"date range", filtered(`created >= "2000-01-01 00:00:00.000Z" && created < "2100-01-01 00:00:00.000Z"`)},
		{"search, records API", filtered(`(message ~ "passport" || compound_location ~ "passport" || current_location ~ "passport")`)},
		{"search, no match, records API", filtered(`(message ~ "embassy" || compound_location ~ "embassy" || current_location ~ "embassy")`)},
		{"search", route + "&q=passport"},
		{"search, no match", route + "&q=embassy"},
		{"need and search", route + "&need=medical&q=passport"},
		// The console asks for the total with every page (list.js): the
		// cube counts a search's list, report by report is the same list
		// with a term that keeps every report.
		{"search, counted", route + "&total=1&q=passport"},
		{"search, counted report by report", route + "&total=1&q=passport&filter=" + url.QueryEscape(`status != "none"`)},
		{"search, a word in every report, counted", route + "&total=1&q=compound"},
		{"search, a word in every report, counted report by report", route + "&total=1&q=compound&filter=" + url.QueryEscape(`status != "none"`)},
		{"search, report by report", route + "&q=passport&filter=" + url.QueryEscape(`status != "none"`)},
		{"search, two words in 2 % of the reports", route + "&q=" + url.QueryEscape("passport river")},
		{"search, two words in 2 % of the reports, report by report", route + "&q=" + url.QueryEscape("passport river") + "&filter=" + url.QueryEscape(`status != "none"`)},
		{"search, two words in 2 % of the reports, counted", route + "&total=1&q=" + url.QueryEscape("passport river")},
		{"search, two words in 2 % of the reports, counted report by report", route + "&total=1&q=" + url.QueryEscape("passport river") + "&filter=" + url.QueryEscape(`status != "none"`)},
		{"counts, search, two words in 2 % of the reports", "/api/staff/counts?q=" + url.QueryEscape("passport river")},
		{"search, two characters, no match", route + "&q=zq"},
		{"search, two characters, in a third of the reports", route + "&q=pa"},
		{"counts, search, two characters, no match", "/api/staff/counts?q=zq"},
		{"counts, search", "/api/staff/counts?q=passport"},
		{"counts, search, a word in every report", "/api/staff/counts?q=compound"},
		{"counts, search, report by report", "/api/staff/counts?q=passport&filter=" + url.QueryEscape(`status != "none"`)},
		{"counts, search and urgent", "/api/staff/counts?q=passport&filter=" + url.QueryEscape(`urgent = true`)},
		{"counts, search, no match", "/api/staff/counts?q=embassy"},
		// What the console reads besides a search's matches in clear: the
		// sealed reports, to open and search them itself (sealedsearch.js),
		// here none; through their index, and as a filter.
		{"a search's sealed reports, none", wide + "&sealed=1"},
		{"a search's sealed reports, none, as a filter", wide + "&filter=" + url.QueryEscape("sealed != null")},
		{"export CSV", "/api/staff/export.csv"},
		{"counts", "/api/staff/counts"},
		{"public stats", "/api/staff/stats"},
	} {
		b.Run(c.name, func(b *testing.B) { benchGet(b, srv.URL+c.path, tok) })
	}
	// A search's first page as the console reads it (SearchPages in
	// sealedsearch.js): the page of matches in clear with their total, and
	// the sealed reports, the two at once (Promise.all); and, side by side,
	// its matches in clear 500 a request up to 5,000, as it read them all
	// before showing a page.
	for _, c := range []struct{ name, q string }{
		{"a word in a third", "passport"},
		{"two words in 2 % of the reports", "passport river"},
	} {
		b.Run("search's first page as the console reads it, "+c.name, func(b *testing.B) {
			paths := []string{route + "&total=1&q=" + url.QueryEscape(c.q), wide + "&sealed=1"}
			for b.Loop() {
				errs := make([]error, len(paths))
				var wg sync.WaitGroup
				for i, path := range paths {
					wg.Go(func() { errs[i] = getOK(srv.URL+path, tok) })
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("search's first 5,000 matches, 500 a request, "+c.name, func(b *testing.B) {
			for b.Loop() {
				for page, read := 1, 0; read < 5000; page++ {
					n, err := getItems(fmt.Sprintf("%s%s&page=%d&q=%s", srv.URL, wide, page, url.QueryEscape(c.q)), tok)
					if err != nil {
						b.Fatal(err)
					}
					if read += n; n < 500 {
						break
					}
				}
			}
		})
	}
	// The trigram index alone, in the same run: every match of each search
	// above, read as the cube reads them, with no report, tally, rule or
	// answer. No request that needs all of a search's matches (its counts,
	// its total past the cap's reach) can cost less.
	for _, c := range []struct{ name, q string }{
		{"a word in a third", "passport"},
		{"a word in every report", "compound"},
		{"two words in 2 % of the reports", "passport river"},
	} {
		b.Run("the index alone, every match of "+c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				var err error
				if n, err = staff.ReadIndexMatches(app, c.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "matches")
		})
	}
	// The export streams: the heap it needs above the idle server's should
	// not grow with the number of reports exported.
	b.Run("export CSV, peak heap", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			var err error
			peak = max(peak, peakHeapDuring(func() { err = getOK(srv.URL+"/api/staff/export.csv", tok) }))
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
}

// getItems sends GET url as getOK does and returns how many items the
// list answered.
func getItems(url, tok string) (int, error) {
	var list struct{ Items []json.RawMessage }
	err := getRead(url, tok, func(body io.Reader) error { return json.NewDecoder(body).Decode(&list) })
	return len(list.Items), err
}

// peakHeapDuring runs f and returns how far the heap in use rose above
// where it stood before, sampled every millisecond.
func peakHeapDuring(f func()) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				sampled <- peak
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	f()
	close(done)
	return <-sampled - base
}

// benchGet times GET url with the Authorization header tok, failing on
// anything but 200.
func benchGet(b *testing.B, url, tok string) {
	for b.Loop() {
		if err := getOK(url, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// getOK sends GET url with the Authorization header tok and reads the
// whole answer, failing on anything but 200.
func getOK(url, tok string) error {
	return getRead(url, tok, func(body io.Reader) error {
		_, err := io.Copy(io.Discard, body)
		return err
	})
}

// getRead sends GET url with the Authorization header tok, fails on
// anything but 200, and hands the answer's body to read.
func getRead(url, tok string, read func(io.Reader) error) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return read(res.Body)
}
