package openrosa_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"homeward/internal/testserver"
)

// xmlDocBlocks returns the tagged XML blocks of docs/API.md (```xml tag)
// by their tag.
func xmlDocBlocks(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```xml ([a-z0-9-]+)\n(.*?)\n```").FindAllStringSubmatch(string(raw), -1) {
		blocks[m[1]] = m[2]
	}
	return blocks
}

// The parts of an answer that differ from one server to another: the
// form's version and hash (they change with the embassies and the labels)
// and the address.
var (
	docVersion = regexp.MustCompile(`(<version>|version=")1\.[0-9a-f]{12}`)
	docHash    = regexp.MustCompile(`md5:[0-9a-f]{32}`)
	docHost    = regexp.MustCompile(`https?://[^/<]+/openrosa`)
)

func normalised(s string) string {
	s = docVersion.ReplaceAllString(s, "${1}VERSION")
	s = docHash.ReplaceAllString(s, "md5:HASH")
	return docHost.ReplaceAllString(s, "HOST/openrosa")
}

// TestOpenRosaDocExamplesMatchTheServer sends docs/API.md's OpenRosa
// examples to a server with two embassies and compares the answers with
// the documented ones, the last after the embassy lost the right to take
// reports in clear before it has a key.
func TestOpenRosaDocExamplesMatchTheServer(t *testing.T) {
	t.Parallel()
	blocks := xmlDocBlocks(t)
	w := newWorld(t)
	app := w.factory(t)
	srv := testserver.Start(t, app)
	call := func(method, path, body string, headers map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(raw)
	}
	same := func(name, got string) {
		t.Helper()
		if normalised(got) != normalised(blocks[name]) {
			t.Errorf("the server answers\n%s\ndocs/API.md (%s) shows\n%s", got, name, blocks[name])
		}
	}

	status, list := call(http.MethodGet, "/openrosa/formList", "", map[string]string{"Authorization": w.basic(0), "X-OpenRosa-Version": "1.0"})
	if status != http.StatusOK {
		t.Fatalf("formList: %d %s", status, list)
	}
	same("openrosa-formlist", list)

	submission := docVersion.ReplaceAllString(blocks["openrosa-submission"], `${1}`+version())
	if submission == blocks["openrosa-submission"] && !strings.Contains(submission, version()) {
		t.Fatal("docs/API.md's submission has no form version")
	}
	post := func(x string) (int, string) {
		return call(http.MethodPost, "/openrosa/submission", multipartBody(t, xmlPart(x)).String(), w.postHeaders(0))
	}
	for _, want := range []struct {
		status int
		block  string
		xml    string
	}{
		{http.StatusCreated, "openrosa-201", submission},
		{http.StatusAccepted, "openrosa-202", submission},
		{http.StatusConflict, "openrosa-409", strings.Replace(submission, "We are three", "We are four", 1)},
	} {
		status, answer := post(want.xml)
		if status != want.status {
			t.Fatalf("%s: status %d, want %d: %s", want.block, status, want.status, answer)
		}
		same(want.block, answer)
	}

	// The embassy made to wait for its key, as one added today does: a
	// new form chosen for it in the form handed out before is refused.
	if _, err := app.DB().NewQuery("UPDATE embassies SET clear_until_keyed = FALSE WHERE id = {:id}").
		Bind(map[string]any{"id": embassyX}).Execute(); err != nil {
		t.Fatal(err)
	}
	status, answer := post(strings.Replace(submission, uuid1, uuid2, 1))
	if status != http.StatusBadRequest {
		t.Fatalf("openrosa-400-no-key: status %d, want 400: %s", status, answer)
	}
	same("openrosa-400-no-key", answer)
}
