// Package reports holds the rules every report follows, whichever way it is
// written (the records API, /api/batch, the dashboard, a sync push, Go
// code): defaults, the urgency flag, the version counter sync conflicts
// compare, which fields staff may change, the duplicate and assignee
// checks, and the append-only audit trail of status, routing, duplicate and
// assignee changes. Each
// rule is a model-level hook, so no write path can skip it; the writer
// reaches the hooks as an Actor (WithActor, ActorOf). docs/ARCHITECTURE.md
// has the table of where each rule lives.
package reports

import (
	"reflect"
	"slices"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/internal/vocab"
)

// Collection names used across Homeward.
const (
	CollectionReports = "reports"
	CollectionEvents  = "report_events"
)

// StaffEditable lists the report fields embassy staff may change: triage,
// routing and who of them looks after it, never what the reporter wrote.
var StaffEditable = []string{"status", "duplicate_of", "embassy", "assignee"}

// StaffEditableOnRoute lists the report fields staff may change only in
// the write that routes the report to another embassy: its envelope,
// which their browser opens and seals again to the new embassy's key
// (hooks/sealing holds what that envelope must be).
var StaffEditableOnRoute = []string{"sealed"}

// CollectionStaff is the auth collection of embassy staff, whom a report
// may be assigned to.
const CollectionStaff = "staff"

// serverOwned are the report fields the server sets on every write
// (see onCreate and onUpdate), which no writer's change is judged by.
var serverOwned = []string{"version", "urgent", FieldLastActivity}

// FieldLastActivity is the report field holding when the report or its
// conversation last changed: set on every write of the report here, and
// on every message by hooks/staff. The staff console sorts by it and finds
// reports idle too long with it.
const FieldLastActivity = "last_activity"

// Register binds the report rules to app.
func Register(app core.App) error {
	app.OnRecordCreate(CollectionReports).BindFunc(onCreate)
	app.OnRecordUpdate(CollectionReports).BindFunc(onUpdate)
	app.OnRecordValidate(CollectionReports).BindFunc(onValidate)
	app.OnRecordUpdateExecute(CollectionReports).BindFunc(logChanges)
	registerRequestActors(app)
	registerStaleCopyGuard(app)
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
	e.Record.Set(FieldLastActivity, types.NowDateTime())
	return e.Next()
}

// onUpdate holds staff to triage fields, and raises the version on every
// change, so a sync client holding an older copy gets a conflict instead of
// overwriting someone else's work.
func onUpdate(e *core.RecordEvent) error {
	if err := checkStaffFields(e); err != nil {
		return err
	}
	keepAssigneeInEmbassy(e.Record)
	dropDuplicateMarkWithItsStatus(e.Record)
	e.Record.Set("version", e.Record.Original().GetInt("version")+1)
	e.Record.Set("urgent", IsUrgent(e.Record))
	e.Record.Set(FieldLastActivity, types.NowDateTime())
	return e.Next()
}

// dropDuplicateMarkWithItsStatus clears the "duplicate of" mark of a
// report moved out of the duplicate status by a change that leaves the
// mark as it was (a bulk change, a status picked in the console): a
// report is a duplicate, left out of the counts, or it is not, never
// "assisted" and a duplicate at once.
func dropDuplicateMarkWithItsStatus(r *core.Record) {
	orig := r.Original()
	if orig.GetString("status") == vocab.StatusDuplicate && r.GetString("status") != vocab.StatusDuplicate &&
		r.GetString("duplicate_of") == orig.GetString("duplicate_of") {
		r.Set("duplicate_of", "")
	}
}

// onValidate checks a report's duplicate mark and assignee on every write
// path (the records API, a push, the dashboard, Go code): the mark must
// name another report of the same embassy, the assignee a member of the
// report's embassy's staff.
func onValidate(e *core.RecordEvent) error {
	errs := validation.Errors{}
	if !e.Record.IsNew() {
		if err := validateDuplicate(e.App, e.Record); err != nil {
			errs["duplicate_of"] = validation.NewError("validation_invalid_duplicate",
				"The report it duplicates must be another report of the same embassy.")
		}
	}
	if err := validateAssignee(e.App, e.Record); err != nil {
		errs["assignee"] = validation.NewError("validation_invalid_assignee",
			"The assignee must be a member of the staff of the report's embassy.")
	}
	if len(errs) > 0 {
		return errs
	}
	return e.Next()
}

// IsUrgent reports whether a report needs attention first, by the urgency
// rule of vocab.Urgent (a safety risk now, minors present, a medical need).
func IsUrgent(r *core.Record) bool {
	return vocab.Urgent(r.GetBool, r.GetStringSlice("needs"))
}

// ErrStaffField is the answer when staff change a field that is not theirs
// to change: a 403 in PocketBase's JSON shape on every path.
var ErrStaffField = router.NewForbiddenError("Staff may change only the status, duplicate, embassy and assignee of a report.", nil)

// checkStaffFields refuses a staff member's update of a report that changes
// anything but StaffEditable. It compares the record with its stored copy,
// so it holds on every write path (REST, /api/batch, push, Go code acting
// with WithActor), and a request that sends a field unchanged is not
// refused for it.
func checkStaffFields(e *core.RecordEvent) error {
	if ActorOf(e).StaffId == "" {
		return nil
	}
	orig := e.Record.Original()
	routed := e.Record.GetString("embassy") != orig.GetString("embassy")
	for _, f := range e.Record.Collection().Fields {
		name := f.GetName()
		if f.Type() == core.FieldTypeAutodate || slices.Contains(StaffEditable, name) || slices.Contains(serverOwned, name) ||
			(routed && slices.Contains(StaffEditableOnRoute, name)) {
			continue
		}
		if !reflect.DeepEqual(e.Record.GetRaw(name), orig.GetRaw(name)) {
			return ErrStaffField
		}
	}
	return nil
}

// logChanges writes the audit events of a report's update (status,
// routing, duplicate mark, assignee) in the same transaction as the update, with the
// writer as their actor (ActorOf), on every write path.
func logChanges(e *core.RecordEvent) error {
	actor := ActorOf(e)
	return WithinWrite(e, func(txApp core.App) error {
		return writeChangeEvents(txApp, e.Record, actor)
	})
}
