package syncapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
)

// The write-path table: the same change made through every way a record is
// written (the records API, PocketBase's /api/batch, a sync push, the
// dashboard's superuser API, and Go code saving with reports.WithActor)
// must leave the same record, the same change-log entry and the same audit
// events. The rules (defaults, version, urgency, the staff field
// whitelist, the duplicate check, the audit trail, the change log) live in
// model-level hooks, so no path can differ.

// writePath makes one change to a report as one kind of writer. It returns
// the HTTP status (200 for Go code that saved, 403 or 400 for a refusal
// in the path's own terms).
type writePath struct {
	name  string
	actor string // the audit trail's actor: "staff" or "superuser"
	// update changes the report's fields; reply adds a staff reply.
	update func(f *fixture, rep *core.Record, data map[string]any) int
	reply  func(f *fixture, rep *core.Record, body string) int
}

func writePaths(f *fixture) []writePath {
	su := f.suTok
	rest := func(tok string) func(f *fixture, rep *core.Record, data map[string]any) int {
		return func(f *fixture, rep *core.Record, data map[string]any) int {
			return f.call(http.MethodPatch, "/api/collections/reports/records/"+rep.Id, bearer(tok), data, nil)
		}
	}
	restReply := func(tok, author string) func(f *fixture, rep *core.Record, body string) int {
		return func(f *fixture, rep *core.Record, body string) int {
			data := map[string]any{"report": rep.Id, "body": body, "direction": "staff"}
			if author != "" {
				data["author"] = author
			}
			return f.call(http.MethodPost, "/api/collections/messages/records", bearer(tok), data, nil)
		}
	}
	batch := func(f *fixture, method, url string, data map[string]any) int {
		// A batch answers 200 with each request's status, or 400 with the
		// failed request's own answer inside.
		status, raw := f.raw(http.MethodPost, "/api/batch", bearer(f.staffTok[0]),
			map[string]any{"requests": []map[string]any{{"method": method, "url": url, "body": data}}})
		var ok []struct {
			Status int `json:"status"`
		}
		var failed struct {
			Data struct {
				Requests map[string]struct {
					Response struct {
						Status int `json:"status"`
					} `json:"response"`
				} `json:"requests"`
			} `json:"data"`
		}
		switch {
		case status == http.StatusOK && json.Unmarshal(raw, &ok) == nil && len(ok) == 1:
			return ok[0].Status
		case status == http.StatusBadRequest && json.Unmarshal(raw, &failed) == nil && len(failed.Data.Requests) == 1:
			return failed.Data.Requests["0"].Response.Status
		}
		f.t.Fatalf("batch: %d %s", status, raw)
		return 0
	}
	goSave := func(f *fixture, rec *core.Record) int {
		ctx := reports.WithActor(context.Background(), reports.Actor{StaffId: f.staff[0].Id})
		err := f.app.SaveWithContext(ctx, rec)
		if errors.Is(err, reports.ErrStaffField) {
			return http.StatusForbidden
		}
		if err != nil {
			f.t.Logf("save: %v", err)
			return http.StatusBadRequest
		}
		return http.StatusOK
	}
	return []writePath{
		{name: "records API", actor: "staff", update: rest(f.staffTok[0]), reply: restReply(f.staffTok[0], f.staff[0].Id)},
		{name: "batch", actor: "staff",
			update: func(f *fixture, rep *core.Record, data map[string]any) int {
				return batch(f, http.MethodPatch, "/api/collections/reports/records/"+rep.Id, data)
			},
			reply: func(f *fixture, rep *core.Record, body string) int {
				return batch(f, http.MethodPost, "/api/collections/messages/records",
					map[string]any{"report": rep.Id, "body": body, "direction": "staff", "author": f.staff[0].Id})
			}},
		{name: "push", actor: "staff",
			update: func(f *fixture, rep *core.Record, data map[string]any) int {
				res := f.push(bearer(f.staffTok[0]), "console", []op{{"op": newId(), "kind": "update", "collection": "reports",
					"id": rep.Id, "base": rep.GetInt("version"), "data": data}}).Results[0]
				if res.Status == "applied" {
					return http.StatusOK
				}
				return int(res.Error["status"].(float64))
			},
			reply: func(f *fixture, rep *core.Record, body string) int {
				res := f.push(bearer(f.staffTok[0]), "console", []op{{"op": newId(), "kind": "create", "collection": "messages",
					"id": newId()[:15], "data": map[string]any{"report": rep.Id, "body": body}}}).Results[0]
				if res.Status == "applied" {
					return http.StatusOK
				}
				return int(res.Error["status"].(float64))
			}},
		{name: "dashboard", actor: "superuser", update: rest(su), reply: restReply(su, "")},
		{name: "Go app.Save", actor: "staff",
			update: func(f *fixture, rep *core.Record, data map[string]any) int {
				rec, err := f.app.FindRecordById("reports", rep.Id)
				if err != nil {
					f.t.Fatal(err)
				}
				for k, v := range data {
					rec.Set(k, v)
				}
				return goSave(f, rec)
			},
			reply: func(f *fixture, rep *core.Record, body string) int {
				col, err := f.app.FindCollectionByNameOrId("messages")
				if err != nil {
					f.t.Fatal(err)
				}
				rec := core.NewRecord(col)
				rec.Load(map[string]any{"report": rep.Id, "body": body, "direction": "staff", "author": f.staff[0].Id})
				return goSave(f, rec)
			}},
	}
}

// outcome is what one change left behind, in terms that do not depend on
// the path: the report's fields, its change-log entry and its audit events.
type outcome struct {
	Status  int
	Record  string
	Change  string
	Events  []string
	Replies int
}

func (f *fixture) outcomeOf(status int, id string, actor string) outcome {
	f.t.Helper()
	rec, err := f.app.FindRecordById("reports", id)
	if err != nil {
		f.t.Fatal(err)
	}
	o := outcome{Status: status, Record: fmt.Sprintf("status=%s embassy=%s duplicate_of=%s message=%q version=%d urgent=%v",
		rec.GetString("status"), f.embassyName(rec.GetString("embassy")), f.dupName(rec, rec.GetString("duplicate_of")),
		rec.GetString("message"), rec.GetInt("version"), rec.GetBool("urgent"))}
	var ch struct {
		Kind    string `db:"kind"`
		Version int    `db:"version"`
		Embassy string `db:"embassy"`
		N       int    `db:"n"`
	}
	err = f.app.DB().NewQuery("SELECT kind, version, embassy, (SELECT count(*) FROM sync_changes WHERE record = {:id}) AS n FROM sync_changes WHERE record = {:id} ORDER BY seq DESC LIMIT 1").
		Bind(dbx.Params{"id": id}).One(&ch)
	if err != nil {
		f.t.Fatal(err)
	}
	o.Change = fmt.Sprintf("%s v%d %s rows=%d", ch.Kind, ch.Version, f.embassyName(ch.Embassy), ch.N)
	events, err := f.app.FindRecordsByFilter("report_events", "report = {:id}", "created,id", 0, 0, dbx.Params{"id": id})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ev := range events {
		who := ev.GetString("actor_label")
		switch ev.GetString("actor") {
		case "":
		case f.staff[0].Id:
			who = "staff"
		default:
			who = "someone else"
		}
		if who == actor {
			who = "the writer"
		}
		note := strings.NewReplacer(f.embassy[0], "A", f.embassy[1], "B").Replace(ev.GetString("note"))
		if dup := rec.GetString("duplicate_of"); dup != "" {
			note = strings.ReplaceAll(note, dup, "the other")
		}
		o.Events = append(o.Events, fmt.Sprintf("%s %s→%s %q by %s in %s", ev.GetString("kind"), ev.GetString("from_status"),
			ev.GetString("to_status"), note, who, f.embassyName(ev.GetString("embassy"))))
	}
	slices.Sort(o.Events)
	n, err := f.app.CountRecords("messages", dbx.HashExp{"report": id, "direction": "staff"})
	if err != nil {
		f.t.Fatal(err)
	}
	o.Replies = int(n)
	return o
}

func (f *fixture) embassyName(id string) string {
	switch id {
	case f.embassy[0]:
		return "A"
	case f.embassy[1]:
		return "B"
	}
	return id
}

func (f *fixture) dupName(rep *core.Record, id string) string {
	if id == "" {
		return ""
	}
	return "the other"
}

// TestEveryWritePathKeepsTheSameRules runs each change through every path
// on a fresh report of embassy A and compares what it left behind with
// what Go code saving as the same staff member left.
func TestEveryWritePathKeepsTheSameRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	settings := f.app.Settings()
	settings.Batch.Enabled = true // off by default; an operator may turn it on
	if err := f.app.Save(settings); err != nil {
		t.Fatal(err)
	}
	paths := writePaths(f)
	newReport := func() *core.Record {
		return f.save("reports", map[string]any{"embassy": f.embassy[0], "message": "help", "people_count": 1, "needs": []string{"shelter"}})
	}
	changes := []struct {
		name string
		make func(p writePath, rep *core.Record) int
		// want is checked on the Go path's outcome, so the reference
		// itself is right; every path must then match it.
		want func(o outcome) bool
	}{
		{"status", func(p writePath, rep *core.Record) int {
			return p.update(f, rep, map[string]any{"status": "in_review"})
		},
			func(o outcome) bool {
				return o.Status == 200 && strings.HasPrefix(o.Record, "status=in_review") && len(o.Events) == 1 && strings.HasPrefix(o.Events[0], "status new→in_review")
			}},
		{"route to another embassy", func(p writePath, rep *core.Record) int {
			return p.update(f, rep, map[string]any{"embassy": f.embassy[1]})
		}, func(o outcome) bool {
			return o.Status == 200 && strings.Contains(o.Record, "embassy=B") && len(o.Events) == 2 && strings.HasPrefix(o.Change, "upsert v2 B")
		}},
		{"duplicate mark", func(p writePath, rep *core.Record) int {
			other := newReport()
			return p.update(f, rep, map[string]any{"status": "duplicate", "duplicate_of": other.Id})
		}, func(o outcome) bool {
			return o.Status == 200 && strings.Contains(o.Record, "duplicate_of=the other") && len(o.Events) == 2
		}},
		{"reporter's words", func(p writePath, rep *core.Record) int {
			return p.update(f, rep, map[string]any{"message": "changed by staff"})
		}, func(o outcome) bool {
			return o.Status == 403 && strings.Contains(o.Record, `message="help" version=1`) && len(o.Events) == 0 && strings.HasPrefix(o.Change, "upsert v1")
		}},
		{"needs, which urgency follows", func(p writePath, rep *core.Record) int {
			return p.update(f, rep, map[string]any{"needs": []string{"shelter", "medical"}})
		}, func(o outcome) bool { return o.Status == 403 && strings.Contains(o.Record, "urgent=false") }},
		{"reply", func(p writePath, rep *core.Record) int { return p.reply(f, rep, "We have your report.") },
			func(o outcome) bool {
				return o.Status == 200 && o.Replies == 1 && len(o.Events) == 1 && strings.HasPrefix(o.Events[0], "reply")
			}},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			results := map[string]outcome{}
			for _, p := range paths {
				rep := newReport()
				status := c.make(p, rep)
				results[p.name] = f.outcomeOf(status, rep.Id, p.actor)
			}
			ref := results["Go app.Save"]
			if !c.want(ref) {
				t.Fatalf("Go app.Save left %+v", ref)
			}
			for _, p := range paths {
				got := results[p.name]
				if p.actor == "superuser" && ref.Status == 403 {
					// Superusers may edit anything in the dashboard; the
					// whitelist is for staff.
					if got.Status != 200 || len(got.Events) != 0 {
						t.Errorf("%s: %+v, want the change made with no audit event", p.name, got)
					}
					continue
				}
				if fmt.Sprint(got) != fmt.Sprint(ref) {
					t.Errorf("%s left\n  %+v\nGo app.Save left\n  %+v", p.name, got, ref)
				}
			}
		})
	}
}
