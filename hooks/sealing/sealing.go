// Package sealing keeps the private fields of a report (seal.SealedReportFields)
// out of the database for every embassy that has a sealing key
// (embassy_keys), whichever way the report is written: the records API,
// /api/batch, the dashboard, a sync push, OpenRosa, Go code.
//
//   - A report that arrives sealed (reports.sealed, sealed on the phone) is
//     checked: an envelope of this version and suite, of a padded size, to a
//     key of its embassy, with every private field empty. It is marked
//     sealed_by "phone"; anything else is refused as a validation error.
//   - A report that arrives in plaintext for an embassy with a key is sealed
//     by the server to the embassy's newest key, right before it is written,
//     and its private fields emptied, so the row, the search index, the
//     change log and everything else written from the row never hold them.
//     It is marked sealed_by "server".
//
// A reporter's message (messages.body, direction "reporter") follows the
// same rules, sealed to the key of its report's embassy. Staff replies and
// notes of a sealed report are sealed in the staff browser and must arrive
// sealed (staffside.go).
//
// An embassy with no key yet receives no plaintext report or reporter's
// message (CodeNoKey), unless it takes them in clear until it has a key
// (embassies.clear_until_keyed; docs/SECURITY.md, "Sealed reports").
package sealing

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// Field and collection names.
const (
	CollectionKeys     = "embassy_keys"
	CollectionMessages = "messages"
	FieldSealed        = "sealed"
	FieldSealedBy      = "sealed_by"
)

// kind is what differs between a sealed report and a sealed message.
type kind struct {
	fields  []string                                     // the private fields, empty on a sealed record
	clear   func(seal.Record) []seal.Field               // the clear fields the envelope is bound to
	body    func(context.Context, *core.Record) any      // the envelope's plaintext, as JSON
	ours    func(*core.Record) bool                      // whether these rules hold for it (a staff reply is the staff side's)
	embassy func(core.App, *core.Record) (string, error) // the embassy whose key it is sealed to
}

var kinds = map[string]kind{
	reports.CollectionReports: {
		fields:  seal.SealedReportFields,
		clear:   seal.ReportClear,
		body:    reportBody,
		ours:    func(*core.Record) bool { return true },
		embassy: func(_ core.App, r *core.Record) (string, error) { return r.GetString("embassy"), nil },
	},
	CollectionMessages: {
		fields: seal.SealedMessageFields,
		clear:  seal.MessageClear,
		body:   func(_ context.Context, r *core.Record) any { return seal.MessageBody{Body: r.GetString("body")} },
		// Staff replies are sealed in the staff browser, to the
		// report's reply key (staffside.go): these rules leave them alone.
		ours:    func(r *core.Record) bool { return r.GetString("direction") == vocab.DirectionReporter },
		embassy: reportEmbassy,
	},
}

// reportEmbassy is the embassy of a message's report.
func reportEmbassy(app core.App, m *core.Record) (string, error) {
	var embassy string
	err := app.DB().Select("embassy").From(reports.CollectionReports).
		Where(dbx.HashExp{"id": m.GetString("report")}).Row(&embassy)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // the relation's own validation refuses the message
	}
	if err != nil {
		return "", fmt.Errorf("find the message's report: %w", err)
	}
	return embassy, nil
}

// Register binds the sealing rules to app. Bind it after reports.Register:
// the server seals what the report rules (defaults, composed text,
// nationality codes) have made of a report, so its binding is to the
// clear fields as stored.
func Register(app core.App) error {
	for coll := range kinds {
		app.OnRecordCreate(coll).BindFunc(markSealedBy)
		app.OnRecordUpdate(coll).BindFunc(markSealedBy)
		app.OnRecordValidate(coll).BindFunc(checkSealed)
		app.OnRecordCreateExecute(coll).BindFunc(sealBeforeWrite)
		app.OnRecordUpdateExecute(coll).BindFunc(sealBeforeWrite)
	}
	registerStaffSide(app)
	registerFiles(app)
	registerDashboard(app)
	return nil
}

// envelope returns a report's sealed field as sent or stored, or nil when
// it has none.
func envelope(r *core.Record) []byte {
	var raw []byte
	switch v := r.GetRaw(FieldSealed).(type) {
	case types.JSONRaw:
		raw = v
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	case nil:
	default:
		raw, _ = json.Marshal(v)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}

// sealedChanged reports whether a write sets a new envelope: any envelope
// on a new report, a different one on an update. The same envelope written
// back in another layout (PocketBase's dashboard indents the JSON fields of
// the form it saves) is the same envelope.
func sealedChanged(r *core.Record) bool {
	env := envelope(r)
	if r.IsNew() {
		return env != nil
	}
	return env != nil && !sameJSON(env, envelope(r.Original()))
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// markSealedBy keeps sealed_by the server's to say: "phone" for a new
// envelope a writer sent, the stored value otherwise. sealBeforeWrite
// sets "server" when the server seals.
func markSealedBy(e *core.RecordEvent) error {
	if !kinds[e.Record.Collection().Name].ours(e.Record) {
		return e.Next()
	}
	if resealed(e.Record) {
		// A body sealed again (a report routed to another embassy, in a
		// staff browser) is still what its first sealer sealed.
		e.Record.Set(FieldSealedBy, e.Record.Original().GetString(FieldSealedBy))
		return e.Next()
	}
	setSealedBy(e.Record, vocab.SealedByPhone)
	return e.Next()
}

// resealed reports whether an update replaces a stored envelope with
// another.
func resealed(r *core.Record) bool {
	return !r.IsNew() && envelope(r.Original()) != nil && sealedChanged(r)
}

// setSealedBy sets r's sealed_by to by when the write brings a new
// envelope, keeps the stored value otherwise, and leaves a new record
// without one empty: no writer chooses what it says.
func setSealedBy(r *core.Record, by string) {
	switch {
	case sealedChanged(r):
		r.Set(FieldSealedBy, by)
	case r.IsNew():
		r.Set(FieldSealedBy, "")
	default:
		r.Set(FieldSealedBy, r.Original().GetString(FieldSealedBy))
	}
}

// checkSealed refuses, on every write path, a sealed record whose private
// fields are not empty, and a new envelope that is not one this server can
// keep for the record's embassy. A message needs a body or an envelope.
func checkSealed(e *core.RecordEvent) error {
	k := kinds[e.Record.Collection().Name]
	if err := checkStaysSealed(e.App, k, e.Record); err != nil {
		return err
	}
	if envelope(e.Record) == nil {
		if e.Record.Collection().Name == CollectionMessages && e.Record.GetString("body") == "" {
			return validation.Errors{"body": validation.NewError("validation_required", "A message needs a body, or its envelope.")}
		}
		if err := checkKeyless(e.App, k, e.Record); err != nil {
			return err
		}
		return e.Next()
	}
	if !k.ours(e.Record) {
		return e.Next()
	}
	errs := validation.Errors{}
	for _, name := range inClear(k, e.Record) {
		errs[name] = validation.NewError("validation_sealed_field_set",
			"A sealed record keeps this field only in its envelope; send it empty.")
	}
	if sealedChanged(e.Record) {
		if err := checkEnvelope(e.App, k, e.Record); err != nil {
			var verr validation.Error
			if !errors.As(err, &verr) {
				return err
			}
			errs[FieldSealed] = err
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return e.Next()
}

// CodeNoKey is the field error of a report or reporter's message sent in
// plaintext to an embassy that has no key yet and does not take reports
// in clear (embassies.clear_until_keyed). The phone keeps such a report
// and sends it, sealed, once the embassy has a key.
const CodeNoKey = "validation_embassy_no_key"

// TakesPlainReportsSQL is the one rule of which embassies take a report or
// reporter's message sent in plaintext, as an SQL condition on the
// embassies table: one with a sealing key (the write path seals it there)
// or one that takes reports in clear until it has a key. checkKeyless
// refuses the others on every write path; clients that send plaintext
// (OpenRosa's form) offer only these.
const TakesPlainReportsSQL = "(embassies.clear_until_keyed = TRUE OR embassies.id IN (SELECT embassy FROM " + CollectionKeys + "))"

// checkKeyless refuses a plaintext record that would be stored in clear
// for an embassy with no key: a new report or reporter's message, or a
// report routed to such an embassy, unless the embassy takes reports in
// clear until it has a key. With a key, sealBeforeWrite seals it.
func checkKeyless(app core.App, k kind, r *core.Record) error {
	if !k.ours(r) {
		return nil
	}
	field := "embassy"
	if r.Collection().Name == CollectionMessages {
		field = "report"
	}
	if !r.IsNew() && (field == "report" || r.GetString("embassy") == r.Original().GetString("embassy")) {
		return nil
	}
	embassy, err := k.embassy(app, r)
	if err != nil || embassy == "" {
		return err // an unknown report or embassy: its relation's own validation refuses it
	}
	var row struct {
		Takes bool `db:"takes"`
	}
	err = app.DB().NewQuery("SELECT " + TakesPlainReportsSQL + " AS takes FROM embassies WHERE id = {:e}").
		Bind(dbx.Params{"e": embassy}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sealing: find the embassy: %w", err)
	}
	if row.Takes {
		return nil
	}
	return validation.Errors{field: validation.NewError(CodeNoKey,
		"This embassy cannot receive reports yet: it has no sealing key, so nothing sent to it could be kept sealed. "+
			"Its staff make the key on the console's Keys screen; until then the report waits on the phone.")}
}

// Field error codes of a sealed record's update.
const (
	// CodeUnsealed: an update takes away a record's envelope, which would
	// leave its private fields empty and its words lost.
	CodeUnsealed = "validation_sealed_removed"
	// CodeNotResealed: a sealed report is moved to another embassy with
	// the envelope of the first, which the new embassy cannot open (its
	// info and AAD name the first embassy). The staff browser opens it and
	// seals it again to the new embassy's key, in the same update.
	CodeNotResealed = "validation_route_not_resealed"
)

// checkStaysSealed refuses, on every write path, an update that takes a
// stored record's envelope away, and the routing of a sealed report to
// another embassy unless the same write brings an envelope sealed to a key
// of the new embassy (checkEnvelope then checks its kid against the new
// embassy's epochs). To an embassy with no key yet it cannot be moved at
// all (CodeNoKey): nobody could seal it for that embassy.
func checkStaysSealed(app core.App, k kind, r *core.Record) error {
	if r.IsNew() || !k.ours(r) || envelope(r.Original()) == nil {
		return nil
	}
	if envelope(r) == nil {
		return validation.Errors{FieldSealed: validation.NewError(CodeUnsealed,
			"A sealed record stays sealed: its envelope cannot be removed.")}
	}
	if r.Collection().Name != reports.CollectionReports || r.GetString("embassy") == r.Original().GetString("embassy") {
		return nil
	}
	if _, err := NewestKey(app, r.GetString("embassy")); errors.Is(err, ErrNoKey) {
		return validation.Errors{"embassy": validation.NewError(CodeNoKey,
			"This embassy has no sealing key yet, so a sealed report cannot be routed to it: nobody could seal it for that embassy. "+
				"Its staff make the key on the console's Keys screen.")}
	} else if err != nil {
		return err
	}
	if !sealedChanged(r) {
		return validation.Errors{FieldSealed: validation.NewError(CodeNotResealed,
			"A sealed report routed to another embassy must be sealed again to a key of that embassy, in the same update: "+
				"the staff browser that routes it opens it and seals it to the new embassy's key.")}
	}
	return nil
}

// checkEnvelope checks a sent envelope's shape and that its key is one of
// the record's embassy's epochs.
func checkEnvelope(app core.App, k kind, r *core.Record) error {
	env, err := seal.ParseEnvelope(envelope(r))
	if errors.Is(err, seal.ErrFormat) {
		return validation.NewError("validation_envelope_version",
			fmt.Sprintf("The envelope must be version %d with the suite %s.", seal.Version, seal.SuiteName))
	}
	if err != nil {
		return validation.NewError("validation_envelope_shape",
			"The envelope must have exactly v, suite, kid, enc (a P-256 point) and ct (a padded body of at most 32 KiB), base64url.")
	}
	embassy, err := k.embassy(app, r)
	if err != nil {
		return err
	}
	var n int
	err = app.DB().Select("count(*)").From(CollectionKeys).
		Where(dbx.HashExp{"embassy": embassy, "kid": env.Kid}).Row(&n)
	if err != nil {
		return fmt.Errorf("find embassy key: %w", err)
	}
	if n == 0 {
		return validation.NewError("validation_envelope_key",
			"The envelope is sealed to a key that is not one of the embassy's keys.")
	}
	return nil
}

// inClear returns the private fields of r that hold something.
func inClear(k kind, r *core.Record) []string {
	var set []string
	for _, name := range k.fields {
		empty := r.GetString(name) == ""
		if name == "compound_point" {
			empty = r.GetGeoPoint(name) == types.GeoPoint{}
		}
		if !empty {
			set = append(set, name)
		}
	}
	return set
}

// sealBeforeWrite seals a record's private fields to its embassy's newest
// key right before the row is written, when the embassy has a key and the
// record has no envelope: the plaintext never reaches the database, and
// everything written from the row in the same transaction (the search
// index, the change log) sees the emptied fields.
func sealBeforeWrite(e *core.RecordEvent) error {
	k := kinds[e.Record.Collection().Name]
	if !k.ours(e.Record) {
		return e.Next()
	}
	if envelope(e.Record) != nil {
		// Validation refused this before; a write that skipped validation
		// (SaveNoValidate) must not store it either.
		if set := inClear(k, e.Record); len(set) > 0 {
			return validation.Errors{set[0]: validation.NewError("validation_sealed_field_set",
				"A sealed record keeps this field only in its envelope; send it empty.")}
		}
		return e.Next()
	}
	embassy, err := k.embassy(e.App, e.Record)
	if err != nil {
		return err
	}
	key, err := NewestKey(e.App, embassy)
	if errors.Is(err, ErrNoKey) {
		return e.Next()
	}
	if err != nil {
		return err
	}
	if err := sealRecord(e.Context, k, e.Record, key); err != nil {
		return err
	}
	return e.Next()
}

// Key is an embassy's sealing public key of one epoch.
type Key struct {
	Embassy string
	Epoch   int
	Kid     string
	Public  *ecdh.PublicKey
}

// ErrNoKey is NewestKey's error for an embassy with no key yet.
var ErrNoKey = errors.New("sealing: the embassy has no key")

// NewestKey returns the newest epoch's key of embassy, or ErrNoKey.
func NewestKey(app core.App, embassy string) (Key, error) {
	if embassy == "" {
		return Key{}, ErrNoKey
	}
	var row struct {
		Epoch     int    `db:"epoch"`
		Kid       string `db:"kid"`
		PublicKey string `db:"public_key"`
	}
	err := app.DB().Select("epoch", "kid", "public_key").From(CollectionKeys).
		Where(dbx.HashExp{"embassy": embassy}).OrderBy("epoch DESC").Limit(1).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrNoKey
	}
	if err != nil {
		return Key{}, fmt.Errorf("find embassy key: %w", err)
	}
	point, err := base64.RawURLEncoding.DecodeString(row.PublicKey)
	if err != nil {
		return Key{}, fmt.Errorf("embassy key %s: %w", row.Kid, err)
	}
	pub, err := ecdh.P256().NewPublicKey(point)
	if err != nil {
		return Key{}, fmt.Errorf("embassy key %s: %w", row.Kid, err)
	}
	return Key{Embassy: embassy, Epoch: row.Epoch, Kid: row.Kid, Public: pub}, nil
}

// RootKid returns the key id of embassy's first epoch, the root of its
// key chain that phones pin and posters and contact pages show as the
// embassy's fingerprint (seal.Fingerprint), or ErrNoKey.
func RootKid(app core.App, embassy string) (string, error) {
	var kid string
	err := app.DB().Select("kid").From(CollectionKeys).
		Where(dbx.HashExp{"embassy": embassy, "epoch": 1}).Limit(1).Row(&kid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && kid == "") {
		return "", ErrNoKey
	}
	if err != nil {
		return "", fmt.Errorf("find embassy key: %w", err)
	}
	return kid, nil
}

// SealReport seals r's private fields to key, bound to r's id and clear
// fields, puts the envelope in r.sealed with sealed_by "server", and
// empties the fields. r must have its id and its final clear fields.
func SealReport(r *core.Record, key Key) error {
	return sealRecord(context.Background(), kinds[reports.CollectionReports], r, key)
}

// reportBody is a report's envelope plaintext. Its reply key is the one
// the write's context carries for it (WithReplyKey), when the writer had
// the report's receipt in hand: the server never keeps a receipt, so a
// report sealed later (seal-existing) has none.
func reportBody(ctx context.Context, r *core.Record) any {
	body := seal.ReportBody{
		Message:          r.GetString("message"),
		ContactName:      r.GetString("contact_name"),
		ContactPhone:     r.GetString("contact_phone"),
		ContactApp:       r.GetString("contact_app"),
		CompoundLocation: r.GetString("compound_location"),
		CurrentLocation:  r.GetString("current_location"),
	}
	if key := ReplyKeyFrom(ctx, r.Id); key != nil {
		body.ReplyKey = base64.RawURLEncoding.EncodeToString(key)
	}
	if p := r.GetGeoPoint("compound_point"); p != (types.GeoPoint{}) {
		body.CompoundPoint = &seal.Point{Lon: p.Lon, Lat: p.Lat}
	}
	return body
}

// sealRecord seals r's private fields (of kind k) to key.
func sealRecord(ctx context.Context, k kind, r *core.Record, key Key) error {
	if r.Id == "" {
		return errors.New("sealing: a record needs its id before it is sealed")
	}
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false) // < > & as they are: the body stays in its size bucket
	if err := enc.Encode(k.body(ctx, r)); err != nil {
		return fmt.Errorf("sealing: encode body: %w", err)
	}
	clear, err := seal.ClearHash(k.clear(r))
	if err != nil {
		return fmt.Errorf("sealing: %w", err)
	}
	b := seal.Binding{Embassy: key.Embassy, Kid: key.Kid, Record: r.Id, Clear: clear}
	env, err := seal.Seal(key.Public, b, bytes.TrimSuffix(plain.Bytes(), []byte("\n")))
	if err != nil {
		return err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("sealing: encode envelope: %w", err)
	}
	r.Set(FieldSealed, types.JSONRaw(raw))
	r.Set(FieldSealedBy, vocab.SealedByServer)
	for _, name := range k.fields {
		if name == "compound_point" {
			r.Set(name, types.GeoPoint{})
			continue
		}
		r.Set(name, "")
	}
	return nil
}

// StaleMessages returns the ids of report's reporter's messages that are
// sealed to a key that is not one of embassy's: after the report is
// routed there, the new embassy could not open them.
func StaleMessages(app core.App, report, embassy string) ([]string, error) {
	var rows []struct {
		Id     string `db:"id"`
		Sealed string `db:"sealed"`
	}
	err := app.DB().Select("id", "sealed").From(CollectionMessages).
		Where(dbx.HashExp{"report": report, "direction": vocab.DirectionReporter}).
		AndWhere(dbx.NewExp("sealed IS NOT NULL AND sealed NOT IN ('', 'null')")).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("find the report's messages: %w", err)
	}
	var stale []string
	for _, row := range rows {
		env, err := seal.ParseEnvelope([]byte(row.Sealed))
		if err != nil {
			stale = append(stale, row.Id)
			continue
		}
		var n int
		err = app.DB().Select("count(*)").From(CollectionKeys).
			Where(dbx.HashExp{"embassy": embassy, "kid": env.Kid}).Row(&n)
		if err != nil {
			return nil, fmt.Errorf("find embassy key: %w", err)
		}
		if n == 0 {
			stale = append(stale, row.Id)
		}
	}
	return stale, nil
}
