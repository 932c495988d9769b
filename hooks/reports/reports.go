// Package reports holds the rules every report follows, whichever way it
// arrives (sync push, staff console, dashboard): defaults, the urgency flag,
// the version counter sync conflicts compare, which fields staff may change,
// and the append-only audit trail of status changes.
package reports

import (
	"slices"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/vocab"
)

// Collection names used across Homeward.
const (
	CollectionReports = "reports"
	CollectionEvents  = "report_events"
)

// staffEditable lists the report fields embassy staff may change: triage
// and routing only, never what the reporter wrote.
var staffEditable = []string{"status", "duplicate_of", "embassy"}

// Register binds the report rules to app.
func Register(app core.App) error {
	app.OnRecordCreate(CollectionReports).BindFunc(onCreate)
	app.OnRecordUpdate(CollectionReports).BindFunc(onUpdate)
	app.OnRecordValidate(CollectionReports).BindFunc(onValidate)
	app.OnRecordUpdateRequest(CollectionReports).BindFunc(onUpdateRequest)
	registerEventGuard(app)
	registerComposedText(app)
	registerNationality(app)
	return nil
}

// onCreate fills the server-owned fields of a new report.
func onCreate(e *core.RecordEvent) error {
	if e.Record.GetString("status") == "" {
		e.Record.Set("status", vocab.StatusNew)
	}
	if e.Record.GetString("channel") == "" {
		e.Record.Set("channel", vocab.ChannelSelf)
	}
	e.Record.Set("version", 1)
	e.Record.Set("urgent", IsUrgent(e.Record))
	return e.Next()
}

// onUpdate raises the version on every change, so a sync client holding an
// older copy gets a conflict instead of overwriting someone else's work.
func onUpdate(e *core.RecordEvent) error {
	e.Record.Set("version", e.Record.Original().GetInt("version")+1)
	e.Record.Set("urgent", IsUrgent(e.Record))
	return e.Next()
}

// onValidate checks a report's duplicate mark on every write path (the
// records API, a push, the dashboard, Go code): it must name another
// report of the same embassy.
func onValidate(e *core.RecordEvent) error {
	if !e.Record.IsNew() {
		if err := validateDuplicate(e.App, e.Record); err != nil {
			return validation.Errors{"duplicate_of": validation.NewError("validation_invalid_duplicate",
				"The report it duplicates must be another report of the same embassy.")}
		}
	}
	return e.Next()
}

// IsUrgent reports whether a report needs attention first, by the urgency
// rule of vocab.Urgent (a safety risk now, minors present, a medical need).
func IsUrgent(r *core.Record) bool {
	return vocab.Urgent(r.GetBool, r.GetStringSlice("needs"))
}

// onUpdateRequest limits staff to triage fields and writes the status change to the audit trail in the same transaction.
func onUpdateRequest(e *core.RecordRequestEvent) error {
	if e.Auth != nil && e.Auth.Collection().Name == "staff" {
		info, err := e.RequestInfo()
		if err != nil {
			return e.BadRequestError("Failed to read the request.", err)
		}
		for k := range info.Body {
			if !slices.Contains(staffEditable, k) {
				return e.ForbiddenError("Staff may change only the status, duplicate and embassy of a report.", nil)
			}
		}
	}
	actor := ActorFromAuth(e.Auth)
	// The event's app is put back afterwards, so nothing that runs after the
	// commit holds a finished transaction.
	app := e.App
	defer func() { e.App = app }()
	return app.RunInTransaction(func(txApp core.App) error {
		e.App = txApp
		if err := e.Next(); err != nil {
			return err
		}
		return LogChanges(txApp, e.Record, actor)
	})
}
