package privacy

import (
	"github.com/pocketbase/pocketbase/core"
)

// PrivateCollections are never readable without signing in. Their API rules
// already filter by the caller, which would answer a guest with an empty
// list; refusing outright makes the boundary explicit and testable.
var PrivateCollections = []string{"reports", "attachments", "messages", "report_events", "qr_links", "devices", "staff", "volunteers", "staff_views", "staff_keys", "embassy_key_grants", "embassy_recovery", "embassy_escrow"}

func registerGuestRefusal(app core.App) {
	app.OnRecordsListRequest(PrivateCollections...).BindFunc(func(e *core.RecordsListRequestEvent) error {
		if e.Auth == nil {
			return e.UnauthorizedError("Sign in to see these records.", nil)
		}
		return e.Next()
	})
	app.OnRecordViewRequest(PrivateCollections...).BindFunc(func(e *core.RecordRequestEvent) error {
		if e.Auth == nil {
			return e.UnauthorizedError("Sign in to see this record.", nil)
		}
		return e.Next()
	})
}
