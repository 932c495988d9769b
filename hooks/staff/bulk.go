package staff

import (
	"errors"
	"fmt"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/vocab"
)

// maxBulkReports bounds one bulk change: the largest page the console
// shows, so a caseworker can change a whole page at once, in one
// transaction short enough not to hold back the sync pushes waiting on it.
const maxBulkReports = 200

// bulkForm is the body of POST /api/staff/reports/bulk. Assignee is a
// pointer so that "" (unassign) and absent (leave as is) differ.
type bulkForm struct {
	Ids      []string `json:"ids"`
	Status   string   `json:"status"`
	Assignee *string  `json:"assignee"`
}

var statusValues = func() []any {
	out := make([]any, len(vocab.Statuses))
	for i, s := range vocab.Statuses {
		out[i] = s
	}
	return out
}()

var errBulkNothing = validation.NewError("validation_bulk_nothing", "Give a status, an assignee or both.")

// Validate checks the ids and the status; the assignee is checked by the
// reports hooks when each report is saved.
func (f *bulkForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Ids, validation.Required, validation.Length(1, maxBulkReports), validation.By(distinct),
			validation.Each(validation.Required, validation.Length(20, 20))),
		validation.Field(&f.Status, validation.In(statusValues...), validation.When(f.Assignee == nil, validation.Required.ErrorObject(errBulkNothing))),
	)
}

func distinct(value any) error {
	ids, _ := value.([]string)
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return validation.NewError("validation_bulk_repeated", "Each report may be named once.")
		}
		seen[id] = true
	}
	return nil
}

// bulkResult is one changed report in the answer.
type bulkResult struct {
	Id       string `json:"id"`
	Status   string `json:"status"`
	Assignee string `json:"assignee"`
	Version  int    `json:"version"`
}

// errBulkNotFound carries the id of a report the caller may not change.
type errBulkNotFound struct{ id string }

func (e errBulkNotFound) Error() string { return "report " + e.id + " not found" }

// bulkHandler changes the status, the assignee or both of many reports of
// the caller's embassy at once, all or none. Each report is saved through
// PocketBase's public save with the caller as the writer, so every model
// rule applies to each (the staff field whitelist, the assignee check) and
// each gets its own audit events, as if it had been changed alone.
// A report that would not change is left as it is (no version, no event).
func bulkHandler(e *core.RequestEvent) error {
	// The request info (for the update rule) reads the body; the form is
	// taken from what it read.
	form := &bulkForm{}
	info, err := readBody(e, form)
	if err != nil {
		return refuseBody(e, "The bulk change is not valid.", "Failed to read the bulk change.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The bulk change is not valid.", err)
	}
	ctx := reports.WithActor(e.Request.Context(), reports.ActorFromAuth(e.Auth))
	results := make([]bulkResult, 0, len(form.Ids))
	err = e.App.RunInTransaction(func(txApp core.App) error {
		for _, id := range form.Ids {
			rec, err := findChangeable(txApp, info, id)
			if err != nil {
				return err
			}
			if form.Status != "" {
				rec.Set("status", form.Status)
			}
			if form.Assignee != nil {
				rec.Set("assignee", *form.Assignee)
			}
			if rec.GetString("status") != rec.Original().GetString("status") ||
				rec.GetString("assignee") != rec.Original().GetString("assignee") {
				if err := txApp.SaveWithContext(ctx, rec); err != nil {
					return fmt.Errorf("report %s: %w", id, err)
				}
			}
			results = append(results, bulkResult{Id: rec.Id, Status: rec.GetString("status"),
				Assignee: rec.GetString("assignee"), Version: rec.GetInt("version")})
		}
		return nil
	})
	var notFound errBulkNotFound
	var invalid validation.Errors
	switch {
	case errors.As(err, &notFound):
		return e.NotFoundError("Report "+notFound.id+" was not found.", nil)
	case errors.As(err, &invalid):
		return e.BadRequestError("The bulk change is not valid.", invalid)
	case errors.Is(err, reports.ErrStaffField):
		return reports.ErrStaffField
	case err != nil:
		return e.BadRequestError("Failed to change the reports.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": results})
}

// findChangeable returns the report id when the caller may update it by
// the collection's update rule (the same rule a PATCH of the records API
// obeys), or errBulkNotFound: another embassy's report is answered like a
// missing one.
func findChangeable(txApp core.App, info *core.RequestInfo, id string) (*core.Record, error) {
	rec, err := txApp.FindRecordById(reports.CollectionReports, id)
	if err != nil {
		return nil, errBulkNotFound{id}
	}
	ok, err := txApp.CanAccessRecord(rec, info, rec.Collection().UpdateRule)
	if err != nil {
		return nil, fmt.Errorf("check update rule: %w", err)
	}
	if !ok {
		return nil, errBulkNotFound{id}
	}
	return rec, nil
}
