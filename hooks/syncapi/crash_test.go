package syncapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"homeward/hooks/syncapi"
	"homeward/internal/binarytest"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

func TestCrashMidUploadLosesAndDuplicatesNothing(t *testing.T) {
	const total, batch = 5000, 250
	// A volunteer's tablet: large batches are a volunteer's (a phone
	// without an account may create only a handful of reports a push).
	b, dev := binarytest.StartForDevice(t, "crash-volunteer@example.org", "tablet")
	tablet := syncapi.DeviceScheme + dev.Token

	var embassies struct{ Items []struct{ Id string } }
	if status, _ := b.Do(http.MethodGet, "/api/collections/embassies/records?perPage=1", "", nil, &embassies); status != 200 || len(embassies.Items) == 0 {
		t.Fatal("no demo embassy")
	}

	ops := make([]op, total)
	for i := range ops {
		ops[i] = reportCreate(fmt.Sprintf("op-%d", i), newId(), embassies.Items[0].Id, "", nil)
	}

	// The client retries each batch with backoff until it gets an answer,
	// like a phone's outbox.
	progress := make(chan int, total/batch)
	clientDone := make(chan error, 1)
	retries, duplicates := 0, 0
	go func() {
		for start := 0; start < total; start += batch {
			backoff := 20 * time.Millisecond
			for {
				var out pushAnswer
				status, err := b.Do(http.MethodPost, "/api/sync/push", tablet, map[string]any{"device": "crash-tablet", "ops": ops[start : start+batch]}, &out)
				if err == nil && status == 200 {
					for _, r := range out.Results {
						if r.Status == "duplicate" {
							duplicates++
						}
						if r.Status != "applied" && r.Status != "duplicate" {
							clientDone <- fmt.Errorf("op %s: %s %v", r.Op, r.Status, r.Error)
							return
						}
					}
					break
				}
				retries++
				time.Sleep(backoff)
				backoff = min(2*backoff, 500*time.Millisecond)
			}
			progress <- start + batch
		}
		clientDone <- nil
	}()

	// Kill the server while the client is in the middle of its upload.
	for done := range progress {
		if done >= 4*batch {
			break
		}
	}
	b.Kill()
	b.Start()
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("client retried %d times; %d ops came back as duplicates (committed before the kill, answer lost)", retries, duplicates)

	su := b.SignIn("_superusers", binarytest.Superuser, binarytest.SuperuserPassword)
	var list struct{ TotalItems int }
	if status, _ := b.Do(http.MethodGet, "/api/collections/reports/records?perPage=1", su, nil, &list); status != 200 || list.TotalItems != total {
		t.Fatalf("%d reports after the crash, want %d", list.TotalItems, total)
	}
	seen := map[string]int{}
	cursor := ""
	for {
		var page pullAnswer
		if status, err := b.Do(http.MethodGet, "/api/sync/pull?limit=1000&cursor="+cursor, su, nil, &page); status != 200 {
			t.Fatalf("pull: %d %v", status, err)
		}
		for _, c := range page.Changes {
			seen[c.Id]++
		}
		cursor = page.Cursor
		if !page.HasMore {
			break
		}
	}
	if len(seen) != total {
		t.Fatalf("pull from zero returned %d records, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("record %s pulled %d times", id, n)
		}
	}
	for _, o := range ops {
		if seen[o["id"].(string)] != 1 {
			t.Fatalf("record %s missing from the pull", o["id"])
		}
	}
}
