package testserver

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FilesHolding lists the files under dir (its database, write-ahead log,
// auxiliary database, storage, backups) whose bytes hold text: what a
// seized data dir would give up.
func FilesHolding(t testing.TB, dir, text string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(text)) {
			found = append(found, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// NoFileHolds fails t for each file under dir that holds text.
func NoFileHolds(t testing.TB, dir, text string) {
	t.Helper()
	for _, path := range FilesHolding(t, dir, text) {
		t.Errorf("%s holds %q", path, text)
	}
}
