package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// writes compares the ways to store the same report rows.
func (b *bench) writes() {
	su := "Bearer " + b.superuser
	restBody := func() map[string]any {
		r := b.report()
		r["id"], r["channel"] = newId(), "self"
		return r
	}

	type result struct {
		name string
		rate speed
		note string
	}
	var results []result
	round := 0
	// Each path runs writeRounds times, interleaved with the others; the
	// best round counts, since other load on the machine only slows a run.
	add := func(name, note string, r speed) {
		fmt.Printf("  round %d: %-44s %8.0f records/s, %8.0f per CPU-second\n", round+1, name, r.wall, r.cpu)
		for i := range results {
			if results[i].name == name {
				results[i].rate.wall = max(results[i].rate.wall, r.wall)
				results[i].rate.cpu = max(results[i].rate.cpu, r.cpu)
				return
			}
		}
		results = append(results, result{name, r, note})
	}
	for round = 0; round < writeRounds; round++ {
		b.writeRound(su, restBody, add)
	}

	raw := results[len(results)-1].rate
	rest8 := results[1].rate
	fmt.Println()
	fmt.Println("| write path | records/s (wall) | vs raw bound | vs REST c=8 | records per CPU-second | vs raw bound | vs REST c=8 | notes |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		fmt.Printf("| %s | %.0f | %.0f %% | %.1f× | %.0f | %.0f %% | %.1f× | %s |\n", r.name,
			r.rate.wall, 100*r.rate.wall/raw.wall, r.rate.wall/rest8.wall,
			r.rate.cpu, 100*r.rate.cpu/raw.cpu, r.rate.cpu/rest8.cpu, r.note)
	}
	fmt.Println()
}

// writeRounds is how many times each write path is measured.
const writeRounds = 3

func (b *bench) writeRound(su string, restBody func() map[string]any, add func(name, note string, r speed)) {
	// Warm up connections, caches and the page cache.
	for range 50 {
		b.post(b.client, "/api/collections/reports/records", su, restBody(), 200)
	}

	add("REST create, concurrency 1", "one record per request, superuser", rate(1000, func() {
		for range 1000 {
			b.post(b.client, "/api/collections/reports/records", su, restBody(), 200)
		}
	}))
	add("REST create, concurrency 8", "one record per request, superuser", rate(2000, func() {
		parallel(8, 2000, func() { b.post(b.client, "/api/collections/reports/records", su, restBody(), 200) })
	}))
	add("/api/batch, 100 creates per request", "all-or-nothing; enabled for this benchmark only", rate(2000, func() {
		for range 20 {
			reqs := make([]map[string]any, 100)
			for i := range reqs {
				reqs[i] = map[string]any{"method": "POST", "url": "/api/collections/reports/records", "body": restBody()}
			}
			b.post(b.client, "/api/batch", su, map[string]any{"requests": reqs}, 200)
		}
	}))
	for _, size := range []int{100, 1000} {
		batches := 5000 / size
		bodies := make([]map[string]any, batches)
		for i := range bodies {
			bodies[i] = map[string]any{"device": "bench", "ops": b.pushOps(size)}
		}
		add(fmt.Sprintf("/api/sync/push, %d ops per request", size), "anonymous reporter creates with receipts", rate(5000, func() {
			for _, body := range bodies {
				out := b.post(b.client, "/api/sync/push", "", body, 200)
				if strings.Count(string(out), `"applied"`) != size {
					log.Fatalf("push: not all applied: %.300s", out)
				}
			}
		}))
	}
	add("app.Save per record, one transaction", "in process, no HTTP: the record path push uses", b.saveInTx(5000))
	add("raw SQLite insert of push's four rows, one transaction", "in process: prepared INSERTs of the report, change log, snapshot and sync_ops rows into copies of those tables", b.rawInsertWithLog(10000))
	add("raw SQLite insert, one transaction", "in process: prepared INSERT into a copy of reports with its indexes", b.rawInsert(20000))
}

// saveInTx stores n reports with app.Save inside one transaction.
func (b *bench) saveInTx(n int) speed {
	col, err := b.app.FindCollectionByNameOrId("reports")
	if err != nil {
		log.Fatal(err)
	}
	return rate(n, func() {
		err := b.app.RunInTransaction(func(txApp core.App) error {
			for range n {
				rec := core.NewRecord(col)
				rec.Id = newId()
				rec.Load(b.report())
				if err := txApp.Save(rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	})
}

// copyTable makes an empty copy of table, with its indexes, named
// table_raw; it returns the copy's name.
func copyTable(db *dbx.DB, table string) string {
	raw := table + "_raw"
	db.NewQuery("DROP TABLE IF EXISTS " + raw).Execute()
	var ddl []string
	if err := db.NewQuery("SELECT sql FROM sqlite_master WHERE tbl_name = {:t} AND sql IS NOT NULL").Bind(dbx.Params{"t": table}).Column(&ddl); err != nil {
		log.Fatal(err)
	}
	for _, stmt := range ddl {
		stmt = strings.Replace(stmt, "`"+table+"`", "`"+raw+"`", 1)
		stmt = strings.Replace(stmt, "idx_", "raw_idx_", 1)
		if _, err := db.NewQuery(stmt).Execute(); err != nil {
			log.Fatalf("%s: %v", stmt, err)
		}
	}
	return raw
}

// rawInsertWithLog is the lower bound for what a push stores per report:
// the report row plus its change log row, its snapshot and its sync_ops
// row, each with one prepared INSERT into a copy of its table (indexes
// included), in one transaction. The snapshot is a fixed JSON text, so no
// encoding is counted.
func (b *bench) rawInsertWithLog(n int) speed {
	db := b.app.NonconcurrentDB().(*dbx.DB)
	reports, changes, snapshots, ops := copyTable(db, "reports"), copyTable(db, "sync_changes"), copyTable(db, "sync_snapshots"), copyTable(db, "sync_ops")
	r := b.report()
	snapshot, _ := json.Marshal(r)
	return rate(n, func() {
		tx, err := db.DB().Begin()
		if err != nil {
			log.Fatal(err)
		}
		prepare := func(sql string) *sql.Stmt {
			stmt, err := tx.Prepare(sql)
			if err != nil {
				log.Fatal(err)
			}
			return stmt
		}
		insReport := prepare("INSERT INTO " + reports + " (id, embassy, message, needs, people_count, nationality, language, passport_held, compound_location, consent_contact, consent_version, status, channel, version, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 'self', 1, strftime('%Y-%m-%d %H:%M:%fZ'), strftime('%Y-%m-%d %H:%M:%fZ'))")
		insChange := prepare("INSERT INTO " + changes + " (collection, record, kind, version, embassy, volunteer, report) VALUES ('reports', ?, 'upsert', 1, ?, '', ?)")
		insSnapshot := prepare("INSERT INTO " + snapshots + " (collection, record, data) VALUES ('reports', ?, ?)")
		insOp := prepare("INSERT INTO " + ops + " (device, op, kind, collection, record, hash, version) VALUES ('g:bench', ?, 'create', 'reports', ?, ?, 1)")
		hash := strings.Repeat("ab", 32)
		must := func(_ sql.Result, err error) {
			if err != nil {
				log.Fatal(err)
			}
		}
		for range n {
			id := newId()
			must(insReport.Exec(id, r["embassy"], r["message"], `["shelter","medical","documents"]`, 3, r["nationality"], r["language"], r["passport_held"], r["compound_location"], true, r["consent_version"]))
			must(insChange.Exec(id, r["embassy"], id))
			must(insSnapshot.Exec(id, string(snapshot)))
			must(insOp.Exec("op-"+id, id, hash))
		}
		for _, stmt := range []*sql.Stmt{insReport, insChange, insSnapshot, insOp} {
			stmt.Close()
		}
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	})
}

// rawInsert is the lower bound for this storage: the same rows inserted
// with one prepared statement in one transaction, through PocketBase's own
// connection (same driver, same PRAGMAs), into a copy of the reports table
// with the same indexes.
func (b *bench) rawInsert(n int) speed {
	db := b.app.NonconcurrentDB().(*dbx.DB)
	db.NewQuery("DROP TABLE IF EXISTS reports_raw").Execute()
	var ddl []string
	if err := db.NewQuery("SELECT sql FROM sqlite_master WHERE tbl_name = 'reports' AND sql IS NOT NULL").Column(&ddl); err != nil {
		log.Fatal(err)
	}
	for _, stmt := range ddl {
		stmt = strings.Replace(stmt, "`reports`", "`reports_raw`", 1)
		stmt = strings.Replace(stmt, "idx_", "raw_idx_", 1)
		if _, err := db.NewQuery(stmt).Execute(); err != nil {
			log.Fatalf("%s: %v", stmt, err)
		}
	}
	r := b.report()
	return rate(n, func() {
		tx, err := db.DB().Begin()
		if err != nil {
			log.Fatal(err)
		}
		stmt, err := tx.Prepare("INSERT INTO reports_raw (id, embassy, message, needs, people_count, nationality, language, passport_held, compound_location, consent_contact, consent_version, status, channel, version, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 'self', 1, strftime('%Y-%m-%d %H:%M:%fZ'), strftime('%Y-%m-%d %H:%M:%fZ'))")
		if err != nil {
			log.Fatal(err)
		}
		for range n {
			if _, err := stmt.Exec(newId(), r["embassy"], r["message"], `["shelter","medical","documents"]`, 3, r["nationality"], r["language"], r["passport_held"], r["compound_location"], true, r["consent_version"]); err != nil {
				log.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	})
}
