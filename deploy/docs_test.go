package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"homeward/internal/binarytest"
)

// deployCommands are the lines of docs/DEPLOY.md's ```sh blocks.
func deployCommands(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(binarytest.RepoRoot(), "docs", "DEPLOY.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```sh":
			in = true
		case line == "```":
			in = false
		case in && line != "":
			lines = append(lines, line)
		}
	}
	return lines
}

// docCommand is the one DEPLOY.md command (it may be repeated) starting with prefix, split into
// words, with the server's paths replaced by the test's (paths maps a
// server path to a test path). The tests run these words, so the guide
// and the tests cannot drift apart.
func docCommand(t *testing.T, prefix string, paths map[string]string) []string {
	t.Helper()
	var found []string
	for _, line := range deployCommands(t) {
		if strings.HasPrefix(line, prefix) && !slices.Contains(found, line) {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/DEPLOY.md has %d commands starting %q, want 1: %q", len(found), prefix, found)
	}
	words := strings.Fields(found[0])
	for i, w := range words {
		if p, ok := paths[w]; ok {
			words[i] = p
		}
	}
	return words
}

// homewardArgs is a DEPLOY.md "sudo -u homeward homeward ..." command as
// arguments for the binary, without its --dir (binarytest adds the test's).
func homewardArgs(t *testing.T, prefix string) []string {
	t.Helper()
	words := docCommand(t, "sudo -u homeward homeward "+prefix, nil)[4:]
	for i, w := range words {
		if w == "--dir" {
			return append(words[:i:i], words[i+2:]...)
		}
	}
	return words
}

// TestDeployGuideMatchesTheKit: the versions and paths DEPLOY.md installs
// are the ones the units, .ci/run and the tests use.
func TestDeployGuideMatchesTheKit(t *testing.T) {
	root := binarytest.RepoRoot()
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`LITESTREAM_VERSION=(v0\.5\.\d+)`).FindSubmatch(ci)
	if m == nil {
		t.Fatal(".ci/run pins no Litestream v0.5 version")
	}
	install := docCommand(t, "GOBIN=", nil)
	if want := "github.com/benbjohnson/litestream/cmd/litestream@" + string(m[1]); install[len(install)-1] != want {
		t.Fatalf("DEPLOY.md installs %s, CI tests %s", install[len(install)-1], want)
	}

	units := map[string]string{}
	for _, name := range []string{"homeward.service", "litestream.service"} {
		raw, err := os.ReadFile(filepath.Join(root, "deploy", "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		units[name] = string(raw)
	}
	for unit, paths := range map[string][]string{
		"litestream.service": {"/usr/local/lib/homeward/restore.sh /var/lib/homeward/pb_data", "/usr/local/bin/litestream replicate -config /etc/homeward/litestream.yml", "/etc/homeward/litestream.env"},
		"homeward.service":   {"/usr/local/bin/homeward serve --http 127.0.0.1:8090 --dir /var/lib/homeward/pb_data", "--public-url https://${HOMEWARD_DOMAIN}", "/etc/homeward/homeward.env", "After=litestream.service"},
	} {
		for _, p := range paths {
			if !strings.Contains(units[unit], p) {
				t.Errorf("%s lacks %q", unit, p)
			}
		}
	}
	guide := strings.Join(deployCommands(t), "\n")
	for _, want := range []string{
		"install -m 755 deploy/restore.sh /usr/local/lib/homeward/",
		"install -m 644 deploy/litestream.yml deploy/homeward.env /etc/homeward/",
		"install -m 600 deploy/litestream.env /etc/homeward/",
		"install -m 644 deploy/Caddyfile /etc/caddy/Caddyfile",
		"deploy/systemd/caddy-homeward.conf /etc/systemd/system/caddy.service.d/homeward.conf",
		"deploy/systemd/homeward.service deploy/systemd/litestream.service /etc/systemd/system/",
	} {
		if !strings.Contains(guide, want) {
			t.Errorf("DEPLOY.md does not install with %q", want)
		}
	}
}

// run runs a command given as words with env and returns its output.
func run(env []string, words []string) (string, error) {
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
