package qr

import (
	"errors"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// The signing keys' routes, for superusers only: the same operations as
// the "qr keys", "qr rotate-key" and "qr retire-key" commands, for the
// key screen at /admin/keys.html.
//
//	GET  /api/qr/keys              → 200 KeyList
//	POST /api/qr/keys/rotate       → 200 KeyList with the new key signing
//	POST /api/qr/keys/{kid}/retire → 200 KeyList; 404 unknown key; 400 the
//	                                 signing key or a retired one
//
// Each change is written to PocketBase's log (Logs in the dashboard) with
// the key id and the superuser who made it.
func bindKeyRoutes(rg *router.RouterGroup[*core.RequestEvent]) {
	keys := rg.Group("/keys").Bind(apis.RequireSuperuserAuth())
	keys.GET("", listKeysHandler)
	keys.POST("/rotate", rotateKeyHandler)
	keys.POST("/{kid}/retire", retireKeyHandler)
}

// KeyState is one signing key as the key routes list it: its id, when it
// was made and retired (RFC 3339, UTC), and what it does now: "signs" (the
// newest key, which signs new codes and verifies), "verifies" (codes it
// signed still verify) or "retired" (its codes show the warning).
type KeyState struct {
	Kid     string     `json:"kid"`
	Created time.Time  `json:"created"`
	Retired *time.Time `json:"retired,omitempty"`
	State   string     `json:"state"`
}

// KeyList is the answer of every key route, oldest key first.
type KeyList struct {
	Keys []KeyState `json:"keys"`
}

func keyList(e *core.RequestEvent) error {
	infos, err := KeyringFor(e.App).List()
	if err != nil {
		return e.InternalServerError("Could not read the signing keys.", err)
	}
	list := KeyList{Keys: make([]KeyState, 0, len(infos))}
	for _, k := range infos {
		s := KeyState{Kid: k.Kid, Created: k.Created.UTC(), State: "verifies"}
		switch {
		case k.Current:
			s.State = "signs"
		case !k.Retired.IsZero():
			retired := k.Retired.UTC()
			s.Retired, s.State = &retired, "retired"
		}
		list.Keys = append(list.Keys, s)
	}
	return e.JSON(http.StatusOK, list)
}

func listKeysHandler(e *core.RequestEvent) error {
	// Current makes the first key if there is none yet, as serve does.
	if _, err := KeyringFor(e.App).Current(); err != nil {
		return e.InternalServerError("Could not read the signing keys.", err)
	}
	return keyList(e)
}

func rotateKeyHandler(e *core.RequestEvent) error {
	key, err := KeyringFor(e.App).Rotate()
	if err != nil {
		return e.InternalServerError("Could not make a new signing key.", err)
	}
	e.App.Logger().Info("QR signing key rotated", "kid", key.Kid, "superuser", e.Auth.Id)
	return keyList(e)
}

func retireKeyHandler(e *core.RequestEvent) error {
	kid := e.Request.PathValue("kid")
	err := KeyringFor(e.App).Retire(kid)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return e.NotFoundError("There is no signing key "+kid+".", err)
	case errors.Is(err, ErrRetireCurrent):
		return e.BadRequestError("This key signs new codes: make a new key first, then retire this one.", err)
	case errors.Is(err, ErrAlreadyRetired):
		return e.BadRequestError("This key is already retired.", err)
	case err != nil:
		return e.InternalServerError("Could not retire the key.", err)
	}
	e.App.Logger().Info("QR signing key retired", "kid", kid, "superuser", e.Auth.Id)
	return keyList(e)
}
