package sync

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/hooks/reports"
)

// Operation results.
const (
	StatusApplied   = "applied"
	StatusDuplicate = "duplicate"
	StatusConflict  = "conflict"
	StatusRejected  = "rejected"
)

// Conflict reasons, in a conflict's error.data.code.
const (
	ConflictStaleBase = "stale_base" // the update was based on an older version
	ConflictIdTaken   = "id_taken"   // a record with this id exists with other content
	ConflictOpReused  = "op_reused"  // this op id was used before for other content
)

// reporterFields are the report fields a reporter (or a volunteer writing
// for one) may set. Status, urgency, version, channel and volunteer belong
// to the server; the receipt travels beside the data, never in it.
var reporterFields = []string{
	"embassy", "safety_risk_now", "minors_present", "needs", "people_count",
	"nationality", "language", "gender", "age_band", "message",
	"compound_location", "compound_point", "current_location", "left_on",
	"passport_held", "contact_name", "contact_phone", "contact_app",
	"consent_contact", "consent_share", "consent_version", "device_created",
}

// staffFields are the report fields staff may change: triage and routing.
var staffFields = []string{"status", "duplicate_of", "embassy"}

// messageFields are the message fields any writer may set; direction and
// author follow from who writes.
var messageFields = []string{"report", "body"}

// opResult is the answer for one operation.
type opResult struct {
	Op      string           `json:"op"`
	Status  string           `json:"status"`
	Id      string           `json:"id,omitempty"`
	Version int              `json:"version,omitempty"`
	Error   *router.ApiError `json:"error,omitempty"`
	Server  map[string]any   `json:"server,omitempty"`
}

// pushResponse is the answer to a push.
type pushResponse struct {
	Results []opResult `json:"results"`
	Cursor  string     `json:"cursor"`
}

func (a *api) push(e *core.RequestEvent) error {
	c, err := resolveCaller(e)
	if err != nil {
		return err
	}
	gzipped := strings.EqualFold(strings.TrimSpace(e.Request.Header.Get("Content-Encoding")), "gzip")
	req, err := decodePush(e.Request.Body, gzipped)
	if err != nil {
		// The rest of a refused body is not read; the connection cannot
		// carry another request after it.
		e.Response.Header().Set("Connection", "close")
	}
	switch {
	case errors.Is(err, errTooLarge):
		return errPushTooLargeApi
	case errors.Is(err, errTooManyOps):
		return errTooManyOpsApi
	case err != nil:
		apiErr := codedError(http.StatusBadRequest, CodeBadPush, "The push body is not valid.")
		apiErr.Data["reason"] = err.Error()
		var shape *opShapeError
		if errors.As(err, &shape) {
			apiErr.Data["op"] = shape.index
			apiErr.Data["fields"] = router.NewBadRequestError("", shape.err).Data
		}
		return apiErr
	}

	run := &pushRun{api: a, e: e, c: c, device: deviceKey(c, req.Device)}
	if h := e.Request.Header.Get(HeaderReceipt); h != "" {
		run.headerReceipt, _ = a.receipts.Hash(h)
	}
	results := make([]opResult, len(req.Ops))
	var head int64
	err = e.App.RunInTransaction(func(txApp core.App) error {
		run.tx = txApp
		for i, op := range req.Ops {
			results[i] = run.apply(op)
		}
		return txApp.DB().NewQuery("SELECT COALESCE(MAX(seq), 0) FROM sync_changes").Row(&head)
	})
	if err != nil {
		return e.InternalServerError("Failed to save the pushed operations.", err)
	}
	if err := touchDevice(e.App, c); err != nil {
		e.App.Logger().Warn("sync: refresh device credential", "error", err)
	}
	return e.JSON(http.StatusOK, pushResponse{Results: results, Cursor: encodeCursor(head)})
}

// deviceKey namespaces the client's device id by who is calling, so op ids
// of one account or of anonymous phones can never collide with another's.
func deviceKey(c caller, device string) string {
	switch c.role {
	case roleGuest:
		return "g:" + device
	default:
		return "a:" + c.id() + ":" + device
	}
}

// pushRun applies the ops of one push inside its transaction.
type pushRun struct {
	api           *api
	e             *core.RequestEvent
	tx            core.App
	c             caller
	device        string
	headerReceipt string // keyed hash of X-Receipt, if sent
}

// appliedOp is a row of sync_ops.
type appliedOp struct {
	Kind       string `db:"kind"`
	Collection string `db:"collection"`
	Record     string `db:"record"`
	Hash       string `db:"hash"`
	Version    int    `db:"version"`
}

func (p *pushRun) apply(op pushOp) opResult {
	res := opResult{Op: op.Op, Id: op.Id}
	if err := op.checkSize(); err != nil {
		return rejected(res, http.StatusBadRequest, "The operation is too large.", err)
	}
	data, err := op.fields()
	if err != nil {
		return rejected(res, http.StatusBadRequest, "The operation's data is not a valid object.", nil)
	}
	receiptHash := ""
	if op.Receipt != "" {
		if receiptHash, err = p.api.receipts.Hash(op.Receipt); err != nil {
			return rejected(res, http.StatusBadRequest, "The receipt is not valid.",
				validation.Errors{"receipt": validation.NewError("validation_invalid_receipt", "A receipt is 20 digits.")})
		}
	}
	hash := contentHash(op, data, receiptHash)

	var prior appliedOp
	err = p.tx.DB().Select("kind", "collection", "record", "hash", "version").From("sync_ops").
		Where(dbx.HashExp{"device": p.device, "op": op.Op}).One(&prior)
	switch {
	case err == nil && prior.Hash == hash:
		res.Status, res.Id, res.Version = StatusDuplicate, prior.Record, prior.Version
		return res
	case err == nil:
		res.Status = StatusConflict
		res.Error = codedError(http.StatusConflict, ConflictOpReused, "This operation id was already used for other content.")
		return res
	case !errors.Is(err, sql.ErrNoRows):
		return failed(res, err)
	}

	if op.Kind == opCreate {
		return p.create(res, op, data, receiptHash, hash)
	}
	return p.update(res, op, data, receiptHash, hash)
}

func (p *pushRun) create(res opResult, op pushOp, data map[string]any, receiptHash, hash string) opResult {
	existing, err := p.tx.FindRecordById(op.Collection, op.Id)
	if err == nil {
		return p.createExisting(res, op, existing, receiptHash, hash)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return failed(res, err)
	}

	col, err := p.tx.FindCachedCollectionByNameOrId(op.Collection)
	if err != nil {
		return failed(res, err)
	}
	rec := core.NewRecord(col)
	rec.Id = op.Id
	var build func(*core.Record, map[string]any, string) *router.ApiError
	if op.Collection == collReports {
		build = p.buildReport
	} else {
		build = p.buildMessage
	}
	if apiErr := build(rec, data, receiptHash); apiErr != nil {
		return rejectedWith(res, apiErr)
	}
	return p.save(res, op, rec, hash, nil)
}

// createExisting answers a create whose id is taken: the same content
// created before is a duplicate, anything else a conflict.
func (p *pushRun) createExisting(res opResult, op pushOp, existing *core.Record, receiptHash, hash string) opResult {
	var first appliedOp
	err := p.tx.DB().Select("kind", "collection", "record", "hash", "version").From("sync_ops").
		Where(dbx.HashExp{"collection": op.Collection, "record": op.Id, "kind": opCreate}).
		AndWhere(dbx.HashExp{"hash": hash}).Limit(1).One(&first)
	if err == nil {
		if err := p.remember(op, first.Record, hash, first.Version); err != nil {
			return failed(res, err)
		}
		res.Status, res.Version = StatusDuplicate, first.Version
		return res
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return failed(res, err)
	}
	res.Status = StatusConflict
	res.Version = existing.GetInt("version")
	res.Error = codedError(http.StatusConflict, ConflictIdTaken, "A record with this id already exists with other content.")
	if p.canView(existing, receiptHash) {
		res.Server = p.view(existing)
	}
	return res
}

func (p *pushRun) update(res opResult, op pushOp, data map[string]any, receiptHash, hash string) opResult {
	if op.Collection != collReports {
		return rejected(res, http.StatusBadRequest, "Only reports can be updated through sync.", nil)
	}
	rec, err := p.tx.FindRecordById(op.Collection, op.Id)
	if errors.Is(err, sql.ErrNoRows) {
		return rejected(res, http.StatusNotFound, "The record to update does not exist.", nil)
	}
	if err != nil {
		return failed(res, err)
	}
	var allowed []string
	switch {
	case p.c.role == roleSuperuser:
		allowed = staffFields
	case p.c.role == roleStaff && rec.GetString("embassy") == p.c.embassy:
		allowed = staffFields
	case p.c.role == roleVolunteer && rec.GetString("volunteer") == p.c.id():
		allowed = slices.DeleteFunc(slices.Clone(reporterFields), func(f string) bool { return f == "embassy" })
	default:
		return rejected(res, http.StatusForbidden, "You may not change this record.", nil)
	}
	if current := rec.GetInt("version"); int64(current) != *op.Base {
		res.Status, res.Version = StatusConflict, current
		res.Error = codedError(http.StatusConflict, ConflictStaleBase, "The record changed since this update was made.")
		res.Server = p.view(rec)
		return res
	}
	if apiErr := setFields(rec, data, allowed); apiErr != nil {
		return rejectedWith(res, apiErr)
	}
	return p.save(res, op, rec, hash, func(txApp core.App) error {
		return reports.LogChanges(txApp, rec, p.c.actor())
	})
}

// save writes rec and remembers op inside a savepoint, so a failure undoes
// this op's writes only and the rest of the push still commits.
func (p *pushRun) save(res opResult, op pushOp, rec *core.Record, hash string, after func(core.App) error) opResult {
	db := p.tx.DB()
	if _, err := db.NewQuery("SAVEPOINT sync_op").Execute(); err != nil {
		return failed(res, err)
	}
	err := p.tx.Save(rec)
	if err == nil && after != nil {
		err = after(p.tx)
	}
	if err == nil {
		err = p.remember(op, rec.Id, hash, rec.GetInt("version"))
	}
	if err != nil {
		if _, rbErr := db.NewQuery("ROLLBACK TO sync_op").Execute(); rbErr != nil {
			return failed(res, errors.Join(err, rbErr))
		}
		if _, rbErr := db.NewQuery("RELEASE sync_op").Execute(); rbErr != nil {
			return failed(res, errors.Join(err, rbErr))
		}
		var verrs validation.Errors
		if errors.As(err, &verrs) {
			return rejected(res, http.StatusBadRequest, "The record is not valid.", verrs)
		}
		return failed(res, err)
	}
	if _, err := db.NewQuery("RELEASE sync_op").Execute(); err != nil {
		return failed(res, err)
	}
	res.Status, res.Version = StatusApplied, rec.GetInt("version")
	return res
}

// remember records an applied op, so a retry of it is a duplicate.
func (p *pushRun) remember(op pushOp, record, hash string, version int) error {
	_, err := p.tx.DB().Insert("sync_ops", dbx.Params{
		"device":     p.device,
		"op":         op.Op,
		"kind":       op.Kind,
		"collection": op.Collection,
		"record":     record,
		"hash":       hash,
		"version":    version,
	}).Execute()
	if err != nil {
		return fmt.Errorf("remember op: %w", err)
	}
	return nil
}

// buildReport fills a new report from a reporter's or volunteer's data.
func (p *pushRun) buildReport(rec *core.Record, data map[string]any, receiptHash string) *router.ApiError {
	switch p.c.role {
	case roleGuest:
		if receiptHash == "" {
			return router.NewBadRequestError("A report needs its receipt.", validation.Errors{
				"receipt": validation.NewError("validation_required", "A report sent without an account needs the receipt made on the phone."),
			})
		}
		rec.Set("channel", "self")
	case roleVolunteer:
		rec.Set("channel", "volunteer")
		rec.Set("volunteer", p.c.id())
	default:
		return router.NewForbiddenError("Only reporters and volunteers create reports.", nil)
	}
	if apiErr := setFields(rec, data, reporterFields); apiErr != nil {
		return apiErr
	}
	rec.Set("receipt_hash", receiptHash)
	return nil
}

// buildMessage fills a new message, checking that the writer may write on
// its report: the reporter by receipt, the volunteer its own reports, staff
// their embassy's.
func (p *pushRun) buildMessage(rec *core.Record, data map[string]any, receiptHash string) *router.ApiError {
	if apiErr := setFields(rec, data, messageFields); apiErr != nil {
		return apiErr
	}
	report, err := p.tx.FindRecordById(collReports, rec.GetString("report"))
	if err != nil {
		return router.NewBadRequestError("The message's report does not exist.", validation.Errors{
			"report": validation.NewError("validation_missing_rel_records", "The report does not exist."),
		})
	}
	switch p.c.role {
	case roleGuest:
		if receiptHash == "" {
			receiptHash = p.headerReceipt
		}
		if receiptHash == "" || receiptHash != report.GetString("receipt_hash") {
			if p.api.guesses.fail(p.e.RealIP()) {
				return codedError(http.StatusTooManyRequests, CodeReceiptLimited, "Too many wrong receipt codes from this network. Wait a minute and try again.")
			}
			p.e.App.Logger().Warn("sync: wrong receipt on a message")
			return router.NewForbiddenError("The receipt does not match this report.", nil)
		}
		rec.Set("direction", "reporter")
	case roleVolunteer:
		if report.GetString("volunteer") != p.c.id() {
			return router.NewForbiddenError("You may write only on your own reports.", nil)
		}
		rec.Set("direction", "reporter")
	case roleStaff, roleSuperuser:
		if p.c.role == roleStaff && report.GetString("embassy") != p.c.embassy {
			return router.NewForbiddenError("You may answer only your embassy's reports.", nil)
		}
		rec.Set("direction", "staff")
		if p.c.role == roleStaff {
			rec.Set("author", p.c.id())
		}
	}
	return nil
}

// setFields copies data into rec, refusing any field not in allowed with a
// field error rather than dropping it silently.
func setFields(rec *core.Record, data map[string]any, allowed []string) *router.ApiError {
	errs := validation.Errors{}
	for k, v := range data {
		if !slices.Contains(allowed, k) {
			errs[k] = validation.NewError("validation_field_not_allowed", "This field cannot be set here.")
			continue
		}
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		rec.Set(k, v)
	}
	if len(errs) > 0 {
		return router.NewBadRequestError("The operation sets fields it may not set.", errs)
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

func (p *pushRun) view(rec *core.Record) map[string]any {
	return viewFor(p.c.role, rec)
}

// contentHash identifies an op's content, without its op id, so a resent op
// and a re-created record can be told apart from a changed one.
func contentHash(op pushOp, data map[string]any, receiptHash string) string {
	canon, _ := json.Marshal(data) // map keys are sorted: canonical enough
	base := int64(-1)
	if op.Base != nil {
		base = *op.Base
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s\x00", op.Kind, op.Collection, op.Id, base, receiptHash)
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}

func rejected(res opResult, status int, message string, errData any) opResult {
	return rejectedWith(res, router.NewApiError(status, message, errData))
}

func rejectedWith(res opResult, apiErr *router.ApiError) opResult {
	res.Status, res.Version, res.Error = StatusRejected, 0, apiErr
	return res
}

// failed is a server-side failure of one op: the client may retry it.
func failed(res opResult, err error) opResult {
	return rejectedWith(res, router.NewInternalServerError("Failed to apply the operation; retry later.", err))
}
