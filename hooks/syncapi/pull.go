package syncapi

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
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

// cursorExpiredError answers a pull from before the retention horizon.
func cursorExpiredError() *router.ApiError {
	return codedError(http.StatusGone, CodeCursorExpired, "This device was away longer than the server keeps deletions. Pull again from the start; keep what is waiting to be sent.")
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
	// Two reads of the horizon bracket the rows. Retention drops tombstones
	// and moves the horizon in one transaction, but the rows and the
	// horizon are separate reads, and the daily job may commit between
	// them. The read after decides 410: either the rows still held the
	// tombstones, or it sees the horizon past them (a horizon read only
	// before would let rows from after the job through, and the device
	// would never learn of the deletions dropped). The read before is
	// where a pull that read everything may move its cursor to: every row
	// at or below it was written before the rows were read.
	floor, err := horizon(e.App)
	if err != nil {
		return e.InternalServerError("Failed to read the change log.", err)
	}
	if after > 0 && after < floor {
		return cursorExpiredError()
	}
	limit := defaultPullLimit
	if s := e.Request.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPullLimit {
			return router.NewBadRequestError("The pull query is not valid.", validation.Errors{
				"limit": validation.NewError("validation_out_of_range", fmt.Sprintf("Must be a whole number from 1 to %d.", maxPullLimit)),
			})
		}
		limit = n
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
	if h, err := horizon(e.App); err != nil {
		return e.InternalServerError("Failed to read the change log.", err)
	} else if after > 0 && after < h {
		return cursorExpiredError()
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
	last := after
	if len(rows) > 0 {
		last = rows[len(rows)-1].Seq
	}
	// A pull that has read everything is past the horizon too: no row of
	// the caller's at or below it is left unread, and every later change
	// gets a higher seq (retention never drops the newest row).
	if !res.HasMore {
		last = max(last, floor)
	}
	res.Cursor = encodeCursor(last)
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
