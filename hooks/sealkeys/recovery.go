package sealkeys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// CollectionRecovery holds each embassy's paper recovery key.
const CollectionRecovery = "embassy_recovery"

// GrantStatement is what a member who rebuilt the embassy's keys from
// paper signs, with each epoch's signing key, to be granted that epoch:
// the server cannot see the shares, so this proves the keys are in hand.
func GrantStatement(embassy string, epoch int, staff, holderKid string) []byte {
	return []byte("homeward key recovery v1\x00embassy\x00" + embassy + "\x00epoch\x00" + strconv.Itoa(epoch) +
		"\x00staff\x00" + staff + "\x00holder\x00" + holderKid)
}

// recoveryView is the embassy's recovery key as the state shows it.
type recoveryView struct {
	Kid       string          `json:"kid"`
	PublicKey string          `json:"public_key"`
	Wrapped   json.RawMessage `json:"wrapped"`
	CreatedBy string          `json:"created_by"`
	Created   string          `json:"created"`
}

func findRecovery(app core.App, embassy string) (*core.Record, error) {
	return app.FindFirstRecordByData(CollectionRecovery, "embassy", embassy)
}

// recoveryForm is the body of PUT /api/sealkeys/recovery.
type recoveryForm struct {
	PublicKey string             `json:"public_key"`
	Wrapped   map[string]Wrapped `json:"wrapped"` // by epoch number
}

func (f *recoveryForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.PublicKey, validation.Required, validation.By(kemPoint)),
		validation.Field(&f.Wrapped, validation.Required),
	)
}

// recoveryHandler sets the embassy's recovery key, replacing any before
// it (its shares stop working): a holder of the newest epoch seals every
// epoch to it.
func recoveryHandler(e *core.RequestEvent) error {
	var form recoveryForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the recovery key.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The recovery key is not valid.", err)
	}
	embassy, me := e.Auth.GetString("embassy"), e.Auth.Id
	raw, _ := b64.DecodeString(form.PublicKey)
	kid := seal.KeyID(raw)
	err := e.App.RunInTransaction(func(txApp core.App) error {
		epochs, err := findEpochs(txApp, embassy)
		if err != nil {
			return err
		}
		if len(epochs) == 0 || !holds(txApp, epochs[len(epochs)-1].Id, me) {
			return refuse(http.StatusForbidden, "public_key", "validation_not_holder", "Only a holder of the embassy's current key can make its recovery key.")
		}
		if len(form.Wrapped) != len(epochs) {
			return refuse(http.StatusBadRequest, "wrapped", "validation_epochs_missing", "Every key epoch must be sealed to the recovery key.")
		}
		for _, k := range epochs {
			if _, ok := form.Wrapped[strconv.Itoa(k.GetInt("epoch"))]; !ok {
				return refuse(http.StatusBadRequest, "wrapped", "validation_epochs_missing", "Every key epoch must be sealed to the recovery key.")
			}
		}
		rec, err := findRecovery(txApp, embassy)
		if err != nil {
			col, err := txApp.FindCachedCollectionByNameOrId(CollectionRecovery)
			if err != nil {
				return err
			}
			rec = core.NewRecord(col)
			rec.Set("embassy", embassy)
		}
		wrapped, err := json.Marshal(form.Wrapped)
		if err != nil {
			return err
		}
		rec.Load(map[string]any{"kid": kid, "public_key": form.PublicKey, "wrapped": string(wrapped), "created_by": me})
		return txApp.Save(rec)
	})
	if err != nil {
		return answerRefusal(e, "the recovery key", err)
	}
	return e.NoContent(http.StatusNoContent)
}

// checkRecovery holds a new epoch's recovery copy to the embassy's
// recovery key: present when the embassy has one, absent otherwise.
func checkRecovery(app core.App, embassy string, w *Wrapped) error {
	if _, err := findRecovery(app, embassy); err != nil {
		if w != nil {
			return refuse(http.StatusBadRequest, "recovery", "validation_no_recovery", "The embassy has no recovery key to seal the epoch to.")
		}
		return nil
	}
	if w == nil {
		return refuse(http.StatusBadRequest, "recovery", "validation_recovery_missing", "The new epoch must be sealed to the embassy's recovery key too.")
	}
	if err := w.Validate(); err != nil {
		return refuse(http.StatusBadRequest, "recovery", "validation_invalid_bytes", "The recovery copy is not valid.")
	}
	return nil
}

// addToRecovery adds a new epoch's recovery copy (checked by
// checkRecovery) to the embassy's recovery key, if it has one.
func addToRecovery(app core.App, embassy string, epoch int, w *Wrapped) error {
	rec, err := findRecovery(app, embassy)
	if err != nil || w == nil {
		return nil
	}
	all := map[string]Wrapped{}
	if err := json.Unmarshal([]byte(rec.GetString("wrapped")), &all); err != nil {
		return fmt.Errorf("read recovery: %w", err)
	}
	all[strconv.Itoa(epoch)] = *w
	raw, err := json.Marshal(all)
	if err != nil {
		return err
	}
	rec.Set("wrapped", string(raw))
	return app.Save(rec)
}

// recoverItem is one epoch a member rebuilt from paper, sealed in their
// browser to their own personal key, with the proof.
type recoverItem struct {
	Epoch     int     `json:"epoch"`
	HolderKid string  `json:"holder_kid"`
	Wrapped   Wrapped `json:"wrapped"`
	Proof     string  `json:"proof"` // the epoch's signature of GrantStatement
}

func (r recoverItem) Validate() error {
	return validation.ValidateStruct(&r,
		validation.Field(&r.Epoch, validation.Required, validation.Min(1)),
		validation.Field(&r.HolderKid, validation.Required, validation.Length(16, 16)),
		validation.Field(&r.Wrapped),
		validation.Field(&r.Proof, validation.Required, validation.By(bytesOf(64, 64))),
	)
}

type recoverForm struct {
	Grants []recoverItem `json:"grants"`
}

func (f *recoverForm) Validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Grants, validation.Required, validation.Length(1, maxGrants)))
}

// recoverHandler grants the caller the epochs they rebuilt from paper:
// each comes with a signature by that epoch's own signing key, which only
// someone holding the epoch's private keys can make.
func recoverHandler(e *core.RequestEvent) error {
	var form recoverForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the recovered keys.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The recovered keys are not valid.", err)
	}
	embassy, me := e.Auth.GetString("embassy"), e.Auth.Id
	err := e.App.RunInTransaction(func(txApp core.App) error {
		for _, r := range form.Grants {
			g := grantItem{Staff: me, Epoch: r.Epoch, HolderKid: r.HolderKid, Wrapped: r.Wrapped}
			if err := checkHolderKey(txApp, embassy, g); err != nil {
				return err
			}
			key, err := txApp.FindFirstRecordByFilter(CollectionKeys, "embassy = {:e} && epoch = {:n}", dbx.Params{"e": embassy, "n": r.Epoch})
			if err != nil {
				return refuse(http.StatusBadRequest, "grants", "validation_no_epoch", fmt.Sprintf("The embassy has no key epoch %d.", r.Epoch))
			}
			if !seal.VerifyChain(key.GetString("verify_key"), GrantStatement(embassy, r.Epoch, me, r.HolderKid), r.Proof) {
				return refuse(http.StatusForbidden, "grants", "validation_bad_proof", fmt.Sprintf("The proof is not epoch %d's signature.", r.Epoch))
			}
			if holds(txApp, key.Id, me) {
				continue // already held: nothing to add
			}
			if err := saveGrant(txApp, embassy, key, g, me); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return answerRefusal(e, "the recovered keys", err)
	}
	return e.NoContent(http.StatusNoContent)
}
