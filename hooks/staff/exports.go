package staff

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/vocab"
)

// A sealed report's private fields open only in a staff browser, so the
// console builds its CSV export there (pb_public/staff/export.js) and
// tells the server which reports it exported, before the download: the
// server checks the caller may see every one of them and writes the audit
// trail. No report content reaches the server; only the ids do.

// exportedIDsInNote is how many report ids one export event's note lists:
// the note holds 4000 characters, and a report id is 15 to 20.
const exportedIDsInNote = 150

// recordID is the shape of a record id (PocketBase's default pattern).
var recordID = regexp.MustCompile(`^[a-z0-9]{1,64}$`)

// exportedForm is the body of POST /api/staff/exports.
type exportedForm struct {
	Ids     []string `json:"ids"`     // the reports in the file, at most maxExportRows
	Format  string   `json:"format"`  // "csv", or "htcds" (the HTCDS export, hooks/staff/htcds.go)
	Contact bool     `json:"contact"` // the file has the contact columns
	Filter  string   `json:"filter"`  // the list filter the file was made with, for the record
}

// Validate checks the ids, the format and the filter's length.
func (f *exportedForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Ids, validation.Required, validation.Length(1, maxExportRows),
			validation.Each(validation.Required, validation.Match(recordID))),
		validation.Field(&f.Format, validation.Required, validation.In("csv", "htcds")),
		validation.Field(&f.Filter, validation.RuneLength(0, maxFilterLength)),
	)
}

// exportedHandler records an export the console made in the browser: it
// refuses the whole export if the caller may not list any one of the
// reports (the reports' list rule and the caller's embassy, as the list
// and the server's export apply them; a report that does not exist is
// refused the same way), and otherwise writes export events listing
// every id, exportedIDsInNote to an event, in one transaction.
func exportedHandler(e *core.RequestEvent) error {
	// The request info (for the list rule) reads the body; the form is
	// taken from what it read, as the bulk change's is.
	form := &exportedForm{}
	_, err := readBody(e, form)
	if err != nil {
		return refuseBody(e, "The export is not valid.", "Failed to read the export.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The export is not valid.", err)
	}
	ids := slices.Clone(form.Ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// An HTCDS file may hold only reports whose reporter agreed to sharing.
	filter := ""
	if form.Format == "htcds" {
		filter = sharedFilter
	}
	seen := 0
	for chunk := range slices.Chunk(ids, exportPage) {
		q, err := scopedReports(e, filter, "reports.id")
		if err != nil {
			return e.InternalServerError("Failed to check the reports.", err)
		}
		var found []string
		if err := q.AndWhere(dbx.In("reports.id", anySlice(chunk)...)).Distinct(true).Column(&found); err != nil {
			return e.InternalServerError("Failed to check the reports.", err)
		}
		seen += len(found)
	}
	if seen != len(ids) {
		return e.ForbiddenError("Some of these reports are not yours to export.", nil)
	}

	what := "CSV export made in the browser, without contact fields"
	switch {
	case form.Format == "htcds":
		what = "HTCDS export made in the browser of the reports whose reporter agreed to sharing"
	case form.Contact:
		what = "CSV export made in the browser, WITH contact fields"
	}
	if form.Filter != "" {
		what += "; filter: " + truncate(form.Filter, 500)
	}
	parts := (len(form.Ids) + exportedIDsInNote - 1) / exportedIDsInNote
	err = e.App.RunInTransaction(func(txApp core.App) error {
		part := 0
		// The ids in the file's order, so the record reads as the file.
		for chunk := range slices.Chunk(form.Ids, exportedIDsInNote) {
			part++
			note := fmt.Sprintf("%s; %d reports", what, len(form.Ids))
			if parts > 1 {
				note += fmt.Sprintf(" (ids %d of %d)", part, parts)
			}
			note += ": " + strings.Join(chunk, " ")
			err := reports.WriteEvent(txApp, reports.Event{
				EmbassyId: embassyOf(e),
				Kind:      vocab.EventExport,
				Note:      truncate(note, 4000),
				Actor:     reports.ActorFromAuth(e.Auth),
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return e.InternalServerError("Failed to log the export.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"reports": len(form.Ids), "events": parts})
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
