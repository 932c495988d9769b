package openrosa

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/syncapi"
)

// realm is the HTTP Basic realm Collect shows when it asks for the
// username (the device id) and password (the device credential).
const realm = `Basic realm="Homeward volunteer device", charset="UTF-8"`

// caller is an approved volunteer and the device it signed in with.
type caller struct {
	volunteer *core.Record
	device    *core.Record
}

// handler is an OpenRosa handler that runs for a signed-in volunteer.
type handler func(e *core.RequestEvent, c caller) error

// authed checks transport and credentials before h: plain http only from
// this machine (a developer's laptop, or Caddy in front, which says how
// the phone came in), then HTTP Basic with a device id and its credential,
// checked by the sync API's one rule (syncapi.DeviceVolunteer), so a
// revoked or expired device, or an unapproved volunteer, is refused here
// exactly as in a push.
func (a *api) authed(h handler) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if !secure(e) {
			return respond(e, http.StatusForbidden, natureError,
				"Use the https:// address of this server: the device credential must not travel unencrypted.")
		}
		user, pass, ok := e.Request.BasicAuth()
		if !ok {
			return challenge(e, "Sign in with this phone's device id as the username and its device credential as the password.")
		}
		device, vol, err := syncapi.DeviceVolunteer(e.App, pass)
		if err == nil && device.Id != user {
			err = syncapi.ErrDeviceUnknown
		}
		switch {
		case err == nil:
			return h(e, caller{volunteer: vol, device: device})
		case errors.Is(err, syncapi.ErrNotApproved):
			return respond(e, http.StatusForbidden, natureError, "This volunteer account is not approved.")
		case errors.Is(err, syncapi.ErrDeviceRevoked):
			return challenge(e, "This device was revoked. Register the phone again and enter the new device id and credential; the forms on the phone are kept.")
		case errors.Is(err, syncapi.ErrDeviceExpired):
			return challenge(e, "This device's credential expired. Register the phone again and enter the new device id and credential; the forms on the phone are kept.")
		}
		if a.wrong.Hit(e.RealIP()) {
			// Logged without the address: only that it happened.
			e.App.Logger().Warn("openrosa: wrong device credentials limited")
			e.Response.Header().Set("Retry-After", "60")
			return respond(e, http.StatusTooManyRequests, natureError, "Too many wrong sign-ins from this network. Wait a minute and try again.")
		}
		return challenge(e, "The device id or credential is wrong. Enter them exactly as they were issued.")
	}
}

// challenge answers 401 with the Basic challenge, so Collect asks for the
// username and password.
func challenge(e *core.RequestEvent, message string) error {
	e.Response.Header().Set("WWW-Authenticate", realm)
	return respond(e, http.StatusUnauthorized, natureError, message)
}

// secure reports whether a request may carry a credential: it came over
// TLS, or from this machine itself: a client on the same machine, or a
// reverse proxy (Caddy, deploy/Caddyfile) that terminated TLS and says so
// in X-Forwarded-Proto. A proxy that says "http" passes on a plain-http
// request, which is refused.
func secure(e *core.RequestEvent) bool {
	if e.Request.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddr(e.RemoteIP())
	if err != nil || !peer.Unmap().IsLoopback() {
		return false
	}
	proto := strings.ToLower(strings.TrimSpace(e.Request.Header.Get("X-Forwarded-Proto")))
	return proto == "" || proto == "https"
}

// scheme is how the phone reached the server, for the URLs the form list
// hands out.
func scheme(e *core.RequestEvent) string {
	if e.Request.TLS != nil || strings.EqualFold(e.Request.Header.Get("X-Forwarded-Proto"), "https") {
		return "https"
	}
	return "http"
}
