package qr_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/qr"
	"homeward/internal/testserver"
)

func TestKeyFileIsPrivateAndSurvivesARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ring := qr.NewKeyring(dir)
	first, err := ring.Current()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(ring.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(ring.Path())
	var file struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || len(file.Keys) != 1 || file.Keys[0]["kid"] != first.Kid {
		t.Fatalf("key file %s", raw)
	}

	again, err := qr.NewKeyring(dir).Current()
	if err != nil || again.Kid != first.Kid || !again.Private.Equal(first.Private) {
		t.Fatalf("a new process made key %q, want the stored %q", again.Kid, first.Kid)
	}

	t.Run("a widened mode is narrowed again", func(t *testing.T) {
		os.Chmod(ring.Path(), 0o644)
		other := qr.NewKeyring(dir)
		if _, err := other.Current(); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(ring.Path())
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode().Perm())
		}
	})
}

// TestRunningServerSeesARotationByTheCommand: the command runs as another
// process would, on its own key ring over the same file.
func TestRunningServerSeesARotationByTheCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	server := qr.NewKeyring(dir)
	before, _ := server.Current()
	cli := qr.NewKeyring(dir)
	made, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	now, err := server.Current()
	if err != nil || now.Kid != made.Kid {
		t.Fatalf("server signs with %q after rotation, want %q", now.Kid, made.Kid)
	}
	if _, ok, _ := server.Verifying(before.Kid); !ok {
		t.Fatal("the old key stopped verifying at rotation")
	}
	if err := cli.Retire(before.Kid); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := server.Verifying(before.Kid); ok {
		t.Fatal("the server still trusts a retired key")
	}
	if err := cli.Retire(before.Kid); !errors.Is(err, qr.ErrAlreadyRetired) {
		t.Fatalf("retiring twice: %v", err)
	}
	if err := cli.Retire("nokey1"); !errors.Is(err, qr.ErrUnknownKey) {
		t.Fatalf("retiring an unknown key: %v", err)
	}
	raw, _ := os.ReadFile(server.Path())
	if strings.Count(string(raw), `"private"`) != 1 {
		t.Fatalf("a retired key kept its private part:\n%s", raw)
	}
}

func TestKeyCommands(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	run := func(args ...string) (string, error) {
		return testserver.RunCommand(qr.NewCommand(app), args...)
	}
	out, err := run("keys")
	if err != nil || !strings.Contains(out, "signs and verifies") {
		t.Fatalf("keys: %v\n%s", err, out)
	}
	first, _ := qr.KeyringFor(app).Current()

	out, err = run("rotate-key")
	if err != nil || !strings.Contains(out, "New signing key") {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	second, _ := qr.KeyringFor(app).Current()
	if second.Kid == first.Kid || !strings.Contains(out, second.Kid) {
		t.Fatalf("rotate-key made %q, output %q", second.Kid, out)
	}

	if out, err := run("retire-key", second.Kid); err == nil {
		t.Fatalf("retiring the current key worked:\n%s", out)
	}
	out, err = run("retire-key", first.Kid)
	if err != nil || !strings.Contains(out, "retired") {
		t.Fatalf("retire-key: %v\n%s", err, out)
	}
	out, _ = run("keys")
	if !strings.Contains(out, first.Kid) || !strings.Contains(out, "retired") {
		t.Fatalf("keys after retiring:\n%s", out)
	}
}

// TestConcurrentProcessesLoseNoKey: several key rings over one data dir
// stand for the server and key commands running at once.
func TestConcurrentProcessesLoseNoKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := qr.NewKeyring(dir).Current()
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = k.Kid
		})
	}
	wg.Wait()
	for _, kid := range kids {
		if kid != kids[0] {
			t.Fatalf("first start made different keys: %v", kids)
		}
	}

	for range n {
		wg.Go(func() {
			if _, err := qr.NewKeyring(dir).Rotate(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := qr.NewKeyring(dir).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n+1 {
		t.Fatalf("%d keys after %d concurrent rotations of one, want %d", len(keys), n, n+1)
	}
	if _, err := os.Stat(filepath.Join(dir, "qr_signing_keys.json.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock left behind: %v", err)
	}
}
