package syncapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// send is fixture.raw for a goroutine other than the test's: it reports a
// failed request as an error instead of stopping the test.
func (f *fixture) send(method, path string, h header, body any) (int, []byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// TestAStaffChangeWhileAPushEditsTheReportLosesNeither: staff change a
// report's status in the console (the records API) while the volunteer's
// tablet pushes an edit of the same report. Every write that was answered
// as done must be in the stored report: a change answered "applied" must
// not be overwritten by the records API saving the copy it read before
// the push committed.
func TestAStaffChangeWhileAPushEditsTheReportLosesNeither(t *testing.T) {
	f := newFixture(t)
	tablet := f.tablet()
	staff := bearer(f.staffTok[0])
	const rounds = 150
	refused := 0
	for i := range rounds {
		id := newId()
		if r := f.push(tablet, "tablet", []op{reportCreate(fmt.Sprint("c-", i), id, f.embassy[0], "", nil)}).Results[0]; r.Status != "applied" {
			t.Fatalf("round %d: create: %+v", i, r)
		}
		edit := op{"op": fmt.Sprint("u-", i), "kind": "update", "collection": "reports", "id": id, "base": 1,
			"data": map[string]any{"people_count": 7}}
		type answer struct {
			status int
			body   []byte
			err    error
		}
		pushed := make(chan answer, 1)
		go func() {
			s, b, err := f.send(http.MethodPost, "/api/sync/push", tablet, map[string]any{"device": "tablet", "ops": []op{edit}})
			pushed <- answer{s, b, err}
		}()
		status, body, err := f.send(http.MethodPatch, "/api/collections/reports/records/"+id, staff, map[string]any{"status": "in_review"})
		p := <-pushed
		if err != nil || p.err != nil {
			t.Fatalf("round %d: %v, %v", i, err, p.err)
		}
		if p.status != http.StatusOK {
			t.Fatalf("round %d: push answered %d: %s", i, p.status, p.body)
		}
		var res pushAnswer
		if err := json.Unmarshal(p.body, &res); err != nil {
			t.Fatal(err)
		}
		rec, err := f.app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Results[0]; r.Status == "applied" && rec.GetInt("people_count") != 7 {
			t.Fatalf("round %d: the push was answered applied (version %d), the records API answered %d, and the report holds people_count %d at version %d",
				i, r.Version, status, rec.GetInt("people_count"), rec.GetInt("version"))
		}
		switch status {
		case http.StatusOK:
			if rec.GetString("status") != "in_review" {
				t.Fatalf("round %d: the status change was answered 200 and the report is %q", i, rec.GetString("status"))
			}
		case http.StatusConflict:
			// Refused whole: the console reloads the report.
			refused++
		default:
			t.Fatalf("round %d: the records API answered %d: %s", i, status, body)
		}
	}
	t.Logf("%d of %d status changes met the push and were refused", refused, rounds)
}

// TestAReadMarkWhileTheReportIsDeletedLeavesItsTombstone: staff mark a
// reporter's message read while a superuser deletes its report. The
// tablet that wrote it must still pull the message's deletion: the mark
// must not write the message's change row again after its tombstone.
func TestAReadMarkWhileTheReportIsDeletedLeavesItsTombstone(t *testing.T) {
	f := newFixture(t)
	tablet := f.tablet()
	staff := bearer(f.staffTok[0])
	_, cursor := f.pullSince(tablet, "")
	const rounds = 150
	gone := 0
	for i := range rounds {
		id, msg := newId(), newId()[:15]
		res := f.push(tablet, "tablet", []op{
			reportCreate(fmt.Sprint("c-", i), id, f.embassy[0], "", nil),
			{"op": fmt.Sprint("m-", i), "kind": "create", "collection": "messages", "id": msg, "data": map[string]any{"report": id, "body": "any news?"}},
		})
		for _, r := range res.Results {
			if r.Status != "applied" {
				t.Fatalf("round %d: push: %+v", i, r)
			}
		}
		rec, err := f.app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		deleted := make(chan error, 1)
		go func() { deleted <- f.app.Delete(rec) }()
		status, body, err := f.send(http.MethodPatch, "/api/collections/messages/records/"+msg, staff, map[string]any{"read_by_staff": true})
		if err := <-deleted; err != nil {
			t.Fatalf("round %d: delete: %v", i, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case http.StatusOK:
		case http.StatusNotFound:
			gone++
		default:
			t.Fatalf("round %d: the records API answered %d: %s", i, status, body)
		}
		var changes []pullChange
		changes, cursor = f.pullSince(tablet, cursor)
		last := ""
		for _, c := range changes {
			if c.Id == msg {
				last = c.Kind
			}
		}
		if last != "delete" {
			t.Fatalf("round %d: the read mark was answered %d and the tablet's last change of the deleted message is %q", i, status, last)
		}
	}
	t.Logf("%d of %d read marks found the message gone", gone, rounds)
}
