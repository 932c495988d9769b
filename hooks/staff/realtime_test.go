package staff_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
)

// sseEvent is one server-sent event of PocketBase's realtime API.
type sseEvent struct {
	name string
	data string
}

// subscribe opens a realtime connection as the given token and subscribes
// it to topics; events arrive on the returned channel until ctx ends.
func subscribe(t *testing.T, ctx context.Context, base, token string, topics ...string) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan sseEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "":
				if ev.name != "" {
					select {
					case events <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			}
		}
	}()

	connect := next(t, ctx, events)
	var hello struct{ ClientId string }
	if connect.name != "PB_CONNECT" || json.Unmarshal([]byte(connect.data), &hello) != nil {
		t.Fatalf("unexpected first event %+v", connect)
	}
	body, _ := json.Marshal(map[string]any{"clientId": hello.ClientId, "subscriptions": topics})
	sub, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/realtime", strings.NewReader(string(body)))
	sub.Header.Set("Content-Type", "application/json")
	sub.Header.Set("Authorization", token)
	subRes, err := http.DefaultClient.Do(sub)
	if err != nil {
		t.Fatal(err)
	}
	subRes.Body.Close()
	if subRes.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %s", subRes.Status)
	}
	return events
}

func next(t *testing.T, ctx context.Context, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("realtime connection closed")
		}
		return ev
	case <-ctx.Done():
		t.Fatal("no realtime event before the test's deadline")
	}
	return sseEvent{}
}

// TestRealtimeIsScopedToTheEmbassy subscribes staff of Y to reports,
// events and messages, then saves records of X first and of Y after: Y's
// arrive, X's never do. PocketBase checks access when it broadcasts, before
// it hands the message to a sending goroutine, so X's records are refused
// before Y's are even saved.
func TestRealtimeIsScopedToTheEmbassy(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	srv := startServer(t, app)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	events := subscribe(t, ctx, srv, token(t, app, staffY), "reports", "report_events", "messages")

	save := func(collection string, data map[string]any) {
		col, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			t.Fatal(err)
		}
		rec := core.NewRecord(col)
		rec.Load(data)
		if err := app.Save(rec); err != nil {
			t.Fatal(err)
		}
	}
	// X's records: a new report, its event and a message.
	save(reports.CollectionReports, map[string]any{"id": "livex000000000000001", "embassy": embassyX, "message": "secret of X"})
	save(reports.CollectionEvents, map[string]any{"embassy": embassyX, "report": reportX, "kind": "note", "note": "secret of X"})
	save("messages", map[string]any{"report": reportX, "direction": "reporter", "body": "secret of X"})
	// Y's records, in the same order.
	save(reports.CollectionReports, map[string]any{"id": "livey000000000000001", "embassy": embassyY, "message": "for Y"})
	save(reports.CollectionEvents, map[string]any{"embassy": embassyY, "report": reportY, "kind": "note", "note": "for Y"})
	save("messages", map[string]any{"report": reportY, "direction": "reporter", "body": "for Y"})

	seen := map[string]bool{}
	for len(seen) < 3 {
		ev := next(t, ctx, events)
		if strings.Contains(ev.data, "secret of X") || strings.Contains(ev.data, embassyX) {
			t.Fatalf("staff of Y received X's record on %s: %s", ev.name, ev.data)
		}
		if !strings.Contains(ev.data, "for Y") {
			t.Fatalf("unexpected event %s: %s", ev.name, ev.data)
		}
		seen[ev.name] = true
	}
}
