package syncapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/testserver"
)

// TestSyncMigrationsGoDownAndUpAgain runs the sync migrations' own down and
// up steps (newest first), whatever other migrations exist after them.
func TestSyncMigrationsGoDownAndUpAgain(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	files := []string{"1764119000_sync_changes_data.go", "1764116002_sync_snapshots.go", "1764116001_attachment_source_hash.go", "1764116000_sync_ops.go"}
	var mine []*core.Migration
	for _, file := range files {
		i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == file })
		if i < 0 {
			t.Fatalf("migration %s not registered", file)
		}
		mine = append(mine, core.AppMigrations.Items()[i])
	}
	for _, m := range mine {
		if err := m.Down(app); err != nil {
			t.Fatalf("%s down: %v", m.File, err)
		}
	}
	for _, table := range []string{"sync_ops", "sync_snapshots"} {
		if app.HasTable(table) {
			t.Fatalf("%s still there after the down step", table)
		}
	}
	if att, _ := app.FindCollectionByNameOrId("attachments"); att.Fields.GetByName("source_sha256") != nil {
		t.Fatal("attachments.source_sha256 still there after the down step")
	}
	for i := len(mine) - 1; i >= 0; i-- {
		if err := mine[i].Up(app); err != nil {
			t.Fatalf("%s up: %v", mine[i].File, err)
		}
	}
	if app.HasTable("sync_snapshots") || !app.HasTable("sync_ops") {
		t.Fatal("sync_ops missing or sync_snapshots back after migrating up again")
	}
	if _, err := app.DB().NewQuery("SELECT data FROM sync_changes LIMIT 1").Execute(); err != nil {
		t.Fatalf("sync_changes.data missing after migrating up again: %v", err)
	}
}

// TestChangeLogMigrationKeepsTheLatestChange replays the move from
// snapshots to data in the change log on a log with history: each record
// keeps one row, its latest, with its JSON; tombstones keep no content.
func TestChangeLogMigrationKeepsTheLatestChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	kept, gone := newId(), newId()
	f.push(nil, "d", []op{reportCreate("1", kept, f.embassy[0], rcpt, nil), reportCreate("2", gone, f.embassy[0], rcpt, nil)})
	rec, err := f.app.FindRecordById("reports", kept)
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("status", "in_review")
	if err := f.app.Save(rec); err != nil {
		t.Fatal(err)
	}
	other, _ := f.app.FindRecordById("reports", gone)
	if err := f.app.Delete(other); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == "1764119000_sync_changes_data.go" })
	m := core.AppMigrations.Items()[i]
	if err := m.Down(f.app); err != nil {
		t.Fatal(err)
	}
	// The old layout had a row per change: put older history back.
	_, err = f.app.DB().NewQuery(`INSERT INTO sync_changes (seq, collection, record, kind, version, embassy, report)
		VALUES (-2, 'reports', {:kept}, 'upsert', 1, {:emb}, {:kept}), (-1, 'reports', {:gone}, 'upsert', 1, {:emb}, {:gone})`).
		Bind(map[string]any{"kept": kept, "gone": gone, "emb": f.embassy[0]}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(f.app); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Record  string  `db:"record"`
		Kind    string  `db:"kind"`
		Version int     `db:"version"`
		Data    *string `db:"data"`
	}
	var rows []row
	if err := f.app.DB().NewQuery("SELECT record, kind, version, data FROM sync_changes ORDER BY seq").All(&rows); err != nil {
		t.Fatal(err)
	}
	byRecord := map[string][]row{}
	for _, r := range rows {
		byRecord[r.Record] = append(byRecord[r.Record], r)
	}
	if k := byRecord[kept]; len(k) != 1 || k[0].Kind != "upsert" || k[0].Data == nil || !strings.Contains(*k[0].Data, `"in_review"`) {
		t.Fatalf("kept report's rows after the migration: %+v, want one upsert with its latest JSON", k)
	}
	if g := byRecord[gone]; len(g) != 1 || g[0].Kind != "delete" || g[0].Data != nil {
		t.Fatalf("deleted report's rows after the migration: %+v, want only its tombstone", g)
	}
}

// TestGuestOpKeysMigrationUnlinksOldRows: rows kept the old way, under
// "g:<device id>" with the client's op id, are rewritten to the keyed form,
// and the phone's ops are still found by their op id afterwards.
func TestGuestOpKeysMigrationUnlinksOldRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.push(nil, "phone-x", []op{reportCreate("op-1", newId(), f.embassy[0], newReceipt(), nil)})
	if _, err := f.app.DB().NewQuery("UPDATE sync_ops SET device = 'g:phone-x', op = 'op-1'").Execute(); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == "1764119200_sync_ops_guest_keys.go" })
	if err := core.AppMigrations.Items()[i].Up(f.app); err != nil {
		t.Fatal(err)
	}
	var device, key string
	if err := f.app.DB().NewQuery("SELECT device, op FROM sync_ops").Row(&device, &key); err != nil {
		t.Fatal(err)
	}
	if device != "g" || len(key) != 64 {
		t.Fatalf("row (%q, %q), want device \"g\" and a keyed hash", device, key)
	}
	// Only the op's own row can tell that op-1 was used for other content.
	res := f.push(nil, "phone-x", []op{reportCreate("op-1", newId(), f.embassy[0], newReceipt(), nil)})
	if r := res.Results[0]; r.Status != "conflict" || r.Error["data"].(map[string]any)["code"] != "op_reused" {
		t.Fatalf("got %+v, want conflict op_reused", r)
	}
}
