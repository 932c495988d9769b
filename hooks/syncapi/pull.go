package syncapi

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Pull page sizes: the default suits a 2G link (a page is a few KB), the
// maximum bounds one request's work.
const (
	defaultPullLimit = 100
	maxPullLimit     = 1000
)

// cursorPrefix versions the opaque cursor format.
const cursorPrefix = "c1."

// change is one entry of a pull answer.
type change struct {
	Seq        int64           `json:"seq"`
	Collection string          `json:"collection"`
	Id         string          `json:"id"`
	Kind       string          `json:"kind"`
	Version    int             `json:"version"`
	Data       json.RawMessage `json:"data"`
}

// pullResponse is the answer to a pull.
type pullResponse struct {
	Changes []change `json:"changes"`
	Cursor  string   `json:"cursor"`
	HasMore bool     `json:"has_more"`
}

// changeRow is a row of sync_changes: a record's latest change and, for an
// upsert, its public JSON.
type changeRow struct {
	Seq        int64          `db:"seq"`
	Collection string         `db:"collection"`
	Record     string         `db:"record"`
	Kind       string         `db:"kind"`
	Version    int            `db:"version"`
	Data       sql.NullString `db:"data"`
}

var errBadCursor = errors.New("bad cursor")

// encodeCursor makes the opaque cursor for a position in the change log.
func encodeCursor(seq int64) string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// decodeCursor reads a cursor; "" is the start of the log.
func decodeCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	raw, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok || len(raw) > 32 {
		return 0, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, errBadCursor
	}
	seq, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || seq < 0 {
		return 0, errBadCursor
	}
	return seq, nil
}

func (a *api) pull(e *core.RequestEvent) error {
	c, err := resolveCaller(e)
	if err != nil {
		return err
	}
	after, err := decodeCursor(e.Request.URL.Query().Get("cursor"))
	if err != nil {
		return codedError(http.StatusBadRequest, CodeBadCursor, "The cursor is not valid. Pull again from the start.")
	}
	limit := defaultPullLimit
	if s := e.Request.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return e.BadRequestError("The limit must be a positive number.", err)
		}
		limit = min(n, maxPullLimit)
	}

	scope, err := a.pullScope(e, c)
	if err != nil {
		return err
	}
	var rows []changeRow
	err = e.App.DB().Select("c.seq", "c.collection", "c.record", "c.kind", "c.version", "c.data").
		From("sync_changes c").
		Where(scope).AndWhere(dbx.NewExp("c.seq > {:after}", dbx.Params{"after": after})).
		OrderBy("c.seq").Limit(int64(limit + 1)).All(&rows)
	if err != nil {
		return e.InternalServerError("Failed to read the changes.", err)
	}
	res := pullResponse{Changes: make([]change, 0, len(rows)), Cursor: encodeCursor(after)}
	if len(rows) > limit {
		rows, res.HasMore = rows[:limit], true
	}
	for _, r := range rows {
		ch := change{Seq: r.Seq, Collection: r.Collection, Id: r.Record, Kind: r.Kind, Version: r.Version, Data: json.RawMessage("null")}
		if r.Kind == kindUpsert && r.Data.Valid {
			if ch.Data, err = viewSnapshot(c.role, r.Collection, r.Data.String); err != nil {
				return e.InternalServerError("Failed to read a changed record.", err)
			}
		}
		res.Changes = append(res.Changes, ch)
	}
	if len(rows) > 0 {
		res.Cursor = encodeCursor(rows[len(rows)-1].Seq)
	}
	if err := touchDevice(e.App, c); err != nil {
		e.App.Logger().Warn("sync: refresh device credential", "error", err)
	}
	return e.Blob(http.StatusOK, "application/json", res.encode())
}

// encode writes the answer by hand: the snapshots are JSON this server
// wrote, and encoding/json would parse each one again to re-check it, which
// was most of a pull's cost.
func (r pullResponse) encode() []byte {
	size := 64
	for _, c := range r.Changes {
		size += 96 + len(c.Data)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"changes":[`...)
	for i, c := range r.Changes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"seq":`...)
		buf = strconv.AppendInt(buf, c.Seq, 10)
		buf = append(buf, `,"collection":`...)
		buf = strconv.AppendQuote(buf, c.Collection)
		buf = append(buf, `,"id":`...)
		buf = strconv.AppendQuote(buf, c.Id)
		buf = append(buf, `,"kind":`...)
		buf = strconv.AppendQuote(buf, c.Kind)
		buf = append(buf, `,"version":`...)
		buf = strconv.AppendInt(buf, int64(c.Version), 10)
		buf = append(buf, `,"data":`...)
		buf = append(buf, c.Data...)
		buf = append(buf, '}')
	}
	buf = append(buf, `],"cursor":`...)
	buf = strconv.AppendQuote(buf, r.Cursor)
	buf = append(buf, `,"has_more":`...)
	buf = strconv.AppendBool(buf, r.HasMore)
	return append(buf, '}')
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
		return nil, codedError(http.StatusUnauthorized, CodeReceiptRequired, "Send the report's receipt in the X-Receipt header, or sign in.")
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

// reporterReportFields is what an anonymous reporter sees of its report:
// where it stands, not what it said (the phone may be inspected, and the
// reporter knows what they wrote).
var reporterReportFields = []string{"id", "status", "embassy", "version", "updated"}

// reporterMessageFields is what an anonymous reporter sees of a message;
// the staff author stays internal.
var reporterMessageFields = []string{"id", "report", "direction", "body", "read_by_reporter", "created"}

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
