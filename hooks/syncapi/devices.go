package syncapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// deviceTokenPrefix marks Homeward device credentials, so a leaked one is
// easy to recognise in a paste or a log.
const deviceTokenPrefix = "hwd1_"

// deviceForm is the body of POST /api/sync/devices.
type deviceForm struct {
	Label string `json:"label"`
}

func (f deviceForm) Validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Label, validation.Required, validation.Length(1, 100)),
	)
}

// registerDevice gives a signed-in, approved volunteer a long-lived device
// credential. Only its hash is stored; the credential itself is in this
// answer and nowhere else.
func (a *api) registerDevice(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in with a volunteer account to register a device.", nil)
	}
	if e.Auth.Collection().Name != collVolunteers {
		// Signed in, as someone who may not: signing in again will not help.
		return e.ForbiddenError("Only volunteers register devices: sign in with a volunteer account.", nil)
	}
	if !e.Auth.GetBool("approved") {
		return codedError(http.StatusForbidden, CodeNotApproved, "This volunteer account is not approved yet.")
	}
	var form deviceForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the device details.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The device details are not valid.", err)
	}

	col, err := e.App.FindCachedCollectionByNameOrId(collDevices)
	if err != nil {
		return e.InternalServerError("", err)
	}
	device := core.NewRecord(col)
	device.Set("volunteer", e.Auth.Id)
	device.Set("label", form.Label)
	token, err := IssueDevice(e.App, device)
	if err != nil {
		return e.BadRequestError("Failed to register the device.", err)
	}
	expires := device.GetDateTime("expires").Time()
	return e.JSON(http.StatusCreated, map[string]any{
		"id":      device.Id,
		"label":   form.Label,
		"token":   token,
		"expires": expires.Format(types.DefaultDateLayout),
	})
}

// IssueDevice gives device, a new devices record with its volunteer and
// label set, a fresh credential valid for deviceTTL, saves it and returns
// the credential; only its hash is stored. The route above and the test
// fixtures both issue credentials through it, so they are made one way.
func IssueDevice(app core.App, device *core.Record) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	token := deviceTokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	device.Set("token_hash", hashDeviceToken(token))
	device.Set("expires", time.Now().Add(deviceTTL).UTC().Format(types.DefaultDateLayout))
	if err := app.Save(device); err != nil {
		return "", err
	}
	return token, nil
}
