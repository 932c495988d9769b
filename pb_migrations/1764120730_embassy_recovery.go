package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// embassy_recovery: an embassy's paper recovery key (docs/SECURITY.md,
// "Paper recovery"). Its private key is split in a staff browser into
// three shares, any two of which rebuild it (Shamir's secret sharing),
// printed and never stored; the record keeps its public key and every key
// epoch sealed to it, so the embassy's key survives every holder losing
// their passphrase. One per embassy: new shares replace the old. Staff of
// the embassy read it; only /api/sealkeys writes it.

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
		c := core.NewBaseCollection("embassy_recovery")
		read := isStaff + " && embassy = @request.auth.embassy"
		c.ListRule = types.Pointer(read)
		c.ViewRule = types.Pointer(read)
		c.Fields.Add(
			&core.RelationField{Name: "embassy", CollectionId: embassies.Id, Required: true, MaxSelect: 1, Presentable: true},
			&core.TextField{Name: "kid", Required: true, Max: 64, Pattern: `^[A-Za-z0-9_-]{16}$`},
			&core.TextField{Name: "public_key", Required: true, Max: 100, Pattern: `^[A-Za-z0-9_-]{87}$`, Help: "HPKE public key of the recovery key (P-256, base64url)."},
			&core.JSONField{Name: "wrapped", MaxSize: 256 << 10, Help: "Each key epoch's private keys sealed to the recovery key, by epoch."},
			&core.RelationField{Name: "created_by", CollectionId: staff.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		c.AddIndex("idx_embassy_recovery_embassy", true, "embassy", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("embassy_recovery: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("embassy_recovery")
		if err != nil {
			return err
		}
		return app.Delete(c)
	})
}
