package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The optional escrow key (docs/SECURITY.md, "Escrow key"), off unless a
// superuser sets one for an embassy:
//   - embassy_escrow: an embassy's escrow public key (HPKE P-256) and who
//     holds its private key (label, e.g. the ministry's key custodian). One
//     per embassy, written by superusers only (`homeward escrow set` or the
//     dashboard); its staff read it, so every member sees it.
//   - embassy_escrow_grants: each key epoch's private keys sealed, in the
//     staff browser that made the epoch, to the escrow key: a grant as a
//     member's, to the escrow instead. Written only by /api/sealkeys with
//     the epoch; read by superusers (for the escrow holder).
//   - embassy_keys gains escrow_kid, escrow_label and escrow_signature:
//     the escrow an epoch was sealed to, signed with the epoch's own
//     signing key in that browser (sealkeys.EscrowStatement), so staff
//     browsers can check which escrow each epoch went to without trusting
//     the server. Empty for an epoch with no escrow.

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
		keys, err := app.FindCollectionByNameOrId("embassy_keys")
		if err != nil {
			return err
		}
		read := isStaff + " && embassy = @request.auth.embassy"

		escrow := core.NewBaseCollection("embassy_escrow")
		escrow.ListRule = types.Pointer(read)
		escrow.ViewRule = types.Pointer(read)
		escrow.Fields.Add(
			&core.RelationField{Name: "embassy", CollectionId: embassies.Id, Required: true, MaxSelect: 1, Presentable: true},
			&core.TextField{Name: "label", Required: true, Max: 200, Presentable: true, Help: "Who holds the escrow private key, as every member of staff will read it (e.g. Ministry of Foreign Affairs, key custodian's office)."},
			&core.TextField{Name: "public_key", Required: true, Max: 100, Pattern: `^[A-Za-z0-9_-]{87}$`, Help: "The escrow's HPKE public key (P-256, uncompressed, base64url), as `homeward escrow keygen` prints it."},
			&core.TextField{Name: "kid", Max: 64, Help: "Set by the server: the key id of public_key; its fingerprint is shown to staff."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		escrow.AddIndex("idx_embassy_escrow_embassy", true, "embassy", "")
		if err := app.Save(escrow); err != nil {
			return fmt.Errorf("embassy_escrow: %w", err)
		}

		grants := core.NewBaseCollection("embassy_escrow_grants")
		grants.Fields.Add(
			&core.RelationField{Name: "embassy", CollectionId: embassies.Id, Required: true, MaxSelect: 1},
			&core.RelationField{Name: "key", CollectionId: keys.Id, Required: true, MaxSelect: 1, Presentable: true},
			&core.NumberField{Name: "epoch", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.TextField{Name: "escrow_kid", Required: true, Max: 64, Pattern: `^[A-Za-z0-9_-]{16}$`, Help: "The escrow key it is sealed to."},
			&core.JSONField{Name: "wrapped", MaxSize: 2 << 10, Help: "The epoch's private keys, sealed to the escrow key (HPKE)."},
			&core.RelationField{Name: "granted_by", CollectionId: staff.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		grants.AddIndex("idx_embassy_escrow_grants_key", true, "key", "")
		if err := app.Save(grants); err != nil {
			return fmt.Errorf("embassy_escrow_grants: %w", err)
		}

		keys.Fields.Add(
			&core.TextField{Name: "escrow_kid", Max: 64, Pattern: `^([A-Za-z0-9_-]{16})?$`, Help: "The escrow key this epoch is sealed to, if any."},
			&core.TextField{Name: "escrow_label", Max: 200, Help: "Who holds that escrow key, as signed into the epoch."},
			&core.TextField{Name: "escrow_signature", Max: 100, Pattern: `^([A-Za-z0-9_-]{86})?$`, Help: "This epoch's own signature of its escrow (sealkeys.EscrowStatement)."},
		)
		if err := app.Save(keys); err != nil {
			return fmt.Errorf("embassy_keys escrow: %w", err)
		}
		return nil
	}, func(app core.App) error {
		keys, err := app.FindCollectionByNameOrId("embassy_keys")
		if err != nil {
			return err
		}
		for _, f := range []string{"escrow_kid", "escrow_label", "escrow_signature"} {
			keys.Fields.RemoveByName(f)
		}
		if err := app.Save(keys); err != nil {
			return err
		}
		for _, name := range []string{"embassy_escrow_grants", "embassy_escrow"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}
