// Package binarytest builds the real homeward binary and runs it as a child
// process on a loopback port, as an operator would: the embedded web root,
// the migrations on a real data dir, rate limits on, stop and kill for real.
// Under `go test -short` these tests are skipped (see heavytest).
package binarytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"homeward/internal/heavytest"
)

// startTimeout bounds a start: migrations on a fresh data dir take a few
// seconds on a slow CI machine, never a minute.
const startTimeout = 60 * time.Second

// build is the binary compiled once per test process.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main runs a package's tests and then removes the binary Build made. Use it
// as the package's TestMain: func TestMain(m *testing.M) { binarytest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Build compiles the server once per test process and returns its path.
// Every test of the binary comes through here, so -short skips it here.
func Build(t testing.TB) string {
	t.Helper()
	heavytest.SkipIfShort(t, "this test of the real binary")
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "homeward-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "homeward")
		cmd := exec.Command("go", "build", "-o", build.path, ".")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Server is the binary serving one data dir on one loopback address. It
// keeps the address across restarts, so a browser's origin stays the same.
type Server struct {
	t       testing.TB
	bin     string
	args    []string
	DataDir string
	// WorkDir is the working directory the binary runs in, as the folder
	// an operator types the command in; empty for the test's own.
	WorkDir string
	Addr    string // host:port on 127.0.0.1
	URL     string // http://Addr
	cmd     *exec.Cmd
	out     *SyncBuffer
}

// New prepares a server over dataDir on a free loopback port, without
// starting it; args are added after serve's own flags (e.g. "--demo").
// The process is killed when the test ends.
func New(t testing.TB, dataDir string, args ...string) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{t: t, bin: Build(t), args: args, DataDir: dataDir, Addr: addr, URL: "http://" + addr, out: new(SyncBuffer)}
	t.Cleanup(s.kill)
	return s
}

// Start is New followed by Start.
func Start(t testing.TB, dataDir string, args ...string) *Server {
	t.Helper()
	s := New(t, dataDir, args...)
	s.Start()
	return s
}

// Run runs a command of the binary on the data dir while the server is not
// running, e.g. Run("superuser", "upsert", email, password), and returns
// what it printed.
func (s *Server) Run(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(args, "--dir", s.DataDir)...)
	cmd.Dir = s.WorkDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("homeward %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Start runs `serve` and waits until /api/health answers.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, append([]string{"serve", "--http", s.Addr, "--dir", s.DataDir}, s.args...)...)
	s.cmd.Dir = s.WorkDir
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	client := http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := client.Get(s.URL + "/api/health")
		if err != nil {
			continue
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return
		}
	}
	s.kill()
	s.t.Fatalf("the server did not become healthy; output:\n%s", s.Output())
}

// Stop ends the server gracefully with SIGTERM, as a service manager would.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.kill()
		s.t.Fatal("the server did not stop on SIGTERM")
	}
}

// Kill ends the server with SIGKILL: no shutdown code runs, as in a power
// cut or an out-of-memory kill. It may be called from any goroutine, e.g. a
// proxy's handler that kills the server mid-request.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("kill the server: %v", err)
	}
	s.cmd.Wait()
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// Output is everything the server printed so far, over all its starts.
func (s *Server) Output() string { return s.out.String() }

// Do sends a JSON request (token, if any, as Authorization) and decodes a
// 2xx JSON answer into out; it returns the status code.
func (s *Server) Do(method, path, token string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	client := http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(raw, out)
	}
	return res.StatusCode, nil
}

// SignIn signs an account of an auth collection in with its password and
// returns the token.
func (s *Server) SignIn(collection, email, password string) string {
	s.t.Helper()
	var auth struct{ Token string }
	_, err := s.Do(http.MethodPost, "/api/collections/"+collection+"/auth-with-password", "",
		map[string]string{"identity": email, "password": password}, &auth)
	if err != nil || auth.Token == "" {
		s.t.Fatalf("%s sign-in: %v", collection, err)
	}
	return auth.Token
}

// Superuser and SuperuserPassword are the account StartForDevice makes.
const (
	Superuser         = "root@example.org"
	SuperuserPassword = "a long superuser password"
)

// Device is a volunteer's registered device on a running server.
type Device struct {
	Id, Token string // the device id and its credential
	Superuser string // the superuser's auth token
}

// StartForDevice starts the binary over a fresh data dir with the demo
// embassies (later starts are without --demo) and rate limits off (a test sends from one address faster
// than a phone), with a volunteer (email) who has registered one device
// (label), as the "volunteer add" command and the sync API make them.
func StartForDevice(t testing.TB, email, label string) (*Server, Device) {
	t.Helper()
	// The demo embassies first, on a data dir of their own (--demo refuses
	// one with a superuser of its own); later starts keep them.
	b := New(t, t.TempDir(), "--demo")
	b.Start()
	b.Stop()
	b.args = nil
	b.Run("superuser", "upsert", Superuser, SuperuserPassword)
	b.Start()
	su := b.SignIn("_superusers", Superuser, SuperuserPassword)
	if status, err := b.Do(http.MethodPatch, "/api/settings", su, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil); status != http.StatusOK {
		t.Fatalf("disable rate limits: %d %v", status, err)
	}
	added := b.Run("volunteer", "add", email)
	_, password, ok := strings.Cut(added, "privately): ")
	if !ok {
		t.Fatalf("volunteer add printed %q", added)
	}
	password, _, _ = strings.Cut(password, "\n")
	vol := b.SignIn("volunteers", email, strings.TrimSpace(password))
	dev := Device{Superuser: su}
	if status, err := b.Do(http.MethodPost, "/api/sync/devices", vol, map[string]any{"label": label}, &dev); status != http.StatusCreated {
		t.Fatalf("register the device: %d %v", status, err)
	}
	return b, dev
}

// SyncBuffer is a bytes.Buffer a child process and the test may use at once:
// the process writes its output, the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
