package sealkeys

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// The optional escrow key (docs/SECURITY.md, "Escrow key"). A superuser
// may set, per embassy, the public key of an escrow held outside the
// embassy (its ministry, for one): from then on the server takes a new key
// epoch only with a copy of its private keys sealed, in the staff browser
// that made it, to that key, and with the epoch's own signature over the
// escrow's key id and label. The Keys screen shows every member of staff
// the escrow, and which epochs it can open.
const (
	CollectionEscrow       = "embassy_escrow"
	CollectionEscrowGrants = "embassy_escrow_grants"
)

// maxEscrowLabel bounds who holds the escrow, as staff read it.
const maxEscrowLabel = 200

// EscrowStatement is what a new epoch's own signing key signs, in the
// staff browser that made it, to say the epoch's private keys went to the
// escrow key escrowKid held by label.
func EscrowStatement(embassy string, epoch int, kid, escrowKid, label string) []byte {
	return []byte("homeward escrow v1\x00embassy\x00" + embassy + "\x00epoch\x00" + strconv.Itoa(epoch) +
		"\x00kid\x00" + kid + "\x00escrow\x00" + escrowKid + "\x00label\x00" + label)
}

// EscrowInfo is HPKE's info for an epoch's copy sealed to an escrow key.
func EscrowInfo(embassy string, epoch int, kid, escrowKid string) []byte {
	return []byte("homeward escrow copy v1\x00embassy\x00" + embassy + "\x00epoch\x00" + strconv.Itoa(epoch) +
		"\x00kid\x00" + kid + "\x00escrow\x00" + escrowKid)
}

// EpochSecret is an epoch's private keys as a browser seals them to a
// holder, the recovery key or the escrow: the HPKE private scalar and the
// ECDSA one, base64url.
type EpochSecret struct {
	V     int    `json:"v"`
	Epoch int    `json:"epoch"`
	Kid   string `json:"kid"`
	HPKE  string `json:"hpke"`
	Sign  string `json:"sign"`
}

// ErrEscrowCopy is returned when an escrow copy does not open with the key
// given, or names another epoch.
var ErrEscrowCopy = errors.New("sealkeys: the escrow copy does not open with this key")

// OpenEscrowCopy opens an epoch's copy sealed to the escrow key priv and
// returns the epoch's HPKE private key, checked against its public key.
func OpenEscrowCopy(priv *ecdh.PrivateKey, embassy string, epoch int, kid, publicKey string, w Wrapped) (*ecdh.PrivateKey, error) {
	enc, err1 := b64.DecodeString(w.Enc)
	ct, err2 := b64.DecodeString(w.CT)
	if err1 != nil || err2 != nil {
		return nil, ErrEscrowCopy
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	r, err := hpke.NewRecipient(enc, sk, hpke.HKDFSHA256(), hpke.AES128GCM(), EscrowInfo(embassy, epoch, kid, seal.KeyID(priv.PublicKey().Bytes())))
	if err != nil {
		return nil, ErrEscrowCopy
	}
	plain, err := r.Open(nil, ct)
	if err != nil {
		return nil, ErrEscrowCopy
	}
	var s EpochSecret
	if err := json.Unmarshal(plain, &s); err != nil || s.Epoch != epoch || s.Kid != kid {
		return nil, ErrEscrowCopy
	}
	d, err := b64.DecodeString(s.HPKE)
	if err != nil {
		return nil, ErrEscrowCopy
	}
	key, err := ecdh.P256().NewPrivateKey(d)
	if err != nil || b64.EncodeToString(key.PublicKey().Bytes()) != publicKey {
		return nil, ErrEscrowCopy
	}
	return key, nil
}

// escrowItem is a new epoch's escrow: the escrow key it is sealed to (its
// kid and label as the browser read them), the epoch's signature of
// EscrowStatement, and the sealed copy.
type escrowItem struct {
	Kid       string  `json:"kid"`
	Label     string  `json:"label"`
	Signature string  `json:"signature"`
	Wrapped   Wrapped `json:"wrapped"`
}

func (x escrowItem) Validate() error {
	return validation.ValidateStruct(&x,
		validation.Field(&x.Kid, validation.Required, validation.Length(16, 16)),
		validation.Field(&x.Label, validation.Required, validation.Length(1, maxEscrowLabel)),
		validation.Field(&x.Signature, validation.Required, validation.By(bytesOf(64, 64))),
		validation.Field(&x.Wrapped),
	)
}

// escrowView is the embassy's escrow key as the state shows it.
type escrowView struct {
	Kid       string `json:"kid"`
	Label     string `json:"label"`
	PublicKey string `json:"public_key"`
	Updated   string `json:"updated"`
}

func findEscrow(app core.App, embassy string) (*core.Record, error) {
	return app.FindFirstRecordByData(CollectionEscrow, "embassy", embassy)
}

// checkEscrow holds a new epoch to the embassy's escrow setting: with an
// escrow key set, the epoch comes sealed to that key and signed by the
// epoch for that key and label; without one, it names no escrow.
func checkEscrow(app core.App, embassy string, form *epochForm) error {
	rec, err := findEscrow(app, embassy)
	if err != nil {
		if form.Escrow != nil {
			return refuse(http.StatusBadRequest, "escrow", "validation_no_escrow", "The embassy has no escrow key to seal the epoch to.")
		}
		return nil
	}
	x := form.Escrow
	if x == nil {
		return refuse(http.StatusBadRequest, "escrow", "validation_escrow_missing", "The embassy has an escrow key: the new epoch must be sealed to it too.")
	}
	if err := x.Validate(); err != nil {
		return refuse(http.StatusBadRequest, "escrow", "validation_invalid_escrow", "The escrow copy is not valid.")
	}
	if x.Kid != rec.GetString("kid") || x.Label != rec.GetString("label") {
		return refuse(http.StatusBadRequest, "escrow", "validation_stale_escrow", "The epoch is sealed to an escrow key the embassy no longer has: read the keys again.")
	}
	if !seal.VerifyChain(form.VerifyKey, EscrowStatement(embassy, form.Epoch, form.Kid, x.Kid, x.Label), x.Signature) {
		return refuse(http.StatusBadRequest, "escrow", "validation_bad_signature", "The escrow is not signed by the new epoch's key.")
	}
	return nil
}

// saveEscrowGrant stores a new epoch's escrow copy (checked by checkEscrow).
func saveEscrowGrant(app core.App, embassy string, key *core.Record, x *escrowItem, me string) error {
	if x == nil {
		return nil
	}
	col, err := app.FindCachedCollectionByNameOrId(CollectionEscrowGrants)
	if err != nil {
		return err
	}
	wrapped, err := json.Marshal(x.Wrapped)
	if err != nil {
		return err
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{
		"embassy": embassy, "key": key.Id, "epoch": key.GetInt("epoch"), "escrow_kid": x.Kid,
		"wrapped": string(wrapped), "granted_by": me,
	})
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("save escrow grant: %w", err)
	}
	return nil
}

// registerEscrow binds the escrow setting's rules: its key id is the
// server's to compute from its public key, on every write path (the
// dashboard included), and escrow grants are written only with their
// epoch.
func registerEscrow(app core.App) {
	setKid := func(e *core.RecordEvent) error {
		raw, err := b64.DecodeString(e.Record.GetString("public_key"))
		if err == nil {
			if _, err = ecdh.P256().NewPublicKey(raw); err == nil {
				e.Record.Set("kid", seal.KeyID(raw))
			}
		}
		if err != nil {
			return validation.Errors{"public_key": validation.NewError("validation_invalid_key",
				"Not a P-256 public key (65-byte uncompressed point, base64url), as `homeward escrow keygen` prints it.")}
		}
		return e.Next()
	}
	app.OnRecordValidate(CollectionEscrow).BindFunc(setKid)
	app.OnRecordCreateRequest(CollectionEscrowGrants).BindFunc(func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Escrow grants are written only with their key epoch (/api/sealkeys/epochs).", nil)
	})
	app.OnRecordUpdateRequest(CollectionEscrowGrants).BindFunc(func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Escrow grants cannot be changed through the records API.", nil)
	})
	app.OnRecordDeleteRequest(CollectionEscrowGrants).BindFunc(func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Escrow grants cannot be deleted through the records API.", nil)
	})
}
