package syncapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"homeward/internal/fielderr"
)

// Push limits. A volunteer's phone may hold a few hundred reports after
// days offline; 1,000 ops of about 2 KB each fit in maxPushBytes, and one
// such push holds the write lock for well under a second. Over a limit the
// answer is 413 and the client halves its batch.
const (
	maxPushOps   = 1000
	maxPushBytes = 8 << 20 // after decompression; also the cap on the wire
	// maxOpBytes bounds one operation's data. Halving a batch cannot make
	// one op smaller, so an op over it is rejected on its own instead.
	maxOpBytes = 64 << 10
	maxIdLen   = 64
)

// Operation kinds.
const (
	opCreate = "create"
	opUpdate = "update"
)

// pushRequest is the body of POST /api/sync/push.
type pushRequest struct {
	Device string   `json:"device"`
	Ops    []pushOp `json:"ops"`
}

// pushOp is one operation of a push.
type pushOp struct {
	Op         string          `json:"op"`
	Kind       string          `json:"kind"`
	Collection string          `json:"collection"`
	Id         string          `json:"id"`
	Base       *int64          `json:"base,omitempty"`
	Receipt    string          `json:"receipt,omitempty"`
	Data       json.RawMessage `json:"data"`
}

var (
	tokenPattern    = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	recordIdPattern = regexp.MustCompile(`^[a-z0-9]+$`)

	errNotGzip     = errors.New("body is not valid gzip")
	errTooLarge    = errors.New("push too large")
	errTooManyOps  = errors.New("too many ops")
	errNoOps       = errors.New("a push needs at least one operation")
	errTrailingOps = errors.New("unexpected data after the push object")
	errNotUTF8     = errors.New("the push is not valid UTF-8")
)

// decodePush reads a push body, gunzipping it when gzipped, with the
// decompressed size capped at maxPushBytes (a gzip bomb stops there).
// Errors are errTooLarge, errTooManyOps, or a description of bad input.
func decodePush(body io.Reader, gzipped bool) (pushRequest, error) {
	var req pushRequest
	r := io.LimitReader(body, maxPushBytes+1)
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return req, errNotGzip
		}
		defer zr.Close()
		r = zr
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxPushBytes+1))
	if err != nil {
		if gzipped {
			return req, errNotGzip
		}
		return req, fmt.Errorf("read body: %w", err)
	}
	if len(raw) > maxPushBytes {
		return req, errTooLarge
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD and store
	// it; a phone never sends it, so it is a broken or hostile client.
	if !utf8.Valid(raw) {
		return req, errNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("invalid push JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return req, errTrailingOps
	}
	if len(req.Ops) > maxPushOps {
		return req, errTooManyOps
	}
	if len(req.Ops) == 0 {
		return req, errNoOps
	}
	if err := validation.Validate(req.Device, validation.Required, validation.Length(1, maxIdLen), validation.Match(tokenPattern)); err != nil {
		return req, fmt.Errorf("device: %w", err)
	}
	for i, op := range req.Ops {
		if err := op.check(); err != nil {
			return req, &opShapeError{index: i, err: err}
		}
	}
	return req, nil
}

// opShapeError is an op that is not an operation at all (unknown kind or
// collection, bad id): a client bug, so the whole push is refused with 400
// and nothing is written. Ops that are well formed but invalid or not
// allowed are rejected one by one instead.
type opShapeError struct {
	index int
	err   error
}

func (e *opShapeError) Error() string {
	return fmt.Sprintf("ops[%d]: %s", e.index, fielderr.Describe(e.err))
}

func (e *opShapeError) Unwrap() error { return e.err }

// check validates an op's shape before anything is looked up. It returns
// PocketBase-style field errors.
func (op pushOp) check() error {
	return validation.Errors{
		"op":         validation.Validate(op.Op, validation.Required, validation.Length(1, maxIdLen), validation.Match(tokenPattern)),
		"kind":       validation.Validate(op.Kind, validation.Required, validation.In(opCreate, opUpdate)),
		"collection": validation.Validate(op.Collection, validation.Required, validation.In(collReports, collMessages)),
		"id":         validation.Validate(op.Id, validation.Required, validation.Length(15, 20), validation.Match(recordIdPattern)),
		"data":       op.checkData(),
		"base":       op.checkBase(),
	}.Filter()
}

// checkSize refuses an op whose data alone is over maxOpBytes.
func (op pushOp) checkSize() error {
	if len(op.Data) > maxOpBytes {
		return validation.Errors{"data": validation.NewError("validation_op_too_large", fmt.Sprintf("The data of one operation may be at most %d bytes.", maxOpBytes))}
	}
	return nil
}

func (op pushOp) checkData() error {
	if t := strings.TrimSpace(string(op.Data)); t == "" || t[0] != '{' {
		return validation.NewError("validation_required", "Data must be an object.")
	}
	return nil
}

// checkBase requires the version a report update was made on. Messages
// have no version: their one update (marking a reply read) is one-way.
func (op pushOp) checkBase() error {
	if op.Kind == opUpdate && op.Collection == collReports && op.Base == nil {
		return validation.NewError("validation_required", "An update must carry the version it was based on.")
	}
	return nil
}

// fields decodes the op's data object, keeping numbers as written so the
// content hash does not depend on float formatting.
func (op pushOp) fields() (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(op.Data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// jsonProblem words a decoding error of a push body for the client's
// developer, in JSON's terms rather than Go's ("ops must be a list, not
// object", where encoding/json says "cannot unmarshal object into Go
// struct field pushRequest.ops of type []syncapi.pushOp").
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the push"
		}
		return fmt.Sprintf("%s must be %s, not %s", field, fielderr.JSONKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not JSON at byte %d: %s", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends before the push does"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
