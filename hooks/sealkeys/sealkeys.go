// Package sealkeys is the server side of the embassy keys that sealed
// reports are sealed to (internal/seal): each member of staff's personal
// key, the embassy's key epochs and the grants that carry an epoch's
// private halves from one holder's browser to a colleague's. The private
// keys are made and opened only in the staff's browsers
// (pb_public/staff/vault.js); the server stores public keys, passphrase-
// encrypted backups and sealed grants, and checks what it can on every
// write: who writes, for which embassy, the epoch's number, its key id and
// its signature by the previous epoch. Key rows are never changed or
// deleted, by anyone.
package sealkeys

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Collections.
const (
	CollectionKeys     = "embassy_keys"
	CollectionPersonal = "staff_keys"
	CollectionGrants   = "embassy_key_grants"
	collectionStaff    = "staff"
)

// Limits.
const (
	// MinIterations is the least PBKDF2-SHA256 work a backup's passphrase
	// may be stretched with: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
	MinIterations = 600_000
	// maxIterations bounds the work a restore asks of a browser (about a
	// minute on a cheap laptop at 10 million).
	maxIterations = 10_000_000
	// maxSealed bounds a backup's or a grant's ciphertext: both hold two
	// P-256 private keys and a few names, a few hundred bytes.
	maxSealed = 1024
	// maxGrants bounds one request's grants: a holder per member of staff.
	maxGrants = 200
)

var b64 = base64.RawURLEncoding

// Register binds the routes and the guards that keep key rows and grants
// to those routes.
func Register(app core.App) error {
	guard := func(collection, what string) {
		app.OnRecordCreateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
			return e.ForbiddenError(what+" are written only by the staff console's key routes (/api/sealkeys).", nil)
		})
		app.OnRecordUpdateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
			return e.ForbiddenError(what+" cannot be changed through the records API.", nil)
		})
		app.OnRecordDeleteRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
			return e.ForbiddenError(what+" cannot be deleted through the records API.", nil)
		})
	}
	guard(CollectionKeys, "Embassy keys")
	guard(CollectionPersonal, "Personal keys")
	guard(CollectionGrants, "Key grants")
	guard(CollectionRecovery, "Recovery keys")
	registerEscrow(app)
	// An epoch, once published, is what phones pinned and chain through:
	// it is never changed or deleted, by any write path.
	// (Deleting the member of staff who made an epoch clears its
	// created_by, which is the one change let through.)
	app.OnRecordUpdate(CollectionKeys).BindFunc(func(e *core.RecordEvent) error {
		old := e.Record.Original()
		for _, f := range keyFields {
			if e.Record.GetString(f) != old.GetString(f) {
				return errKeyRowsAreFinal
			}
		}
		return e.Next()
	})
	app.OnRecordDelete(CollectionKeys).BindFunc(func(e *core.RecordEvent) error {
		return errKeyRowsAreFinal
	})
	// A member of staff who holds the embassy's key is removed on the Keys
	// screen, which deletes their grants and starts a new epoch they cannot
	// open; deleting the account alone would leave them able to open what
	// phones seal to the epochs they hold (a copy of a grant is theirs to
	// keep). So the account of a holder cannot be deleted, by any path.
	app.OnRecordDelete(collectionStaff).BindFunc(func(e *core.RecordEvent) error {
		n, err := e.App.CountRecords(CollectionGrants, dbx.HashExp{"staff": e.Record.Id})
		if err != nil {
			return err
		}
		if n > 0 {
			// An API error, so the records API and the dashboard say why.
			return router.NewBadRequestError(ErrHolderDeleted.Error(), ErrHolderDeleted)
		}
		return e.Next()
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		bindSealKeysApi(se.Router.Group("/api/sealkeys"))
		return se.Next()
	})
	return nil
}

// keyFields are what an epoch is: none of them ever changes.
var keyFields = []string{"embassy", "epoch", "kid", "public_key", "verify_key", "signature", "created",
	"escrow_kid", "escrow_label", "escrow_signature"}

var errKeyRowsAreFinal = errors.New("sealkeys: embassy key rows are never changed or deleted")

// ErrHolderDeleted refuses deleting the account of a member of staff who
// holds the embassy's key.
var ErrHolderDeleted = errors.New("this member of staff holds the embassy's key: a colleague removes them on the console's Keys screen first (a new key epoch they cannot open), then the account can be deleted")

// bindSealKeysApi registers the routes, all for signed-in staff.
func bindSealKeysApi(rg *router.RouterGroup[*core.RequestEvent]) {
	rg.Bind(apis.RequireAuth(collectionStaff))
	rg.GET("", stateHandler)
	rg.PUT("/me", personalHandler)
	rg.POST("/epochs", epochHandler)
	rg.POST("/grants", grantHandler)
	rg.PUT("/recovery", recoveryHandler)
	rg.POST("/recover", recoverHandler)
}

// point checks s is a base64url uncompressed P-256 point usable for ECDH
// (HPKE's KEM).
func kemPoint(value any) error {
	s, _ := value.(string)
	if s == "" {
		return nil
	}
	raw, err := b64.DecodeString(s)
	if err == nil {
		_, err = ecdh.P256().NewPublicKey(raw)
	}
	if err != nil {
		return validation.NewError("validation_invalid_key", "Not a P-256 public key (65-byte uncompressed point, base64url).")
	}
	return nil
}

// verifyPoint checks s is a base64url uncompressed P-256 point usable for
// ECDSA.
func verifyPoint(value any) error {
	s, _ := value.(string)
	if s == "" {
		return nil
	}
	raw, err := b64.DecodeString(s)
	if err == nil {
		_, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	}
	if err != nil {
		return validation.NewError("validation_invalid_key", "Not a P-256 verifying key (65-byte uncompressed point, base64url).")
	}
	return nil
}

// bytesOf checks s is base64url of min to max bytes.
func bytesOf(min, max int) validation.RuleFunc {
	return func(value any) error {
		s, _ := value.(string)
		if s == "" {
			return nil
		}
		raw, err := b64.DecodeString(s)
		if err != nil || len(raw) < min || len(raw) > max {
			return validation.NewError("validation_invalid_bytes", "Not the expected base64url bytes.")
		}
		return nil
	}
}

// staffOf returns the staff record id of the caller's embassy named id, or
// an error when there is none.
func colleague(app core.App, embassy, id string) (*core.Record, error) {
	rec, err := app.FindRecordById(collectionStaff, id)
	if err != nil || rec.GetString("embassy") != embassy {
		return nil, errNotColleague
	}
	return rec, nil
}

var errNotColleague = errors.New("not a member of staff of this embassy")
