package syncapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/types"
)

func TestDeviceCredentialLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, tok := f.registerDevice(0)

	dev, err := f.app.FindRecordById("devices", id)
	if err != nil {
		t.Fatal(err)
	}
	if dev.GetString("token_hash") == tok || len(dev.GetString("token_hash")) != 64 {
		t.Fatalf("token_hash %q, want a SHA-256 of the credential", dev.GetString("token_hash"))
	}
	if exp := dev.GetDateTime("expires").Time(); exp.Before(time.Now().Add(60 * 24 * time.Hour)) {
		t.Fatalf("credential expires %v, want weeks away", exp)
	}

	// A sync moves the expiry forward.
	dev.Set("expires", types.NowDateTime().Add(time.Hour))
	if err := f.app.Save(dev); err != nil {
		t.Fatal(err)
	}
	f.push(device(tok), "phone", []op{reportCreate("1", newId(), f.embassy[0], "", nil)})
	dev, _ = f.app.FindRecordById("devices", id)
	if exp := dev.GetDateTime("expires").Time(); exp.Before(time.Now().Add(60*24*time.Hour)) || dev.GetDateTime("last_sync").IsZero() {
		t.Fatalf("after a sync: expires %v, last_sync %v; want refreshed", exp, dev.GetDateTime("last_sync"))
	}

	refused := func(wantStatus int, wantCode string) {
		t.Helper()
		var out struct{ Data map[string]any }
		body := map[string]any{"device": "phone", "ops": []op{reportCreate("2", newId(), f.embassy[0], "", nil)}}
		for _, path := range []string{"/api/sync/push", "/api/sync/pull"} {
			method := http.MethodPost
			if path == "/api/sync/pull" {
				method, body = http.MethodGet, nil
			}
			if status := f.call(method, path, device(tok), body, &out); status != wantStatus || out.Data["code"] != wantCode {
				t.Fatalf("%s: %d %v, want %d %s", path, status, out.Data, wantStatus, wantCode)
			}
		}
	}

	dev.Set("expires", types.NowDateTime().Add(-time.Minute))
	if err := f.app.Save(dev); err != nil {
		t.Fatal(err)
	}
	refused(401, "device_expired")

	dev.Set("expires", types.NowDateTime().Add(time.Hour))
	dev.Set("revoked", true) // as a superuser does in the dashboard
	if err := f.app.Save(dev); err != nil {
		t.Fatal(err)
	}
	refused(401, "device_revoked")

	_, tok2 := f.registerDevice(0)
	f.vol[0].Set("approved", false)
	if err := f.app.Save(f.vol[0]); err != nil {
		t.Fatal(err)
	}
	tok = tok2
	refused(403, "volunteer_not_approved")

	tok = "hwd1_made-up"
	refused(401, "device_unknown")
	if n := f.count("reports"); n != 1 {
		t.Fatalf("%d reports, want only the one pushed before the refusals", n)
	}
}

func TestOnlyApprovedVolunteersRegisterDevices(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeded := f.count("devices")
	f.vol[1].Set("approved", false)
	if err := f.app.Save(f.vol[1]); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		h    header
		want int
	}{
		{"guest", nil, 401},
		{"staff: signed in, but may not", bearer(f.staffTok[0]), 403},
		{"unapproved volunteer", bearer(f.volToken[1]), 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status := f.call(http.MethodPost, "/api/sync/devices", tc.h, map[string]any{"label": "x"}, nil); status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
		})
	}
	if n := f.count("devices"); n != seeded {
		t.Fatalf("%d devices, want the %d seeded ones only", n, seeded)
	}
}
