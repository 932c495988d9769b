package sealing

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// What staff write about a sealed report is sealed in their browsers; the
// server only checks that it arrived sealed:
//   - a staff reply (messages, direction "staff") with the report's reply
//     key (seal.ReplyEnvelope), so the reporter's phone opens it with the
//     receipt;
//   - a staff note (report_events, kind "note") to the embassy's key
//     (seal.Envelope, bound by seal.NoteClear), so only staff open it.
//
// Either is marked sealed_by "staff". A report in clear (its embassy had
// no key when it came) keeps replies and notes in clear; a reply to it
// cannot be sealed, as no reply key exists for it.

// staffKind is what differs between a reply and a note.
type staffKind struct {
	field  string                  // the private field, empty once sealed
	ours   func(*core.Record) bool // whether the record is a reply or a note
	check  func(core.App, *core.Record, string) error
	needed string // what the refusal of plaintext says
}

var staffKinds = map[string]staffKind{
	CollectionMessages: {
		field: "body",
		ours:  func(r *core.Record) bool { return r.GetString("direction") == vocab.DirectionStaff },
		check: func(app core.App, r *core.Record, embassy string) error {
			if sealedAfterwards(r, "body") {
				// seal-existing: a reply stored in clear, sealed to the
				// embassy's key (the server has no reply key for it).
				return checkNoteEnvelope(app, r, embassy)
			}
			return checkReplyEnvelope(r)
		},
		needed: "The report is sealed: a reply to it is sealed in the staff browser with the report's reply key " +
			"and sent in sealed, with body empty.",
	},
	reports.CollectionEvents: {
		field: "note",
		ours:  func(r *core.Record) bool { return r.GetString("kind") == vocab.EventNote },
		check: checkNoteEnvelope,
		needed: "The report is sealed: a note on it is sealed in the staff browser to the embassy's key " +
			"and sent in sealed, with note empty.",
	},
}

// registerStaffSide binds the rules for replies and notes.
func registerStaffSide(app core.App) {
	for coll := range staffKinds {
		app.OnRecordCreate(coll).BindFunc(markStaffSealed)
		app.OnRecordUpdate(coll).BindFunc(markStaffSealed)
		app.OnRecordValidate(coll).BindFunc(checkStaffSide)
		// Again right before the row is written: a write that skipped
		// validation (SaveNoValidate) must not store plaintext either.
		app.OnRecordCreateExecute(coll).BindFunc(checkStaffSide)
		app.OnRecordUpdateExecute(coll).BindFunc(checkStaffSide)
	}
}

// markStaffSealed keeps sealed_by the server's to say: "staff" for a new
// envelope on a reply or note, "server" for one on a reply or note that
// was stored in clear (seal-existing seals those), the stored value
// otherwise.
func markStaffSealed(e *core.RecordEvent) error {
	k := staffKinds[e.Record.Collection().Name]
	if k.ours(e.Record) {
		by := vocab.SealedByStaff
		if sealedAfterwards(e.Record, k.field) {
			by = vocab.SealedByServer
		}
		setSealedBy(e.Record, by)
	}
	return e.Next()
}

// sealedAfterwards reports whether a write seals a reply or note that
// was stored in clear: its stored text is set and it had no envelope.
func sealedAfterwards(r *core.Record, field string) bool {
	if r.IsNew() {
		return false
	}
	o := r.Original()
	return o.GetString(field) != "" && envelope(o) == nil && envelope(r) != nil
}

// checkStaffSide refuses a reply or note of a sealed report whose text
// arrives in clear, or whose envelope is not one the reporter's phone or
// the staff could open; and an envelope on a reply to a report in clear.
// Only a write that sets the text or the envelope is checked: marking a
// reply read, or any write to one stored before its report was sealed,
// passes.
func checkStaffSide(e *core.RecordEvent) error {
	k := staffKinds[e.Record.Collection().Name]
	r := e.Record
	if !k.ours(r) || !contentChanged(k, r) {
		return e.Next()
	}
	embassy, sealed, err := reportSealed(e.App, r.GetString("report"))
	if err != nil {
		return err
	}
	env := envelope(r)
	switch {
	case sealed && r.GetString(k.field) != "":
		return validation.Errors{k.field: validation.NewError("validation_report_sealed", k.needed)}
	case sealed && env == nil:
		return validation.Errors{FieldSealed: validation.NewError("validation_required", k.needed)}
	case env == nil:
		return e.Next()
	case r.GetString(k.field) != "":
		return validation.Errors{k.field: validation.NewError("validation_sealed_field_set",
			"A sealed record keeps this field only in its envelope; send it empty.")}
	}
	if !sealedChanged(r) {
		return e.Next()
	}
	if !sealed && r.Collection().Name == CollectionMessages {
		return validation.Errors{FieldSealed: validation.NewError("validation_report_not_sealed",
			"The report is not sealed and has no reply key: a reply to it is sent in clear, in body.")}
	}
	if err := k.check(e.App, r, embassy); err != nil {
		var verr validation.Error
		if errors.As(err, &verr) {
			return validation.Errors{FieldSealed: err}
		}
		return err
	}
	return e.Next()
}

// contentChanged reports whether a write sets a reply's or note's text or
// envelope: any new record, or an update that changes either.
func contentChanged(k staffKind, r *core.Record) bool {
	if r.IsNew() {
		return true
	}
	o := r.Original()
	return r.GetString(k.field) != o.GetString(k.field) || sealedChanged(r)
}

// reportSealed returns the embassy of a report and whether it is sealed.
// A missing report is not sealed: the relation's own validation refuses
// the record.
func reportSealed(app core.App, report string) (embassy string, sealed bool, err error) {
	if report == "" {
		return "", false, nil
	}
	var row struct {
		Embassy string         `db:"embassy"`
		Sealed  sql.NullString `db:"sealed"`
	}
	err = app.DB().Select("embassy", "sealed").From(reports.CollectionReports).
		Where(dbx.HashExp{"id": report}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find the report: %w", err)
	}
	s := row.Sealed.String
	return row.Embassy, s != "" && s != "null" && s != `""`, nil
}

// checkReplyEnvelope checks a reply envelope's shape (the server has no
// reply key to open it).
func checkReplyEnvelope(r *core.Record) error {
	_, err := seal.ParseReplyEnvelope(envelope(r))
	if errors.Is(err, seal.ErrFormat) {
		return validation.NewError("validation_envelope_version",
			fmt.Sprintf("A reply's envelope must be version %d with the suite %s.", seal.Version, seal.ReplySuiteName))
	}
	if err != nil {
		return validation.NewError("validation_envelope_shape",
			"A reply's envelope must have exactly v, suite, nonce (12 bytes) and ct (a padded body of at most 32 KiB), base64url.")
	}
	return nil
}

// checkNoteEnvelope checks a note's envelope as a reporter's message's:
// shape, and sealed to one of the embassy's keys.
func checkNoteEnvelope(app core.App, r *core.Record, embassy string) error {
	k := kind{embassy: func(core.App, *core.Record) (string, error) { return embassy, nil }}
	return checkEnvelope(app, k, r)
}
