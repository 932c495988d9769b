package staff_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/internal/testserver"
)

// apiDocBlocks returns the tagged fenced blocks of docs/API.md (```json
// tag) by their tag.
func apiDocBlocks(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```json ([a-z-]+)\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
		blocks[m[1]] = m[2]
	}
	return blocks
}

// callJSON sends body (may be "") as staffId and decodes the answer.
func callJSON(t *testing.T, method, url, tok, body string) (int, any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res.StatusCode, got
}

// wantDocBlock fails unless got equals the JSON of the named block.
func wantDocBlock(t *testing.T, blocks map[string]string, name string, got any) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(blocks[name]), &want); err != nil {
		t.Fatalf("docs/API.md block %s: %v", name, err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Errorf("the server answers\n%s\ndocs/API.md (%s) shows\n%s", g, name, blocks[name])
	}
}

// TestStaffDocExamplesMatchTheServer sends the staff routes' documented
// requests to a server with the fixtures and compares the answers with
// the documented ones.
func TestStaffDocExamplesMatchTheServer(t *testing.T) {
	blocks := apiDocBlocks(t)
	app := newApp(t)
	withSecondReport(t, app, nil)
	queueReports(t, app, nil)
	srv := startServer(t, app)
	tok := token(t, app, staffX)

	status, got := callJSON(t, http.MethodPost, srv+"/api/staff/reports/bulk", tok, blocks["bulk-request"])
	if status != http.StatusOK {
		t.Fatalf("documented bulk change: %d %v", status, got)
	}
	wantDocBlock(t, blocks, "bulk-response", got)

	// Input the route does not take is refused by field, and changes
	// nothing: the report keeps the status the change above gave it.
	for _, name := range []string{"bulk-unknown-field", "bulk-wrong-type"} {
		status, got = callJSON(t, http.MethodPost, srv+"/api/staff/reports/bulk", tok, blocks[name+"-request"])
		if status != http.StatusBadRequest {
			t.Fatalf("documented %s: %d %v", name, status, got)
		}
		wantDocBlock(t, blocks, name+"-response", got)
	}
	if r, err := app.FindRecordById("reports", reportX); err != nil || r.GetString("status") != "in_review" {
		t.Fatalf("after the refused bulk changes, %s: %v %v", reportX, r, err)
	}

	status, got = callJSON(t, http.MethodGet, srv+"/api/staff/reports?waiting=1&sort=last_activity&total=1&perPage=2&fields=id,status,urgent,unread", tok, "")
	if status != http.StatusOK {
		t.Fatalf("documented waiting queue: %d %v", status, got)
	}
	wantDocBlock(t, blocks, "waiting-response", got)

	// The print's event id and time are new each time: they are held to
	// their shapes, then the rest to the documented answer.
	status, got = callJSON(t, http.MethodPost, srv+"/api/staff/reports/"+reportX+"/print", tok, "")
	if status != http.StatusOK {
		t.Fatalf("documented print: %d %v", status, got)
	}
	answer, _ := got.(map[string]any)
	var doc map[string]any
	if err := json.Unmarshal([]byte(blocks["print-response"]), &doc); err != nil {
		t.Fatalf("docs/API.md block print-response: %v", err)
	}
	if id, _ := answer["event"].(string); len(id) != 15 {
		t.Errorf("the print's event id is %v", answer["event"])
	}
	if when, _ := answer["printed"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(when) {
		t.Errorf("the print's time is %v", answer["printed"])
	}
	answer["event"], answer["printed"] = doc["event"], doc["printed"]
	wantDocBlock(t, blocks, "print-response", answer)

	status, got = callJSON(t, http.MethodPost, srv+"/api/staff/exports", tok, blocks["exports-request"])
	if status != http.StatusOK {
		t.Fatalf("documented export record: %d %v", status, got)
	}
	wantDocBlock(t, blocks, "exports-response", got)
}

// TestDuplicateCandidatesDocExample sends the documented request for a
// report's duplicate candidates: one report stored in clear before the
// embassy had a key, one sealed by the server since. The envelope's
// random parts and the times, relative to now, are held to their shapes,
// then the rest to the documented answer.
func TestDuplicateCandidatesDocExample(t *testing.T) {
	blocks := apiDocBlocks(t)
	app := newApp(t)
	day := 24 * time.Hour
	saveReport("dupclear000000000001", embassyX, map[string]any{
		"people_count": 2, "nationality": "Viet Nam", "needs": []string{"documents"}, "channel": "self",
		"message": "They kept my passport.", "created": types.NowDateTime().Add(-day),
	})(t, app, nil)
	testserver.AddEmbassyKey(t, app, embassyX, nil)
	saveReport("dupsealed00000000001", embassyX, map[string]any{
		"people_count": 6, "nationality": "Indonesia", "needs": []string{"shelter"}, "channel": "self",
		"message": "six of us left the river compound", "contact_phone": "+000 12 777 001", "created": types.NowDateTime().Add(-2 * day),
	})(t, app, nil)
	srv := startServer(t, app)

	status, got := callJSON(t, http.MethodGet, srv+"/api/staff/reports/"+reportX+"/duplicate-candidates?fields="+
		url.QueryEscape("capped,items.id,items.created,items.people_count,items.nationality,items.needs,items.message,items.contact_phone,items.sealed"),
		token(t, app, staffX), "")
	if status != http.StatusOK {
		t.Fatalf("documented duplicate candidates: %d %v", status, got)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(blocks["duplicate-candidates-response"]), &doc); err != nil {
		t.Fatalf("docs/API.md block duplicate-candidates-response: %v", err)
	}
	answer, _ := got.(map[string]any)
	items, _ := answer["items"].([]any)
	docItems, _ := doc["items"].([]any)
	if len(items) != len(docItems) {
		t.Fatalf("the server answers %d candidates, docs/API.md shows %d", len(items), len(docItems))
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$`)
	for i, it := range items {
		item, _ := it.(map[string]any)
		docItem, _ := docItems[i].(map[string]any)
		if when, _ := item["created"].(string); !stamp.MatchString(when) {
			t.Errorf("candidate %d: created %v", i, item["created"])
		}
		item["created"] = docItem["created"]
		if env, ok := item["sealed"].(map[string]any); ok {
			docEnv, _ := docItem["sealed"].(map[string]any)
			for _, k := range []string{"kid", "enc", "ct"} {
				if s, _ := env[k].(string); len(s) < 16 {
					t.Errorf("candidate %d: the envelope's %s is %v", i, k, env[k])
				}
				env[k] = docEnv[k]
			}
		}
	}
	wantDocBlock(t, blocks, "duplicate-candidates-response", answer)
}
