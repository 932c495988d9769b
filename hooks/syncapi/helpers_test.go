package syncapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
	_ "homeward/pb_migrations" // the schema under test
)

// fixture is a running server over testserver.TwoEmbassies: embassies X
// and Y, a volunteer and a staff member for each (by index), each
// volunteer's device credential and a superuser, so tests can check that
// nobody sees the other side.
type fixture struct {
	t        testing.TB
	srv      *testserver.Server
	app      *tests.TestApp
	seeded   *testserver.Seeded
	embassy  [2]string
	vol      [2]*core.Record
	volToken [2]string // PocketBase login token
	staff    [2]*core.Record
	staffTok [2]string
	devTok   [2]string // device credential of vol[i]
	suTok    string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	app := testserver.NewApp(t, false)
	s := testserver.Seed(t, app, testserver.TwoEmbassies())
	f := &fixture{t: t, app: app, srv: testserver.Start(t, app), seeded: s, suTok: s.SuperuserToken}
	for i := range 2 {
		f.embassy[i] = s.Embassies[i].Id
		f.vol[i], f.volToken[i] = s.Volunteers[i], s.VolunteerTokens[i]
		f.staff[i], f.staffTok[i] = s.Staff[i], s.StaffTokens[i]
		f.devTok[i] = s.DeviceTokens[i]
	}
	return f
}

// tablet returns the device credential of volunteer 0's tablet: the
// caller for large batches (a phone without an account may create only a
// handful of reports a push).
func (f *fixture) tablet() header {
	return device(f.devTok[0])
}

func (f *fixture) save(coll string, data map[string]any) *core.Record {
	f.t.Helper()
	return testserver.SaveRecord(f.t, f.app, coll, data)
}

func (f *fixture) count(coll string) int {
	f.t.Helper()
	n, err := f.app.CountRecords(coll)
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// registerDevice returns a device credential for volunteer i.
func (f *fixture) registerDevice(i int) (id, token string) {
	f.t.Helper()
	var out struct{ Id, Token string }
	status := f.call(http.MethodPost, "/api/sync/devices", bearer(f.volToken[i]), map[string]any{"label": "phone"}, &out)
	if status != http.StatusCreated || out.Token == "" {
		f.t.Fatalf("register device: status %d", status)
	}
	return out.Id, out.Token
}

type header map[string]string

func bearer(tok string) header { return header{"Authorization": "Bearer " + tok} }
func device(tok string) header { return header{"Authorization": "Device " + tok} }
func receipt(r string) header  { return header{"X-Receipt": r} }

// call sends body as JSON (or raw bytes) and decodes the answer into out.
func (f *fixture) call(method, path string, h header, body any, out any) int {
	f.t.Helper()
	status, raw := f.raw(method, path, h, body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			f.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return status
}

func (f *fixture) raw(method, path string, h header, body any) (int, []byte) {
	f.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return res.StatusCode, raw
}

type pushResult struct {
	Op      string         `json:"op"`
	Status  string         `json:"status"`
	Id      string         `json:"id"`
	Version int            `json:"version"`
	Error   map[string]any `json:"error"`
	Server  map[string]any `json:"server"`
}

type pushAnswer struct {
	Results []pushResult `json:"results"`
	Cursor  string       `json:"cursor"`
}

type op map[string]any

func (f *fixture) push(h header, dev string, ops []op) pushAnswer {
	f.t.Helper()
	var out pushAnswer
	status, raw := f.raw(http.MethodPost, "/api/sync/push", h, map[string]any{"device": dev, "ops": ops})
	if status != http.StatusOK {
		f.t.Fatalf("push: status %d: %s", status, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		f.t.Fatal(err)
	}
	if len(out.Results) != len(ops) {
		f.t.Fatalf("push: %d results for %d ops", len(out.Results), len(ops))
	}
	return out
}

type pullChange struct {
	Seq        int64          `json:"seq"`
	Collection string         `json:"collection"`
	Id         string         `json:"id"`
	Kind       string         `json:"kind"`
	Version    int            `json:"version"`
	Data       map[string]any `json:"data"`
}

type pullAnswer struct {
	Changes []pullChange `json:"changes"`
	Cursor  string       `json:"cursor"`
	HasMore bool         `json:"has_more"`
}

// pullAll pulls from the start until has_more is false.
func (f *fixture) pullAll(h header) []pullChange {
	f.t.Helper()
	all, _ := f.pullSince(h, "")
	return all
}

// pullSince pulls every page after cursor; it returns the changes and the
// cursor to pull from next.
func (f *fixture) pullSince(h header, cursor string) ([]pullChange, string) {
	f.t.Helper()
	var all []pullChange
	for {
		var page pullAnswer
		status := f.call(http.MethodGet, "/api/sync/pull?limit=500&cursor="+cursor, h, nil, &page)
		if status != http.StatusOK {
			f.t.Fatalf("pull: status %d", status)
		}
		all = append(all, page.Changes...)
		cursor = page.Cursor
		if !page.HasMore {
			return all, cursor
		}
	}
}

func newId() string { return testserver.NewId() }

func newReceipt() string { return testserver.NewReceipt() }

// reportCreate is a reporter's create op for embassy emb.
func reportCreate(opId, id, emb, rcpt string, extra map[string]any) op {
	data := map[string]any{"embassy": emb, "message": "help " + id, "people_count": 2, "needs": []string{"shelter"}}
	for k, v := range extra {
		data[k] = v
	}
	o := op{"op": opId, "kind": "create", "collection": "reports", "id": id, "data": data}
	if rcpt != "" {
		o["receipt"] = rcpt
	}
	return o
}
