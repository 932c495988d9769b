package sealing_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"homeward/hooks/sealing"
	"homeward/internal/testserver"
)

// pushResult is one op's answer in a push.
type pushResult struct {
	Op     string `json:"op"`
	Status string `json:"status"`
	Error  *struct {
		Data map[string]struct {
			Code string `json:"code"`
		} `json:"data"`
	} `json:"error"`
}

// pushOps sends ops as a reporter's phone and returns the answers.
func pushOps(t *testing.T, url string, ops ...map[string]any) []pushResult {
	t.Helper()
	body, err := json.Marshal(map[string]any{"device": "keylessphone1", "ops": ops})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(url+"/api/sync/push", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("push: %d %s", res.StatusCode, raw)
	}
	var out struct{ Results []pushResult }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != len(ops) {
		t.Fatalf("push: %d answers for %d ops: %s", len(out.Results), len(ops), raw)
	}
	return out.Results
}

func refusedForNoKey(r pushResult, field string) bool {
	return r.Status == "rejected" && r.Error != nil && r.Error.Data[field].Code == sealing.CodeNoKey
}

// TestAnEmbassyWithNoKeyGetsNothingInClear: an embassy with no key takes
// no plaintext report or reporter's message, whichever way it comes (a
// push, the records API, a report routed to it), unless it takes reports
// in clear until it has a key; the phone's held operation, sent again
// unchanged once the embassy has a key, is stored sealed, once.
func TestAnEmbassyWithNoKeyGetsNothingInClear(t *testing.T) {
	t.Parallel()
	const embK, embC = "keylessembassyk", "keylessembassyc"
	app := testserver.NewApp(t, false)
	seeded := testserver.Seed(t, app, testserver.Options{Embassies: []testserver.Embassy{
		{Id: embK, Slug: "k", Name: "Embassy K", Fields: map[string]any{"clear_until_keyed": false}},
		{Id: embC, Slug: "c", Name: "Embassy C"}, // takes reports in clear until it has a key
	}})
	srv := testserver.Start(t, app)

	// A push to K is refused, field by field, and nothing is stored.
	opK := map[string]any{"op": "op-keyless-1", "kind": "create", "collection": "reports", "id": "keylessreport0000001", "receipt": receipt, "data": plaintext(embK)}
	if r := pushOps(t, srv.URL, opK); !refusedForNoKey(r[0], "embassy") {
		t.Fatalf("a plaintext report to an embassy with no key: %+v", r[0])
	}
	if n, err := app.CountRecords("reports"); err != nil || n != 0 {
		t.Fatalf("%d reports stored (%v)", n, err)
	}
	testserver.NoFileHolds(t, app.DataDir(), marker)

	// So is a superuser's create through the records API.
	data, _ := json.Marshal(map[string]any{"embassy": embK, "channel": "self", "people_count": 1, "message": marker + " rest"})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/collections/reports/records", bytes.NewReader(data))
	req.Header.Set("Authorization", seeded.SuperuserToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), sealing.CodeNoKey) {
		t.Fatalf("records API create: %d %s", res.StatusCode, raw)
	}

	// C takes reports in clear until it has a key.
	opC := map[string]any{"op": "op-keyless-2", "kind": "create", "collection": "reports", "id": "keylessreport0000002", "receipt": receipt, "data": plaintext(embC)}
	if r := pushOps(t, srv.URL, opC); r[0].Status != "applied" {
		t.Fatalf("a plaintext report to an embassy that takes them in clear: %+v %+v", r[0], r[0].Error)
	}
	stored := findReport(t, app, "keylessreport0000002")
	if stored.GetString("message") != marker+" message" || (stored.GetString("sealed") != "" && stored.GetString("sealed") != "null") {
		t.Fatalf("C's report: message %q, sealed %q", stored.GetString("message"), stored.GetString("sealed"))
	}

	// Routed from C to K, it would be kept in clear for K: refused.
	stored.Set("embassy", embK)
	if err := app.Save(stored); err == nil || !strings.Contains(err.Error(), "no sealing key") {
		t.Fatalf("routing a plaintext report to an embassy with no key: %v", err)
	}

	// C stops taking reports in clear: a reporter's follow-up message on
	// its report is refused, as a new report is.
	c, err := app.FindRecordById("embassies", embC)
	if err != nil {
		t.Fatal(err)
	}
	c.Set("clear_until_keyed", false)
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
	msg := map[string]any{"op": "op-keyless-3", "kind": "create", "collection": "messages", "id": "keylessmessage00001", "receipt": receipt,
		"data": map[string]any{"report": "keylessreport0000002", "body": marker + " follow-up"}}
	if r := pushOps(t, srv.URL, msg); !refusedForNoKey(r[0], "report") {
		t.Fatalf("a plaintext message to an embassy with no key: %+v %+v", r[0], r[0].Error)
	}

	// K's staff make its key: the phone's held operation, sent again as
	// it was, is stored sealed, once; sent once more, it is a duplicate.
	key := testserver.AddEmbassyKey(t, app, embK, nil)
	if r := pushOps(t, srv.URL, opK); r[0].Status != "applied" {
		t.Fatalf("the held report once K has a key: %+v", r[0])
	}
	sealed := findReport(t, app, "keylessreport0000001")
	if sealed.GetString("sealed_by") != "server" || key.OpenReport(t, sealed).Message != marker+" message" {
		t.Fatalf("the held report is not stored sealed to K's key (sealed_by %q)", sealed.GetString("sealed_by"))
	}
	if r := pushOps(t, srv.URL, opK); r[0].Status != "duplicate" {
		t.Fatalf("the same operation again: %+v", r[0])
	}
	for _, f := range []string{"message", "contact_name", "contact_phone", "contact_app", "compound_location", "current_location"} {
		if v := sealed.GetString(f); v != "" {
			t.Errorf("%s is stored in clear: %q", f, v)
		}
	}
}
