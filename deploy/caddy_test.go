package deploy_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"homeward/hooks/privacy"
	"homeward/internal/binarytest"
)

// signIn makes one failed staff sign-in through Caddy, optionally with a
// forged X-Forwarded-For, and returns the status: 400 for the wrong
// password, 429 once the client's address used up its five tries.
func signIn(t *testing.T, c *http.Client, base, forged string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/collections/staff/auth-with-password",
		strings.NewReader(`{"identity":"nobody@example.org","password":"wrong password 123"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if forged != "" {
		req.Header.Set("X-Forwarded-For", forged)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestCaddyPassesTheRealClientAddressAndNoneIsStored: over HTTPS through
// Caddy, two loopback addresses get two rate-limit buckets once the proxy
// header is trusted (and share one before: the fault the setting fixes), a
// forged header changes nothing, and no address is left in the data dir
// or the output of either program.
func TestCaddyPassesTheRealClientAddressAndNoneIsStored(t *testing.T) {
	caddyBin := tool(t, "caddy")
	dataDir := t.TempDir()
	s := binarytest.Start(t, dataDir)
	c := startCaddy(t, caddyBin, s.Addr)
	first, second := c.client("127.0.0.2"), c.client("127.0.0.3")

	res, err := first.Get(c.base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil ||
		res.Header.Get("Content-Security-Policy") != privacy.ContentSecurityPolicy ||
		!strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("GET /api/health over HTTPS: %d, TLS %v, headers %v", res.StatusCode, res.TLS != nil, res.Header)
	}

	t.Run("without the setting every client shares the proxy's address", func(t *testing.T) {
		for i := 1; i <= 5; i++ {
			if got := signIn(t, first, c.base, ""); got != http.StatusBadRequest {
				t.Fatalf("try %d from 127.0.0.2: %d, want 400", i, got)
			}
		}
		if got := signIn(t, second, c.base, ""); got != http.StatusTooManyRequests {
			t.Fatalf("127.0.0.3 after 127.0.0.2 used five tries: %d; want 429, the shared limit", got)
		}
	})

	// The command docs/DEPLOY.md gives, run as the operator does.
	s.Stop()
	if out := s.Run(homewardArgs(t, "settings trusted-proxy")...); !strings.Contains(out, "X-Forwarded-For") {
		t.Fatalf("settings trusted-proxy printed:\n%s", out)
	}
	s.Start()

	t.Run("with the setting each client has its own limit and forging does not help", func(t *testing.T) {
		for i := 1; i <= 6; i++ {
			want := http.StatusBadRequest
			if i == 6 {
				want = http.StatusTooManyRequests
			}
			if got := signIn(t, first, c.base, fmt.Sprintf("203.0.113.%d", i)); got != want {
				t.Fatalf("try %d from 127.0.0.2 with a new forged address: %d, want %d", i, got, want)
			}
		}
		if got := signIn(t, second, c.base, "203.0.113.6"); got != http.StatusBadRequest {
			t.Fatalf("127.0.0.3 (forging the address that is used up): %d, want 400: its own limit", got)
		}
	})

	s.Stop()
	c.kill()
	addresses := []string{"127.0.0.2", "127.0.0.3", "203.0.113."}
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, a := range addresses {
			if bytes.Contains(raw, []byte(a)) {
				t.Errorf("%s holds the client address %s", path, a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"homeward": s.Output(), "caddy": c.out.String()} {
		for _, a := range addresses {
			if strings.Contains(out, a) {
				t.Errorf("%s printed the client address %s", name, a)
			}
		}
	}
}
