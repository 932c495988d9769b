package syncapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// hookCounts counts the after-create hooks per record id.
type hookCounts struct {
	mu      sync.Mutex
	success map[string]int
	failure map[string]int
}

func countAfterCreate(app core.App) *hookCounts {
	c := &hookCounts{success: map[string]int{}, failure: map[string]int{}}
	app.OnRecordAfterCreateSuccess("reports").BindFunc(func(e *core.RecordEvent) error {
		c.mu.Lock()
		c.success[e.Record.Id]++
		c.mu.Unlock()
		return e.Next()
	})
	app.OnRecordAfterCreateError("reports").BindFunc(func(e *core.RecordErrorEvent) error {
		c.mu.Lock()
		c.failure[e.Record.Id]++
		c.mu.Unlock()
		return e.Next()
	})
	return c
}

// realtimeReports subscribes token to the reports topic and returns the
// broadcasts as "action id" (e.g. "create abc…"), in order, until ctx ends.
func realtimeReports(t *testing.T, ctx context.Context, base, token string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	connected := make(chan string, 1)
	ids := make(chan string, 64)
	go func() {
		defer close(ids)
		sc := bufio.NewScanner(res.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				var msg struct {
					ClientId string
					Action   string
					Record   struct{ Id string }
				}
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data:")), &msg)
				if name == "PB_CONNECT" {
					connected <- msg.ClientId
				} else if msg.Action != "" {
					ids <- msg.Action + " " + msg.Record.Id
				}
			}
		}
	}()
	var clientId string
	select {
	case clientId = <-connected:
	case <-ctx.Done():
		t.Fatal("no realtime connection")
	}
	body, _ := json.Marshal(map[string]any{"clientId": clientId, "subscriptions": []string{"reports"}})
	sub, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/realtime", strings.NewReader(string(body)))
	sub.Header.Set("Content-Type", "application/json")
	sub.Header.Set("Authorization", token)
	subRes, err := http.DefaultClient.Do(sub)
	if err != nil || subRes.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %v %v", subRes, err)
	}
	subRes.Body.Close()
	return ids
}

func nextId(t *testing.T, ctx context.Context, ids <-chan string) string {
	t.Helper()
	select {
	case id, ok := <-ids:
		if !ok {
			t.Fatal("realtime connection closed")
		}
		return id
	case <-ctx.Done():
		t.Fatal("no realtime event before the test's deadline")
	}
	return ""
}

func TestPushedReportsReachRealtimeAndUrgentNoticeOnceEach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.staff[0].Set("on_duty", true)
	if err := f.app.Save(f.staff[0]); err != nil {
		t.Fatal(err)
	}
	counts := countAfterCreate(f.app)
	// The deadline only stops a broken test from hanging; nothing is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := realtimeReports(t, ctx, f.srv.URL, f.staffTok[0])

	rcpt := newReceipt()
	urgent1, urgent2, plain, refused := newId(), newId(), newId(), newId()
	res := f.push(nil, "phone", []op{
		reportCreate("1", urgent1, f.embassy[0], rcpt, map[string]any{"minors_present": true}),
		reportCreate("2", refused, f.embassy[0], rcpt, map[string]any{"status": "closed"}),
		reportCreate("3", plain, f.embassy[0], rcpt, nil),
		reportCreate("4", urgent2, f.embassy[0], rcpt, map[string]any{"needs": []string{"medical"}}),
	})
	for i, want := range []string{"applied", "rejected", "applied", "applied"} {
		if res.Results[i].Status != want {
			t.Fatalf("op %d: %+v, want %s", i, res.Results[i], want)
		}
	}

	// PocketBase sends each broadcast from its own goroutine, so the order
	// on the wire is not the commit order: read until every expected report
	// and a later one saved the ordinary way have arrived. That each was
	// announced exactly once is the after-success hook count below.
	sentinel := f.save("reports", map[string]any{"id": newId(), "embassy": f.embassy[0], "channel": "self", "message": "later"})
	got := map[string]int{}
	expect := []string{"create " + urgent1, "create " + plain, "create " + urgent2, "create " + sentinel.Id}
	for !seenAll(got, expect) {
		got[nextId(t, ctx, events)]++
	}
	for _, id := range []string{urgent1, plain, urgent2} {
		if got["create "+id] != 1 {
			t.Errorf("report %s reached the realtime subscriber %d times, want once", id, got["create "+id])
		}
	}
	if got["create "+refused] != 0 {
		t.Error("a refused op reached the realtime subscriber")
	}

	counts.mu.Lock()
	defer counts.mu.Unlock()
	for _, id := range []string{urgent1, plain, urgent2} {
		if counts.success[id] != 1 {
			t.Errorf("after-create-success hooks ran %d times for %s, want once", counts.success[id], id)
		}
	}
	if counts.success[refused]+counts.failure[refused] != 0 {
		t.Error("after-create hooks ran for a refused op")
	}
	// One notice now for the two urgent reports (the quiet period holds
	// back the second: see hooks/staff), to the on-duty member of staff.
	if n := f.app.TestMailer.TotalSend(); n != 1 {
		t.Fatalf("%d urgent notices sent, want 1", n)
	}
	if to := f.app.TestMailer.LastMessage().To; len(to) != 1 || to[0].Address != f.staff[0].Email() {
		t.Fatalf("urgent notice went to %v", to)
	}
}

func TestPushThatRollsBackRunsOnlyTheErrorHooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	counts := countAfterCreate(f.app)
	rcpt := newReceipt()
	good, broken := newId(), newId()
	// A write that fails below validation (a full disk, say) aborts the
	// whole push, after the first report was already written.
	f.app.OnRecordCreateExecute("reports").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.Id == broken {
			return errors.New("disk full")
		}
		return e.Next()
	})
	status, _ := f.raw(http.MethodPost, "/api/sync/push", nil, map[string]any{"device": "phone", "ops": []op{
		reportCreate("1", good, f.embassy[0], rcpt, nil),
		reportCreate("2", broken, f.embassy[0], rcpt, nil),
	}})
	if status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", status)
	}
	if n := f.count("reports"); n != 0 {
		t.Fatalf("%d reports stored, want none", n)
	}
	counts.mu.Lock()
	defer counts.mu.Unlock()
	for _, id := range []string{good, broken} {
		if counts.success[id] != 0 || counts.failure[id] != 1 {
			t.Errorf("report %s: %d success and %d error hooks, want 0 and 1", id, counts.success[id], counts.failure[id])
		}
	}
}

func TestPushValidationErrorsAreTheRecordPathsErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	invalid := []map[string]any{
		{"embassy": "nosuchembassy00"},
		{"people_count": 0, "language": "xx"},
		{"message": strings.Repeat("a", 5001), "needs": []string{"shelter", "spaceship"}},
	}
	ops := make([]op, len(invalid))
	for i, data := range invalid {
		ops[i] = reportCreate(string(rune('a'+i)), newId(), f.embassy[0], rcpt, data)
	}
	res := f.push(nil, "phone", ops)

	col, err := f.app.FindCollectionByNameOrId("reports")
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range ops {
		// The same record, validated by PocketBase directly.
		rec := core.NewRecord(col)
		rec.Id = o["id"].(string)
		rec.Load(o["data"].(map[string]any))
		rec.Load(map[string]any{"channel": "self", "status": "new", "version": 1, "receipt_hash": "h"})
		var verrs validation.Errors
		if err := f.app.Validate(rec); !errors.As(err, &verrs) {
			t.Fatalf("op %d: app.Validate gave %v, want field errors", i, err)
		}
		want, _ := json.Marshal(router.NewBadRequestError("", verrs).Data)
		got, _ := json.Marshal(res.Results[i].Error["data"])
		var wantData, gotData any
		json.Unmarshal(want, &wantData)
		json.Unmarshal(got, &gotData)
		if res.Results[i].Status != "rejected" || !reflect.DeepEqual(gotData, wantData) {
			t.Errorf("op %d: %s %s, want rejected with %s", i, res.Results[i].Status, got, want)
		}
	}
	if n := f.count("reports"); n != 0 {
		t.Fatalf("%d reports stored, want none", n)
	}
}

func TestPushOfACreateAndItsUpdateBroadcastsThemInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	counts := countAfterCreate(f.app)
	order := recordAfterSuccess(f.app)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := realtimeReports(t, ctx, f.srv.URL, f.staffTok[0])

	id, other := newId(), newId()
	res := f.push(device(tok), "vphone", []op{
		reportCreate("c1", id, f.embassy[0], "", nil),
		{"op": "u1", "kind": "update", "collection": "reports", "id": id, "base": 1, "data": map[string]any{"message": "edited"}},
		reportCreate("c2", other, f.embassy[0], "", nil),
	})
	for i, r := range res.Results {
		if r.Status != "applied" {
			t.Fatalf("op %d: %+v", i, r)
		}
	}
	want := []string{"create " + id, "update " + id, "create " + other}
	// The announcements are made in op order on the server; PocketBase then
	// sends each from its own goroutine, so the wire order may differ.
	if got := order.list(); !slices.Equal(got, want) {
		t.Fatalf("after-success hooks ran as %v, want %v (op order)", got, want)
	}
	got := map[string]int{}
	for !seenAll(got, want) {
		got[nextId(t, ctx, events)]++
	}
	counts.mu.Lock()
	defer counts.mu.Unlock()
	if counts.success[id] != 1 || counts.success[other] != 1 {
		t.Fatalf("after-create-success hooks ran %d and %d times, want once each", counts.success[id], counts.success[other])
	}
}

// seenAll reports whether every wanted broadcast is in got.
func seenAll(got map[string]int, want []string) bool {
	for _, w := range want {
		if got[w] == 0 {
			return false
		}
	}
	return true
}

// hookOrder records the reports' after-success announcements in order.
type hookOrder struct {
	mu     sync.Mutex
	events []string
}

func (o *hookOrder) add(ev string) {
	o.mu.Lock()
	o.events = append(o.events, ev)
	o.mu.Unlock()
}

func (o *hookOrder) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

func recordAfterSuccess(app core.App) *hookOrder {
	o := &hookOrder{}
	app.OnRecordAfterCreateSuccess("reports").BindFunc(func(e *core.RecordEvent) error {
		o.add("create " + e.Record.Id)
		return e.Next()
	})
	app.OnRecordAfterUpdateSuccess("reports").BindFunc(func(e *core.RecordEvent) error {
		o.add("update " + e.Record.Id)
		return e.Next()
	})
	return o
}
