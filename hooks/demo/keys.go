package demo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/unicode/norm"

	"homeward/hooks/sealkeys"
	"homeward/internal/seal"
)

// Demo keys. serve --demo gives each demo embassy a member of staff and a
// key epoch granted to them, so a newcomer sees the whole flow: a report
// sealed on the phone opens in the console of the demo staff member, who
// restores their personal key on the console's Keys screen with the demo
// passphrase. The keys are made here the way the console makes them in a
// browser (pb_public/staff/vault.js, docs/SECURITY.md "Embassy keys"):
//   - a personal HPKE P-256 key pair per demo member of staff, its PKCS #8
//     private key sealed with AES-256-GCM under PBKDF2-SHA256 (600,000
//     iterations, random 16-byte salt) of the demo passphrase, the
//     associated data naming the member and the key id;
//   - epoch 1 of the embassy: an HPKE P-256 pair and an ECDSA P-256 pair,
//     the public halves in embassy_keys, the private scalars sealed to the
//     member's personal key (HPKE base mode, the sealed reports' suite,
//     info naming the embassy, epoch, key id, member and personal key id).
//
// These are demo keys, not secret ones: their passphrase is kept in the
// data dir (DemoPassphraseFile) and printed at every start. An embassy
// that already has a key epoch keeps it: epochs are never changed.

// DemoPassphraseFile, in the data dir, holds the demo staff's key
// passphrase.
const DemoPassphraseFile = "DEMO_staff_key_passphrase.txt"

// StaffEmail is the sign-in of the demo member of staff of the demo
// embassy slug.
func StaffEmail(slug string) string { return "staff-" + slug + "@homeward.example" }

var b64 = base64.RawURLEncoding

// demoPassphrase returns the demo passphrase, made on the first start.
func demoPassphrase(app core.App) (string, error) {
	path := filepath.Join(app.DataDir(), DemoPassphraseFile)
	if b, err := os.ReadFile(path); err == nil {
		if p := strings.TrimSpace(string(b)); len(p) >= 12 {
			return p, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	p := rand.Text()
	if err := os.WriteFile(path, []byte(p+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep the demo passphrase: %w", err)
	}
	return p, nil
}

// demoStaff upserts the demo member of staff of embassy with a new
// password, returned.
func demoStaff(app core.App, embassy *core.Record, d embassy) (*core.Record, string, error) {
	email := StaffEmail(d.slug)
	rec, err := app.FindAuthRecordByEmail("staff", email)
	if err != nil {
		col, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return nil, "", err
		}
		rec = core.NewRecord(col)
		rec.SetEmail(email)
	}
	password := rand.Text()
	rec.SetPassword(password)
	rec.SetVerified(true)
	rec.Set("name", "DEMO staff, "+d.country)
	rec.Set("embassy", embassy.Id)
	rec.Set("language", d.languages[0])
	if err := app.Save(rec); err != nil {
		return nil, "", fmt.Errorf("save demo staff %s: %w", email, err)
	}
	return rec, password, nil
}

// demoKeys gives embassy its first key epoch, granted to member, unless it
// has one. It reports whether it made one.
func demoKeys(app core.App, embassy, member *core.Record, passphrase string) (bool, error) {
	n, err := app.CountRecords(sealkeys.CollectionKeys, dbx.HashExp{"embassy": embassy.Id})
	if err != nil || n > 0 {
		return false, err
	}
	made := false
	err = app.RunInTransaction(func(tx core.App) error {
		personal, err := personalKey(tx, member, passphrase)
		if err != nil {
			return err
		}
		kem, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		verify, err := signer.PublicKey.Bytes()
		if err != nil {
			return err
		}
		signD, err := signer.Bytes()
		if err != nil {
			return err
		}
		kid := seal.KeyID(kem.PublicKey().Bytes())
		keys, err := tx.FindCollectionByNameOrId(sealkeys.CollectionKeys)
		if err != nil {
			return err
		}
		epoch := core.NewRecord(keys)
		epoch.Load(map[string]any{
			"embassy": embassy.Id, "epoch": 1, "kid": kid, "public_key": b64.EncodeToString(kem.PublicKey().Bytes()),
			"verify_key": b64.EncodeToString(verify), "signature": "", "created_by": member.Id,
		})
		if err := tx.Save(epoch); err != nil {
			return fmt.Errorf("save demo key epoch: %w", err)
		}
		secret, err := json.Marshal(map[string]any{
			"v": 1, "epoch": 1, "kid": kid, "hpke": b64.EncodeToString(kem.Bytes()), "sign": b64.EncodeToString(signD),
		})
		if err != nil {
			return err
		}
		wrapped, err := wrapGrant(personal.PublicKey(), grantInfo(embassy.Id, 1, kid, member.Id, seal.KeyID(personal.PublicKey().Bytes())), secret)
		if err != nil {
			return err
		}
		grants, err := tx.FindCollectionByNameOrId(sealkeys.CollectionGrants)
		if err != nil {
			return err
		}
		grant := core.NewRecord(grants)
		grant.Load(map[string]any{
			"embassy": embassy.Id, "key": epoch.Id, "epoch": 1, "staff": member.Id,
			"holder_kid": seal.KeyID(personal.PublicKey().Bytes()), "wrapped": string(wrapped), "granted_by": member.Id,
		})
		if err := tx.Save(grant); err != nil {
			return fmt.Errorf("save demo key grant: %w", err)
		}
		made = true
		return nil
	})
	return made, err
}

// personalKey makes member's personal key pair and stores its public key
// with its backup under passphrase, replacing any earlier one (whose
// grants then go, as when a member makes a new key in the console).
func personalKey(app core.App, member *core.Record, passphrase string) (*ecdh.PrivateKey, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub := priv.PublicKey().Bytes()
	kid := seal.KeyID(pub)
	backup, err := wrapBackup(priv, passphrase, member.Id, kid)
	if err != nil {
		return nil, err
	}
	col, err := app.FindCollectionByNameOrId(sealkeys.CollectionPersonal)
	if err != nil {
		return nil, err
	}
	rec, err := app.FindFirstRecordByData(col, "staff", member.Id)
	if err != nil {
		rec = core.NewRecord(col)
	}
	rec.Load(map[string]any{"staff": member.Id, "kid": kid, "public_key": b64.EncodeToString(pub), "backup": string(backup)})
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("save demo personal key: %w", err)
	}
	return priv, nil
}

// wrapBackup is vault.js's wrapBackup: priv as PKCS #8, sealed under the
// passphrase (NFC), as sealkeys.Backup JSON.
func wrapBackup(priv *ecdh.PrivateKey, passphrase, staff, kid string) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("demo key backup: %w", err)
	}
	salt, iv := make([]byte, 16), make([]byte, 12)
	rand.Read(salt)
	rand.Read(iv)
	key, err := pbkdf2.Key(sha256.New, norm.NFC.String(passphrase), salt, sealkeys.MinIterations, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	ct := gcm.Seal(nil, iv, der, BackupAAD(staff, kid))
	return json.Marshal(sealkeys.Backup{
		V: 1, KDF: sealkeys.BackupKDF, Iterations: sealkeys.MinIterations,
		Salt: b64.EncodeToString(salt), IV: b64.EncodeToString(iv), CT: b64.EncodeToString(ct),
	})
}

// BackupAAD is vault.js's backupAad: what a personal key backup is bound to.
func BackupAAD(staff, kid string) []byte {
	return []byte("homeward personal key backup v1\x00staff\x00" + staff + "\x00kid\x00" + kid)
}

// grantInfo is vault.js's grantInfo: the HPKE info of a grant.
func grantInfo(embassy string, epoch int, kid, staff, holderKid string) []byte {
	return fmt.Appendf(nil, "homeward key grant v1\x00embassy\x00%s\x00epoch\x00%d\x00kid\x00%s\x00staff\x00%s\x00holder\x00%s", embassy, epoch, kid, staff, holderKid)
}

// wrapGrant seals secret to a holder's personal key as a grant's wrapped
// field: HPKE base mode, the sealed reports' suite, no associated data.
func wrapGrant(holder *ecdh.PublicKey, info, secret []byte) ([]byte, error) {
	pk, err := hpke.NewDHKEMPublicKey(holder)
	if err != nil {
		return nil, err
	}
	enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.AES128GCM(), info)
	if err != nil {
		return nil, err
	}
	ct, err := sender.Seal(nil, secret)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sealkeys.Wrapped{Enc: b64.EncodeToString(enc), CT: b64.EncodeToString(ct)})
}
