package accounts_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"homeward/internal/binarytest"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

// readmeBlock is the README's "First accounts" ```sh block, as written.
func readmeBlock(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(binarytest.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## First accounts")
	if !ok {
		t.Fatal("README.md has no First accounts section")
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("the First accounts section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestReadmeFirstAccounts runs the README's commands verbatim with the real
// binary on a fresh data dir (a shell function stands in for "go run ."
// and adds the test's --dir), then signs every new account in.
func TestReadmeFirstAccounts(t *testing.T) {
	s := binarytest.New(t, t.TempDir())
	script := `go() { shift 2; "$HOMEWARD_BIN" "$@" --dir "$HOMEWARD_DIR"; }` + "\nset -e\n" + readmeBlock(t)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "HOMEWARD_BIN="+binarytest.Build(t), "HOMEWARD_DIR="+s.DataDir)
	raw, err := cmd.CombinedOutput()
	out := string(raw)
	if err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}
	passwords := passwordLine.FindAllStringSubmatch(out, -1)
	if len(passwords) != 2 {
		t.Fatalf("want a staff and a volunteer password printed:\n%s", out)
	}

	s.Start()
	s.SignIn("_superusers", "admin@your-org.example", "a long passphrase of your own")
	s.SignIn("staff", "officer@embassy.example", passwords[0][1])
	s.SignIn("volunteers", "field1@shelter.example", passwords[1][1])

	var public struct{ Items []struct{ Slug string } }
	if status, err := s.Do(http.MethodGet, "/api/collections/embassies/records", "", nil, &public); status != http.StatusOK {
		t.Fatalf("public embassy list: %d %v", status, err)
	}
	if len(public.Items) != 0 {
		t.Fatalf("an embassy added without --active is public: %+v", public.Items)
	}
}
