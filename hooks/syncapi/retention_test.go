package syncapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"homeward/hooks/syncapi"
)

// TestALongOfflineVolunteerComesBackAfterRetention: a volunteer's tablet
// sends a report, pulls, and goes away for longer than the server keeps
// its op log and tombstones. Meanwhile one of its reports is deleted and
// retention runs. Back online, its retry of the old create is a duplicate
// (not stored again), its old cursor is told to start again (410
// cursor_expired), and the fresh pull names exactly the reports that
// exist; new work goes through. A reporter's retry is recognised by its
// receipt; anyone else reusing the id still gets a conflict.
func TestALongOfflineVolunteerComesBackAfterRetention(t *testing.T) {
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	tablet := device(tok)
	kept, gone := newId(), newId()
	first := f.push(tablet, "tablet", []op{
		reportCreate("op-kept", kept, f.embassy[0], "", nil),
		reportCreate("op-gone", gone, f.embassy[0], "", nil),
	})
	for _, r := range first.Results {
		if r.Status != "applied" {
			t.Fatalf("first push: %+v", r)
		}
	}
	_, cursor := f.pullSince(tablet, "")

	rec, err := f.app.FindRecordById("reports", gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.app.Delete(rec); err != nil {
		t.Fatal(err)
	}
	// A reporter's phone sends a report after the deletion.
	rcpt := newReceipt()
	phoneReport := newId()
	if r := f.push(nil, "phone", []op{reportCreate("op-phone", phoneReport, f.embassy[0], rcpt, nil)}).Results[0]; r.Status != "applied" {
		t.Fatalf("phone: %+v", r)
	}
	var ops int
	if err := f.app.DB().NewQuery("SELECT count(*) FROM sync_ops").Row(&ops); err != nil || ops != 3 {
		t.Fatalf("sync_ops holds %d rows before retention (%v), want 3", ops, err)
	}
	// Within the retention nothing is dropped.
	if err := syncapi.Prune(f.app, time.Now().Add(syncapi.Retention/2)); err != nil {
		t.Fatal(err)
	}
	if changes, _ := f.pullSince(tablet, cursor); len(changes) != 1 || changes[0].Kind != "delete" || changes[0].Id != gone {
		t.Fatalf("within retention the tablet pulls %+v, want the tombstone of %s", changes, gone)
	}
	if err := syncapi.Prune(f.app, time.Now().Add(syncapi.Retention+24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.app.DB().NewQuery("SELECT count(*) FROM sync_ops").Row(&ops); err != nil || ops != 0 {
		t.Fatalf("sync_ops holds %d rows after retention (%v), want 0", ops, err)
	}
	var tombstones int
	if err := f.app.DB().NewQuery("SELECT count(*) FROM sync_changes WHERE kind = 'delete'").Row(&tombstones); err != nil || tombstones != 0 {
		t.Fatalf("%d tombstones after retention (%v), want 0", tombstones, err)
	}

	// The tablet's answer to its first push was lost: it sends it again.
	again := f.push(tablet, "tablet", []op{reportCreate("op-kept", kept, f.embassy[0], "", nil)}).Results[0]
	if again.Status != "duplicate" {
		t.Fatalf("retried create after retention: %+v, want duplicate", again)
	}
	if r := f.push(nil, "phone", []op{reportCreate("op-phone", phoneReport, f.embassy[0], rcpt, nil)}).Results[0]; r.Status != "duplicate" {
		t.Fatalf("the phone's retry after retention: %+v, want duplicate", r)
	}
	if r := f.push(nil, "other", []op{reportCreate("op-other", phoneReport, f.embassy[0], newReceipt(), nil)}).Results[0]; r.Status != "conflict" {
		t.Fatalf("another phone reusing the id: %+v, want conflict", r)
	}
	if n := f.count("reports"); n != 2 {
		t.Fatalf("%d reports, want the 2 that exist, none twice", n)
	}

	var expired struct {
		Data map[string]any `json:"data"`
	}
	if status := f.call(http.MethodGet, "/api/sync/pull?cursor="+cursor, tablet, nil, &expired); status != http.StatusGone || expired.Data["code"] != "cursor_expired" {
		t.Fatalf("old cursor: %d %v, want 410 cursor_expired", status, expired.Data)
	}
	fresh, next := f.pullSince(tablet, "")
	if len(fresh) != 1 || fresh[0].Id != kept || fresh[0].Kind != "upsert" {
		t.Fatalf("fresh pull: %+v, want only %s", fresh, kept)
	}
	if r := f.push(tablet, "tablet", []op{reportCreate("op-new", newId(), f.embassy[0], "", nil)}).Results[0]; r.Status != "applied" {
		t.Fatalf("new work after coming back: %+v", r)
	}
	if changes, _ := f.pullSince(tablet, next); len(changes) != 1 {
		t.Fatalf("pull after the fresh start: %d changes, want the new report", len(changes))
	}
}

// TestAPullWhileRetentionRunsMissesNoDeletion: the daily retention job may
// drop tombstones while a device's pull is being answered. Whatever the
// timing, the pull must either carry the tombstone or answer 410
// cursor_expired: a device told neither keeps a deleted report as if it
// were still open, and its cursor has moved past the deletion for good.
// Each round deletes a report the tablet knows, runs retention and the
// tablet's pull at the same time, and checks what the tablet then holds.
func TestAPullWhileRetentionRunsMissesNoDeletion(t *testing.T) {
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	tablet := device(tok)
	held := map[string]bool{} // the reports the tablet believes exist
	apply := func(changes []pullChange) {
		for _, c := range changes {
			if c.Collection == "reports" {
				held[c.Id] = c.Kind == "upsert"
			}
		}
	}
	_, cursor := f.pullSince(tablet, "")
	// Another report, changed each round, so the tombstone is never the
	// newest row (retention keeps the newest row whatever its kind).
	other := newId()
	f.push(tablet, "tablet", []op{reportCreate("op-"+other, other, f.embassy[0], "", nil)})
	const rounds = 150
	late := time.Now().Add(syncapi.Retention + 24*time.Hour)
	for i := range rounds {
		id := newId()
		if r := f.push(tablet, "tablet", []op{reportCreate(fmt.Sprint("op-", i), id, f.embassy[0], "", nil)}).Results[0]; r.Status != "applied" {
			t.Fatalf("round %d: push: %+v", i, r)
		}
		var changes []pullChange
		changes, cursor = f.pullSince(tablet, cursor)
		apply(changes)
		if !held[id] {
			t.Fatalf("round %d: the tablet did not pull its new report", i)
		}
		rec, err := f.app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.app.Delete(rec); err != nil {
			t.Fatal(err)
		}
		o, err := f.app.FindRecordById("reports", other)
		if err != nil {
			t.Fatal(err)
		}
		o.Set("people_count", i+1)
		if err := f.app.Save(o); err != nil {
			t.Fatal(err)
		}

		pruned := make(chan error, 1)
		go func() { pruned <- syncapi.Prune(f.app, late) }()
		var page pullAnswer
		status := f.call(http.MethodGet, "/api/sync/pull?limit=500&cursor="+cursor, tablet, nil, &page)
		if err := <-pruned; err != nil {
			t.Fatal(err)
		}
		switch status {
		case http.StatusGone:
			// Start again: the fresh pull names what exists.
			var fresh []pullChange
			fresh, cursor = f.pullSince(tablet, "")
			clear(held)
			apply(fresh)
		case http.StatusOK:
			apply(page.Changes)
			cursor = page.Cursor
			if page.HasMore {
				t.Fatalf("round %d: more than a page of changes", i)
			}
		default:
			t.Fatalf("round %d: pull answered %d", i, status)
		}
		if held[id] {
			t.Fatalf("round %d: the pull answered %d without the deletion of %s, and the tablet still holds it", i, status, id)
		}
	}
}
