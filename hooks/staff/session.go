package staff

import "github.com/pocketbase/pocketbase/core"

// fieldIdleMinutes is the embassy's idle timeout for the console: see
// pb_migrations/1764120400_staff_idle.go.
const fieldIdleMinutes = "staff_idle_minutes"

// showIdleToOwnStaff lets the embassy's own staff read its idle timeout,
// a hidden field, wherever the records API or realtime sends the embassy:
// the console signs out by it. The public embassy list keeps it hidden.
func showIdleToOwnStaff(e *core.RecordEnrichEvent) error {
	if e.RequestInfo != nil && e.RequestInfo.Auth != nil &&
		e.RequestInfo.Auth.Collection().Name == CollectionStaff &&
		e.RequestInfo.Auth.GetString("embassy") == e.Record.Id {
		e.Record.Unhide(fieldIdleMinutes)
	}
	return e.Next()
}
