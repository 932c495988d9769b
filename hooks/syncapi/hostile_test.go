package syncapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestHostileInputGetsAClearRefusalAndChangesNothing sends what an attacker
// or a broken client might: deeply nested JSON, invalid UTF-8, the wrong
// content type, markup, and path traversal in upload ids. Each gets a 4xx
// in PocketBase's error shape (or, for one op, a rejected result), and no
// record is stored that should not be.
func TestHostileInputGetsAClearRefusalAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcpt := newReceipt()
	id := newId()
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)

	for _, tc := range []struct {
		name       string
		header     header
		body       string
		wantStatus int
	}{
		{"deeply nested JSON", nil, `{"device":"x","ops":` + deep + `}`, http.StatusBadRequest},
		{"deeply nested JSON in an op's data", nil,
			`{"device":"x","ops":[{"op":"1","kind":"create","collection":"reports","id":"` + newId() + `","receipt":"` + rcpt + `","data":{"message":` + deep + `}}]}`,
			http.StatusBadRequest},
		{"invalid UTF-8", nil, "{\"device\":\"x\xff\xfe\",\"ops\":[]}", http.StatusBadRequest},
		{"not JSON at all", header{"Content-Type": "text/html"}, `<html><script>alert(1)</script></html>`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out struct {
				Status  int            `json:"status"`
				Message string         `json:"message"`
				Data    map[string]any `json:"data"`
			}
			status := f.call(http.MethodPost, "/api/sync/push", tc.header, tc.body, &out)
			if status != tc.wantStatus || out.Status != tc.wantStatus || out.Message == "" {
				t.Fatalf("got %d %+v, want %d with a message", status, out, tc.wantStatus)
			}
		})
	}

	// Invalid UTF-8 inside an op's text refuses the push; a good op alone
	// is applied.
	bad := reportCreate("utf8", id, f.embassy[0], rcpt, nil)
	ans := f.push(nil, "hostile-phone", []op{bad})
	if ans.Results[0].Status != "applied" {
		t.Fatalf("control op: %+v", ans.Results[0])
	}
	raw := fmt.Sprintf(`{"device":"hostile-phone","ops":[{"op":"u2","kind":"create","collection":"reports","id":"%s","receipt":"%s","data":{"embassy":"%s","message":"%s"}}]}`,
		newId(), rcpt, f.embassy[0], "bad \xff\xfe bytes")
	if status, body := f.raw(http.MethodPost, "/api/sync/push", nil, raw); status != http.StatusBadRequest || !strings.Contains(string(body), "bad_push") {
		t.Fatalf("invalid UTF-8 in a field: %d %s, want 400 bad_push", status, body)
	}

	// Markup is stored as the text it is, never interpreted by the API.
	markup := `<img src=x onerror=alert(1)>`
	m := reportCreate("markup", newId(), f.embassy[0], newReceipt(), map[string]any{"message": markup})
	if ans := f.push(nil, "hostile-phone", []op{m}); ans.Results[0].Status != "applied" {
		t.Fatalf("markup op: %+v", ans.Results[0])
	}
	stored, err := f.app.FindRecordById("reports", m["id"].(string))
	if err != nil || stored.GetString("message") != markup {
		t.Fatalf("markup stored as %q (%v)", stored.GetString("message"), err)
	}

	// Upload ids never reach the file system unchecked.
	for _, path := range []string{
		"/api/sync/files/..%2f..%2fdata.db",
		"/api/sync/files/%2e%2e%2fdata.db",
		"/api/sync/files/..",
		"/api/sync/files/" + strings.Repeat("a", 500),
	} {
		status, body := f.raw(http.MethodHead, path, header{"Tus-Resumable": "1.0.0", "X-Receipt": rcpt}, nil)
		if status != http.StatusNotFound {
			t.Errorf("HEAD %s = %d %s, want 404", path, status, body)
		}
	}
	before := f.count("reports")
	if before != 2 {
		t.Fatalf("%d reports stored, want the 2 good ones", before)
	}
}
