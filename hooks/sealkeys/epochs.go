package sealkeys

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// Wrapped is an epoch's private keys sealed in a holder's browser to a
// colleague's personal key: HPKE's encapsulated key and the ciphertext.
type Wrapped struct {
	Enc string `json:"enc"`
	CT  string `json:"ct"`
}

func (w Wrapped) Validate() error {
	return validation.ValidateStruct(&w,
		validation.Field(&w.Enc, validation.Required, validation.By(bytesOf(65, 65))),
		validation.Field(&w.CT, validation.Required, validation.By(bytesOf(16+1, maxSealed))),
	)
}

// grantItem is one grant of an epoch to a member of staff.
type grantItem struct {
	Staff     string  `json:"staff"`
	Epoch     int     `json:"epoch"` // in POST /grants; an epoch's own grants name no epoch
	HolderKid string  `json:"holder_kid"`
	Wrapped   Wrapped `json:"wrapped"`
}

func (g grantItem) Validate() error {
	return validation.ValidateStruct(&g,
		validation.Field(&g.Staff, validation.Required, validation.Length(15, 15)),
		validation.Field(&g.HolderKid, validation.Required, validation.Length(16, 16)),
		validation.Field(&g.Wrapped),
	)
}

// epochForm is the body of POST /api/sealkeys/epochs.
type epochForm struct {
	Epoch     int         `json:"epoch"`
	Kid       string      `json:"kid"`
	PublicKey string      `json:"public_key"`
	VerifyKey string      `json:"verify_key"`
	Signature string      `json:"signature"`
	Grants    []grantItem `json:"grants"`
	Remove    []string    `json:"remove"`
	Recovery  *Wrapped    `json:"recovery"` // the epoch sealed to the recovery key, when the embassy has one
	Escrow    *escrowItem `json:"escrow"`   // the epoch sealed to the escrow key, when the embassy has one
}

func (f *epochForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Epoch, validation.Required, validation.Min(1)),
		validation.Field(&f.Kid, validation.Required),
		validation.Field(&f.PublicKey, validation.Required, validation.By(kemPoint)),
		validation.Field(&f.VerifyKey, validation.Required, validation.By(verifyPoint)),
		validation.Field(&f.Signature, validation.By(bytesOf(64, 64))),
		validation.Field(&f.Grants, validation.Required, validation.Length(1, maxGrants)),
		validation.Field(&f.Remove, validation.Length(0, maxGrants), validation.Each(validation.Length(15, 15))),
	)
}

// refusal is a check that failed: the status and the sentence the caller
// gets, with the field it is about.
type refusal struct {
	status int
	field  string
	code   string
	text   string
}

func (r refusal) Error() string { return r.text }

func refuse(status int, field, code, text string) error {
	return refusal{status: status, field: field, code: code, text: text}
}

// answerRefusal turns err into PocketBase's error shape: a refusal as its
// status with the field's error, anything else as a 500.
func answerRefusal(e *core.RequestEvent, what string, err error) error {
	var r refusal
	if !errors.As(err, &r) {
		return e.InternalServerError("Failed to save "+what+".", err)
	}
	data := validation.Errors{r.field: validation.NewError(r.code, r.text)}
	if r.status == http.StatusForbidden {
		return e.ForbiddenError(r.text, data)
	}
	return e.BadRequestError(r.text, data)
}

// epochHandler publishes the embassy's next key epoch with its grants, and
// drops every grant of the members it removes, all at once. The first
// epoch is made by any member of staff; a later one only by a holder of
// the epoch before, whose verifying key must have signed it
// (seal.ChainStatement). The new epoch is granted to the caller and to
// every other holder of the epoch before who is not removed.
func epochHandler(e *core.RequestEvent) error {
	var form epochForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the key epoch.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The key epoch is not valid.", err)
	}
	embassy, me := e.Auth.GetString("embassy"), e.Auth.Id
	var saved *core.Record
	err := e.App.RunInTransaction(func(txApp core.App) error {
		epochs, err := findEpochs(txApp, embassy)
		if err != nil {
			return err
		}
		var last *core.Record
		if len(epochs) > 0 {
			last = epochs[len(epochs)-1]
		}
		if err := checkEpoch(txApp, embassy, me, last, &form); err != nil {
			return err
		}
		if err := checkGrants(txApp, embassy, me, last, &form); err != nil {
			return err
		}
		if err := checkRecovery(txApp, embassy, form.Recovery); err != nil {
			return err
		}
		if err := checkEscrow(txApp, embassy, &form); err != nil {
			return err
		}
		for _, id := range form.Remove {
			if err := dropGrants(txApp, embassy, id); err != nil {
				return err
			}
		}
		col, err := txApp.FindCachedCollectionByNameOrId(CollectionKeys)
		if err != nil {
			return err
		}
		saved = core.NewRecord(col)
		saved.Load(map[string]any{
			"embassy": embassy, "epoch": form.Epoch, "kid": form.Kid, "public_key": form.PublicKey,
			"verify_key": form.VerifyKey, "signature": form.Signature, "created_by": me,
		})
		if x := form.Escrow; x != nil {
			saved.Load(map[string]any{"escrow_kid": x.Kid, "escrow_label": x.Label, "escrow_signature": x.Signature})
		}
		if err := txApp.Save(saved); err != nil {
			return fmt.Errorf("save epoch: %w", err)
		}
		for _, g := range form.Grants {
			if err := saveGrant(txApp, embassy, saved, g, me); err != nil {
				return err
			}
		}
		if err := saveEscrowGrant(txApp, embassy, saved, form.Escrow, me); err != nil {
			return err
		}
		return addToRecovery(txApp, embassy, form.Epoch, form.Recovery)
	})
	if err != nil {
		return answerRefusal(e, "the key epoch", err)
	}
	return e.JSON(http.StatusOK, viewOfEpoch(saved))
}

// checkEpoch holds the new epoch to the chain: its number follows the
// last, its id is its public key's, and a later epoch is made by a holder
// of the last one and signed by it.
func checkEpoch(app core.App, embassy, me string, last *core.Record, form *epochForm) error {
	want := 1
	if last != nil {
		want = last.GetInt("epoch") + 1
	}
	if form.Epoch != want {
		return refuse(http.StatusBadRequest, "epoch", "validation_wrong_epoch", fmt.Sprintf("The embassy's next key epoch is %d.", want))
	}
	raw, _ := b64.DecodeString(form.PublicKey)
	if form.Kid != seal.KeyID(raw) {
		return refuse(http.StatusBadRequest, "kid", "validation_wrong_kid", "The key id is not the public key's (seal.KeyID).")
	}
	if last == nil {
		if form.Signature != "" {
			return refuse(http.StatusBadRequest, "signature", "validation_no_signature", "The first epoch has no previous key to sign it.")
		}
		return nil
	}
	if !holds(app, last.Id, me) {
		return refuse(http.StatusForbidden, "epoch", "validation_not_holder", "Only a holder of the embassy's current key can start its next epoch.")
	}
	statement := seal.ChainStatement(embassy, form.Epoch, form.Kid, form.PublicKey, form.VerifyKey)
	if !seal.VerifyChain(last.GetString("verify_key"), statement, form.Signature) {
		return refuse(http.StatusBadRequest, "signature", "validation_bad_signature", "The signature is not the current key's signature of the new epoch.")
	}
	return nil
}

// checkGrants holds the new epoch's grants to the embassy's staff: each a
// colleague once, sealed to their current personal key, the caller among
// them, no one removed, and every other holder of the last epoch kept.
func checkGrants(app core.App, embassy, me string, last *core.Record, form *epochForm) error {
	for _, id := range form.Remove {
		if id == me {
			return refuse(http.StatusBadRequest, "remove", "validation_remove_self", "You cannot remove yourself; a colleague can.")
		}
		if _, err := colleague(app, embassy, id); err != nil {
			return refuse(http.StatusBadRequest, "remove", "validation_not_colleague", "Only members of this embassy's staff can be removed.")
		}
	}
	granted := map[string]bool{}
	for _, g := range form.Grants {
		if granted[g.Staff] {
			return refuse(http.StatusBadRequest, "grants", "validation_repeated", "Each member of staff is granted the key once.")
		}
		granted[g.Staff] = true
		if slices.Contains(form.Remove, g.Staff) {
			return refuse(http.StatusBadRequest, "grants", "validation_removed", "A member being removed cannot be granted the new key.")
		}
		if err := checkHolderKey(app, embassy, g); err != nil {
			return err
		}
	}
	if !granted[me] {
		return refuse(http.StatusBadRequest, "grants", "validation_self_missing", "The new key must be granted to you too.")
	}
	if last == nil {
		return nil
	}
	holders, err := app.FindAllRecords(CollectionGrants, dbx.HashExp{"key": last.Id})
	if err != nil {
		return err
	}
	for _, h := range holders {
		id := h.GetString("staff")
		if !granted[id] && !slices.Contains(form.Remove, id) {
			return refuse(http.StatusBadRequest, "grants", "validation_holder_missing", "Every holder of the current key who is not removed must be granted the new one.")
		}
	}
	return nil
}

// checkHolderKey checks g is sealed to its staff member's current
// personal key, and that they are a colleague.
func checkHolderKey(app core.App, embassy string, g grantItem) error {
	if _, err := colleague(app, embassy, g.Staff); err != nil {
		return refuse(http.StatusBadRequest, "grants", "validation_not_colleague", "Keys are granted only to members of this embassy's staff.")
	}
	p, err := findPersonal(app, g.Staff)
	if err != nil {
		return refuse(http.StatusBadRequest, "grants", "validation_no_personal_key", "This member of staff has no personal key yet.")
	}
	if p.GetString("kid") != g.HolderKid {
		return refuse(http.StatusBadRequest, "grants", "validation_stale_personal_key", "The grant is sealed to a personal key its holder no longer has.")
	}
	return nil
}

// dropGrants deletes every grant a member of staff holds for the embassy.
func dropGrants(app core.App, embassy, staff string) error {
	grants, err := app.FindAllRecords(CollectionGrants, dbx.HashExp{"staff": staff, "embassy": embassy})
	if err != nil {
		return err
	}
	for _, g := range grants {
		if err := app.Delete(g); err != nil {
			return fmt.Errorf("drop grant: %w", err)
		}
	}
	return nil
}

// saveGrant stores g, a grant of key, made by me.
func saveGrant(app core.App, embassy string, key *core.Record, g grantItem, me string) error {
	col, err := app.FindCachedCollectionByNameOrId(CollectionGrants)
	if err != nil {
		return err
	}
	wrapped, err := json.Marshal(g.Wrapped)
	if err != nil {
		return err
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{
		"embassy": embassy, "key": key.Id, "epoch": key.GetInt("epoch"), "staff": g.Staff,
		"holder_kid": g.HolderKid, "wrapped": string(wrapped), "granted_by": me,
	})
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	return nil
}
