package syncapi

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reportindex"
	"homeward/hooks/reports"
	"homeward/hooks/sealing"
	"homeward/internal/fielderr"
	"homeward/internal/receipts"
	"homeward/internal/vocab"
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

// drainLimit bounds how much of a too-large push is read and dropped before
// the 413 goes out; PocketBase's own body limit is the same 32 MiB.
const drainLimit = 32 << 20

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
		// A phone still sending would see a reset connection instead of the
		// 413 that tells it to halve its batch: read (a bounded amount of)
		// the rest before answering.
		io.CopyN(io.Discard, e.Request.Body, drainLimit)
		return pushTooLargeError()
	case errors.Is(err, errTooManyOps):
		return tooManyOpsError()
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

	if c.role == roleGuest {
		if err := a.limitGuestCreates(e, req.Ops); err != nil {
			return err
		}
	}

	run := &pushRun{api: a, e: e, c: c}
	run.device, run.opKey = opKeys(a, c, req.Device)
	if h := e.Request.Header.Get(HeaderReceipt); h != "" {
		run.headerReceipt, err = a.receipts.Hash(h)
		run.headerMalformed = err != nil
	}
	// Decoding and hashing happen before the write lock is taken.
	preps := run.prepare(req.Ops)
	results := make([]opResult, len(preps))
	var head int64
	err = e.App.RunInTransaction(func(txApp core.App) error {
		stmts := newStmtCache(txApp.NonconcurrentDB())
		defer stmts.close()
		run.reset(txApp, stmts)
		if err := run.loadKnown(preps); err != nil {
			return err
		}
		for i, prep := range preps {
			res, err := run.apply(prep)
			if err != nil {
				return err
			}
			results[i] = res
		}
		if err := run.flush(); err != nil {
			return err
		}
		return txApp.DB().NewQuery("SELECT COALESCE(MAX(seq), 0) FROM sync_changes").Row(&head)
	})
	if err != nil {
		// Nothing of this push was stored; the client retries it whole.
		return e.InternalServerError("Failed to save the pushed operations; nothing was stored, retry later.", err)
	}
	if err := touchDevice(e.App, c); err != nil {
		e.App.Logger().Warn("sync: refresh device credential", "error", err)
	}
	return e.JSON(http.StatusOK, pushResponse{Results: results, Cursor: encodeCursor(head)})
}

// guestDevice is the device column of every anonymous phone's ops.
const guestDevice = "g"

// opKeys returns how the caller's ops are stored in sync_ops: a device
// column, and a function from a client's op id to the stored op key.
//
// An account's ops are stored under "a:<account>:<device>" with their own
// ids, so one account's op ids never collide with another's. An anonymous
// phone's device id is not stored at all: its ops share the device "g",
// each under a keyed hash of the device id and the op id (receipts.Keys.OpKey).
// A retry from the same phone finds its op again, while the database
// cannot tell which reports came from the same phone; a report with
// contact details and an anonymous one sent weeks later stay unlinked.
func opKeys(a *api, c caller, device string) (string, func(op string) string) {
	if c.role == roleGuest {
		return guestDevice, func(op string) string { return a.receipts.OpKey(device, op) }
	}
	return "a:" + c.id() + ":" + device, func(op string) string { return op }
}

// pushRun applies the ops of one push inside its transaction.
//
// One bad op never sinks the others because nothing is written for an op
// until it has passed its checks and validation: a refused op leaves no
// trace, so no savepoint is needed. An error after a write began (the disk,
// the database) rolls the whole push back instead, and the client retries.
type pushRun struct {
	api           *api
	e             *core.RequestEvent
	tx            core.App
	c             caller
	device        string              // sync_ops' device column for this caller
	opKey         func(string) string // a client op id's key in sync_ops
	headerReceipt string              // keyed hash of X-Receipt, if sent
	// headerMalformed is set when X-Receipt was sent but is not a receipt.
	headerMalformed bool

	ctx      context.Context      // carries the transaction's prepared statements and index batch to the record hooks
	index    *reportindex.Batch   // the push's new reports, indexed together before the commit
	applied  map[string]appliedOp // this device's applied ops, by the client's op id
	existing map[string]bool      // "collection/id" of records that exist
	created  map[string]appliedOp // creates applied earlier in this push, by "collection/id"
	pending  []appliedOp          // sync_ops rows to write at the end
}

// appliedOp is a row of sync_ops.
type appliedOp struct {
	Op         string `db:"op"` // the op's key (see opKeys)
	Kind       string `db:"kind"`
	Collection string `db:"collection"`
	Record     string `db:"record"`
	Hash       string `db:"hash"`
	Version    int    `db:"version"`
}

// prepared is an op decoded and hashed before the transaction starts.
type prepared struct {
	op          pushOp
	key         string // the op's key in sync_ops
	data        map[string]any
	receiptHash string
	replyKey    []byte // for a plaintext report the server will seal (sealing.ReplyKeyFor)
	hash        string
	answer      *opResult // set when the op is refused before any lookup
}

func (p *pushRun) prepare(ops []pushOp) []prepared {
	preps := make([]prepared, len(ops))
	for i, op := range ops {
		prep := prepared{op: op, key: p.opKey(op.Op)}
		res := opResult{Op: op.Op, Id: op.Id}
		var err error
		switch {
		case op.checkSize() != nil:
			res = rejected(res, http.StatusBadRequest, "The operation is too large.", op.checkSize())
			prep.answer = &res
		default:
			if prep.data, err = op.fields(); err != nil {
				res = rejected(res, http.StatusBadRequest, "The operation's data is not a valid object.", nil)
				prep.answer = &res
				break
			}
			if op.Receipt != "" {
				if prep.receiptHash, err = p.api.receipts.Hash(op.Receipt); err != nil {
					res = rejected(res, http.StatusBadRequest, "The receipt is not valid.",
						validation.Errors{"receipt": validation.NewError("validation_invalid_receipt", "A receipt is 20 digits.")})
					prep.answer = &res
					break
				}
			}
			prep.replyKey = p.replyKey(op, prep.data)
			prep.hash = contentHash(op, prep.data, prep.receiptHash)
		}
		preps[i] = prep
	}
	return preps
}

// replyKey derives, before the transaction, the reply key of a new report
// that arrives in plaintext with its receipt for an embassy with a key:
// the server seals it, and the receipt is in hand only now.
func (p *pushRun) replyKey(op pushOp, data map[string]any) []byte {
	if op.Kind != opCreate || op.Collection != collReports || op.Receipt == "" || data["sealed"] != nil {
		return nil
	}
	norm, err := receipts.Normalize(op.Receipt)
	if err != nil {
		return nil
	}
	embassy, _ := data["embassy"].(string)
	return sealing.ReplyKeyFor(p.e.App, embassy, norm, op.Id)
}

// reset starts a run on txApp (a retried transaction starts clean).
func (p *pushRun) reset(txApp core.App, stmts *stmtCache) {
	p.tx = txApp
	p.ctx, p.index = reportindex.WithBatch(withStmtCache(context.Background(), stmts), txApp)
	p.applied = map[string]appliedOp{}
	p.existing = map[string]bool{}
	p.created = map[string]appliedOp{}
	p.pending = p.pending[:0]
}

// lookupChunk bounds the values of one IN (...) query.
const lookupChunk = 500

// loadKnown reads, in a few queries for the whole push, which of its ops
// were applied before and which of its records exist.
func (p *pushRun) loadKnown(preps []prepared) error {
	var keys []any
	opOf := map[string]string{} // op key -> the client's op id
	ids := map[string][]any{}
	for _, prep := range preps {
		if prep.answer == nil {
			keys = append(keys, prep.key)
			opOf[prep.key] = prep.op.Op
			ids[prep.op.Collection] = append(ids[prep.op.Collection], prep.op.Id)
		}
	}
	for chunk := range slices.Chunk(keys, lookupChunk) {
		var rows []appliedOp
		err := p.tx.DB().Select("op", "kind", "collection", "record", "hash", "version").From("sync_ops").
			Where(dbx.HashExp{"device": p.device}).AndWhere(dbx.In("op", chunk...)).All(&rows)
		if err != nil {
			return fmt.Errorf("read applied ops: %w", err)
		}
		for _, r := range rows {
			p.applied[opOf[r.Op]] = r
		}
	}
	for coll, list := range ids {
		for chunk := range slices.Chunk(list, lookupChunk) {
			var found []string
			if err := p.tx.DB().Select("id").From(coll).Where(dbx.In("id", chunk...)).Column(&found); err != nil {
				return fmt.Errorf("read existing records: %w", err)
			}
			for _, id := range found {
				p.existing[coll+"/"+id] = true
			}
		}
	}
	return nil
}

// apply answers one op. An error means the push must roll back.
func (p *pushRun) apply(prep prepared) (opResult, error) {
	if prep.answer != nil {
		return *prep.answer, nil
	}
	op := prep.op
	res := opResult{Op: op.Op, Id: op.Id}
	if prior, ok := p.applied[op.Op]; ok {
		if prior.Hash == prep.hash {
			res.Status, res.Id, res.Version = StatusDuplicate, prior.Record, prior.Version
			return res, nil
		}
		res.Status = StatusConflict
		res.Error = codedError(http.StatusConflict, ConflictOpReused, "This operation id was already used for other content.")
		return res, nil
	}
	if op.Kind == opCreate {
		return p.create(res, prep)
	}
	return p.update(res, prep)
}

func (p *pushRun) create(res opResult, prep prepared) (opResult, error) {
	op := prep.op
	if p.existing[op.Collection+"/"+op.Id] {
		return p.createExisting(res, prep)
	}
	col, err := p.tx.FindCachedCollectionByNameOrId(op.Collection)
	if err != nil {
		return res, err
	}
	rec := core.NewRecord(col)
	rec.Id = op.Id
	build := p.buildMessage
	if op.Collection == collReports {
		build = p.buildReport
	}
	if apiErr := build(rec, prep.data, prep.receiptHash); apiErr != nil {
		return rejectedWith(res, apiErr), nil
	}
	return p.save(res, prep, rec)
}

// createExisting answers a create whose id is taken: the same content
// created before is a duplicate, anything else a conflict.
func (p *pushRun) createExisting(res opResult, prep prepared) (opResult, error) {
	op := prep.op
	first, ok := p.created[op.Collection+"/"+op.Id]
	if !ok || first.Hash != prep.hash {
		err := p.tx.DB().Select("op", "kind", "collection", "record", "hash", "version").From("sync_ops").
			Where(dbx.HashExp{"collection": op.Collection, "record": op.Id, "kind": opCreate, "hash": prep.hash}).
			Limit(1).One(&first)
		ok = err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return res, fmt.Errorf("read first create: %w", err)
		}
	}
	if ok {
		p.remember(prep, first.Record, first.Version)
		res.Status, res.Version = StatusDuplicate, first.Version
		return res, nil
	}
	existing, err := p.tx.FindRecordById(op.Collection, op.Id)
	if err != nil {
		return res, fmt.Errorf("read existing record: %w", err)
	}
	// Past retention the first create's row is gone (retention.go): the
	// owner sending the same client-made id again is the same op.
	if forgotten, err := p.createForgotten(op.Collection, op.Id); err != nil {
		return res, err
	} else if forgotten && p.owns(existing, prep.receiptHash) {
		p.remember(prep, existing.Id, existing.GetInt("version"))
		res.Status, res.Version = StatusDuplicate, existing.GetInt("version")
		return res, nil
	}
	res.Status = StatusConflict
	res.Version = existing.GetInt("version")
	res.Error = codedError(http.StatusConflict, ConflictIdTaken, "A record with this id already exists with other content.")
	if p.canView(existing, prep.receiptHash) {
		res.Server = p.view(existing)
	}
	return res, nil
}

// createForgotten reports whether sync_ops no longer holds any create of
// the record (dropped by retention, or the record was made another way).
func (p *pushRun) createForgotten(coll, id string) (bool, error) {
	if _, ok := p.created[coll+"/"+id]; ok {
		return false, nil // created earlier in this push
	}
	var n int
	err := p.tx.DB().Select("count(*)").From("sync_ops").
		Where(dbx.HashExp{"collection": coll, "record": id, "kind": opCreate}).Row(&n)
	if err != nil {
		return false, fmt.Errorf("read first create: %w", err)
	}
	return n == 0, nil
}

func (p *pushRun) update(res opResult, prep prepared) (opResult, error) {
	op := prep.op
	if op.Collection == collMessages {
		return p.markRead(res, prep)
	}
	if op.Collection != collReports {
		return rejected(res, http.StatusBadRequest, "Only reports can be updated through sync.", nil), nil
	}
	if !p.existing[op.Collection+"/"+op.Id] {
		return rejected(res, http.StatusNotFound, "The record to update does not exist.", nil), nil
	}
	rec, err := p.tx.FindRecordById(op.Collection, op.Id)
	if err != nil {
		return res, fmt.Errorf("read record to update: %w", err)
	}
	allowed, ok := updatableFields(p.c, rec)
	if !ok {
		return rejected(res, http.StatusForbidden, "You may not change this record.", nil), nil
	}
	if current := rec.GetInt("version"); int64(current) != *op.Base {
		res.Status, res.Version = StatusConflict, current
		res.Error = codedError(http.StatusConflict, ConflictStaleBase, "The record changed since this update was made.")
		res.Server = p.view(rec)
		return res, nil
	}
	if apiErr := setFields(rec, prep.data, allowed); apiErr != nil {
		return rejectedWith(res, apiErr), nil
	}
	return p.save(res, prep, rec)
}

// markRead applies the one change a reporter's side makes to a message:
// {"read_by_reporter": true} on a staff reply, once the phone has shown it.
// The reporter proves the report with its receipt (in the op or X-Receipt),
// a volunteer by owning the report. Marking is one-way and idempotent, so
// `base` is not compared (messages have no version): a second mark changes
// nothing and is applied again.
func (p *pushRun) markRead(res opResult, prep prepared) (opResult, error) {
	op := prep.op
	for k, v := range prep.data {
		if k != "read_by_reporter" {
			return rejected(res, http.StatusBadRequest, "The operation sets fields it may not set.",
				validation.Errors{k: fielderr.NotAllowed}), nil
		}
		if v != true {
			return rejected(res, http.StatusBadRequest, "A reply can only be marked as read.",
				validation.Errors{k: validation.NewError("validation_must_be_true", "Only true can be set.")}), nil
		}
	}
	if len(prep.data) == 0 {
		return rejected(res, http.StatusBadRequest, "Send {\"read_by_reporter\": true}.",
			validation.Errors{"read_by_reporter": validation.NewError("validation_required", "Cannot be blank.")}), nil
	}
	if !p.existing[op.Collection+"/"+op.Id] {
		return rejected(res, http.StatusNotFound, "The record to update does not exist.", nil), nil
	}
	rec, err := p.tx.FindRecordById(collMessages, op.Id)
	if err != nil {
		return res, fmt.Errorf("read message to mark: %w", err)
	}
	report, err := p.tx.FindRecordById(collReports, rec.GetString("report"))
	if err != nil {
		return res, fmt.Errorf("read the message's report: %w", err)
	}
	if apiErr := p.checkReporterSide(report, prep.receiptHash); apiErr != nil {
		return rejectedWith(res, apiErr), nil
	}
	if rec.GetString("direction") != vocab.DirectionStaff {
		return rejected(res, http.StatusBadRequest, "Only the embassy's replies are marked as read by the reporter.", nil), nil
	}
	if rec.GetBool("read_by_reporter") {
		p.remember(prep, rec.Id, 0)
		res.Status = StatusApplied
		return res, nil
	}
	rec.Set("read_by_reporter", true)
	return p.save(res, prep, rec)
}

// save writes rec. A record refused by validation or by a hook before the
// write is a rejected op; any later error aborts the push.
func (p *pushRun) save(res opResult, prep prepared, rec *core.Record) (opResult, error) {
	if err := p.write(rec, prep.replyKey); err != nil {
		var verrs validation.Errors
		var apiErr *router.ApiError
		switch {
		case errors.As(err, &verrs):
			return rejected(res, http.StatusBadRequest, "The record is not valid.", verrs), nil
		case errors.As(err, &apiErr):
			return rejectedWith(res, apiErr), nil
		}
		return res, fmt.Errorf("save %s %s: %w", prep.op.Collection, rec.Id, err)
	}
	version := rec.GetInt("version")
	p.remember(prep, rec.Id, version)
	p.existing[prep.op.Collection+"/"+rec.Id] = true
	if prep.op.Kind == opCreate {
		p.created[prep.op.Collection+"/"+rec.Id] = p.applied[prep.op.Op]
	}
	res.Status, res.Version = StatusApplied, version
	return res, nil
}

// write stores rec through PocketBase's public create or update path
// (app.Save inside the push's transaction): every model and record hook,
// validation, and the after-success hooks (realtime notices, urgent
// notices), which PocketBase runs once the transaction has committed, in
// the order of the writes.
func (p *pushRun) write(rec *core.Record, replyKey []byte) error {
	ctx := reports.WithActor(p.ctx, p.c.actor())
	if replyKey != nil {
		ctx = sealing.WithReplyKey(ctx, rec.Id, replyKey)
	}
	return p.tx.SaveWithContext(ctx, rec)
}

// remember queues an applied op for sync_ops, so a retry of it is a duplicate.
func (p *pushRun) remember(prep prepared, record string, version int) {
	op := prep.op
	row := appliedOp{Op: prep.key, Kind: op.Kind, Collection: op.Collection, Record: record, Hash: prep.hash, Version: version}
	p.applied[op.Op] = row
	p.pending = append(p.pending, row)
}

// insertOpSQL remembers one applied op; kept prepared for the push.
const insertOpSQL = "INSERT INTO {{sync_ops}} ([[device]], [[op]], [[kind]], [[collection]], [[record]], [[hash]], [[version]]) " +
	"VALUES ({:device}, {:op}, {:kind}, {:collection}, {:record}, {:hash}, {:version})"

// flush writes the push's new reports into the search and needs indexes
// and the queued sync_ops rows, one prepared INSERT each.
func (p *pushRun) flush() error {
	if err := p.index.Flush(); err != nil {
		return err
	}
	db := p.tx.NonconcurrentDB()
	for _, r := range p.pending {
		params := dbx.Params{"device": p.device, "op": r.Op, "kind": r.Kind, "collection": r.Collection,
			"record": r.Record, "hash": r.Hash, "version": r.Version}
		if _, err := stmt(p.ctx, db, insertOpSQL, params).Execute(); err != nil {
			return fmt.Errorf("remember ops: %w", err)
		}
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
		rec.Set("channel", vocab.ChannelSelf)
	case roleVolunteer:
		rec.Set("channel", vocab.ChannelVolunteer)
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
	case roleGuest, roleVolunteer:
		if apiErr := p.checkReporterSide(report, receiptHash); apiErr != nil {
			return apiErr
		}
		rec.Set("direction", vocab.DirectionReporter)
	case roleStaff, roleSuperuser:
		if apiErr := mayAnswer(p.c, report); apiErr != nil {
			return apiErr
		}
		rec.Set("direction", vocab.DirectionStaff)
		if p.c.role == roleStaff {
			rec.Set("author", p.c.id())
		}
	}
	return nil
}

// setFields copies data into rec, refusing any field not in allowed, and
// any value not of its field's JSON type, with a field error rather than
// dropping or coercing it silently (PocketBase's Record.Set would store
// "three" as 0 and "yes" as false).
func setFields(rec *core.Record, data map[string]any, allowed []string) *router.ApiError {
	errs := validation.Errors{}
	message := "The operation sets fields to values of the wrong type."
	for k, v := range data {
		if !slices.Contains(allowed, k) {
			errs[k] = fielderr.NotAllowed
			message = "The operation sets fields it may not set."
			continue
		}
		if err := checkType(rec.Collection().Fields.GetByName(k), v); err != nil {
			errs[k] = err
			continue
		}
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		rec.Set(k, v)
	}
	if len(errs) > 0 {
		return router.NewBadRequestError(message, errs)
	}
	return nil
}

// checkType refuses v when it is not of field f's JSON type: a number for
// a number field, true or false for a bool, a string for text, a date
// string PocketBase reads ("2026-11-20 00:00:00.000Z", RFC 3339) or ""
// for a date, a list of strings for a select or relation of several
// values and a string for one of one. null clears any field.
func checkType(f core.Field, v any) error {
	if f == nil || v == nil {
		return nil
	}
	wrong := fielderr.WrongType
	str := func() error {
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
		return nil
	}
	list := func() error {
		items, ok := v.([]any)
		if !ok {
			return wrong("a list of strings")
		}
		for _, it := range items {
			if _, ok := it.(string); !ok {
				return wrong("a list of strings")
			}
		}
		return nil
	}
	switch f := f.(type) {
	case *core.NumberField:
		if _, ok := v.(json.Number); !ok {
			return wrong("a number")
		}
	case *core.BoolField:
		if _, ok := v.(bool); !ok {
			return wrong("true or false")
		}
	case *core.TextField, *core.EmailField, *core.URLField, *core.EditorField:
		return str()
	case *core.DateField:
		s, ok := v.(string)
		if !ok {
			return wrong("a date")
		}
		if d, _ := types.ParseDateTime(s); s != "" && d.IsZero() {
			return validation.NewError("validation_invalid_date", "Must be a date, as 2026-11-20 00:00:00.000Z.")
		}
	case *core.SelectField:
		if f.IsMultiple() {
			return list()
		}
		return str()
	case *core.RelationField:
		if f.IsMultiple() {
			return list()
		}
		return str()
	case *core.GeoPointField:
		if _, ok := v.(map[string]any); !ok {
			return wrong(`an object {"lon": …, "lat": …}`)
		}
	}
	return nil
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
