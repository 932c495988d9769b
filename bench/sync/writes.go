package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/staff"
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

	find := func(prefix string) speed {
		for _, r := range results {
			if strings.HasPrefix(r.name, prefix) {
				return r.rate
			}
		}
		log.Fatalf("no result %q", prefix)
		return speed{}
	}
	// The bound is the faster way to store the same rows in the same
	// storage; the bare row (no search or needs index) is shown beside it.
	perRow, oneStmt := find("raw SQLite insert, one prepared"), find("raw SQLite insert, one statement")
	raw := speed{wall: max(perRow.wall, oneStmt.wall), cpu: max(perRow.cpu, oneStmt.cpu)}
	bare := find("raw SQLite insert of the bare")
	rest8 := find("REST create, concurrency 8")
	fmt.Println()
	fmt.Println("| write path | records/s (wall) | vs raw bound | vs bare row | vs REST c=8 | records per CPU-second | vs raw bound | vs bare row | vs REST c=8 | notes |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		fmt.Printf("| %s | %.0f | %.0f %% | %.0f %% | %.1f× | %.0f | %.0f %% | %.0f %% | %.1f× | %s |\n", r.name,
			r.rate.wall, 100*r.rate.wall/raw.wall, 100*r.rate.wall/bare.wall, r.rate.wall/rest8.wall,
			r.rate.cpu, 100*r.rate.cpu/raw.cpu, 100*r.rate.cpu/bare.cpu, r.rate.cpu/rest8.cpu, r.note)
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
	// Request bodies are encoded before the clock starts: a phone sends
	// bytes it encoded long before, and the client's encoding is not the
	// server's work.
	restBodies := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = encode(restBody())
		}
		return out
	}

	bodies := restBodies(1000)
	add("REST create, concurrency 1", "one record per request, superuser", rate(len(bodies), func() {
		for _, body := range bodies {
			b.postRaw(b.client, "/api/collections/reports/records", su, body, 200)
		}
	}))
	bodies = restBodies(2000)
	var next atomic.Int64
	add("REST create, concurrency 8", "one record per request, superuser", rate(len(bodies), func() {
		parallel(8, len(bodies), func() {
			b.postRaw(b.client, "/api/collections/reports/records", su, bodies[next.Add(1)-1], 200)
		})
	}))
	batches := make([][]byte, 20)
	for i := range batches {
		reqs := make([]map[string]any, 100)
		for j := range reqs {
			reqs[j] = map[string]any{"method": "POST", "url": "/api/collections/reports/records", "body": restBody()}
		}
		batches[i] = encode(map[string]any{"requests": reqs})
	}
	add("/api/batch, 100 creates per request", "all-or-nothing; enabled for this benchmark only", rate(2000, func() {
		for _, body := range batches {
			b.postRaw(b.client, "/api/batch", su, body, 200)
		}
	}))
	for _, size := range []int{100, 1000} {
		add(fmt.Sprintf("/api/sync/push, %d ops per request", size), "a volunteer tablet's creates with receipts, one request at a time", b.pushes(5000, size, 1))
	}
	add("app.Save per record, one transaction", "in process, no HTTP: PocketBase's record path", b.saveInTx(5000))
	add("raw SQLite insert of push's rows, one statement per table", "in process: the report (with its search and needs indexes), its change log row with its JSON, and its sync_ops row", b.rawInsert(10000, rawPushRows))
	add("raw SQLite insert of the bare report row", "in process: prepared INSERT per row into a copy of reports with its 6 indexes, no search or needs index", b.rawInsert(20000, rawBareRow))
	add("raw SQLite insert, one prepared INSERT per row", "in process: copy of reports with its indexes, the search and needs indexes written by insert triggers (as before 1764120100)", b.rawInsert(10000, rawPerRow))
	add("raw SQLite insert, one statement for all rows", "in process: the same storage, all rows in one INSERT ... SELECT FROM jsonb_each(?), then one statement per index table", b.rawInsert(10000, rawOneStatement))
}

// pushes stores n reports through /api/sync/push, size ops per request,
// with c requests at a time.
func (b *bench) pushes(n, size, c int) speed {
	bodies := make([][]byte, n/size)
	for i := range bodies {
		bodies[i] = encode(map[string]any{"device": "bench", "ops": b.pushOps(size)})
	}
	var next atomic.Int64
	return rate(n, func() {
		parallel(c, len(bodies), func() {
			out := b.postRaw(b.client, "/api/sync/push", b.tablet, bodies[next.Add(1)-1], 200)
			if strings.Count(string(out), `"applied"`) != size {
				log.Fatalf("push: not all applied: %.300s", out)
			}
		})
		// The tallies of what was pushed are part of its cost: what the
		// server has not folded yet is folded here, in the measured time.
		if _, err := staff.FoldTallies(b.app); err != nil {
			log.Fatal(err)
		}
	})
}

// pushOnly runs push of 1,000 ops alone, for a profile of it.
func (b *bench) pushOnly() {
	for round := range 3 {
		r := b.pushes(10000, 1000, 1)
		fmt.Printf("round %d: push, 1000 ops per request: %.0f records/s, %.0f per CPU-second\n", round+1, r.wall, r.cpu)
	}
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

// rawMode is how rawInsert writes its rows.
type rawMode int

const (
	rawBareRow      rawMode = iota // reports only, no triggers, one prepared INSERT per row
	rawPerRow                      // reports with insert triggers indexing each row, one prepared INSERT per row
	rawOneStatement                // reports, one INSERT for all rows, then one per index table
	rawPushRows                    // rawOneStatement plus the change log and sync_ops rows
)

// rawInsert is the lower bound for this storage: the same report rows
// inserted in one transaction through PocketBase's own connection (same
// driver, same PRAGMAs), into copies of the tables holding the same rows,
// with the same indexes and triggers and, except for rawBareRow, the same
// search and needs index rows. Nothing is validated or encoded but the
// rows themselves.
func (b *bench) rawInsert(n int, mode rawMode) speed {
	db := b.app.NonconcurrentDB().(*dbx.DB)
	tables := []string{"reports"}
	if mode != rawBareRow {
		tables = append(tables, "report_needs", "report_search_rows", "report_search",
			// The log the reports' triggers append their counted
			// columns to (folded into the tallies by the server).
			"report_tally_log")
	}
	if mode == rawPushRows {
		tables = append(tables, "sync_changes", "sync_ops")
	}
	raw := copyTables(db, tables, mode != rawBareRow)
	if mode == rawPerRow {
		// New reports are indexed from Go since 1764120100; the per-row
		// mode keeps the insert triggers that did it before, for comparison.
		for _, trigger := range rawInsertTriggers {
			if _, err := db.NewQuery(fmt.Sprintf(trigger, raw["reports"], raw["report_needs"], raw["report_search_rows"], raw["report_search"])).Execute(); err != nil {
				log.Fatal(err)
			}
		}
	}
	// The copies start as full as the real tables, so the bound writes into
	// indexes (above all the search index) as large as the ones the other
	// paths write into.
	for _, t := range []string{"reports", "sync_changes", "sync_ops"} {
		if copy, ok := raw[t]; ok {
			if _, err := db.NewQuery("INSERT INTO " + copy + " SELECT * FROM " + t).Execute(); err != nil {
				log.Fatal(err)
			}
		}
	}
	r := b.report()
	// The change row carries what push writes there: a pushed report's
	// public JSON, all its fields.
	var snapshot string
	if err := db.NewQuery("SELECT data FROM sync_changes WHERE collection = 'reports' AND data IS NOT NULL LIMIT 1").Row(&snapshot); err != nil {
		log.Fatalf("no pushed report to copy the change JSON of: %v", err)
	}
	hash := strings.Repeat("ab", 32)
	cols := "id, embassy, message, needs, people_count, nationality, language, passport_held, compound_location, consent_contact, consent_version, status, channel, version, created, updated"
	now := "strftime('%Y-%m-%d %H:%M:%fZ')"
	perRow := "INSERT INTO " + raw["reports"] + " (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 'self', 1, " + now + ", " + now + ")"
	fromJSON := func(table, cols string, n int, tail string) string {
		sel := make([]string, n)
		for i := range sel {
			sel[i] = fmt.Sprintf("r.value ->> %d", i)
		}
		return "INSERT INTO " + table + " (" + cols + ") SELECT " + strings.Join(sel, ", ") + tail + " FROM jsonb_each(?) r"
	}
	allRows := fromJSON(raw["reports"], cols, 11, ", 'new', 'self', 1, "+now+", "+now)
	reportRow := func(id string) []any {
		return []any{id, r["embassy"], r["message"], `["shelter","medical","documents"]`, 3, r["nationality"], r["language"], r["passport_held"], r["compound_location"], true, r["consent_version"]}
	}
	return rate(n, func() {
		tx, err := db.DB().Begin()
		if err != nil {
			log.Fatal(err)
		}
		must := func(_ sql.Result, err error) {
			if err != nil {
				log.Fatal(err)
			}
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = newId()
		}
		switch mode {
		case rawBareRow, rawPerRow:
			stmt, err := tx.Prepare(perRow)
			if err != nil {
				log.Fatal(err)
			}
			for _, id := range ids {
				must(stmt.Exec(reportRow(id)...))
			}
			stmt.Close()
		default:
			reports := make([][]any, n)
			for i, id := range ids {
				reports[i] = reportRow(id)
			}
			must(tx.Exec(allRows, jsonRows(reports)))
			idList, _ := json.Marshal(ids)
			for _, index := range rawIndexStatements {
				must(tx.Exec(fmt.Sprintf(index, raw["reports"], raw["report_needs"], raw["report_search_rows"], raw["report_search"]), string(idList)))
			}
			if mode != rawPushRows {
				break
			}
			changes := make([][]any, n)
			ops := make([][]any, n)
			for i, id := range ids {
				changes[i] = []any{"reports", id, "upsert", 1, r["embassy"], "", id, snapshot}
				// An anonymous phone's op is kept under a keyed hash.
				ops[i] = []any{"g", fmt.Sprintf("%x", sha256.Sum256([]byte(id))), "create", "reports", id, hash, 1}
			}
			must(tx.Exec(fromJSON(raw["sync_changes"], "collection, record, kind, version, embassy, volunteer, report, data", 8, ""), jsonRows(changes)))
			must(tx.Exec(fromJSON(raw["sync_ops"], "device, op, kind, collection, record, hash, version", 7, ""), jsonRows(ops)))
		}
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	})
}

// rawIndexStatements index the reports whose ids are in the JSON array ?,
// one statement per table, as hooks/reportindex does for a push; the
// tables are reports, report_needs, report_search_rows and report_search.
var rawIndexStatements = []string{
	`INSERT OR IGNORE INTO %[2]s (report, embassy, need, created)
		SELECT r.id, r.embassy, j.value, r.created FROM json_each(?1) q JOIN %[1]s r ON r.id = q.value,
			json_each(CASE WHEN json_valid(r.needs) THEN r.needs ELSE '[]' END) j
		WHERE j.type = 'text'`,
	`INSERT INTO %[3]s (report, embassy) SELECT r.id, r.embassy FROM json_each(?1) q JOIN %[1]s r ON r.id = q.value ORDER BY q.key`,
	`INSERT INTO %[4]s (rowid, message, compound_location, current_location)
		SELECT s.n, homeward_fold(r.message), homeward_fold(r.compound_location), homeward_fold(r.current_location)
		FROM json_each(?1) q JOIN %[3]s s ON s.report = q.value JOIN %[1]s r ON r.id = q.value`,
}

// rawInsertTriggers are the insert triggers that indexed each new report
// before 1764120100, for the same tables.
var rawInsertTriggers = []string{
	`CREATE TRIGGER %[1]s_needs_insert AFTER INSERT ON %[1]s BEGIN
		INSERT OR IGNORE INTO %[2]s (report, embassy, need, created)
			SELECT new.id, new.embassy, j.value, new.created
			FROM json_each(CASE WHEN json_valid(new.needs) THEN new.needs ELSE '[]' END) j
			WHERE j.type = 'text';
	END`,
	`CREATE TRIGGER %[1]s_search_insert AFTER INSERT ON %[1]s BEGIN
		INSERT INTO %[3]s (report, embassy) VALUES (new.id, new.embassy);
		INSERT INTO %[4]s (rowid, message, compound_location, current_location)
			VALUES (last_insert_rowid(), homeward_fold(new.message), homeward_fold(new.compound_location), homeward_fold(new.current_location));
	END`,
}

// jsonRows encodes rows as a JSON array of arrays.
func jsonRows(rows [][]any) string {
	out, err := json.Marshal(rows)
	if err != nil {
		log.Fatal(err)
	}
	return string(out)
}

// copyTables makes empty copies of tables (and views) named table_raw,
// with their indexes and (withTriggers) their triggers, every name inside
// them pointing at the copies (a column named like a copied table, such as
// report_tallies.reports, is renamed alike everywhere); it returns the
// copies' names.
func copyTables(db *dbx.DB, tables []string, withTriggers bool) map[string]string {
	type object struct{ Type, Name, SQL string }
	var objects []object
	for _, table := range tables {
		var rows []struct {
			Type string `db:"type"`
			Name string `db:"name"`
			SQL  string `db:"sql"`
		}
		err := db.NewQuery("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = {:t} AND sql IS NOT NULL").
			Bind(dbx.Params{"t": table}).All(&rows)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			if r.Type == "trigger" && !withTriggers {
				continue
			}
			objects = append(objects, object{r.Type, r.Name, r.SQL})
		}
	}
	names := slices.Clone(tables)
	for _, o := range objects {
		names = append(names, o.Name)
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	rename := regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
	for _, o := range objects {
		if o.Type == "table" || o.Type == "view" {
			db.NewQuery("DROP " + strings.ToUpper(o.Type) + " IF EXISTS " + o.Name + "_raw").Execute()
		}
	}
	// Tables first, then what refers to them.
	for _, kind := range []string{"table", "view", "index", "trigger"} {
		for _, o := range objects {
			if o.Type != kind {
				continue
			}
			stmt := rename.ReplaceAllString(o.SQL, "${1}_raw")
			if _, err := db.NewQuery(stmt).Execute(); err != nil {
				log.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	out := map[string]string{}
	for _, t := range tables {
		out[t] = t + "_raw"
	}
	return out
}
