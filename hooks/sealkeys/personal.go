package sealkeys

import (
	"encoding/json"
	"net/http"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// Backup is a personal private key encrypted in the browser under its
// owner's passphrase: PBKDF2-SHA256 with Iterations over Salt makes an
// AES-256-GCM key, which seals the PKCS #8 private key with IV.
type Backup struct {
	V          int    `json:"v"`
	KDF        string `json:"kdf"`
	Iterations int    `json:"iterations"`
	Salt       string `json:"salt"`
	IV         string `json:"iv"`
	CT         string `json:"ct"`
}

// BackupKDF names the one passphrase stretching a backup may use.
const BackupKDF = "PBKDF2-SHA256"

// Validate holds a backup to the format and the least work.
func (b Backup) Validate() error {
	return validation.ValidateStruct(&b,
		validation.Field(&b.V, validation.Required, validation.In(1)),
		validation.Field(&b.KDF, validation.Required, validation.In(BackupKDF)),
		validation.Field(&b.Iterations, validation.Required, validation.Min(MinIterations), validation.Max(maxIterations)),
		validation.Field(&b.Salt, validation.Required, validation.By(bytesOf(16, 64))),
		validation.Field(&b.IV, validation.Required, validation.By(bytesOf(12, 12))),
		validation.Field(&b.CT, validation.Required, validation.By(bytesOf(16+32, maxSealed))),
	)
}

// personalForm is the body of PUT /api/sealkeys/me.
type personalForm struct {
	PublicKey string `json:"public_key"`
	Backup    Backup `json:"backup"`
}

func (f *personalForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.PublicKey, validation.Required, validation.By(kemPoint)),
		validation.Field(&f.Backup),
	)
}

// personalHandler saves the caller's personal key: a first one, the same
// one with a backup under a new passphrase, or a new one (the old lost),
// which drops the caller's grants, sealed to the old key: a colleague
// grants the embassy key again.
func personalHandler(e *core.RequestEvent) error {
	var form personalForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the personal key.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The personal key is not valid.", err)
	}
	raw, _ := b64.DecodeString(form.PublicKey)
	kid := seal.KeyID(raw)
	backup, err := json.Marshal(form.Backup)
	if err != nil {
		return e.InternalServerError("Failed to save the personal key.", err)
	}
	me := e.Auth.Id
	err = e.App.RunInTransaction(func(txApp core.App) error {
		rec, err := findPersonal(txApp, me)
		if err != nil {
			col, err := txApp.FindCachedCollectionByNameOrId(CollectionPersonal)
			if err != nil {
				return err
			}
			rec = core.NewRecord(col)
			rec.Set("staff", me)
		} else if rec.GetString("kid") != kid {
			// Grants sealed to the old key no longer open.
			grants, err := txApp.FindAllRecords(CollectionGrants, dbx.HashExp{"staff": me})
			if err != nil {
				return err
			}
			for _, g := range grants {
				if err := txApp.Delete(g); err != nil {
					return err
				}
			}
		}
		rec.Set("kid", kid)
		rec.Set("public_key", form.PublicKey)
		rec.Set("backup", string(backup))
		return txApp.Save(rec)
	})
	if err != nil {
		return e.InternalServerError("Failed to save the personal key.", err)
	}
	return e.JSON(http.StatusOK, personalView{Kid: kid, PublicKey: form.PublicKey, Backup: backup})
}
