package syncapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"
)

func TestPushIsIdempotentOver1000Ops(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	ops := make([]op, 1000)
	for i := range ops {
		ops[i] = reportCreate(fmt.Sprintf("op-%d", i), newId(), f.embassy[0], rcpt, nil)
	}

	first := f.push(f.tablet(), "tablet-1", ops)
	for i, r := range first.Results {
		if r.Status != "applied" || r.Version != 1 || r.Id != ops[i]["id"] {
			t.Fatalf("op %d: %+v, want applied version 1", i, r)
		}
	}
	again := f.push(f.tablet(), "tablet-1", ops)
	for i, r := range again.Results {
		if r.Status != "duplicate" || r.Id != ops[i]["id"] || r.Version != 1 {
			t.Fatalf("resent op %d: %+v, want duplicate", i, r)
		}
	}
	if n := f.count("reports"); n != 1000 {
		t.Fatalf("%d reports after pushing the same 1,000 ops twice, want 1000", n)
	}
	if n := len(f.pullAll(bearer(f.staffTok[0]))); n != 1000 {
		t.Fatalf("staff pulled %d changes, want 1000", n)
	}
}

func TestPushSameIdSameContentFromAnotherOpIsDuplicate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt, id := newReceipt(), newId()
	f.push(nil, "phone-1", []op{reportCreate("a", id, f.embassy[0], rcpt, nil)})
	// The phone lost its op log (reinstall) and queues the report again.
	res := f.push(nil, "phone-2", []op{reportCreate("b", id, f.embassy[0], rcpt, nil)})
	if r := res.Results[0]; r.Status != "duplicate" || r.Version != 1 {
		t.Fatalf("got %+v, want duplicate", r)
	}
	if n := f.count("reports"); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}

func TestPushSameIdOtherContentIsConflictWithServerCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt, id := newReceipt(), newId()
	f.push(nil, "phone-1", []op{reportCreate("a", id, f.embassy[0], rcpt, nil)})

	res := f.push(nil, "phone-1", []op{reportCreate("b", id, f.embassy[0], rcpt, map[string]any{"message": "other"})})
	r := res.Results[0]
	if r.Status != "conflict" || r.Error["data"].(map[string]any)["code"] != "id_taken" {
		t.Fatalf("got %+v, want conflict id_taken", r)
	}
	if r.Server["id"] != id || r.Server["status"] != "new" {
		t.Fatalf("server copy %v, want the stored report", r.Server)
	}
	// Someone without the receipt learns nothing about the stored report.
	res = f.push(nil, "phone-9", []op{reportCreate("c", id, f.embassy[0], newReceipt(), nil)})
	if r := res.Results[0]; r.Status != "conflict" || r.Server != nil {
		t.Fatalf("got %+v, want conflict without a server copy", r)
	}
	// The same op id with other content is a conflict too, never a write.
	res = f.push(nil, "phone-1", []op{reportCreate("a", newId(), f.embassy[0], rcpt, nil)})
	if r := res.Results[0]; r.Status != "conflict" || r.Error["data"].(map[string]any)["code"] != "op_reused" {
		t.Fatalf("got %+v, want conflict op_reused", r)
	}
	if n := f.count("reports"); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}

func TestPushStaleBaseIsConflictWithServerCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	id := newId()
	f.push(device(tok), "vphone", []op{reportCreate("c1", id, f.embassy[0], "", nil)})

	// Staff move the report on: version 2.
	res := f.push(bearer(f.staffTok[0]), "console", []op{{"op": "s1", "kind": "update", "collection": "reports", "id": id, "base": 1, "data": map[string]any{"status": "in_review"}}})
	if r := res.Results[0]; r.Status != "applied" || r.Version != 2 {
		t.Fatalf("staff update: %+v, want applied version 2", r)
	}
	// The volunteer edits the copy it made offline at version 1.
	res = f.push(device(tok), "vphone", []op{{"op": "u1", "kind": "update", "collection": "reports", "id": id, "base": 1, "data": map[string]any{"message": "edited"}}})
	r := res.Results[0]
	if r.Status != "conflict" || r.Version != 2 || r.Server["status"] != "in_review" || r.Server["message"] == "edited" {
		t.Fatalf("got %+v, want conflict with the version 2 server copy", r)
	}
	// Rebased on version 2 it applies.
	res = f.push(device(tok), "vphone", []op{{"op": "u2", "kind": "update", "collection": "reports", "id": id, "base": 2, "data": map[string]any{"message": "edited"}}})
	if r := res.Results[0]; r.Status != "applied" || r.Version != 3 {
		t.Fatalf("rebased update: %+v, want applied version 3", r)
	}
	// The staff status change left an audit event.
	events, err := f.app.FindAllRecords("report_events")
	if err != nil || len(events) != 1 || events[0].GetString("to_status") != "in_review" || events[0].GetString("actor") != f.staff[0].Id {
		t.Fatalf("audit events %v (%v), want one status event by the staff member", events, err)
	}
}

func TestPushRejectedOpDoesNotSinkTheOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	ops := []op{
		reportCreate("1", newId(), f.embassy[0], rcpt, nil),
		reportCreate("2", newId(), f.embassy[0], rcpt, map[string]any{"people_count": 0, "status": "closed"}),
		reportCreate("3", newId(), "nosuchembassy00", rcpt, nil),
		reportCreate("4", newId(), f.embassy[0], "", nil), // no receipt
		reportCreate("5", newId(), f.embassy[1], rcpt, nil),
	}
	res := f.push(nil, "phone", ops)
	want := []string{"applied", "rejected", "rejected", "rejected", "applied"}
	for i, r := range res.Results {
		if r.Status != want[i] {
			t.Fatalf("op %d: %+v, want %s", i, r, want[i])
		}
	}
	fields := res.Results[1].Error["data"].(map[string]any)
	if _, ok := fields["status"]; !ok {
		t.Fatalf("rejected op 2 has field errors %v, want one for status (server-owned)", fields)
	}
	if n := f.count("reports"); n != 2 {
		t.Fatalf("%d reports, want 2", n)
	}
	var n int
	if err := f.app.DB().NewQuery("SELECT COUNT(*) FROM sync_ops").Row(&n); err != nil || n != 2 {
		t.Fatalf("%d remembered ops, want 2 (rejected ops are not remembered)", n)
	}
}

func TestPushPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tokA := f.registerDevice(0)
	_, tokB := f.registerDevice(1)
	rcpt, guestReport, volReport := newReceipt(), newId(), newId()
	f.push(nil, "g", []op{reportCreate("1", guestReport, f.embassy[0], rcpt, nil)})
	f.push(device(tokA), "a", []op{reportCreate("1", volReport, f.embassy[0], "", nil)})
	upd := func(opId, id string, data map[string]any) []op {
		return []op{{"op": opId, "kind": "update", "collection": "reports", "id": id, "base": 1, "data": data}}
	}
	msg := func(opId, report string) []op {
		return []op{{"op": opId, "kind": "create", "collection": "messages", "id": newId()[:15], "data": map[string]any{"report": report, "body": "hello"}}}
	}
	cases := []struct {
		name string
		h    header
		ops  []op
		want string
	}{
		{"guest may not update", nil, upd("u", guestReport, map[string]any{"message": "x"}), "rejected"},
		{"volunteer B may not update A's report", device(tokB), upd("u", volReport, map[string]any{"message": "x"}), "rejected"},
		{"volunteer may not change status", device(tokA), upd("u", volReport, map[string]any{"status": "closed"}), "rejected"},
		{"staff of B may not update A's report", bearer(f.staffTok[1]), upd("u", volReport, map[string]any{"status": "closed"}), "rejected"},
		{"staff may not edit what the reporter wrote", bearer(f.staffTok[0]), upd("u", volReport, map[string]any{"message": "x"}), "rejected"},
		{"staff may not create reports", bearer(f.staffTok[0]), []op{reportCreate("c", newId(), f.embassy[0], "", nil)}, "rejected"},
		{"guest message needs the receipt", nil, msg("m1", guestReport), "rejected"},
		{"guest message with the receipt", receipt(rcpt), msg("m2", guestReport), "applied"},
		{"volunteer B may not write on A's report", device(tokB), msg("m3", volReport), "rejected"},
		{"staff of B may not answer A's report", bearer(f.staffTok[1]), msg("m4", guestReport), "rejected"},
		{"staff of A answers", bearer(f.staffTok[0]), msg("m5", guestReport), "applied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.push(tc.h, "perm", tc.ops)
			if r := res.Results[0]; r.Status != tc.want {
				t.Fatalf("got %+v, want %s", r, tc.want)
			}
		})
	}
}

func TestConcurrentPushesOfTheSameBatchApplyEachOpOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	ops := make([]op, 200)
	for i := range ops {
		ops[i] = reportCreate(fmt.Sprintf("op-%d", i), newId(), f.embassy[0], rcpt, nil)
	}
	answers := make([]pushAnswer, 2)
	tablet := f.tablet()
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = f.push(tablet, "same-tablet", ops)
		}()
	}
	wg.Wait()
	for i := range ops {
		a, b := answers[0].Results[i].Status, answers[1].Results[i].Status
		if !(a == "applied" && b == "duplicate" || a == "duplicate" && b == "applied") {
			t.Fatalf("op %d: %s and %s, want one applied and one duplicate", i, a, b)
		}
	}
	if n := f.count("reports"); n != len(ops) {
		t.Fatalf("%d reports, want %d", n, len(ops))
	}
}

func TestMalformedAndOversizePushesChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	valid := reportCreate("1", newId(), f.embassy[0], newReceipt(), nil)
	body := func(v any) []byte { b, _ := json.Marshal(v); return b }
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	many := make([]op, 1001)
	for i := range many {
		many[i] = valid
	}
	// 64 MiB of JSON whitespace compresses to about 64 KiB.
	bomb := gz(append([]byte(`{"device":"x","ops":[`), bytes.Repeat([]byte(" "), 64<<20)...))
	bigOp := reportCreate("1", newId(), f.embassy[0], newReceipt(), map[string]any{"message": strings.Repeat("x", 5<<20)})

	cases := []struct {
		name       string
		body       []byte
		gzip       bool
		wantStatus int
		wantCode   string
	}{
		{"not JSON", []byte(`{"device":`), false, 400, "bad_push"},
		{"wrong types", []byte(`{"device":"x","ops":"create"}`), false, 400, "bad_push"},
		{"unknown top-level field", []byte(`{"device":"x","ops":[],"extra":1}`), false, 400, "bad_push"},
		{"no ops", body(map[string]any{"device": "x", "ops": []op{}}), false, 400, "bad_push"},
		{"no device", body(map[string]any{"ops": []op{valid}}), false, 400, "bad_push"},
		{"unknown collection", body(map[string]any{"device": "x", "ops": []op{valid, {"op": "2", "kind": "create", "collection": "staff", "id": newId(), "data": map[string]any{}}}}), false, 400, "bad_push"},
		{"unknown kind", body(map[string]any{"device": "x", "ops": []op{valid, {"op": "2", "kind": "delete", "collection": "reports", "id": newId(), "data": map[string]any{}}}}), false, 400, "bad_push"},
		{"data not an object", body(map[string]any{"device": "x", "ops": []op{valid, {"op": "2", "kind": "create", "collection": "reports", "id": newId(), "data": "x"}}}), false, 400, "bad_push"},
		{"update without base", body(map[string]any{"device": "x", "ops": []op{valid, {"op": "2", "kind": "update", "collection": "reports", "id": newId(), "data": map[string]any{}}}}), false, 400, "bad_push"},
		{"too many ops", body(map[string]any{"device": "x", "ops": many}), false, 413, "too_many_ops"},
		{"too many bytes", body(map[string]any{"device": "x", "ops": []op{valid, bigOp, bigOp}}), false, 413, "push_too_large"},
		{"gzip bomb", bomb, true, 413, "push_too_large"},
		{"gzip header on plain JSON", body(map[string]any{"device": "x", "ops": []op{valid}}), true, 400, "bad_push"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := header{}
			if tc.gzip {
				h["Content-Encoding"] = "gzip"
			}
			var out struct {
				Data map[string]any `json:"data"`
			}
			status := f.call(http.MethodPost, "/api/sync/push", h, tc.body, &out)
			if status != tc.wantStatus || out.Data["code"] != tc.wantCode {
				t.Fatalf("got %d %v, want %d %s", status, out.Data, tc.wantStatus, tc.wantCode)
			}
		})
	}
	if n := f.count("reports"); n != 0 {
		t.Fatalf("%d reports after refused pushes, want 0", n)
	}
	// The reason speaks JSON, not Go, and each sentence ends once.
	for body, want := range map[string]string{
		`{"device":"x","ops":"create"}`: "invalid push JSON: ops must be a list of objects, not string",
		`{"device":"x","ops":[{"op":"1","kind":"create","collection":"reports","id":"abcdefghijklmno","data":{},"base":"one"}]}`: "invalid push JSON: ops.base must be a whole number, not string",
		`{"device":`: "invalid push JSON: the body ends before the push does",
		`{"device":"x","ops":[{"op":"1","kind":"update","collection":"reports","id":"abcdefghijklmno","data":{}}]}`: "ops[0]: base: An update must carry the version it was based on.",
	} {
		var out struct {
			Data map[string]any `json:"data"`
		}
		f.call(http.MethodPost, "/api/sync/push", nil, []byte(body), &out)
		if out.Data["reason"] != want {
			t.Errorf("%s: reason %q, want %q", body, out.Data["reason"], want)
		}
	}

	// A gzipped push that is fine is applied.
	status := f.call(http.MethodPost, "/api/sync/push", header{"Content-Encoding": "gzip"},
		gz(body(map[string]any{"device": "x", "ops": []op{valid}})), nil)
	if status != 200 || f.count("reports") != 1 {
		t.Fatalf("gzipped push: status %d, %d reports; want 200 and 1", status, f.count("reports"))
	}
}

// A push's new records are written together at its end; ops that read a
// record created earlier in the same push still see it: the same id again
// (duplicate or conflict with the server copy) and a message on it.
func TestPushOpsSeeRecordsCreatedEarlierInTheSamePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt, id, other := newReceipt(), newId(), newId()
	msg := newId()[:15] // message ids are 15 characters
	res := f.push(nil, "phone-1", []op{
		reportCreate("a", id, f.embassy[0], rcpt, nil),
		reportCreate("b", other, f.embassy[0], rcpt, nil),
		reportCreate("c", id, f.embassy[0], rcpt, map[string]any{"message": "other"}),
		reportCreate("d", id, f.embassy[0], rcpt, nil),
		{"op": "e", "kind": "create", "collection": "messages", "id": msg, "receipt": rcpt, "data": map[string]any{"report": id, "body": "we moved"}},
		reportCreate("f", newId(), f.embassy[0], rcpt, nil),
	})
	var got []string
	for _, r := range res.Results {
		got = append(got, r.Status)
	}
	if want := []string{"applied", "applied", "conflict", "duplicate", "applied", "applied"}; !slices.Equal(got, want) {
		t.Fatalf("results %v, want %v (%+v)", got, want, res.Results)
	}
	if s := res.Results[2].Server; s["id"] != id || s["status"] != "new" {
		t.Fatalf("conflict's server copy %v, want the report made two ops before", s)
	}
	if n := f.count("reports"); n != 3 {
		t.Fatalf("%d reports, want 3", n)
	}
	// The change log holds each record once, in op order.
	var order []string
	for _, c := range f.pullAll(bearer(f.staffTok[0])) {
		order = append(order, c.Id)
	}
	if len(order) != 4 || order[0] != id || order[1] != other || order[2] != msg {
		t.Fatalf("change log order %v, want %s, %s, %s, then the last report", order, id, other, msg)
	}
}

// TestAnonymousOpsLeaveNoTraceOfThePhone: sync_ops keeps what makes a
// retry a duplicate, but for anonymous phones not the phone's device id or
// op ids, so the reports one phone sent on different days cannot be linked
// in the database. Retries still find their ops, and two phones' op ids
// still never collide.
func TestAnonymousOpsLeaveNoTraceOfThePhone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := []op{reportCreate("op-1", newId(), f.embassy[0], newReceipt(), map[string]any{"contact_name": "Dara"})}
	later := []op{reportCreate("op-2", newId(), f.embassy[0], newReceipt(), nil)}
	f.push(nil, "phone-of-dara", first)
	f.push(nil, "phone-of-dara", later)
	// Another phone happens to use the same op id for its own report.
	other := []op{reportCreate("op-1", newId(), f.embassy[0], newReceipt(), nil)}
	if r := f.push(nil, "another-phone", other).Results[0]; r.Status != "applied" {
		t.Fatalf("another phone's op-1: %+v, want applied", r)
	}

	var rows []struct {
		Device string `db:"device"`
		Op     string `db:"op"`
	}
	if err := f.app.DB().NewQuery("SELECT device, op FROM sync_ops").All(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d sync_ops rows, want 3", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Device != "g" || len(r.Op) != 64 || strings.Contains(r.Op, "op-") || seen[r.Op] {
			t.Fatalf("row %+v: want device \"g\" and a distinct keyed hash as the op", r)
		}
		seen[r.Op] = true
	}
	var all string
	if err := f.app.DB().NewQuery("SELECT group_concat(device || op || collection || record || hash, '') FROM sync_ops").Row(&all); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(all, "phone") {
		t.Fatal("sync_ops names a phone")
	}

	// The phone's retries are still duplicates; its reused op id with other
	// content is still refused.
	for _, ops := range [][]op{first, later} {
		if r := f.push(nil, "phone-of-dara", ops).Results[0]; r.Status != "duplicate" {
			t.Fatalf("retry: %+v, want duplicate", r)
		}
	}
	reused := []op{reportCreate("op-2", newId(), f.embassy[0], newReceipt(), nil)}
	if r := f.push(nil, "phone-of-dara", reused).Results[0]; r.Status != "conflict" || r.Error["data"].(map[string]any)["code"] != "op_reused" {
		t.Fatalf("reused op id: %+v, want conflict op_reused", r)
	}
	if n := f.count("reports"); n != 3 {
		t.Fatalf("%d reports, want 3", n)
	}
}

// TestStaffReplyByPushWritesAReplyEvent: a staff reply is an audit event
// whichever way it is sent; through the push it gets the same event as
// through the records API, with the staff member as actor and no text.
func TestStaffReplyByPushWritesAReplyEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := newId()
	f.push(receipt(newReceipt()), "phone", []op{reportCreate("c1", id, f.embassy[0], newReceipt(), nil)})
	res := f.push(bearer(f.staffTok[0]), "console", []op{{"op": "m1", "kind": "create", "collection": "messages", "id": "replybypush0001",
		"data": map[string]any{"report": id, "body": "We will call you today."}}})
	if r := res.Results[0]; r.Status != "applied" {
		t.Fatalf("staff reply by push: %+v", r)
	}
	events, err := f.app.FindAllRecords("report_events", dbx.HashExp{"report": id, "kind": "reply"})
	if err != nil || len(events) != 1 || events[0].GetString("actor") != f.staff[0].Id || events[0].GetString("note") != "" {
		t.Fatalf("reply events %v (%v), want one by the staff member, without text", events, err)
	}
}

// TestDuplicateMarksAreCheckedOnEveryPath: a report may be marked as a
// duplicate only of another report of its embassy, through a push as
// through the records API and Go code: the rule is the model's.
func TestDuplicateMarksAreCheckedOnEveryPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine, same, foreign := newId(), newId(), newId()
	f.push(receipt(newReceipt()), "phone", []op{
		reportCreate("a", mine, f.embassy[0], newReceipt(), nil),
		reportCreate("b", same, f.embassy[0], newReceipt(), nil),
		reportCreate("c", foreign, f.embassy[1], newReceipt(), nil),
	})
	mark := func(opId, dup string, base int) pushResult {
		return f.push(bearer(f.staffTok[0]), "console", []op{{"op": opId, "kind": "update", "collection": "reports", "id": mine, "base": base,
			"data": map[string]any{"status": "duplicate", "duplicate_of": dup}}}).Results[0]
	}
	for _, dup := range []string{foreign, mine, "nosuchreport00000000"} {
		if r := mark("x-"+dup, dup, 1); r.Status != "rejected" || !strings.Contains(fmt.Sprint(r.Error), "validation_invalid_duplicate") {
			t.Errorf("duplicate_of %s by push: %+v, want rejected as validation_invalid_duplicate", dup, r)
		}
	}
	if r := mark("ok", same, 1); r.Status != "applied" {
		t.Fatalf("a duplicate of the same embassy's report: %+v", r)
	}
	rec, err := f.app.FindRecordById("reports", mine)
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("duplicate_of", foreign)
	if err := f.app.Save(rec); err == nil || !strings.Contains(err.Error(), "same embassy") {
		t.Errorf("app.Save with another embassy's report as duplicate_of: %v, want the model's refusal", err)
	}
}

// TestPushRefusesValuesOfTheWrongType: a value not of its field's JSON type
// is a field error naming the field, never coerced (PocketBase would store
// "three" people as 0 and "yes" minors as false, losing the urgency), and
// nothing of the op is stored. Values of the right type, dates in either
// layout PocketBase reads, and null, are applied.
func TestPushRefusesValuesOfTheWrongType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	for i, c := range []struct {
		field string
		value any
		code  string
	}{
		{"people_count", "three", "validation_invalid_type"},
		{"minors_present", "yes", "validation_invalid_type"},
		{"safety_risk_now", 1, "validation_invalid_type"},
		{"device_created", "yesterday", "validation_invalid_date"},
		{"left_on", 20261120, "validation_invalid_type"},
		{"needs", "medical", "validation_invalid_type"},
		{"needs", []any{"medical", 3}, "validation_invalid_type"},
		{"message", 42, "validation_invalid_type"},
		{"passport_held", true, "validation_invalid_type"},
		{"embassy", []any{f.embassy[0]}, "validation_invalid_type"},
	} {
		res := f.push(nil, "phone", []op{reportCreate(fmt.Sprint("w", i), newId(), f.embassy[0], rcpt, map[string]any{c.field: c.value})})
		r := res.Results[0]
		fields, _ := r.Error["data"].(map[string]any)
		got, _ := fields[c.field].(map[string]any)
		if r.Status != "rejected" || got["code"] != c.code || len(fields) != 1 {
			t.Errorf("%s = %#v: %+v, want rejected with %s on %s alone", c.field, c.value, r, c.code, c.field)
		}
	}
	if n := f.count("reports"); n != 0 {
		t.Fatalf("%d reports stored from refused ops", n)
	}

	id := newId()
	res := f.push(nil, "phone", []op{reportCreate("ok", id, f.embassy[0], rcpt, map[string]any{
		"people_count": 3, "minors_present": true, "left_on": "2026-11-20 00:00:00.000Z",
		"device_created": "2026-11-29T08:15:00Z", "needs": []any{"medical"}, "contact_name": nil,
	})})
	if r := res.Results[0]; r.Status != "applied" {
		t.Fatalf("a create of the right types: %+v", r)
	}
	rec, err := f.app.FindRecordById("reports", id)
	if err != nil || rec.GetInt("people_count") != 3 || !rec.GetBool("minors_present") || !rec.GetBool("urgent") ||
		rec.GetDateTime("left_on").String() != "2026-11-20 00:00:00.000Z" || rec.GetDateTime("device_created").String() != "2026-11-29 08:15:00.000Z" {
		t.Fatalf("stored %v (%v)", rec, err)
	}

	// A message and a staff update are held to the same types.
	if r := f.push(receipt(rcpt), "phone", []op{{"op": "m", "kind": "create", "collection": "messages", "id": newId(), "data": map[string]any{"report": id, "body": 5}}}).Results[0]; r.Status != "rejected" {
		t.Errorf("a message with a number for its body: %+v", r)
	}
	upd := op{"op": "s", "kind": "update", "collection": "reports", "id": id, "base": 1, "data": map[string]any{"status": 2}}
	if r := f.push(bearer(f.staffTok[0]), "desk", []op{upd}).Results[0]; r.Status != "rejected" {
		t.Errorf("a status given as a number: %+v", r)
	}
}
