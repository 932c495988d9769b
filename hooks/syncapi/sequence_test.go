package syncapi_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// hookTrace records, in order, the model and record hooks that fire for
// the records of the traced collections: what PocketBase's write path
// does, whichever way a write came in. Request-level hooks are left out;
// only REST has them.
type hookTrace struct {
	mu     sync.Mutex
	on     bool
	events []string
}

func traceHooks(app core.App, collections ...string) *hookTrace {
	tr := &hookTrace{}
	add := func(name string, m core.Model) {
		rec, ok := m.(*core.Record)
		if !ok || !slices.Contains(collections, rec.Collection().Name) {
			return
		}
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if tr.on {
			tr.events = append(tr.events, rec.Collection().Name+" "+name)
		}
	}
	model := func(name string) func(*core.ModelEvent) error {
		return func(e *core.ModelEvent) error { add(name, e.Model); return e.Next() }
	}
	app.OnModelCreate().BindFunc(model("OnModelCreate"))
	app.OnModelValidate().BindFunc(model("OnModelValidate"))
	app.OnModelCreateExecute().BindFunc(model("OnModelCreateExecute"))
	app.OnModelAfterCreateSuccess().BindFunc(model("OnModelAfterCreateSuccess"))
	app.OnModelAfterCreateError().BindFunc(func(e *core.ModelErrorEvent) error { add("OnModelAfterCreateError", e.Model); return e.Next() })
	record := func(name string) func(*core.RecordEvent) error {
		return func(e *core.RecordEvent) error { add(name, e.Record); return e.Next() }
	}
	app.OnRecordCreate().BindFunc(record("OnRecordCreate"))
	app.OnRecordValidate().BindFunc(record("OnRecordValidate"))
	app.OnRecordCreateExecute().BindFunc(record("OnRecordCreateExecute"))
	app.OnRecordAfterCreateSuccess().BindFunc(record("OnRecordAfterCreateSuccess"))
	return tr
}

// run returns the trace of what write fires.
func (tr *hookTrace) run(write func()) []string {
	tr.mu.Lock()
	tr.on, tr.events = true, nil
	tr.mu.Unlock()
	write()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.on = false
	return slices.Clone(tr.events)
}

// TestPushFiresWhatARESTCreateFires compares, for a staff reply and for a
// new report, the model and record hooks a push fires with those a create
// through the records API fires: the same hooks, in the same order, for
// the record and for what its hooks write (a reply's audit event).
func TestPushFiresWhatARESTCreateFires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := traceHooks(f.app, "reports", "messages", "report_events")
	suTok := f.suTok
	report := newId()
	f.push(receipt(newReceipt()), "phone", []op{reportCreate("c0", report, f.embassy[0], newReceipt(), nil)})

	cases := []struct {
		name       string
		rest, push func()
	}{
		{
			name: "a staff reply",
			rest: func() {
				body := map[string]any{"report": report, "direction": "staff", "author": f.staff[0].Id, "body": "We will call you."}
				if status := f.call(http.MethodPost, "/api/collections/messages/records", header{"Authorization": f.staffTok[0]}, body, nil); status != http.StatusOK {
					t.Fatalf("REST reply: %d", status)
				}
			},
			push: func() {
				res := f.push(bearer(f.staffTok[0]), "console", []op{{"op": "m1", "kind": "create", "collection": "messages", "id": "replyseq0000001",
					"data": map[string]any{"report": report, "body": "We will call you."}}})
				if res.Results[0].Status != "applied" {
					t.Fatalf("push reply: %+v", res.Results[0])
				}
			},
		},
		{
			name: "a new report",
			rest: func() {
				body := map[string]any{"embassy": f.embassy[0], "message": "by REST"}
				if status := f.call(http.MethodPost, "/api/collections/reports/records", header{"Authorization": suTok}, body, nil); status != http.StatusOK {
					t.Fatalf("REST report: %d", status)
				}
			},
			push: func() {
				res := f.push(receipt(newReceipt()), "phone", []op{reportCreate("c1", newId(), f.embassy[0], newReceipt(), nil)})
				if res.Results[0].Status != "applied" {
					t.Fatalf("push report: %+v", res.Results[0])
				}
			},
		},
	}
	for _, c := range cases {
		rest, push := tr.run(c.rest), tr.run(c.push)
		if len(rest) == 0 {
			t.Fatalf("%s: the REST create fired no traced hook", c.name)
		}
		if !slices.Equal(rest, push) {
			t.Errorf("%s:\n REST fired %v\n push fired %v", c.name, rest, push)
		}
	}
}
