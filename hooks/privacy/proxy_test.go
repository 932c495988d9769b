package privacy_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/privacy"
	"homeward/internal/testserver"
	_ "homeward/pb_migrations"
)

// realIP is the address the rate limiters key on for a request that came
// through a proxy at 127.0.0.1 which appended the client's address.
func realIP(app core.App) string {
	e := &core.RequestEvent{App: app}
	e.Request = httptest.NewRequest("GET", "/api/health", nil)
	e.Request.RemoteAddr = "127.0.0.1:40000"
	e.Request.Header.Set("X-Forwarded-For", "203.0.113.66, 198.51.100.7") // forged, then the proxy's
	return e.RealIP()
}

func TestTrustedProxyCommand(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	run := func(args ...string) (string, error) {
		return testserver.RunCommand(privacy.NewSettingsCommand(app), args...)
	}

	if got := realIP(app); got != "127.0.0.1" {
		t.Fatalf("with no trusted header the address is %q, want the connection's", got)
	}
	if out, _ := run("trusted-proxy"); !strings.Contains(out, "none") {
		t.Fatalf("show:\n%s", out)
	}

	out, err := run("trusted-proxy", "x-forwarded-for")
	if err != nil || !strings.Contains(out, "X-Forwarded-For") {
		t.Fatalf("set: %v\n%s", err, out)
	}
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	if got := app.Settings().TrustedProxy.Headers; len(got) != 1 || got[0] != "X-Forwarded-For" {
		t.Fatalf("stored headers %q", got)
	}
	if got := realIP(app); got != "198.51.100.7" {
		t.Fatalf("behind the proxy the address is %q, want the one the proxy appended (not the forged leftmost)", got)
	}

	for _, bad := range [][]string{{"X-Forwarded-For: 1.2.3.4"}, {"two words"}, {"X-Real-Ip", "--none"}} {
		if out, err := run(append([]string{"trusted-proxy"}, bad...)...); err == nil {
			t.Fatalf("%q accepted:\n%s", bad, out)
		}
	}
	if got := app.Settings().TrustedProxy.Headers; len(got) != 1 {
		t.Fatalf("a refused change altered the setting to %q", got)
	}

	if _, err := run("trusted-proxy", "--none"); err != nil {
		t.Fatal(err)
	}
	if got := realIP(app); got != "127.0.0.1" {
		t.Fatalf("after --none the address is %q", got)
	}
}
