package syncapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
)

// role is who is calling the sync API.
type role int

const (
	roleGuest     role = iota // an anonymous reporter, proved by receipts
	roleVolunteer             // an approved volunteer, by device credential or login
	roleStaff                 // embassy staff, by login
	roleSuperuser
)

// caller is the resolved identity of a sync request.
type caller struct {
	role    role
	auth    *core.Record // volunteer, staff or superuser; nil for guests
	device  *core.Record // the device credential used, if any
	embassy string       // staff only
}

func (c caller) actor() reports.Actor {
	return reports.ActorFromAuth(c.auth)
}

// id is the auth record id, "" for guests.
func (c caller) id() string {
	if c.auth == nil {
		return ""
	}
	return c.auth.Id
}

// deviceTTL is how long a device credential lives without a sync. A
// volunteer may work offline for weeks at a shelter; each successful sync
// moves the expiry forward again.
const deviceTTL = 90 * 24 * time.Hour

// deviceRefreshEvery limits how often a sync rewrites the device's expiry,
// so a busy device does not add a write to every request.
const deviceRefreshEvery = time.Hour

// resolveCaller finds who is calling: a device credential, a PocketBase
// login (volunteer, staff, superuser) or nobody.
func resolveCaller(e *core.RequestEvent) (caller, error) {
	if token, ok := deviceToken(e.Request); ok {
		return callerFromDevice(e, token)
	}
	if e.Auth == nil {
		if h := e.Request.Header.Get("Authorization"); h != "" {
			// A login token that no longer works must not silently turn a
			// volunteer into an anonymous reporter.
			return caller{}, codedError(http.StatusUnauthorized, CodeDeviceUnknown, "The sign-in token is invalid or expired. Sign in again.")
		}
		return caller{role: roleGuest}, nil
	}
	switch {
	case e.Auth.IsSuperuser():
		return caller{role: roleSuperuser, auth: e.Auth}, nil
	case e.Auth.Collection().Name == collStaff:
		return caller{role: roleStaff, auth: e.Auth, embassy: e.Auth.GetString("embassy")}, nil
	case e.Auth.Collection().Name == collVolunteers:
		if !e.Auth.GetBool("approved") {
			return caller{}, codedError(http.StatusForbidden, CodeNotApproved, "This volunteer account is not approved yet.")
		}
		return caller{role: roleVolunteer, auth: e.Auth}, nil
	}
	return caller{}, e.ForbiddenError("This account cannot use the sync API.", nil)
}

// deviceToken returns the credential of an "Authorization: Device <token>" header.
func deviceToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) <= len(DeviceScheme) || !strings.EqualFold(h[:len(DeviceScheme)], DeviceScheme) {
		return "", false
	}
	return strings.TrimSpace(h[len(DeviceScheme):]), true
}

// hashDeviceToken is what devices.token_hash stores: the credential has 256
// random bits, so a plain SHA-256 is enough to make a stolen database
// useless for signing in.
func hashDeviceToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Errors of DeviceVolunteer, checked with errors.Is.
var (
	ErrDeviceUnknown = errors.New("device not registered")
	ErrDeviceRevoked = errors.New("device revoked")
	ErrDeviceExpired = errors.New("device credential expired")
	ErrNotApproved   = errors.New("volunteer not approved")
)

// DeviceVolunteer checks a device credential and returns its device and
// approved volunteer. It is the one check of a device credential: the
// sync API's "Device" header and OpenRosa's HTTP Basic both come here.
func DeviceVolunteer(app core.App, token string) (device, volunteer *core.Record, err error) {
	if token == "" || len(token) > 200 {
		return nil, nil, ErrDeviceUnknown
	}
	device, err = app.FindFirstRecordByData(collDevices, "token_hash", hashDeviceToken(token))
	if err != nil {
		return nil, nil, ErrDeviceUnknown
	}
	if device.GetBool("revoked") {
		return nil, nil, ErrDeviceRevoked
	}
	if exp := device.GetDateTime("expires"); exp.IsZero() || exp.Time().Before(time.Now()) {
		return nil, nil, ErrDeviceExpired
	}
	volunteer, err = app.FindRecordById(collVolunteers, device.GetString("volunteer"))
	if err != nil {
		return nil, nil, ErrDeviceUnknown
	}
	if !volunteer.GetBool("approved") {
		return nil, nil, ErrNotApproved
	}
	return device, volunteer, nil
}

func callerFromDevice(e *core.RequestEvent, token string) (caller, error) {
	device, vol, err := DeviceVolunteer(e.App, token)
	switch {
	case errors.Is(err, ErrDeviceRevoked):
		return caller{}, codedError(http.StatusUnauthorized, CodeDeviceRevoked, "This device was revoked. Sign in again; unsent reports stay on the phone.")
	case errors.Is(err, ErrDeviceExpired):
		return caller{}, codedError(http.StatusUnauthorized, CodeDeviceExpired, "This device's sign-in expired. Sign in again; unsent reports stay on the phone.")
	case errors.Is(err, ErrNotApproved):
		return caller{}, codedError(http.StatusForbidden, CodeNotApproved, "This volunteer account is not approved.")
	case err != nil:
		return caller{}, codedError(http.StatusUnauthorized, CodeDeviceUnknown, "This device is not registered. Sign in and register it again.")
	}
	return caller{role: roleVolunteer, auth: vol, device: device}, nil
}

// touchDevice moves a device credential's expiry forward after a successful
// sync, at most once per deviceRefreshEvery.
func touchDevice(app core.App, c caller) error {
	return TouchDevice(app, c.device)
}

// TouchDevice moves device's expiry forward after a successful sync or
// submission, at most once per deviceRefreshEvery; a nil device is left
// alone.
func TouchDevice(app core.App, device *core.Record) error {
	if device == nil {
		return nil
	}
	now := time.Now()
	if last := device.GetDateTime("last_sync"); !last.IsZero() && now.Sub(last.Time()) < deviceRefreshEvery {
		return nil
	}
	// Only these two columns: a concurrent revoke must not be undone by
	// saving the copy loaded at the start of the request.
	_, err := app.DB().Update(collDevices, dbx.Params{
		"last_sync": types.NowDateTime().String(),
		"expires":   now.Add(deviceTTL).UTC().Format(types.DefaultDateLayout),
	}, dbx.HashExp{"id": device.Id}).Execute()
	if err != nil {
		return errors.Join(errors.New("refresh device credential"), err)
	}
	return nil
}
