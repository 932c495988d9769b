package reports

import (
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/vocab"
)

// Event is one entry of the append-only audit trail.
type Event struct {
	Report     *core.Record // nil for events about many reports, e.g. exports
	EmbassyId  string
	Kind       string
	FromStatus string
	ToStatus   string
	Note       string
	Actor      Actor
}

// WriteEvent appends an event to report_events. Call it with the
// transaction's app so the event commits or rolls back with the change.
func WriteEvent(app core.App, ev Event) error {
	_, err := SaveEvent(app, ev)
	return err
}

// SaveEvent is WriteEvent that returns the stored event, for a caller
// that answers with its id or time.
func SaveEvent(app core.App, ev Event) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(CollectionEvents)
	if err != nil {
		return nil, fmt.Errorf("find events collection: %w", err)
	}
	rec := core.NewRecord(col)
	embassy := ev.EmbassyId
	if ev.Report != nil {
		rec.Set("report", ev.Report.Id)
		if embassy == "" {
			embassy = ev.Report.GetString("embassy")
		}
	}
	rec.Set("embassy", embassy)
	rec.Set("kind", ev.Kind)
	rec.Set("from_status", ev.FromStatus)
	rec.Set("to_status", ev.ToStatus)
	rec.Set("note", ev.Note)
	rec.Set("actor", ev.Actor.StaffId)
	rec.Set("actor_label", ev.Actor.Label)
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("write report event: %w", err)
	}
	return rec, nil
}

// writeChangeEvents writes the audit events for what changed between a
// saved report and its original copy: status, routing, duplicate marks and
// the assignee.
// logChanges calls it inside the update's transaction.
func writeChangeEvents(app core.App, report *core.Record, actor Actor) error {
	orig := report.Original()
	if from, to := orig.GetString("status"), report.GetString("status"); from != to {
		if err := WriteEvent(app, Event{Report: report, Kind: vocab.EventStatus, FromStatus: from, ToStatus: to, Actor: actor}); err != nil {
			return err
		}
	}
	if from, to := orig.GetString("embassy"), report.GetString("embassy"); from != to {
		// Recorded under the old embassy too, so it knows where the report went.
		for _, emb := range []string{from, to} {
			err := WriteEvent(app, Event{Report: report, EmbassyId: emb, Kind: vocab.EventRoute, Note: "from " + from + " to " + to, Actor: actor})
			if err != nil {
				return err
			}
		}
	}
	if from, to := orig.GetString("duplicate_of"), report.GetString("duplicate_of"); from != to && to != "" {
		if err := WriteEvent(app, Event{Report: report, Kind: vocab.EventDuplicate, Note: "duplicate of " + to, Actor: actor}); err != nil {
			return err
		}
	}
	if from, to := orig.GetString("assignee"), report.GetString("assignee"); from != to {
		if err := WriteEvent(app, Event{Report: report, Kind: vocab.EventAssign, Note: AssignNote(from, to), Actor: actor}); err != nil {
			return err
		}
	}
	return nil
}

// nobody stands for no assignee in an assign event's note.
const nobody = "nobody"

// AssignNote is the note of an assign event: "from <staff id> to <staff
// id>", with "nobody" for no assignee. The console names the ids.
func AssignNote(from, to string) string {
	name := func(id string) string {
		if id == "" {
			return nobody
		}
		return id
	}
	return "from " + name(from) + " to " + name(to)
}

// keepAssigneeInEmbassy lets a report routed to another embassy go
// unassigned, since its assignee cannot follow it there; the change is
// logged as any other change of assignee.
func keepAssigneeInEmbassy(report *core.Record) {
	orig := report.Original()
	if report.GetString("embassy") != orig.GetString("embassy") &&
		report.GetString("assignee") != "" && report.GetString("assignee") == orig.GetString("assignee") {
		report.Set("assignee", "")
	}
}

var errAssigneeElsewhere = errors.New("the assignee is staff of another embassy")

// validateAssignee checks that a report's assignee, when set or changed, is
// a member of the staff of the report's embassy.
func validateAssignee(app core.App, report *core.Record) error {
	who := report.GetString("assignee")
	if who == "" {
		return nil
	}
	orig := report.Original()
	if !report.IsNew() && who == orig.GetString("assignee") && report.GetString("embassy") == orig.GetString("embassy") {
		return nil
	}
	staff, err := app.FindRecordById(CollectionStaff, who)
	if err != nil {
		return fmt.Errorf("find assignee: %w", err)
	}
	if staff.GetString("embassy") != report.GetString("embassy") {
		return errAssigneeElsewhere
	}
	return nil
}

var errDuplicateOfSelf = errors.New("a report cannot duplicate itself")

// validateDuplicate checks that duplicate_of names another report of the
// same embassy.
func validateDuplicate(app core.App, report *core.Record) error {
	dup := report.GetString("duplicate_of")
	if dup == "" || dup == report.Original().GetString("duplicate_of") {
		return nil
	}
	if dup == report.Id {
		return errDuplicateOfSelf
	}
	other, err := app.FindRecordById(CollectionReports, dup)
	if err != nil {
		return fmt.Errorf("find duplicated report: %w", err)
	}
	if other.GetString("embassy") != report.GetString("embassy") {
		return errors.New("the duplicated report belongs to another embassy")
	}
	return nil
}

// WithinWrite runs the rest of a record hook chain (the write itself) and
// then also, in the same transaction: it joins the caller's transaction
// when there is one, and otherwise gives the write and also one of their
// own. Bind it to an execute hook (OnRecordCreateExecute and the like),
// which every write path runs. The event's app is put back afterwards:
// the after-success hooks (realtime, urgent notices) run on it once the
// transaction is over, and a finished transaction can no longer be queried.
func WithinWrite(e *core.RecordEvent, also func(txApp core.App) error) error {
	app := e.App
	defer func() { e.App = app }()
	return app.RunInTransaction(func(txApp core.App) error {
		e.App = txApp
		if err := e.Next(); err != nil {
			return err
		}
		return also(txApp)
	})
}
