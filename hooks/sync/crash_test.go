package sync_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"homeward/internal/testserver"
)

// binary is the real homeward server run as a child process.
type binary struct {
	t        *testing.T
	path     string
	dataDir  string
	addr     string
	cmd      *exec.Cmd
	password string // the demo superuser's, printed on each start
}

func buildBinary(t *testing.T) *binary {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "homeward")
	build := exec.Command("go", "build", "-o", path, ".")
	build.Dir = testserver.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	b := &binary{t: t, path: path, dataDir: filepath.Join(dir, "pb_data"), addr: addr}
	t.Cleanup(func() {
		if b.cmd != nil && b.cmd.Process != nil {
			b.cmd.Process.Kill()
			b.cmd.Wait()
		}
	})
	return b
}

var demoPassword = regexp.MustCompile(`DEMO superuser for /_/:\s+\S+\s+/\s+(\S+)`)

// start runs the server and waits until it answers.
func (b *binary) start() {
	b.t.Helper()
	b.cmd = exec.Command(b.path, "serve", "--http", b.addr, "--dir", b.dataDir, "--demo")
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := demoPassword.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case b.password = <-found:
	case <-time.After(60 * time.Second):
		b.t.Fatal("server did not start")
	}
	for range 600 {
		if res, err := http.Get(b.url("/api/health")); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatal("server did not answer /api/health")
}

func (b *binary) kill() {
	b.t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		b.t.Fatal(err)
	}
	b.cmd.Wait()
}

func (b *binary) url(path string) string { return "http://" + b.addr + path }

// do sends a JSON request and decodes the JSON answer.
func (b *binary) do(method, path, token string, body any, out any) (int, error) {
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, b.url(path), r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && res.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, err
		}
	}
	return res.StatusCode, nil
}

func (b *binary) superuserToken() string {
	b.t.Helper()
	var out struct{ Token string }
	status, err := b.do(http.MethodPost, "/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": "demo-admin@homeward.example", "password": b.password}, &out)
	if err != nil || status != 200 {
		b.t.Fatalf("superuser login: %d %v", status, err)
	}
	return out.Token
}

func TestCrashMidUploadLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	const total, batch = 5000, 250
	b := buildBinary(t)
	b.start()
	su := b.superuserToken()
	// The test client pushes from one address faster than a real phone.
	if status, err := b.do(http.MethodPatch, "/api/settings", su, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil); status != 200 {
		t.Fatalf("disable rate limits: %d %v", status, err)
	}
	var embassies struct{ Items []struct{ Id string } }
	if status, _ := b.do(http.MethodGet, "/api/collections/embassies/records?perPage=1", "", nil, &embassies); status != 200 || len(embassies.Items) == 0 {
		t.Fatal("no demo embassy")
	}

	ops := make([]op, total)
	rcpt := newReceipt()
	for i := range ops {
		ops[i] = reportCreate(fmt.Sprintf("op-%d", i), newId(), embassies.Items[0].Id, rcpt, nil)
	}

	// The client retries each batch with backoff until it gets an answer,
	// like a phone's outbox.
	progress := make(chan int, total/batch)
	clientDone := make(chan error, 1)
	retries, duplicates := 0, 0
	go func() {
		for start := 0; start < total; start += batch {
			backoff := 20 * time.Millisecond
			for {
				var out pushAnswer
				status, err := b.do(http.MethodPost, "/api/sync/push", "", map[string]any{"device": "crash-phone", "ops": ops[start : start+batch]}, &out)
				if err == nil && status == 200 {
					for _, r := range out.Results {
						if r.Status == "duplicate" {
							duplicates++
						}
						if r.Status != "applied" && r.Status != "duplicate" {
							clientDone <- fmt.Errorf("op %s: %s %v", r.Op, r.Status, r.Error)
							return
						}
					}
					break
				}
				retries++
				time.Sleep(backoff)
				backoff = min(2*backoff, 500*time.Millisecond)
			}
			progress <- start + batch
		}
		clientDone <- nil
	}()

	// Kill the server while the client is in the middle of its upload.
	for done := range progress {
		if done >= 4*batch {
			break
		}
	}
	b.kill()
	b.start()
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("client retried %d times; %d ops came back as duplicates (committed before the kill, answer lost)", retries, duplicates)

	su = b.superuserToken()
	var list struct{ TotalItems int }
	if status, _ := b.do(http.MethodGet, "/api/collections/reports/records?perPage=1", su, nil, &list); status != 200 || list.TotalItems != total {
		t.Fatalf("%d reports after the crash, want %d", list.TotalItems, total)
	}
	seen := map[string]int{}
	cursor := ""
	for {
		var page pullAnswer
		if status, err := b.do(http.MethodGet, "/api/sync/pull?limit=1000&cursor="+cursor, su, nil, &page); status != 200 {
			t.Fatalf("pull: %d %v", status, err)
		}
		for _, c := range page.Changes {
			seen[c.Id]++
		}
		cursor = page.Cursor
		if !page.HasMore {
			break
		}
	}
	if len(seen) != total {
		t.Fatalf("pull from zero returned %d records, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("record %s pulled %d times", id, n)
		}
	}
	for _, o := range ops {
		if seen[o["id"].(string)] != 1 {
			t.Fatalf("record %s missing from the pull", o["id"])
		}
	}
}
