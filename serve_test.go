package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homeward/internal/binarytest"
	"homeward/internal/zbar"
)

// These tests run the binary the way the README says to, `go run . serve`:
// go run builds into a temp dir, which PocketBase takes as a sign of
// development. The binary under test is built into a temp dir too.

// Markers of everything that must never reach a console, a log or a
// migration file: a report's message, contact fields and receipt, a staff
// reply, a staff search term.
const (
	markerMessage = "MarkerMessage5521"
	markerName    = "MarkerName5521"
	markerPhone   = "+000 5521 7788"
	markerReceipt = "5521 0937 7788 8064 2290"
	markerReply   = "MarkerReply5521"
	markerSearch  = "MarkerSearch5521"
)

var markers = []string{markerMessage, markerName, markerPhone, "552109377788", markerReceipt, markerReply, markerSearch}

// TestServeAsTypedLeaksNoReportContent starts the binary with no flags
// but its address and data dir, in a working directory of its own, files
// a report with marked content, answers and searches it as staff, and
// changes a collection as a superuser. No marker may appear in anything
// printed or in the request log, no SQL may be printed, and no migration
// file may be written.
func TestServeAsTypedLeaksNoReportContent(t *testing.T) {
	work, s := runMarkedDay(t)
	out := s.Output()
	for _, m := range markers {
		if strings.Contains(out, m) {
			t.Errorf("the console shows %q:\n%s", m, out)
		}
	}
	for _, sql := range []string{"INSERT INTO", "SELECT ", "UPDATE `"} {
		if strings.Contains(out, sql) {
			t.Errorf("the console prints SQL (%q) without --dev:\n%s", sql, out)
		}
	}
	if !strings.Contains(out, "not configured") || !strings.Contains(out, "--public-url") {
		t.Errorf("the start banner should say what is not configured and how to set the public address:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(work, "pb_migrations")); !os.IsNotExist(err) {
		t.Errorf("a collection change wrote ./pb_migrations without --automigrate (stat: %v)", err)
	}
	assertMarkersOnlyInData(t, s.DataDir)
}

// TestDevModeLogsSQLWithoutValues: --dev prints the SQL a developer needs,
// each statement cut before its first value.
func TestDevModeLogsSQLWithoutValues(t *testing.T) {
	_, s := runMarkedDay(t, "--dev")
	out := s.Output()
	if !strings.Contains(out, "INSERT INTO `messages`") {
		t.Fatalf("--dev should print the SQL it runs; output:\n%s", out)
	}
	if !strings.Contains(out, "(values not logged)") {
		t.Errorf("--dev should say where it cut values out; output:\n%.3000s", out)
	}
	for _, m := range markers {
		if strings.Contains(out, m) {
			t.Errorf("--dev prints %q", m)
		}
	}
	assertMarkersOnlyInData(t, s.DataDir)
}

// runMarkedDay starts the binary with args in a working directory of its
// own (returned), runs fileMarkedReport against it and stops it.
func runMarkedDay(t *testing.T, args ...string) (string, *binarytest.Server) {
	t.Helper()
	work := t.TempDir()
	s := binarytest.New(t, filepath.Join(work, "pb_data"), args...)
	s.WorkDir = work
	s.Run("superuser", "upsert", "root@homeward.example", "a long root password")
	s.Start()
	fileMarkedReport(t, s)
	s.Stop()
	return work, s
}

// fileMarkedReport runs a reporter's, a staff member's and a superuser's
// day against s: a report and a message with markers pushed anonymously,
// a staff reply and searches, a collection made and dropped.
func fileMarkedReport(t *testing.T, s *binarytest.Server) {
	t.Helper()
	root := s.SignIn("_superusers", "root@homeward.example", "a long root password")
	var embassy struct{ Id string }
	if _, err := s.Do(http.MethodPost, "/api/collections/embassies/records", root, map[string]any{
		"name": "Embassy of Testland", "country": "Testland", "slug": "testland", "active": true, "hotline": "+000 1",
		// In clear, so the markers are in the requests and the rows: what
		// the logs must still never show.
		"clear_until_keyed": true,
	}, &embassy); err != nil {
		t.Fatal(err)
	}
	var member struct{ Id string }
	if _, err := s.Do(http.MethodPost, "/api/collections/staff/records", root, map[string]any{
		"email": "staff@testland.example", "password": "a long staff password", "passwordConfirm": "a long staff password",
		"embassy": embassy.Id,
	}, &member); err != nil {
		t.Fatal(err)
	}

	const report = "markerreport00000001"
	push := map[string]any{"device": "marker-phone", "ops": []map[string]any{
		{"op": "o1", "kind": "create", "collection": "reports", "id": report, "receipt": markerReceipt, "data": map[string]any{
			"embassy": embassy.Id, "message": markerMessage, "contact_name": markerName, "contact_phone": markerPhone,
			"consent_contact": true, "consent_version": "v1",
		}},
		{"op": "o2", "kind": "create", "collection": "messages", "id": "markermessage01", "receipt": markerReceipt,
			"data": map[string]any{"report": report, "body": markerMessage + " again"}},
	}}
	var pushed struct {
		Results []struct {
			Status string
			Error  json.RawMessage
		}
	}
	if _, err := s.Do(http.MethodPost, "/api/sync/push", "", push, &pushed); err != nil {
		t.Fatal(err)
	}
	if len(pushed.Results) != 2 || pushed.Results[0].Status != "applied" || pushed.Results[1].Status != "applied" {
		t.Fatalf("push results: %s", mustJSON(pushed.Results))
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/sync/pull", nil)
	req.Header.Set("X-Receipt", markerReceipt)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("pull with the receipt: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	staff := s.SignIn("staff", "staff@testland.example", "a long staff password")
	if _, err := s.Do(http.MethodPost, "/api/collections/messages/records", staff, map[string]any{
		"report": report, "direction": "staff", "author": member.Id, "body": markerReply,
	}, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/api/staff/reports?q=" + markerSearch,
		"/api/collections/reports/records?filter=" + strings.ReplaceAll(`contact_phone="`+markerPhone+`"`, " ", "%20"),
		"/api/collections/reports/records?filter=nope(" + markerSearch, // a 400, logged with its error
	} {
		s.Do(http.MethodGet, path, staff, nil, nil)
	}

	var scratch struct{ Id string }
	if _, err := s.Do(http.MethodPost, "/api/collections", root, map[string]any{
		"name": "scratch", "type": "base", "fields": []map[string]any{{"name": "note", "type": "text"}},
	}, &scratch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(http.MethodDelete, "/api/collections/"+scratch.Id, root, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// assertMarkersOnlyInData checks that the markers are stored where reports
// live (data.db and its WAL), which proves the search below can find them,
// and nowhere else in the data dir: not in the request log (auxiliary.db),
// not in any other file.
func assertMarkersOnlyInData(t *testing.T, dataDir string) {
	t.Helper()
	var inData bool
	err := filepath.Walk(dataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		base := filepath.Base(path)
		for _, m := range []string{markerMessage, markerName, markerReply, markerSearch} {
			if !bytes.Contains(raw, []byte(m)) {
				continue
			}
			if strings.HasPrefix(base, "data.db") && m != markerSearch {
				inData = true
				continue
			}
			t.Errorf("%s holds %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !inData {
		t.Fatal("no marker reached data.db: the report was not stored, so the search proved nothing")
	}
}

// TestQRCodesWaitForThePublicAddress: a fresh server refuses every image
// that would carry an address, saying how to set it; with --public-url the
// code decodes to that address; a local address is refused at start.
func TestQRCodesWaitForThePublicAddress(t *testing.T) {
	dataDir := t.TempDir()
	s := binarytest.Start(t, dataDir, "--demo")
	code, body := get(t, s.URL+"/api/qr/embassy/demo-indonesia/vcard.png", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "--public-url") {
		t.Fatalf("vCard code with no public address = %d %s, want 503 saying --public-url", code, body)
	}
	var apiErr struct{ Status int }
	if err := json.Unmarshal([]byte(body), &apiErr); err != nil || apiErr.Status != http.StatusServiceUnavailable {
		t.Errorf("the refusal is not PocketBase's JSON error shape: %s", body)
	}
	if !strings.Contains(s.Output(), "No official public address") {
		t.Errorf("the start banner should warn about the public address:\n%s", s.Output())
	}
	s.Stop()

	s = binarytest.Start(t, dataDir, "--public-url", "https://homeward.test/")
	code, body = get(t, s.URL+"/api/qr/embassy/demo-indonesia/vcard.png", nil)
	if code != http.StatusOK {
		t.Fatalf("vCard code with the public address set = %d %s", code, body)
	}
	if text := zbar.Decode(t, []byte(body)); !strings.Contains(text, "URL:https://homeward.test/e/demo-indonesia") {
		t.Fatalf("the code carries %q, want the configured address", text)
	}
	if strings.Contains(s.Output(), "official public address") {
		t.Errorf("the public address is set, yet the banner warns about it")
	}
	s.Stop()

	for _, local := range []string{"http://127.0.0.1:8090", "https://localhost", "https://192.168.1.20", "http://homeward.example.org"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, binarytest.Build(t), "serve", "--http", "127.0.0.1:0",
			"--dir", dataDir, "--public-url", local).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), "--public-url") {
			t.Errorf("serve --public-url %s: err %v, output:\n%s\nwant a refusal naming --public-url", local, err, out)
		}
	}
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// TestSuperuserHintNamesTheDataDir: a fresh data dir's start says how to
// create the superuser with a command that opens that data dir; typed
// without its --dir it would make one in another, and sign-ins would
// still fail. On the default data dir the command needs none.
func TestSuperuserHintNamesTheDataDir(t *testing.T) {
	work := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "pb_data")
	s := binarytest.New(t, elsewhere)
	s.WorkDir = work
	s.Start()
	s.Stop()
	if want := "superuser upsert EMAIL PASSWORD --dir " + elsewhere + "\n"; !strings.Contains(s.Output(), want) {
		t.Errorf("on --dir %s the start should say %q; output:\n%s", elsewhere, want, s.Output())
	}

	s = binarytest.New(t, filepath.Join(work, "pb_data"))
	s.WorkDir = work
	s.Start()
	s.Stop()
	// The binary is built into a temp dir, as go run builds it: the
	// default data dir is the working directory's pb_data.
	if want := "go run . superuser upsert EMAIL PASSWORD\n"; !strings.Contains(s.Output(), want) {
		t.Errorf("on the default data dir the start should say %q; output:\n%s", want, s.Output())
	}
}
