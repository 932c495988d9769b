package reports

import (
	"github.com/pocketbase/pocketbase/core"
)

// registerEventGuard makes the audit trail append-only through the API for
// everyone, superusers included: an event, once written, is evidence.
// (Internal cascades, such as clearing a deleted report's relation, still
// work because they are not API requests.)
func registerEventGuard(app core.App) {
	app.OnRecordUpdateRequest(CollectionEvents).BindFunc(func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Report events are append-only and cannot be changed.", nil)
	})
	app.OnRecordDeleteRequest(CollectionEvents).BindFunc(func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Report events are append-only and cannot be deleted.", nil)
	})
}
