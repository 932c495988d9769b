package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/archive"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/internal/receipts"
	"homeward/internal/testserver"
)

// TestBackupRestoreKeepsEveryRecordAndFile fills an app, takes a
// PocketBase backup, restores it into a fresh data dir the way
// `RestoreBackup` does (extract over an empty dir) and compares every
// record of every Homeward collection and every stored file.
func TestBackupRestoreKeepsEveryRecordAndFile(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	seed(t, app)
	photo := []byte("\xff\xd8\xff\xe0 not really a jpeg, but bytes to compare")
	att, err := app.FindRecordById("attachments", attXA)
	if err != nil {
		t.Fatal(err)
	}
	f, err := filesystem.NewFileFromBytes(photo, "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	att.Set("file", f)
	if err := app.Save(att); err != nil {
		t.Fatal(err)
	}
	// As stored: sealed to embassy X's key, which the seed gives it.
	stored := testserver.ReadFile(t, app, att, "file")

	keys, err := receipts.Load(app.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	const code = "1234 5678 9012 3456 7890"

	if err := app.CreateBackup(context.Background(), "nightly.zip"); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "pb_data")
	zipPath := filepath.Join(app.DataDir(), core.LocalBackupsDirName, "nightly.zip")
	if err := archive.Extract(zipPath, restored); err != nil {
		t.Fatal(err)
	}
	copyApp := testserver.NewAppFrom(t, restored)

	for _, col := range collections {
		if got, want := dump(t, copyApp, col), dump(t, app, col); got != want {
			t.Errorf("%s differs after restore:\n got %s\nwant %s", col, got, want)
		}
	}
	restoredAtt, err := copyApp.FindRecordById("attachments", attXA)
	if err != nil {
		t.Fatal(err)
	}
	if got := testserver.ReadFile(t, copyApp, restoredAtt, "file"); !bytes.Equal(got, stored) {
		t.Errorf("restored file = %q, want %q", got, stored)
	}
	// The receipt key travels with the backup, or no reporter could follow up.
	restoredReceipts, err := receipts.Load(copyApp.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustHash(t, keys, code), mustHash(t, restoredReceipts, code); a != b {
		t.Error("the restored data dir hashes receipts differently: the receipt key was not backed up")
	}
	if n, _ := copyApp.CountRecords("reports"); n != 4 {
		t.Errorf("restored reports = %d, want 4", n)
	}
}

func mustHash(t testing.TB, r receipts.Keys, code string) string {
	h, err := r.Hash(code)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// dump is every record of a collection, hidden fields included.
func dump(t testing.TB, app core.App, col string) string {
	records, err := app.FindAllRecords(col)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, 0, len(records))
	for _, r := range records {
		out = append(out, r.FieldsData())
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
