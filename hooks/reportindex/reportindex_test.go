package reportindex_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reportindex"
	"homeward/internal/fold"
	"homeward/internal/testserver"
)

// world is a running app with two embassies, a staff member of each, a
// superuser and a volunteer with a device credential.
type world struct {
	t         *testing.T
	app       *tests.TestApp
	url       string
	embassy   [2]string
	staffTok  [2]string
	superTok  string
	deviceTok string
}

func newWorld(t *testing.T) *world {
	app := testserver.NewApp(t, false)
	app.Settings().Batch.Enabled = true
	app.Settings().Batch.MaxRequests = 10
	w := &world{t: t, app: app, url: testserver.Start(t, app).URL}
	for i, slug := range []string{"emb-a", "emb-b"} {
		emb := testserver.SaveRecord(t, app, "embassies", map[string]any{"name": slug, "country": slug, "slug": slug, "active": true, "clear_until_keyed": true})
		w.embassy[i] = emb.Id
		staff := testserver.SaveRecord(t, app, "staff", map[string]any{"email": slug + "@example.com", "password": "secret-password", "embassy": emb.Id})
		w.staffTok[i] = token(t, staff)
	}
	su := testserver.SaveRecord(t, app, core.CollectionNameSuperusers, map[string]any{"email": "su@example.com", "password": "secret-password"})
	w.superTok = token(t, su)
	vol := testserver.SaveRecord(t, app, "volunteers", map[string]any{"email": "vol@example.com", "password": "secret-password", "approved": true})
	var dev struct{ Token string }
	w.call(http.MethodPost, "/api/sync/devices", "Bearer "+token(t, vol), map[string]any{"label": "phone"}, http.StatusCreated, &dev)
	w.deviceTok = dev.Token
	return w
}

func token(t *testing.T, rec *core.Record) string {
	t.Helper()
	tok, err := rec.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends body as JSON with the Authorization header auth and decodes
// the answer into out, failing unless the status is want.
func (w *world) call(method, path, auth string, body any, want int, out any) {
	w.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, w.url+path, r)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		w.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
}

// push sends ops to /api/sync/push and fails unless every op is applied.
func (w *world) push(auth string, ops ...map[string]any) {
	w.t.Helper()
	var out struct{ Results []struct{ Status string } }
	w.call(http.MethodPost, "/api/sync/push", auth, map[string]any{"device": "phone", "ops": ops}, http.StatusOK, &out)
	for i, r := range out.Results {
		if r.Status != "applied" {
			w.t.Fatalf("push op %d: %+v", i, out.Results)
		}
	}
}

// save writes a report with app.Save.
func (w *world) save(rec *core.Record) {
	w.t.Helper()
	if err := w.app.Save(rec); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) find(id string) *core.Record {
	w.t.Helper()
	rec, err := w.app.FindRecordById("reports", id)
	if err != nil {
		w.t.Fatal(err)
	}
	return rec
}

func (w *world) newReport(emb int, message string, needs ...string) *core.Record {
	w.t.Helper()
	col, err := w.app.FindCollectionByNameOrId("reports")
	if err != nil {
		w.t.Fatal(err)
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{"embassy": w.embassy[emb], "people_count": 1, "channel": "self", "message": message, "needs": needs})
	return rec
}

// listed returns the ids the staff console lists for embassy emb with the
// query query (q= or need=), sorted.
func (w *world) listed(emb int, query string) []string {
	w.t.Helper()
	var list struct{ Items []struct{ Id string } }
	w.call(http.MethodGet, "/api/staff/reports?fields=id&perPage=100&"+query, "Bearer "+w.staffTok[emb], nil, http.StatusOK, &list)
	ids := []string{}
	for _, it := range list.Items {
		ids = append(ids, it.Id)
	}
	slices.Sort(ids)
	return ids
}

// checkIndexes compares the search and needs indexes with the reports
// table: one search row per report, with its embassy and its folded text,
// and exactly its needs.
func (w *world) checkIndexes() {
	w.t.Helper()
	type row struct {
		Id       string `db:"id"`
		Embassy  string `db:"embassy"`
		Message  string `db:"message"`
		Compound string `db:"compound_location"`
		Current  string `db:"current_location"`
		Needs    string `db:"needs"`
	}
	var reports []row
	if err := w.app.DB().NewQuery("SELECT id, embassy, message, compound_location, current_location, needs FROM reports").All(&reports); err != nil {
		w.t.Fatal(err)
	}
	var indexed []row
	err := w.app.DB().NewQuery(`SELECT s.report AS id, s.embassy, f.message, f.compound_location, f.current_location,
			COALESCE((SELECT json_group_array(need) FROM (SELECT need FROM report_needs WHERE report = s.report ORDER BY need)), '[]') AS needs
		FROM report_search_rows s JOIN report_search f ON f.rowid = s.n`).All(&indexed)
	if err != nil {
		w.t.Fatal(err)
	}
	var searchRows, needRows int
	w.app.DB().NewQuery("SELECT (SELECT count(*) FROM report_search_rows), (SELECT count(*) FROM report_search)").Row(&searchRows, &needRows)
	if searchRows != len(reports) || needRows != len(reports) {
		w.t.Fatalf("%d reports, %d search rows, %d search index entries", len(reports), searchRows, needRows)
	}
	byId := map[string]row{}
	for _, r := range indexed {
		byId[r.Id] = r
	}
	for _, r := range reports {
		var needs []string
		json.Unmarshal([]byte(r.Needs), &needs)
		slices.Sort(needs)
		needs = slices.Compact(needs)
		wantNeeds, _ := json.Marshal(needs)
		if needs == nil {
			wantNeeds = []byte("[]")
		}
		want := row{r.Id, r.Embassy, fold.Fold(r.Message) + fold.EndMark, fold.Fold(r.Compound) + fold.EndMark,
			fold.Fold(r.Current) + fold.EndMark, string(wantNeeds)}
		if got := byId[r.Id]; got != want {
			w.t.Fatalf("report %s is indexed as %+v, want %+v", r.Id, got, want)
		}
	}
	var orphans int
	w.app.DB().NewQuery("SELECT count(*) FROM report_needs WHERE report NOT IN (SELECT id FROM reports)").Row(&orphans)
	if orphans != 0 {
		w.t.Fatalf("%d need rows of reports that do not exist", orphans)
	}
}

func newId() string { return testserver.NewId() }

func newReceipt() string { return testserver.NewReceipt() }

func reportCreate(id string, emb string, message string, needs ...string) map[string]any {
	return map[string]any{"op": "c-" + id, "kind": "create", "collection": "reports", "id": id, "receipt": newReceipt(),
		"data": map[string]any{"embassy": emb, "people_count": 1, "message": message, "needs": needs}}
}

// TestEveryWritePathKeepsTheIndexesExact writes reports through every path
// (REST create and update, /api/batch, push by a reporter, a volunteer and
// staff, Go's app.Save inside and outside a transaction, REST and Go
// deletes); after each write the staff console's search and need filter
// find exactly the reports they should, and both indexes equal what the
// reports table says.
func TestEveryWritePathKeepsTheIndexesExact(t *testing.T) {
	w := newWorld(t)
	su := "Bearer " + w.superTok
	ids := map[string]string{}
	type want struct {
		emb   int
		query string
		ids   []string // names in ids
	}
	steps := []struct {
		name  string
		write func()
		want  []want
	}{{
		name: "REST create",
		write: func() {
			ids["rest"] = newId()
			w.call(http.MethodPost, "/api/collections/reports/records", su, map[string]any{"id": ids["rest"], "embassy": w.embassy[0],
				"people_count": 1, "channel": "self", "message": "Alpha river", "needs": []string{"medical", "legal"}}, http.StatusOK, nil)
		},
		want: []want{{0, "q=alpha", []string{"rest"}}, {0, "need=medical", []string{"rest"}}, {1, "q=alpha", nil}},
	}, {
		name: "REST update of the text and needs",
		write: func() {
			w.call(http.MethodPatch, "/api/collections/reports/records/"+ids["rest"], su,
				map[string]any{"message": "Bravo bridge", "needs": []string{"shelter"}}, http.StatusOK, nil)
		},
		want: []want{{0, "q=alpha", nil}, {0, "q=bravo", []string{"rest"}}, {0, "need=medical", nil}, {0, "need=shelter", []string{"rest"}}},
	}, {
		name: "/api/batch: two creates and an update of the first",
		write: func() {
			ids["batch1"], ids["batch2"] = newId(), newId()
			create := func(id string) map[string]any {
				return map[string]any{"method": http.MethodPost, "url": "/api/collections/reports/records", "body": map[string]any{
					"id": id, "embassy": w.embassy[0], "people_count": 1, "channel": "self", "message": "Charlie camp", "needs": []string{"documents"}}}
			}
			w.call(http.MethodPost, "/api/batch", su, map[string]any{"requests": []map[string]any{
				create(ids["batch1"]), create(ids["batch2"]),
				{"method": http.MethodPatch, "url": "/api/collections/reports/records/" + ids["batch1"], "body": map[string]any{"message": "Delta dock"}},
			}}, http.StatusOK, nil)
		},
		want: []want{{0, "q=charlie", []string{"batch2"}}, {0, "q=delta", []string{"batch1"}}, {0, "need=documents", []string{"batch1", "batch2"}}},
	}, {
		name: "push: a reporter's creates",
		write: func() {
			ids["push1"], ids["push2"], ids["push3"] = newId(), newId(), newId()
			w.push("", reportCreate(ids["push1"], w.embassy[0], "Echo hill", "medical"),
				reportCreate(ids["push2"], w.embassy[0], "ECHO HILL", "medical", "medical"),
				reportCreate(ids["push3"], w.embassy[1], "echo hill", "legal"))
		},
		want: []want{{0, "q=echo", []string{"push1", "push2"}}, {1, "q=echo", []string{"push3"}}, {0, "need=medical", []string{"push1", "push2"}},
			{1, "need=legal", []string{"push3"}}},
	}, {
		name: "push: a volunteer's create and its update in one push",
		write: func() {
			ids["vol"], ids["vol2"] = newId(), newId()
			create := reportCreate(ids["vol"], w.embassy[0], "Foxtrot farm", "legal")
			delete(create, "receipt")
			second := reportCreate(ids["vol2"], w.embassy[0], "Foxtrot farm", "legal")
			delete(second, "receipt")
			w.push("Device "+w.deviceTok, create,
				map[string]any{"op": "u-" + ids["vol"], "kind": "update", "collection": "reports", "id": ids["vol"], "base": 1,
					"data": map[string]any{"message": "Golf gate", "needs": []string{"documents"}}},
				second)
		},
		want: []want{{0, "q=foxtrot", []string{"vol2"}}, {0, "q=golf", []string{"vol"}}, {0, "need=legal", []string{"vol2"}},
			{0, "need=documents", []string{"batch1", "batch2", "vol"}}},
	}, {
		name: "push: staff move a report to the other embassy",
		write: func() {
			w.push("Bearer "+w.staffTok[0], map[string]any{"op": "move", "kind": "update", "collection": "reports", "id": ids["push2"],
				"base": 1, "data": map[string]any{"embassy": w.embassy[1]}})
		},
		want: []want{{0, "q=echo", []string{"push1"}}, {1, "q=echo", []string{"push2", "push3"}}, {1, "need=medical", []string{"push2"}}},
	}, {
		name: "app.Save: a create and a status change",
		write: func() {
			rec := w.newReport(1, "Hotel harbour", "shelter")
			w.save(rec)
			ids["save"] = rec.Id
			rec.Set("status", "in_review")
			w.save(rec)
		},
		want: []want{{1, "q=hotel", []string{"save"}}, {1, "need=shelter", []string{"save"}}},
	}, {
		name: "app.Save inside a transaction: creates, an edit, a delete",
		write: func() {
			err := w.app.RunInTransaction(func(txApp core.App) error {
				a, b := w.newReport(1, "India island", "legal"), w.newReport(1, "India island", "legal")
				for _, rec := range []*core.Record{a, b} {
					if err := txApp.Save(rec); err != nil {
						return err
					}
				}
				ids["tx"] = a.Id
				a.Set("message", "Juliet jetty")
				if err := txApp.Save(a); err != nil {
					return err
				}
				return txApp.Delete(b)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
		want: []want{{1, "q=india", nil}, {1, "q=juliet", []string{"tx"}}, {1, "need=legal", []string{"push3", "tx"}}},
	}, {
		name: "REST delete",
		write: func() {
			w.call(http.MethodDelete, "/api/collections/reports/records/"+ids["rest"], su, nil, http.StatusNoContent, nil)
		},
		want: []want{{0, "q=bravo", nil}, {0, "need=shelter", nil}},
	}, {
		name: "app.Delete",
		write: func() {
			if err := w.app.Delete(w.find(ids["save"])); err != nil {
				t.Fatal(err)
			}
		},
		want: []want{{1, "q=hotel", nil}, {1, "need=shelter", nil}},
	}}
	for _, step := range steps {
		step.write()
		w.checkIndexes()
		for _, c := range step.want {
			var names []string
			for _, name := range c.ids {
				names = append(names, ids[name])
			}
			slices.Sort(names)
			if names == nil {
				names = []string{}
			}
			if got := w.listed(c.emb, c.query); !slices.Equal(got, names) {
				t.Fatalf("after %s: embassy %d, %s lists %v, want %v (%s)", step.name, c.emb, c.query, got, names, strings.Join(c.ids, ", "))
			}
		}
	}
}

// TestARolledBackPushLeavesNoIndexRows: a push that fails after its reports
// were written stores nothing, in the indexes either.
func TestARolledBackPushLeavesNoIndexRows(t *testing.T) {
	w := newWorld(t)
	// The push writes its sync_ops rows after the index rows: make that
	// write fail, as a full disk would.
	_, err := w.app.DB().NewQuery(`CREATE TRIGGER fail_ops BEFORE INSERT ON sync_ops BEGIN SELECT RAISE(ABORT, 'disk full'); END`).Execute()
	if err != nil {
		t.Fatal(err)
	}
	id := newId()
	w.call(http.MethodPost, "/api/sync/push", "", map[string]any{"device": "phone", "ops": []map[string]any{reportCreate(id, w.embassy[0], "Kilo keep", "legal")}},
		http.StatusInternalServerError, nil)
	w.checkIndexes()
	var n int
	w.app.DB().NewQuery("SELECT count(*) FROM report_search_rows").Row(&n)
	if n != 0 {
		t.Fatalf("%d search rows after a rolled-back push", n)
	}
	if _, err := w.app.DB().NewQuery("DROP TRIGGER fail_ops").Execute(); err != nil {
		t.Fatal(err)
	}
	w.push("", reportCreate(id, w.embassy[0], "Kilo keep", "legal"))
	if got := w.listed(0, "q="+url.QueryEscape("kilo keep")); len(got) != 1 || got[0] != id {
		t.Fatalf("the retried push: search lists %v, want [%s]", got, id)
	}
	w.checkIndexes()
}

// TestABatchIndexesReportsAsTheyAreAtTheFlush: in a batch, new reports
// are indexed at the flush, as they are then: one changed after its create
// with its new text and needs, one deleted not at all.
func TestABatchIndexesReportsAsTheyAreAtTheFlush(t *testing.T) {
	w := newWorld(t)
	var kept, edited string
	err := w.app.RunInTransaction(func(txApp core.App) error {
		ctx, batch := reportindex.WithBatch(context.Background(), txApp)
		a, b, c := w.newReport(0, "Lima lake", "legal"), w.newReport(0, "Mike mill", "legal"), w.newReport(0, "November gate", "legal")
		for _, rec := range []*core.Record{a, b, c} {
			if err := txApp.SaveWithContext(ctx, rec); err != nil {
				return err
			}
		}
		kept, edited = a.Id, b.Id
		b.Set("message", "Oscar oasis")
		b.Set("needs", []string{"medical"})
		if err := txApp.SaveWithContext(ctx, b); err != nil {
			return err
		}
		if err := txApp.DeleteWithContext(ctx, c); err != nil {
			return err
		}
		return batch.Flush()
	})
	if err != nil {
		t.Fatal(err)
	}
	w.checkIndexes()
	for _, c := range []struct {
		query string
		want  []string
	}{{"q=lima", []string{kept}}, {"q=oscar", []string{edited}}, {"q=mike", nil}, {"q=november", nil}, {"need=medical", []string{edited}}} {
		if got := w.listed(0, c.query); !slices.Equal(got, append([]string{}, c.want...)) {
			t.Errorf("%s lists %v, want %v", c.query, got, c.want)
		}
	}
}
