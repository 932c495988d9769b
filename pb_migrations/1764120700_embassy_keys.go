package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// embassy_keys: the public half of each embassy's sealing keys, one row per
// key epoch (docs/SECURITY.md, "Sealed reports"). Phones seal a report's
// private fields to the newest epoch's public_key (HPKE, internal/seal);
// the private halves exist only in the embassy staff's browsers.
//
//   - public_key is the HPKE KEM public key, DHKEM(P-256): the 65-byte
//     uncompressed point, base64url without padding.
//   - verify_key is the epoch's ECDSA P-256 public key, same encoding; its
//     private half, kept with the epoch's private key, signs the next epoch.
//   - signature is that signature over the next epoch's chain statement
//     (internal/seal.ChainStatement), ECDSA P-256 with SHA-256 in IEEE P1363
//     form (r||s, 64 bytes, as WebCrypto makes it), base64url. Empty only
//     for epoch 1, which phones pin on first sight and people check by its
//     fingerprint on the poster and the contact page.
//   - kid is internal/seal.KeyID(public_key).
//
// Rows are never edited or deleted: a phone that pinned an old epoch must
// be able to walk the chain to the newest. Anyone may read the keys of an
// active embassy (they are public keys); staff read their own embassy's.
// Only the server writes rows, through checked routes.
//
// reports.sealed holds the seal.Envelope of a report's private fields
// (seal.ReportBody) when they are sealed; those fields are then empty.
// reports.sealed_by says who sealed it: the reporter's phone, or the
// server on arrival for a channel that sends plaintext.

func init() {
	m.Register(func(app core.App) error {
		embassies, err := app.FindCollectionByNameOrId("embassies")
		if err != nil {
			return err
		}
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		c := core.NewBaseCollection("embassy_keys")
		read := "embassy.active = true || (" + isStaff + " && embassy = @request.auth.embassy)"
		c.ListRule = types.Pointer(read)
		c.ViewRule = types.Pointer(read)
		c.Fields.Add(
			&core.RelationField{Name: "embassy", CollectionId: embassies.Id, Required: true, MaxSelect: 1, Presentable: true},
			&core.NumberField{Name: "epoch", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Presentable: true},
			&core.TextField{Name: "kid", Required: true, Max: 64, Pattern: `^[A-Za-z0-9_-]{8,64}$`},
			&core.TextField{Name: "public_key", Required: true, Max: 100, Pattern: `^[A-Za-z0-9_-]{87}$`, Help: "HPKE public key (P-256, uncompressed, base64url)."},
			&core.TextField{Name: "verify_key", Required: true, Max: 100, Pattern: `^[A-Za-z0-9_-]{87}$`, Help: "ECDSA P-256 key that signs the next epoch."},
			&core.TextField{Name: "signature", Max: 100, Pattern: `^([A-Za-z0-9_-]{86})?$`, Help: "The previous epoch's signature of this one; empty for epoch 1."},
			&core.RelationField{Name: "created_by", CollectionId: staff.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		c.AddIndex("idx_embassy_keys_epoch", true, "embassy, epoch", "")
		c.AddIndex("idx_embassy_keys_kid", true, "kid", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("embassy_keys: %w", err)
		}

		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		reports.Fields.Add(
			&core.JSONField{Name: "sealed", MaxSize: 64 << 10, Help: "The sealed private fields (HPKE envelope); only the embassy's staff can open it, in their browsers."},
			&core.SelectField{Name: "sealed_by", Values: []string{"phone", "server"}, MaxSelect: 1, Help: "Who sealed the private fields: the reporter's phone, or the server on arrival (a channel that sends plaintext)."},
		)
		if err := app.Save(reports); err != nil {
			return fmt.Errorf("reports sealed: %w", err)
		}
		return nil
	}, func(app core.App) error {
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		reports.Fields.RemoveByName("sealed")
		reports.Fields.RemoveByName("sealed_by")
		if err := app.Save(reports); err != nil {
			return err
		}
		c, err := app.FindCollectionByNameOrId("embassy_keys")
		if err != nil {
			return err
		}
		return app.Delete(c)
	})
}
