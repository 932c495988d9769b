package sync_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/testserver"
)

// TestSyncMigrationsGoDownAndUpAgain runs the sync migrations' own down and
// up steps (newest first), whatever other migrations exist after them.
func TestSyncMigrationsGoDownAndUpAgain(t *testing.T) {
	app := testserver.NewApp(t, false)
	files := []string{"1764116002_sync_snapshots.go", "1764116001_attachment_source_hash.go", "1764116000_sync_ops.go"}
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
	if !app.HasTable("sync_snapshots") || !app.HasTable("sync_ops") {
		t.Fatal("tables missing after migrating up again")
	}
}
