package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// staff_keys and embassy_key_grants: how an embassy's private keys reach
// its staff's browsers without the server ever holding them
// (docs/SECURITY.md, "Embassy keys").
//
//   - staff_keys: each member of staff's personal key pair, made in their
//     browser: the HPKE P-256 public key (base64url, 65-byte point), its
//     kid (internal/seal.KeyID), and the private key's backup, encrypted
//     in the browser under a passphrase of the member's own (PBKDF2-SHA256,
//     AES-GCM). Colleagues read the public key (to grant to it); the
//     backup is hidden, handed only to its owner by /api/sealkeys.
//   - embassy_key_grants: an embassy key epoch's private halves, sealed in
//     a holder's browser to a colleague's personal public key (HPKE).
//     Only the holder reads their own grants.
//
// Both are written only through /api/sealkeys (hooks/sealkeys), which
// checks who may grant what; the records API refuses every write.

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

		personal := core.NewBaseCollection("staff_keys")
		colleagues := isStaff + " && staff.embassy = @request.auth.embassy"
		personal.ListRule = types.Pointer(colleagues)
		personal.ViewRule = types.Pointer(colleagues)
		personal.Fields.Add(
			&core.RelationField{Name: "staff", CollectionId: staff.Id, Required: true, MaxSelect: 1, CascadeDelete: true, Presentable: true},
			&core.TextField{Name: "kid", Required: true, Max: 64, Pattern: `^[A-Za-z0-9_-]{16}$`},
			&core.TextField{Name: "public_key", Required: true, Max: 100, Pattern: `^[A-Za-z0-9_-]{87}$`, Help: "HPKE public key (P-256, uncompressed, base64url)."},
			&core.JSONField{Name: "backup", Hidden: true, MaxSize: 4 << 10, Help: "The private key, encrypted in the browser under the member's passphrase."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		personal.AddIndex("idx_staff_keys_staff", true, "staff", "")
		if err := app.Save(personal); err != nil {
			return fmt.Errorf("staff_keys: %w", err)
		}

		grants := core.NewBaseCollection("embassy_key_grants")
		own := isStaff + " && staff = @request.auth.id"
		grants.ListRule = types.Pointer(own)
		grants.ViewRule = types.Pointer(own)
		grants.Fields.Add(
			&core.RelationField{Name: "embassy", CollectionId: embassies.Id, Required: true, MaxSelect: 1},
			&core.RelationField{Name: "key", CollectionId: keys.Id, Required: true, MaxSelect: 1, Presentable: true},
			&core.NumberField{Name: "epoch", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.RelationField{Name: "staff", CollectionId: staff.Id, Required: true, MaxSelect: 1, CascadeDelete: true, Presentable: true},
			&core.TextField{Name: "holder_kid", Required: true, Max: 64, Pattern: `^[A-Za-z0-9_-]{16}$`, Help: "The personal key it is sealed to."},
			&core.JSONField{Name: "wrapped", MaxSize: 2 << 10, Help: "The epoch's private keys, sealed to the holder's personal key (HPKE)."},
			&core.RelationField{Name: "granted_by", CollectionId: staff.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		grants.AddIndex("idx_embassy_key_grants_holder", true, "key, staff", "")
		grants.AddIndex("idx_embassy_key_grants_staff", false, "staff", "")
		if err := app.Save(grants); err != nil {
			return fmt.Errorf("embassy_key_grants: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"embassy_key_grants", "staff_keys"} {
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
