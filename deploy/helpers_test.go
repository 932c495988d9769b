package deploy_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homeward/internal/binarytest"
)

// These tests run the deployment kit as docs/DEPLOY.md sets it up: the real
// homeward binary, Caddy with this folder's Caddyfile, Litestream with this
// folder's litestream.yml and restore.sh, on loopback addresses only.

func TestMain(m *testing.M) { binarytest.Main(m) }

// readyTimeout bounds waiting for Caddy's certificate or Litestream's first
// replica file on a busy machine; it never decides a result.
const readyTimeout = 60 * time.Second

// tool returns the path of a deployment program. Without it the test is
// skipped on a developer machine, and fails where CI or
// HOMEWARD_REQUIRE_DEPLOY is set (.ci/run installs both programs).
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("HOMEWARD_REQUIRE_DEPLOY") != "" || os.Getenv("CI") != "" {
		t.Fatalf("deployment tests are required here (CI or HOMEWARD_REQUIRE_DEPLOY is set) but %s was not found; .ci/run installs it", name)
	}
	t.Skipf("no %s on this machine; set HOMEWARD_REQUIRE_DEPLOY=1 to make this a failure", name)
	return ""
}

// kitFile is a file of this folder, by name.
func kitFile(name string) string {
	return filepath.Join(binarytest.RepoRoot(), "deploy", name)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// process is a child program whose output the test keeps and which is
// killed when the test ends.
type process struct {
	cmd *exec.Cmd
	out *binarytest.SyncBuffer
}

func start(t *testing.T, env []string, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), out: new(binarytest.SyncBuffer)}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

// kill ends the program with SIGKILL, as a power cut would.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// caddy is Caddy serving deploy/Caddyfile on a loopback port with a
// certificate of its own internal authority.
type caddy struct {
	*process
	addr  string // 127.0.0.1:port
	base  string // https://localhost:port
	roots *x509.CertPool
}

func startCaddy(t *testing.T, bin, upstream string) *caddy {
	t.Helper()
	dir := t.TempDir()
	httpsPort, httpPort := freePort(t), freePort(t)
	env := append(os.Environ(),
		"HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HOMEWARD_DOMAIN=localhost:"+httpsPort,
		"HOMEWARD_UPSTREAM="+upstream,
		// A certificate from Caddy's own authority, not installed into the
		// machine's trust store; loopback only; no admin endpoint.
		"HOMEWARD_CADDY_OPTIONS=local_certs\nskip_install_trust\nadmin off\ndefault_bind 127.0.0.1\nhttp_port "+httpPort,
	)
	c := &caddy{
		process: start(t, env, bin, "run", "--config", kitFile("Caddyfile"), "--adapter", "caddyfile"),
		addr:    "127.0.0.1:" + httpsPort,
		base:    "https://localhost:" + httpsPort,
	}
	rootFile := filepath.Join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
	for deadline := time.Now().Add(readyTimeout); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Caddy did not get ready; output:\n%s", c.out)
		}
		pem, err := os.ReadFile(rootFile)
		if err != nil {
			continue
		}
		c.roots = x509.NewCertPool()
		c.roots.AppendCertsFromPEM(pem)
		res, err := c.client("127.0.0.1").Get(c.base + "/api/health")
		if err != nil {
			continue
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return c
		}
	}
}

// client is an HTTPS client that connects to Caddy from the loopback
// address src and verifies Caddy's certificate against its authority.
func (c *caddy) client(src string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, "tcp", c.addr)
			},
			TLSClientConfig: &tls.Config{RootCAs: c.roots},
		},
	}
}

// report appends a line to the file named by HOMEWARD_DEPLOY_REPORT, which
// .ci/run prints after the tests, and to the test log.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	if path := os.Getenv("HOMEWARD_DEPLOY_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "%s: %s\n", t.Name(), line)
	}
}
