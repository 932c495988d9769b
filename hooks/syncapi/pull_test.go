package syncapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// scoped builds a world of reports from two reporters, two volunteers and
// two embassies, with staff replies and an internal note.
type scoped struct {
	*fixture
	rcpt          [2]string
	guestReport   [2]string
	volReport     [2]string
	deviceToken   [2]string
	staffReply    string
	reporterReply string
}

func newScoped(t *testing.T) *scoped {
	s := &scoped{fixture: newFixture(t)}
	for i := range 2 {
		s.rcpt[i], s.guestReport[i], s.volReport[i] = newReceipt(), newId(), newId()
		_, s.deviceToken[i] = s.registerDevice(i)
		s.push(nil, fmt.Sprint("g", i), []op{reportCreate("1", s.guestReport[i], s.embassy[i], s.rcpt[i], map[string]any{"contact_phone": "+100"})})
		s.push(device(s.deviceToken[i]), "v", []op{reportCreate("1", s.volReport[i], s.embassy[i], "", nil)})
	}
	s.staffReply, s.reporterReply = newId()[:15], newId()[:15]
	s.push(bearer(s.staffTok[0]), "console", []op{
		{"op": "r", "kind": "create", "collection": "messages", "id": s.staffReply, "data": map[string]any{"report": s.guestReport[0], "body": "We will call you."}},
		{"op": "s", "kind": "update", "collection": "reports", "id": s.guestReport[0], "base": 1, "data": map[string]any{"status": "contacted"}},
	})
	s.push(receipt(s.rcpt[0]), "g0", []op{{"op": "m", "kind": "create", "collection": "messages", "id": s.reporterReply, "data": map[string]any{"report": s.guestReport[0], "body": "Thank you."}}})
	// An internal note is an audit event, never a message: no pull shows it.
	s.save("report_events", map[string]any{"embassy": s.embassy[0], "report": s.guestReport[0], "kind": "note", "note": "internal: caller sounded scared", "actor": s.staff[0].Id})
	return s
}

func ids(changes []pullChange) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Collection+"/"+c.Id)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestPullScopes(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	cases := []struct {
		name string
		h    header
		want []string
	}{
		{"reporter sees its report and its conversation", receipt(s.rcpt[0]),
			[]string{"messages/" + s.reporterReply, "messages/" + s.staffReply, "reports/" + s.guestReport[0]}},
		{"other reporter sees only its own report", receipt(s.rcpt[1]), []string{"reports/" + s.guestReport[1]}},
		{"volunteer A sees only A's reports", device(s.deviceToken[0]), []string{"reports/" + s.volReport[0]}},
		{"volunteer B sees only B's reports", bearer(s.volToken[1]), []string{"reports/" + s.volReport[1]}},
		{"staff A sees embassy A's reports and messages", bearer(s.staffTok[0]),
			[]string{"messages/" + s.reporterReply, "messages/" + s.staffReply, "reports/" + s.guestReport[0], "reports/" + s.volReport[0]}},
		{"staff B sees embassy B's reports only", bearer(s.staffTok[1]), []string{"reports/" + s.guestReport[1], "reports/" + s.volReport[1]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.pullAll(tc.h)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(ids(got), want) {
				t.Fatalf("pulled %v, want %v", ids(got), want)
			}
			for _, c := range got {
				for k, v := range c.Data {
					if k == "receipt_hash" || k == "token_hash" || strings.Contains(fmt.Sprint(v), "internal:") {
						t.Fatalf("change %v leaks %s", c, k)
					}
				}
			}
		})
	}

	// What a reporter sees of its report: status, not what it wrote.
	for _, c := range s.pullAll(receipt(s.rcpt[0])) {
		if c.Collection == "reports" {
			if c.Data["status"] != "contacted" || c.Data["contact_phone"] != nil || c.Data["message"] != nil {
				t.Fatalf("reporter's view %v, want status only", c.Data)
			}
		}
		if c.Collection == "messages" && c.Data["author"] != nil {
			t.Fatalf("reporter's view of a message names the staff author: %v", c.Data)
		}
	}
}

func TestPullRefusesWithoutProof(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	var out struct{ Data map[string]any }
	if status := s.call(http.MethodGet, "/api/sync/pull", nil, nil, &out); status != 401 || out.Data["code"] != "receipt_required" {
		t.Fatalf("no receipt: %d %v, want 401 receipt_required", status, out.Data)
	}
	if status := s.call(http.MethodGet, "/api/sync/pull", receipt(newReceipt()), nil, &out); status != 404 || out.Data["code"] != "receipt_unknown" {
		t.Fatalf("unknown receipt: %d %v, want 404 receipt_unknown", status, out.Data)
	}
	if status := s.call(http.MethodGet, "/api/sync/pull?cursor=garbage", bearer(s.staffTok[0]), nil, &out); status != 400 || out.Data["code"] != "bad_cursor" {
		t.Fatalf("bad cursor: %d %v, want 400 bad_cursor", status, out.Data)
	}
	if status := s.call(http.MethodGet, "/api/sync/pull", bearer("not-a-token"), nil, &out); status != 401 {
		t.Fatalf("broken login: %d, want 401 (never an anonymous answer)", status)
	}
	// A limit outside 1..1000 is a field error, never clamped.
	for _, limit := range []string{"0", "-1", "abc", "1001", "99999999999999999999"} {
		var bad struct{ Data map[string]map[string]any }
		if status := s.call(http.MethodGet, "/api/sync/pull?limit="+limit, bearer(s.staffTok[0]), nil, &bad); status != 400 || bad.Data["limit"]["code"] != "validation_out_of_range" {
			t.Errorf("limit=%s: %d %v, want 400 with validation_out_of_range on limit", limit, status, bad.Data)
		}
	}
	if status := s.call(http.MethodGet, "/api/sync/pull?limit=1000", bearer(s.staffTok[0]), nil, nil); status != 200 {
		t.Errorf("limit=1000: %d, want 200", status)
	}
}

func TestWrongReceiptsAreRateLimitedButTheRightOneStillWorks(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	for i := 1; i <= 21; i++ {
		var out struct{ Data map[string]any }
		status := s.call(http.MethodGet, "/api/sync/pull", receipt(newReceipt()), nil, &out)
		want, code := 404, "receipt_unknown"
		if i == 21 {
			want, code = 429, "receipt_rate_limited"
		}
		if status != want || out.Data["code"] != code {
			t.Fatalf("wrong receipt %d: %d %v, want %d %s", i, status, out.Data, want, code)
		}
	}
	if got := s.pullAll(receipt(s.rcpt[1])); len(got) != 1 {
		t.Fatalf("the right receipt got %d changes, want 1", len(got))
	}
}

func TestReceiptIsNeverEchoedOrStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt, id := newReceipt(), newId()
	grouped := rcpt[:4] + " " + rcpt[4:8] + " " + rcpt[8:12] + " " + rcpt[12:16] + " " + rcpt[16:]
	_, raw := f.raw(http.MethodPost, "/api/sync/push", nil, map[string]any{"device": "d", "ops": []op{reportCreate("1", id, f.embassy[0], grouped, nil)}})
	_, pulled := f.raw(http.MethodGet, "/api/sync/pull", receipt(rcpt), nil)
	rec, err := f.app.FindRecordById("reports", id)
	if err != nil {
		t.Fatal(err)
	}
	hash := rec.GetString("receipt_hash")
	if len(hash) != 64 || strings.Contains(hash, rcpt) {
		t.Fatalf("stored receipt_hash %q, want a keyed hash", hash)
	}
	for _, body := range [][]byte{raw, pulled} {
		if strings.Contains(string(body), rcpt) || strings.Contains(string(body), hash) {
			t.Fatalf("answer %s echoes the receipt or its hash", body)
		}
	}
}

func TestEveryWritePathAppendsToTheChangeLog(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	staff := bearer(s.staffTok[0])
	_, cursor := s.pullSince(staff, "")
	var got []string
	// step makes one write and checks that the next pull brings its change.
	step := func(want string, write func()) {
		t.Helper()
		write()
		var changes []pullChange
		changes, cursor = s.pullSince(staff, cursor)
		for _, c := range changes {
			got = append(got, fmt.Sprintf("%s:%s:%d", c.Collection, c.Kind, c.Version))
		}
		if len(changes) != 1 || got[len(got)-1] != want {
			t.Fatalf("after a write, the pull brought %v, want [%s]", got[len(got)-len(changes):], want)
		}
	}

	// Staff console through the REST API.
	var msg struct{ Id string }
	step("reports:upsert:2", func() {
		status := s.call(http.MethodPatch, "/api/collections/reports/records/"+s.volReport[0], staff, map[string]any{"status": "in_review"}, nil)
		if status != 200 {
			t.Fatalf("REST update: %d", status)
		}
	})
	step("messages:upsert:0", func() {
		status := s.call(http.MethodPost, "/api/collections/messages/records", staff,
			map[string]any{"report": s.volReport[0], "direction": "staff", "body": "hi", "author": s.staff[0].Id}, &msg)
		if status != 200 {
			t.Fatalf("REST message: %d", status)
		}
	})
	// Go code and the dashboard save records the same way.
	rec, _ := s.app.FindRecordById("reports", s.volReport[0])
	step("reports:upsert:3", func() {
		rec.Set("status", "contacted")
		if err := s.app.Save(rec); err != nil {
			t.Fatal(err)
		}
	})
	if err := s.app.Delete(rec); err != nil {
		t.Fatal(err)
	}
	changes, _ := s.pullSince(staff, cursor)
	var kinds []string
	for _, c := range changes {
		kinds = append(kinds, fmt.Sprintf("%s:%s:%d", c.Collection, c.Kind, c.Version))
	}
	// Deleting the report deletes its message: two tombstones.
	if want := []string{"messages:delete:0", "reports:delete:3"}; !slices.Equal(kinds, want) {
		t.Fatalf("after the delete, the pull brought %v, want %v", kinds, want)
	}
	for _, c := range changes {
		if c.Data != nil {
			t.Fatalf("tombstone carries data %v", c.Data)
		}
	}

	// The log keeps one row per record, its latest change: from the start,
	// the report and its message are only their tombstones.
	var mine []string
	for _, c := range s.pullAll(staff) {
		if c.Id == s.volReport[0] || c.Id == msg.Id {
			mine = append(mine, c.Collection+":"+c.Kind)
		}
	}
	if want := []string{"messages:delete", "reports:delete"}; !slices.Equal(mine, want) {
		t.Fatalf("the whole log holds %v for the deleted report, want only %v", mine, want)
	}
	var content int
	if err := s.app.DB().NewQuery("SELECT COUNT(*) FROM sync_changes WHERE record IN ({:r}, {:m}) AND data IS NOT NULL").
		Bind(map[string]any{"r": s.volReport[0], "m": msg.Id}).Row(&content); err != nil || content != 0 {
		t.Fatalf("%d change rows still hold the deleted records' content (%v)", content, err)
	}
	// The volunteer learns of the delete too.
	vol := s.pullAll(device(s.deviceToken[0]))
	if last := vol[len(vol)-1]; last.Kind != "delete" || last.Id != s.volReport[0] {
		t.Fatalf("volunteer's last change %+v, want the tombstone", last)
	}
}

func TestPullerSeesEveryChangeExactlyOnceWhileWritersPush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const writers, batches, perBatch = 4, 15, 10
	tablet := f.tablet()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rcpt := newReceipt()
			for b := range batches {
				ops := make([]op, perBatch)
				for i := range ops {
					ops[i] = reportCreate(fmt.Sprintf("%d-%d", b, i), newId(), f.embassy[0], rcpt, nil)
				}
				f.push(tablet, fmt.Sprint("writer-", w), ops)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[int64]string{}
	records := map[string]bool{}
	cursor, lastSeq, finished := "", int64(0), false
	for {
		var page pullAnswer
		if status := f.call(http.MethodGet, "/api/sync/pull?limit=7&cursor="+cursor, bearer(f.staffTok[0]), nil, &page); status != 200 {
			t.Fatalf("pull: %d", status)
		}
		for _, c := range page.Changes {
			if _, dup := seen[c.Seq]; dup || c.Seq <= lastSeq {
				t.Fatalf("change %d seen twice or out of order", c.Seq)
			}
			if records[c.Id] {
				t.Fatalf("record %s seen twice", c.Id)
			}
			seen[c.Seq], records[c.Id], lastSeq = c.Id, true, c.Seq
		}
		cursor = page.Cursor
		if finished && !page.HasMore {
			break
		}
		select {
		case <-done:
			finished = true // one more full pass after the last write
		default:
		}
	}
	if want := writers * batches * perBatch; len(records) != want {
		t.Fatalf("puller saw %d records, want %d", len(records), want)
	}
}
