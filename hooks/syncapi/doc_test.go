package syncapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"homeward/hooks/syncapi"
	"homeward/internal/testserver"
)

// docBlocks returns the fenced blocks of docs/API.md by their tag
// (the word after the language, e.g. ```json push-request).
func docBlocks(t *testing.T) (string, map[string]string) {
	raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	re := regexp.MustCompile("(?s)```json ([a-z-]+)\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		blocks[m[1]] = m[2]
	}
	return string(raw), blocks
}

func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestDocExamplesMatchTheServer(t *testing.T) {
	t.Parallel()
	doc, blocks := docBlocks(t)
	f := newFixture(t)
	sub := func(s string) string { return strings.ReplaceAll(s, "EMBASSY_ID", f.embassy[0]) }

	var wantPush, gotPush struct {
		Results []map[string]any `json:"results"`
		Cursor  string           `json:"cursor"`
	}
	if err := json.Unmarshal([]byte(blocks["push-response"]), &wantPush); err != nil {
		t.Fatal("push-response block:", err)
	}
	if status := f.call(http.MethodPost, "/api/sync/push", nil, sub(blocks["push-request"]), &gotPush); status != 200 {
		t.Fatalf("documented push: %d", status)
	}
	if len(gotPush.Results) != len(wantPush.Results) {
		t.Fatalf("%d results, doc shows %d", len(gotPush.Results), len(wantPush.Results))
	}
	for i, want := range wantPush.Results {
		got := gotPush.Results[i]
		if !slices.Equal(keys(got), keys(want)) || got["status"] != want["status"] || got["id"] != want["id"] || got["op"] != want["op"] {
			t.Fatalf("result %d is %v, doc shows %v", i, got, want)
		}
		if want["error"] != nil {
			g, w := got["error"].(map[string]any), want["error"].(map[string]any)
			if g["message"] != w["message"] || !slices.Equal(keys(g["data"].(map[string]any)), keys(w["data"].(map[string]any))) {
				t.Fatalf("result %d error %v, doc shows %v", i, g, w)
			}
		}
	}

	var wantPull, gotPull struct {
		Changes []map[string]any `json:"changes"`
		HasMore bool             `json:"has_more"`
	}
	if err := json.Unmarshal([]byte(sub(blocks["pull-response"])), &wantPull); err != nil {
		t.Fatal("pull-response block:", err)
	}
	if status := f.call(http.MethodGet, "/api/sync/pull?limit=100", receipt("4821 0937 5512 8064 2296"), nil, &gotPull); status != 200 {
		t.Fatalf("documented pull: %d", status)
	}
	if len(gotPull.Changes) != len(wantPull.Changes) || gotPull.HasMore != wantPull.HasMore {
		t.Fatalf("pull %v, doc shows %v", gotPull, wantPull)
	}
	for i, want := range wantPull.Changes {
		got := gotPull.Changes[i]
		for _, k := range []string{"collection", "id", "kind", "version"} {
			if got[k] != want[k] {
				t.Fatalf("change %d %s = %v, doc shows %v", i, k, got[k], want[k])
			}
		}
		if !slices.Equal(keys(got), keys(want)) || !slices.Equal(keys(got["data"].(map[string]any)), keys(want["data"].(map[string]any))) {
			t.Fatalf("change %d is %v, doc shows %v", i, got, want)
		}
	}

	for _, code := range []string{
		syncapi.CodeTooManyOps, syncapi.CodeReportsLimited, syncapi.CodeCursorExpired, syncapi.CodePushTooLarge, syncapi.CodeBadPush, syncapi.CodeDeviceUnknown, syncapi.CodeDeviceRevoked,
		syncapi.CodeDeviceExpired, syncapi.CodeNotApproved, syncapi.CodeReceiptRequired, syncapi.CodeReceiptUnknown,
		syncapi.CodeReceiptLimited, syncapi.CodeBadCursor, syncapi.CodeReportNotSynced, syncapi.CodeUnsupportedFile,
		syncapi.CodeFileTooLarge, syncapi.CodeTooManyFiles, syncapi.CodeUploadNotFound, syncapi.CodeUploadOffset, syncapi.CodeUploadExceeded, syncapi.CodeUploadUnsupported,
		syncapi.ConflictStaleBase, syncapi.ConflictIdTaken, syncapi.ConflictOpReused,
		syncapi.HeaderReceipt, syncapi.HeaderAttachment,
	} {
		if !strings.Contains(doc, "`"+code) {
			t.Errorf("docs/API.md does not mention %q", code)
		}
	}
	if !strings.Contains(doc, "Authorization: "+syncapi.DeviceScheme) {
		t.Error("docs/API.md does not show the device credential header")
	}
}
