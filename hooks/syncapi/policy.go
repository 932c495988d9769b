package syncapi

// The sync protocol's authorization policy, in one place: who may write
// what through a push, who sees what in a pull or a conflict's server
// copy, and who may upload to which report. Who the caller is comes from
// caller.go; the rules every write obeys whatever its path (the staff
// field whitelist, the duplicate check, the audit trail) are the reports
// package's, at the model level. docs/API.md's table of callers mirrors
// this file.
//
// Callers (role):
//   - roleGuest, an anonymous phone: creates reports with a receipt, and
//     messages and read marks on the reports whose receipt it holds; sees
//     of them only reporterReportFields and reporterMessageFields.
//   - roleVolunteer: creates reports, updates and writes on its own; sees
//     its own.
//   - roleStaff: updates and answers its embassy's reports; sees them.
//   - roleSuperuser: sees everything; updates triage fields and answers.

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/hooks/reports"
)

// reporterFields are the report fields a reporter (or a volunteer writing
// for one) may set. Status, urgency, version, channel and volunteer belong
// to the server; the receipt travels beside the data, never in it.
var reporterFields = []string{
	"embassy", "safety_risk_now", "minors_present", "needs", "people_count",
	"nationality", "language", "gender", "age_band", "message", "sealed",
	"compound_location", "compound_point", "current_location", "left_on",
	"passport_held", "contact_name", "contact_phone", "contact_app",
	"consent_contact", "consent_share", "consent_version", "device_created",
}

// messageFields are the message fields any writer may set; direction and
// author follow from who writes.
var messageFields = []string{"report", "body", "sealed"}

// reporterReportFields is what an anonymous reporter sees of its report:
// where it stands, not what it said (the phone may be inspected, and the
// reporter knows what they wrote).
var reporterReportFields = []string{"id", "status", "embassy", "version", "updated"}

// reporterMessageFields is what an anonymous reporter sees of a message;
// the staff author stays internal. A staff reply to a sealed report has
// only its envelope (sealed), which the phone opens with the receipt.
var reporterMessageFields = []string{"id", "report", "direction", "body", "sealed", "read_by_reporter", "created"}

// checkReporterSide checks that the caller speaks for the reporter of
// report: by its receipt (a wrong one counted as a guess, a malformed one
// refused), or as the volunteer who filed it.
func (p *pushRun) checkReporterSide(report *core.Record, receiptHash string) *router.ApiError {
	switch p.c.role {
	case roleVolunteer:
		if report.GetString("volunteer") != p.c.id() {
			return router.NewForbiddenError("You may write only on your own reports.", nil)
		}
		return nil
	case roleGuest:
	default:
		return router.NewForbiddenError("Only the reporter's side marks a reply as read.", nil)
	}
	if receiptHash == "" {
		receiptHash = p.headerReceipt
	}
	if receiptHash == "" && p.headerMalformed {
		// A typing mistake, never a match: not counted as a guess.
		return router.NewBadRequestError("The receipt is not valid.",
			validation.Errors{"receipt": validation.NewError("validation_invalid_receipt", "A receipt is 20 digits.")})
	}
	if receiptHash == "" || receiptHash != report.GetString("receipt_hash") {
		if p.api.guesses.Hit(p.e.RealIP()) {
			return codedError(http.StatusTooManyRequests, CodeReceiptLimited, "Too many wrong receipt codes from this network. Wait a minute and try again.")
		}
		p.e.App.Logger().Warn("sync: wrong receipt on a message")
		return router.NewForbiddenError("The receipt does not match this report.", nil)
	}
	return nil
}

// canView reports whether the caller may see rec, for a conflict's server copy.
func (p *pushRun) canView(rec *core.Record, receiptHash string) bool {
	report := rec
	if rec.Collection().Name == collMessages {
		var err error
		if report, err = p.tx.FindRecordById(collReports, rec.GetString("report")); err != nil {
			return false
		}
	}
	switch p.c.role {
	case roleSuperuser:
		return true
	case roleStaff:
		return report.GetString("embassy") == p.c.embassy
	case roleVolunteer:
		return report.GetString("volunteer") == p.c.id()
	}
	h := report.GetString("receipt_hash")
	return h != "" && (h == receiptHash || h == p.headerReceipt)
}

// pullScope is the filter on sync_changes for what the caller may see;
// each has a (scope, seq) index, so a pull reads only the rows it returns.
func (a *api) pullScope(e *core.RequestEvent, c caller) (dbx.Expression, error) {
	switch c.role {
	case roleSuperuser:
		return dbx.NewExp("1 = 1"), nil
	case roleStaff:
		return dbx.HashExp{"c.embassy": c.embassy}, nil
	case roleVolunteer:
		return dbx.NewExp("c.volunteer = {:v} AND c.volunteer != ''", dbx.Params{"v": c.id()}), nil
	}
	code := e.Request.Header.Get(HeaderReceipt)
	if code == "" {
		return nil, receiptRequiredError()
	}
	ids, err := a.receiptReports(e, code)
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	return dbx.In("c.report", vals...), nil
}

// viewSnapshot is the part of a record's snapshot that role may see. Staff
// and volunteers get it as stored (hidden fields were never in it).
func viewSnapshot(r role, coll, snapshot string) (json.RawMessage, error) {
	if r != roleGuest {
		return json.RawMessage(snapshot), nil
	}
	var full map[string]any
	if err := json.Unmarshal([]byte(snapshot), &full); err != nil {
		return nil, err
	}
	return json.Marshal(visible(r, coll, full))
}

// viewFor is the data of rec that role may see. Hidden fields (receipt
// hash, device token hash) never leave the server.
func viewFor(r role, rec *core.Record) map[string]any {
	return visible(r, rec.Collection().Name, rec.PublicExport())
}

// visible narrows a record's public data to what role may see: all of it,
// or for a reporter only the fields listed above.
func visible(r role, coll string, public map[string]any) map[string]any {
	if r != roleGuest {
		return public
	}
	fields := reporterReportFields
	if coll == collMessages {
		fields = reporterMessageFields
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		out[f] = public[f]
	}
	return out
}

// ownerKey says who an upload belongs to: a volunteer by account, a
// reporter by the keyed hash of the report's receipt.
func (a *api) ownerKey(e *core.RequestEvent, c caller, report *core.Record) (string, error) {
	switch c.role {
	case roleVolunteer:
		if report != nil && report.GetString("volunteer") != c.id() {
			return "", e.ForbiddenError("You may attach files only to your own reports.", nil)
		}
		return "v:" + c.id(), nil
	case roleGuest:
		h, err := a.receipts.Hash(e.Request.Header.Get(HeaderReceipt))
		if err != nil || (report != nil && h != report.GetString("receipt_hash")) {
			return "", a.wrongReceipt(e)
		}
		return "r:" + h, nil
	}
	return "", e.ForbiddenError("Only reporters and volunteers upload attachments.", nil)
}

// updatableFields are the report fields the caller may name in an update
// op on rec, or ok false when it may not update rec at all. Staff may name
// any report field: which of them staff may change is the reports
// package's rule (reports.StaffEditable), checked when the record is
// saved, on every path.
func updatableFields(c caller, rec *core.Record) (fields []string, ok bool) {
	switch {
	case c.role == roleSuperuser:
		return reports.StaffEditable, true
	case c.role == roleStaff && rec.GetString("embassy") == c.embassy:
		return slices.Concat(reporterFields, reports.StaffEditable), true
	case c.role == roleVolunteer && rec.GetString("volunteer") == c.id():
		return slices.DeleteFunc(slices.Clone(reporterFields), func(f string) bool { return f == "embassy" }), true
	}
	return nil, false
}

// mayAnswer refuses a staff reply on a report of another embassy.
func mayAnswer(c caller, report *core.Record) *router.ApiError {
	if c.role == roleStaff && report.GetString("embassy") != c.embassy {
		return router.NewForbiddenError("You may answer only your embassy's reports.", nil)
	}
	return nil
}

// limitGuestCreates holds an anonymous push to maxGuestReportCreates report
// creates, and its address to guestCreateLimit in guestCreateWindow (see
// the constants). A retried create counts again: the budget leaves room
// for a phone whose answers a cut 2G link lost.
func (a *api) limitGuestCreates(e *core.RequestEvent, ops []pushOp) error {
	n := 0
	for _, o := range ops {
		if o.Kind == opCreate && o.Collection == collReports {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if n > maxGuestReportCreates {
		return codedError(http.StatusRequestEntityTooLarge, CodeTooManyOps,
			fmt.Sprintf("A push without an account may carry at most %d new reports. Send half as many operations and retry.", maxGuestReportCreates))
	}
	if !e.App.Settings().RateLimits.Enabled {
		return nil
	}
	if ok, wait := a.creates.Take(e.RealIP(), n); !ok {
		// Logged without the address: only that it happened.
		e.App.Logger().Warn("sync: anonymous reports limited")
		secs := int(math.Ceil(wait.Seconds()))
		e.Response.Header().Set("Retry-After", strconv.Itoa(secs))
		return codedError(http.StatusTooManyRequests, CodeReportsLimited,
			fmt.Sprintf("Many reports came from this network just now. Your report is kept on this phone and will be sent in %d minutes.", (secs+59)/60))
	}
	return nil
}

// owns reports whether the caller wrote rec: a report's volunteer or the
// holder of its receipt, a message's staff author, or the reporter's side
// of a reporter's message. Used to recognise a retried create once its
// sync_ops row has expired (retention.go).
func (p *pushRun) owns(rec *core.Record, receiptHash string) bool {
	report := rec
	if rec.Collection().Name == collMessages {
		if rec.GetString("direction") == "staff" {
			return p.c.role == roleStaff && rec.GetString("author") == p.c.id()
		}
		var err error
		if report, err = p.tx.FindRecordById(collReports, rec.GetString("report")); err != nil {
			return false
		}
	}
	switch p.c.role {
	case roleVolunteer:
		return report.GetString("volunteer") == p.c.id()
	case roleGuest:
		h := report.GetString("receipt_hash")
		return h != "" && h == receiptHash
	}
	return false
}
