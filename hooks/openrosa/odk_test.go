package openrosa_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"homeward/hooks/openrosa"
	"homeward/internal/heavytest"
	"homeward/internal/media/mediatest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// odkDir holds the Node client and its pinned engine (package-lock.json);
// `npm ci --prefix hooks/openrosa/testdata/odk` installs it (.ci/run does).
const odkDir = "testdata/odk"

// odkClient returns the node binary, skipping the test when the engine is
// not installed here, or failing it where the full run is required (CI).
func odkClient(t *testing.T) string {
	t.Helper()
	heavytest.SkipIfShort(t, "ODK's form engine in Node")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(odkDir, "node_modules", "@getodk", "xforms-engine", "package.json"))
	}
	if err != nil {
		if heavytest.Required() {
			t.Fatalf("ODK's form engine must run here: %v (run npm ci --prefix hooks/openrosa/%s)", err, odkDir)
		}
		t.Skipf("ODK's form engine is not installed (%v): run npm ci --prefix hooks/openrosa/%s", err, odkDir)
	}
	return node
}

var instanceIDPattern = regexp.MustCompile(`<instanceID>([^<]+)</instanceID>`)

// odkRun is what client.mjs prints.
type odkRun struct {
	Labels map[string]string
	XML    string
	Head   struct {
		Status       int
		AcceptLength string
	}
	First, Again struct {
		Status int
		Body   string
	}
}

// TestODKFormEngineFillsAndSendsTheForm has ODK's own form engine load the
// form from the form list's downloadUrl, show it in each of the eight
// languages, fill it in, serialise the submission and send it as Collect
// does: its labels are the web app's in that language, the engine's
// submission is a volunteer's report with the answers given, sending it
// again answers 202, and the staff console of the embassy lists them all.
func TestODKFormEngineFillsAndSendsTheForm(t *testing.T) {
	node := odkClient(t)
	t.Parallel()
	w := newWorld(t)
	srv := testserver.Start(t, w.factory(t))
	photo := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(photo, mediatest.OrientedJPEG(64, 48, 6, "GPS 11.55N 104.92E"), 0o600); err != nil {
		t.Fatal(err)
	}
	strs := map[string]map[string]string{}
	for _, lang := range vocab.Languages {
		raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "pb_public", "i18n", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		strs[lang] = m
	}

	var reportIds []string
	for i, lang := range vocab.Languages {
		t.Run(lang, func(t *testing.T) {
			answers := map[string]any{
				"embassy": embassyY, "nationality": "MM", "people_count": 4, "minors_present": "yes",
				"needs": []string{"medical", "repatriation"}, "passport_held": "unknown",
				"message": "Report " + lang + " ✓", "language": lang, "consent_share": "yes", "follow_up": "no",
			}
			raw, _ := json.Marshal(answers)
			args := []string{"client.mjs", srv.URL + "/openrosa", w.seeded.Devices[0].Id, w.seeded.DeviceTokens[0], lang, string(raw)}
			if i == 0 {
				args = append(args, photo)
			}
			cmd := exec.Command(node, args...)
			cmd.Dir = odkDir
			out, err := cmd.Output()
			if err != nil {
				var stderr []byte
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = ee.Stderr
				}
				t.Fatalf("client.mjs: %v\n%s\n%s", err, out, stderr)
			}
			var run odkRun
			if err := json.Unmarshal(out, &run); err != nil {
				t.Fatalf("client.mjs printed %q: %v", out, err)
			}
			if run.Head.Status != 204 || run.Head.AcceptLength == "" {
				t.Errorf("HEAD: %d, accept length %q", run.Head.Status, run.Head.AcceptLength)
			}
			if run.First.Status != 201 || run.Again.Status != 202 {
				t.Fatalf("first send %d %s, again %d %s; want 201, 202", run.First.Status, run.First.Body, run.Again.Status, run.Again.Body)
			}
			for field, key := range map[string]string{
				"embassy": "f.embassy", "needs": "f.needs", "needs/medical": "need.medical",
				"passport_held/unknown": "unknown", "contact": "f.contact", "consent_share": "f.consent_share",
			} {
				if got, want := run.Labels[field], strs[lang][key]; got != want {
					t.Errorf("label of %s is %q, want %s's %q", field, got, key, want)
				}
			}
			m := instanceIDPattern.FindStringSubmatch(run.XML)
			if m == nil || !strings.HasPrefix(m[1], "uuid:") {
				t.Fatalf("the engine's submission has no uuid: instanceID:\n%s", run.XML)
			}
			r, err := srv.App.FindRecordById("reports", openrosa.ReportId(m[1]))
			if err != nil {
				t.Fatalf("no report for %s: %v", m[1], err)
			}
			reportIds = append(reportIds, r.Id)
			want := map[string]any{
				"embassy": embassyY, "nationality": "MM", "people_count": 4.0, "minors_present": true, "urgent": true,
				"passport_held": "unknown", "message": "Report " + lang + " ✓", "language": lang, "consent_share": true,
				"channel": "volunteer", "volunteer": w.seeded.Volunteers[0].Id,
			}
			for k, v := range want {
				if got := r.Get(k); got != v {
					t.Errorf("%s = %#v, want %#v", k, got, v)
				}
			}
			if got := strings.Join(r.GetStringSlice("needs"), " "); got != "medical repatriation" {
				t.Errorf("needs %q", got)
			}
			n, err := srv.App.CountRecords("attachments", dbx.HashExp{"report": r.Id})
			if err != nil {
				t.Fatal(err)
			}
			if wantFiles := map[bool]int64{true: 1, false: 0}[i == 0]; n != wantFiles {
				t.Errorf("%d attachments, want %d", n, wantFiles)
			}
		})
	}

	// The staff console of embassy Y lists every one of them, as staff see it.
	if len(reportIds) != len(vocab.Languages) {
		t.Fatalf("%d reports from the engine, want one per language", len(reportIds))
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/staff/reports?perPage=100&fields=id,channel,message", nil)
	req.Header.Set("Authorization", w.seeded.StaffTokens[1])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Items []struct{ Id, Channel, Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("staff list: %d %v", res.StatusCode, err)
	}
	listed := map[string]bool{}
	for _, it := range list.Items {
		listed[it.Id] = it.Channel == "volunteer" && strings.HasPrefix(it.Message, "Report ")
	}
	for _, id := range reportIds {
		if !listed[id] {
			t.Errorf("report %s is not in embassy Y's console list as a volunteer's report", id)
		}
	}
}
