package main

import (
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
)

// pullRepeats is how many times each pull is timed; the median is reported.
const pullRepeats = 300

// pulls times "the last 100 changes" at growing change log sizes: the sync
// pull over HTTP, the raw indexed query it is built on, and PocketBase's
// record list for comparison.
func (b *bench) pulls(sizes string) {
	// Real reports for the change rows to point at.
	for range 2 {
		b.post(b.client, "/api/sync/push", b.tablet, map[string]any{"device": "pullbench", "ops": b.pushOps(500)}, 200)
	}
	var ids []string
	if err := b.app.DB().Select("id").From("reports").Limit(1000).Column(&ids); err != nil {
		log.Fatal(err)
	}

	fmt.Println("| change log rows | raw `seq > ?` query | pull's query (+ data column) | ÷ raw | pull handler, in process | ÷ raw | GET /api/sync/pull over loopback | ÷ raw | record list, skipTotal (loopback) | GET /api/health (loopback floor) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range strings.Split(sizes, ",") {
		target, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatal(err)
		}
		rows := b.fillChanges(target, ids)
		var head int64
		b.app.DB().NewQuery("SELECT MAX(seq) FROM sync_changes").Row(&head)
		after := head - 100

		// The raw query reads the log columns; the pull's own query is the
		// same range read with each record's JSON as well.
		lastChanges := func(cols ...string) func() {
			return func() {
				var rows []struct {
					Seq        int64          `db:"seq"`
					Collection string         `db:"collection"`
					Record     string         `db:"record"`
					Kind       string         `db:"kind"`
					Version    int            `db:"version"`
					Data       sql.NullString `db:"data"`
				}
				err := b.app.DB().Select(cols...).From("sync_changes").
					Where(dbx.HashExp{"embassy": b.embassy}).AndWhere(dbx.NewExp("seq > {:a}", dbx.Params{"a": after})).
					OrderBy("seq").Limit(101).All(&rows)
				if err != nil || len(rows) != 100 {
					log.Fatalf("query of %v: %d rows, %v", cols, len(rows), err)
				}
			}
		}
		logCols := []string{"seq", "collection", "record", "kind", "version"}
		raw := median(lastChanges(logCols...))
		withData := median(lastChanges(append(logCols, "data")...))
		cursor := "c1." + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(after, 10))) // the server's cursor format
		pull := median(func() { b.get("/api/sync/pull?limit=100&cursor="+cursor, "Bearer "+b.staff, `"has_more":false`) })
		inProcess := median(func() {
			req := httptest.NewRequest(http.MethodGet, "/api/sync/pull?limit=100&cursor="+cursor, nil)
			req.Header.Set("Authorization", "Bearer "+b.staff)
			rec := httptest.NewRecorder()
			b.srv.Handler.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"has_more":false`) {
				log.Fatalf("in-process pull: %d", rec.Code)
			}
		})
		list := medianOf(listRepeats, func() {
			b.get("/api/collections/reports/records?perPage=100&skipTotal=1&sort=-created", "Bearer "+b.staff, `"items"`)
		})
		health := median(func() { b.get("/api/health", "", `"code"`) })
		fmt.Printf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", rows, ms(raw), ms(withData), ratio(withData, raw), ms(inProcess), ratio(inProcess, raw),
			ms(pull), ratio(pull, raw), ms(list), ms(health))
	}
	fmt.Println()
}

// fillChanges appends change rows for the bench embassy until the log
// holds target rows, in one transaction with a prepared statement, and
// returns how many it holds. The log keeps one row per record, so each row
// gets a record id of its own, with the JSON of a real report.
func (b *bench) fillChanges(target int, ids []string) int {
	var n int
	b.app.DB().NewQuery("SELECT COUNT(*) FROM sync_changes").Row(&n)
	if n >= target {
		return n
	}
	tx, err := b.app.NonconcurrentDB().(*dbx.DB).DB().Begin()
	if err != nil {
		log.Fatal(err)
	}
	var data string
	if err := tx.QueryRow("SELECT data FROM sync_changes WHERE record = ?", ids[0]).Scan(&data); err != nil {
		log.Fatal(err)
	}
	stmt, err := tx.Prepare("INSERT INTO sync_changes (collection, record, kind, version, embassy, volunteer, report, data) VALUES ('reports', ?, 'upsert', 1, ?, '', ?, ?)")
	if err != nil {
		log.Fatal(err)
	}
	for i := n; i < target; i++ {
		id := fmt.Sprintf("bench%015d", i)
		if _, err := stmt.Exec(id, b.embassy, id, data); err != nil {
			log.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	return target
}

func (b *bench) get(path, auth, want string) {
	req, _ := http.NewRequest(http.MethodGet, b.url+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := b.client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), want) {
		log.Fatalf("GET %s: %d %.200s", path, res.StatusCode, body)
	}
}

// timing is a measured call: the median wall time, and the mean CPU time
// of this process per call (steady under other load on the machine).
type timing struct {
	wall, cpu time.Duration
}

// listRepeats is smaller: PocketBase's list sorts the whole table.
const listRepeats = 15

// median times fn pullRepeats times, after a warm-up.
func median(fn func()) timing {
	return medianOf(pullRepeats, fn)
}

func medianOf(repeats int, fn func()) timing {
	for range min(20, repeats) {
		fn()
	}
	times := make([]time.Duration, repeats)
	startCPU := cpuTime()
	for i := range times {
		start := time.Now()
		fn()
		times[i] = time.Since(start)
	}
	cpu := (cpuTime() - startCPU) / time.Duration(repeats)
	slices.Sort(times)
	return timing{wall: times[len(times)/2], cpu: cpu}
}

func ms(t timing) string {
	return fmt.Sprintf("%.2f ms (CPU %.2f)", float64(t.wall.Microseconds())/1000, float64(t.cpu.Microseconds())/1000)
}

func ratio(a, b timing) string {
	return fmt.Sprintf("%.1f× (CPU %.1f×)", float64(a.wall)/float64(b.wall), float64(a.cpu)/float64(b.cpu))
}
