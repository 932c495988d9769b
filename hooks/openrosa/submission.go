package openrosa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/hooks/reports"
	"homeward/hooks/sealing"
	"homeward/hooks/syncapi"
	"homeward/internal/receipts"
	"homeward/internal/vocab"
	"homeward/internal/xform"
)

// submissionFile is the multipart field of the filled form's XML.
const submissionFile = "xml_submission_file"

// receiptPurpose keys the receipts this API derives (receipts.Derive).
const receiptPurpose = "openrosa"

// submissionHead tells Collect how much it may send in one POST; Collect
// asks before it sends a filled form.
func (a *api) submissionHead(e *core.RequestEvent, _ caller) error {
	e.Response.Header().Set(HeaderAcceptContentLength, strconv.Itoa(AcceptContentLength))
	return e.NoContent(http.StatusNoContent)
}

// submission is one POST's parts.
type submission struct {
	xml   []byte
	files map[string][]byte // by file name
	order []string          // file names in the order they came
	plain map[string][]byte // parts without a file name, by field name
}

// errSubmission is a submission refused before anything is stored.
type errSubmission struct {
	status  int
	message string
}

func (e *errSubmission) Error() string { return e.message }

func refuse(status int, format string, args ...any) *errSubmission {
	return &errSubmission{status: status, message: fmt.Sprintf(format, args...)}
}

// readSubmission reads a multipart/form-data body (of any length, chunked
// included) into memory, within the limits above.
func readSubmission(e *core.RequestEvent) (*submission, error) {
	mt, params, err := mime.ParseMediaType(e.Request.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, refuse(http.StatusBadRequest, "Send the filled form as multipart/form-data with its XML in the part %q.", submissionFile)
	}
	e.Request.Body = http.MaxBytesReader(e.Response, e.Request.Body, maxBodyBytes)
	mr, err := e.Request.MultipartReader()
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "The body is not multipart/form-data.")
	}
	s := &submission{files: map[string][]byte{}, plain: map[string][]byte{}}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
		if n >= maxParts {
			return nil, refuse(http.StatusBadRequest, "A submission may have at most %d parts.", maxParts)
		}
		name, file := part.FormName(), part.FileName()
		switch {
		case name == submissionFile:
			if s.xml != nil {
				return nil, refuse(http.StatusBadRequest, "The submission has two %q parts.", submissionFile)
			}
			if s.xml, err = readPart(part, maxXMLBytes); err != nil {
				return nil, err
			}
		case file != "":
			data, err := readPart(part, maxFileBytes)
			if err != nil {
				return nil, err
			}
			if prior, ok := s.files[file]; ok {
				if !bytes.Equal(prior, data) {
					return nil, refuse(http.StatusBadRequest, "Two files named %s with different content.", file)
				}
				continue
			}
			s.files[file] = data
			s.order = append(s.order, file)
		default:
			// Collect's "*isIncomplete*" and other plain fields; a client
			// may also send a file as a plain field named by the file
			// (without a filename), which submit recognises once the XML
			// names it.
			data, err := readPart(part, maxFileBytes)
			if err != nil {
				return nil, err
			}
			s.plain[name] = data
		}
	}
	if s.xml == nil {
		return nil, refuse(http.StatusBadRequest, "The submission has no %q part.", submissionFile)
	}
	return s, nil
}

func readPart(part io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(data)) > limit {
		return nil, refuse(http.StatusRequestEntityTooLarge, "A part of the submission is larger than %d bytes.", limit)
	}
	return data, nil
}

// bodyError is the answer to a body that could not be read: too large,
// or cut off.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return refuse(http.StatusRequestEntityTooLarge, "The submission is larger than %d bytes. Send its files in several parts.", maxBodyBytes)
	}
	return refuse(http.StatusBadRequest, "The body could not be read as multipart/form-data.")
}

// ReportId is the report id a submission's instanceID maps to: the same
// instanceID is always the same report, on every server.
func ReportId(instanceID string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte("homeward-openrosa\x00" + instanceID))
	id := make([]byte, 20)
	for i := range id {
		id[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(id)
}

// opsDevice is the sync_ops device column of a volunteer's submissions:
// their report and file rows are the ledger that makes a submission
// exactly-once, beside the volunteer's pushes ("a:<volunteer>:<device>").
func opsDevice(c caller) string {
	return "a:" + c.volunteer.Id + ":openrosa"
}

// outcome is what a submission changed.
type outcome struct {
	created    bool // the report is new
	filesAdded int
	receipt    string // the receipt code to tell the volunteer, if any
}

// submit stores a filled form. Everything a POST brings is stored in one
// transaction: the report (new, or found by its instanceID) and the files
// not yet stored, so a crash leaves either all of it or none.
func (a *api) submit(e *core.RequestEvent, c caller) error {
	s, err := readSubmission(e)
	if err != nil {
		return refused(e, err)
	}
	sub, err := xform.Parse(s.xml)
	if err != nil {
		return refused(e, refuse(http.StatusBadRequest, "The form could not be read: %v.", err))
	}
	if ok, err := a.versionTaken(e.App, sub.Version); err != nil {
		return serverError(e, err)
	} else if !ok {
		return refused(e, refuse(http.StatusBadRequest, "Form version %q does not exist on this server. Get the blank form again; this filled form cannot be sent.", sub.Version))
	}
	data, followUp, err := sub.Report()
	if err != nil {
		return refused(e, refuse(http.StatusBadRequest, "The form could not be read: %v.", err))
	}
	named := sub.Files()
	for _, name := range named {
		if raw, ok := s.plain[name]; ok && s.files[name] == nil {
			s.files[name] = raw
			s.order = append(s.order, name)
		}
	}
	files := map[string]syncapi.Attachment{}
	for _, name := range s.order {
		if !slices.Contains(named, name) {
			return refused(e, refuse(http.StatusBadRequest, "The file %s is not named in the filled form.", name))
		}
		att, err := syncapi.CleanAttachment(s.files[name])
		if err != nil {
			reason := "It cannot be read."
			if r := syncapi.RefusedFile(err); r != nil {
				reason = r.Message
			}
			return refused(e, refuse(http.StatusUnsupportedMediaType, "The file %s was refused. %s", name, reason))
		}
		files[name] = att
	}

	ctx := reports.WithActor(context.Background(), reports.ActorFromAuth(c.volunteer))
	if followUp {
		// The server seals an ODK form's report and issues its receipt: the
		// reply key goes in the envelope, derived before the write lock.
		id := ReportId(sub.InstanceID)
		embassy, _ := data["embassy"].(string)
		if key := sealing.ReplyKeyFor(e.App, embassy, a.receipts.Derive(receiptPurpose, sub.InstanceID), id); key != nil {
			ctx = sealing.WithReplyKey(ctx, id, key)
		}
	}
	var out outcome
	err = e.App.RunInTransaction(func(txApp core.App) error {
		out = outcome{}
		w := &writer{tx: txApp, c: c, sub: sub, ctx: ctx}
		if err := w.report(data, followUp, a.receipts, &out); err != nil {
			return err
		}
		for _, name := range s.order {
			if err := w.file(name, files[name], &out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return refused(e, err)
	}
	if err := syncapi.TouchDevice(e.App, c.device); err != nil {
		e.App.Logger().Warn("openrosa: refresh device credential", "error", err)
	}
	status, message := http.StatusAccepted, "This report was already received; nothing changed."
	switch {
	case out.created:
		status, message = http.StatusCreated, "Report received."
	case out.filesAdded > 0:
		status, message = http.StatusCreated, fmt.Sprintf("Report received earlier; %d more file(s) added.", out.filesAdded)
	}
	if out.receipt != "" {
		message += " Receipt code for the person (to read the embassy's replies in the Homeward app): " + groupDigits(out.receipt)
	}
	return respond(e, status, natureSuccess, message)
}

// versionTaken reports whether a filled form of version may be sent: the
// current form's, or one handed out before.
func (a *api) versionTaken(app core.App, version string) (bool, error) {
	if version == "" {
		return false, nil
	}
	embassies, err := receivingEmbassies(app)
	if err != nil {
		return false, err
	}
	if version == xform.VersionOf(embassies) {
		return true, nil
	}
	return knownVersion(app, version)
}

// writer stores one submission inside its transaction.
type writer struct {
	tx  core.App
	c   caller
	sub xform.Submission
	ctx context.Context
	rec *core.Record
}

// contentHash identifies a filled form's content: the same instanceID
// with another hash is another submission, refused with 409.
func contentHash(sub xform.Submission) string {
	canon, _ := json.Marshal(sub.Fields) // map keys are sorted
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", sub.FormID, sub.Version)
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}

// report finds the submission's report, or creates it through the one
// write path as a volunteer's push does: SaveWithContext with the
// volunteer as the writer, so the report's rules, audit event, change log
// and indexes follow.
func (w *writer) report(data map[string]any, followUp bool, keys receipts.Keys, out *outcome) error {
	id := ReportId(w.sub.InstanceID)
	hash := contentHash(w.sub)
	var prior string
	err := w.tx.DB().Select("hash").From("sync_ops").
		Where(dbx.HashExp{"collection": "reports", "record": id, "kind": "create"}).Limit(1).Row(&prior)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the first submission: %w", err)
	}
	existing, findErr := w.tx.FindRecordById("reports", id)
	if findErr == nil {
		// The same filled form again (its first answer lost, or its files
		// coming in several POSTs). Past sync_ops' retention only the
		// owner is checked, as for a push.
		if existing.GetString("volunteer") != w.c.volunteer.Id || (prior != "" && prior != hash) {
			return refuse(http.StatusConflict, "A submission with instanceID %q was already received with other content. It was not changed; send a new form instead.", w.sub.InstanceID)
		}
		w.rec = existing
		if followUp && existing.GetString("receipt_hash") != "" {
			out.receipt = keys.Derive(receiptPurpose, w.sub.InstanceID)
		}
		return nil
	}
	col, err := w.tx.FindCachedCollectionByNameOrId("reports")
	if err != nil {
		return err
	}
	rec := core.NewRecord(col)
	rec.Id = id
	for k, v := range data {
		rec.Set(k, v)
	}
	rec.Set("channel", vocab.ChannelVolunteer)
	rec.Set("volunteer", w.c.volunteer.Id)
	if followUp {
		out.receipt = keys.Derive(receiptPurpose, w.sub.InstanceID)
		h, err := keys.Hash(out.receipt)
		if err != nil {
			return err
		}
		rec.Set("receipt_hash", h)
	}
	if err := w.tx.SaveWithContext(w.ctx, rec); err != nil {
		return saveError(err)
	}
	w.rec = rec
	out.created = true
	return w.remember(w.sub.InstanceID, "reports", rec.Id, hash, rec.GetInt("version"))
}

// file stores one of the submission's files once. A file name already
// received for this instanceID with the same bytes is skipped; with
// other bytes it is a conflict (409), as Collect never changes a file of
// a filled form.
func (w *writer) file(name string, att syncapi.Attachment, out *outcome) error {
	op := w.sub.InstanceID + "/" + name
	var prior string
	err := w.tx.DB().Select("hash").From("sync_ops").
		Where(dbx.HashExp{"device": opsDevice(w.c), "op": op}).Row(&prior)
	switch {
	case err == nil && prior == att.Source:
		return nil
	case err == nil:
		return refuse(http.StatusConflict, "The file %s of this form was already received with other content. Nothing was changed.", name)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read the files received: %w", err)
	}
	n, err := w.tx.CountRecords("attachments", dbx.HashExp{"report": w.rec.Id})
	if err != nil {
		return err
	}
	id, created, err := syncapi.StoreAttachment(w.tx, w.rec.Id, att)
	if refusedErr := syncapi.RefusedFile(err); refusedErr != nil {
		return refuse(http.StatusUnsupportedMediaType, "The file %s was refused. %s", name, refusedErr.Message)
	}
	if err != nil {
		return err
	}
	if created {
		if n >= syncapi.MaxAttachments {
			return refuse(http.StatusRequestEntityTooLarge, "A report may have at most %d files.", syncapi.MaxAttachments)
		}
		out.filesAdded++
	}
	return w.remember(op, "attachments", id, att.Source, 0)
}

// remember writes the sync_ops row that makes a retry find what was
// stored.
func (w *writer) remember(op, collection, record, hash string, version int) error {
	_, err := w.tx.DB().Insert("sync_ops", dbx.Params{
		"device": opsDevice(w.c), "op": op, "kind": "create", "collection": collection,
		"record": record, "hash": hash, "version": version,
	}).Execute()
	if err != nil {
		return fmt.Errorf("remember the submission: %w", err)
	}
	return nil
}

// saveError turns a refused save into the answer: validation and hook
// refusals name the fields (never their values, which are the report's
// content); anything else is the server's.
func saveError(err error) error {
	var verrs validation.Errors
	var apiErr *router.ApiError
	switch {
	case errors.As(err, &verrs):
		names := make([]string, 0, len(verrs))
		for k := range verrs {
			if k != "embassy" {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		if verrs["embassy"] == nil {
			return refuse(http.StatusBadRequest, "The report was refused: check %s.", strings.Join(names, ", "))
		}
		message := embassyRefusal(verrs["embassy"])
		if len(names) > 0 {
			message += fmt.Sprintf(" Check %s too.", strings.Join(names, ", "))
		}
		return refuse(http.StatusBadRequest, "%s", message)
	case errors.As(err, &apiErr) && apiErr.Status < 500:
		return refuse(apiErr.Status, "The report was refused. %s", apiErr.Message)
	}
	return err
}

// codeMissingRecord is PocketBase's field error of a relation to a record
// that does not exist (core.RelationField).
const codeMissingRecord = "validation_missing_rel_records"

// embassyRefusal is the answer to a report the write path refused for its
// embassy, by the field error's code: Collect shows it to the volunteer,
// who must know whether to wait for the embassy or get the form again.
// Each is a 400: Collect keeps the form as not sent, for the volunteer to
// send again.
func embassyRefusal(err error) string {
	var verr validation.Error
	code := ""
	if errors.As(err, &verr) {
		code = verr.Code()
	}
	switch code {
	case sealing.CodeNoKey:
		return "This embassy cannot receive reports yet: it has no sealing key, so nothing sent to it could be kept sealed. " +
			"Nothing was stored. Keep this form and send it again once the embassy's staff have made its key; meanwhile, call or message the embassy."
	case codeMissingRecord:
		return "The embassy chosen in this form is not on this server. Nothing was stored. " +
			"Get the blank form again and fill in a new one with an embassy from its list."
	case validation.ErrRequired.Code():
		return "The form names no embassy. Nothing was stored. Get the blank form again and choose an embassy."
	}
	return "The report was refused: check embassy."
}

// refused answers a refusal with its status and message, or any other
// error as the server's (500: Collect keeps the form and retries).
func refused(e *core.RequestEvent, err error) error {
	var r *errSubmission
	if errors.As(err, &r) {
		if r.status == http.StatusRequestEntityTooLarge || r.status == http.StatusBadRequest {
			// The rest of a refused body is not read.
			e.Response.Header().Set("Connection", "close")
		}
		return respond(e, r.status, natureError, r.message)
	}
	return serverError(e, err)
}

func serverError(e *core.RequestEvent, err error) error {
	e.App.Logger().Error("openrosa: store a submission", "error", err)
	return respond(e, http.StatusInternalServerError, natureError, "The server could not store the form; nothing was stored. Collect will send it again.")
}

// groupDigits writes a receipt in groups of four, as the app shows it.
func groupDigits(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
