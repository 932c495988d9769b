package staff

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/vocab"
)

// printHandler serves POST /api/staff/reports/{id}/print: the console
// calls it before it prints a report's case sheet. A printed sheet leaves
// the system's reach, so the print is on the audit trail as a "print"
// event by the caller, and the sheet's footer carries the name and time
// the server gives here, not the browser's clock.
func printHandler(e *core.RequestEvent) error {
	report, err := e.App.FindRecordById(reports.CollectionReports, e.Request.PathValue("id"))
	// Another embassy's report gets the same answer as a missing one.
	if err != nil || report.GetString("embassy") != embassyOf(e) {
		return e.NotFoundError("The report was not found.", err)
	}
	ev, err := reports.SaveEvent(e.App, reports.Event{
		Report: report,
		Kind:   vocab.EventPrint,
		Note:   "case sheet printed",
		Actor:  reports.ActorFromAuth(e.Auth),
	})
	if err != nil {
		return e.InternalServerError("Failed to log the print.", err)
	}
	name := e.Auth.GetString("name")
	if name == "" {
		name = e.Auth.Email()
	}
	return e.JSON(http.StatusOK, map[string]any{
		"report":    report.Id,
		"event":     ev.Id,
		"printedBy": name,
		"printed":   ev.GetDateTime("created"),
	})
}
