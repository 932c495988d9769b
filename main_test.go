package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homeward/internal/binarytest"
)

// These tests run the real binary, as an operator would: built with the
// embedded web root, on a fresh data dir, stopped and started again.

func TestMain(m *testing.M) { binarytest.Main(m) }

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	return send(t, http.MethodGet, url, header, "")
}

func TestBinaryServesEmbeddedAppAndSurvivesRestart(t *testing.T) {
	dataDir := t.TempDir()

	s := binarytest.Start(t, dataDir)
	base := s.URL
	// / is the embedded shell (pb_public/index.html) with its stylesheet
	// and first-screen script inline (hooks/web), the script as the
	// server serves it (minified once at start).
	css, err := os.ReadFile(filepath.Join("pb_public", "css", "app.css"))
	if err != nil {
		t.Fatal(err)
	}
	code, script := get(t, base+"/js/first-screen.js", nil)
	if code != http.StatusOK || len(script) < 100 {
		t.Fatalf("GET /js/first-screen.js = %d, %d bytes", code, len(script))
	}
	embedded := []string{string(css), script}
	code, body := get(t, base+"/", nil)
	if code != http.StatusOK || !strings.Contains(body, `<form id="report-form"`) ||
		!strings.Contains(body, "<style>"+embedded[0]+"</style>") || !strings.Contains(body, "<script>"+embedded[1]+"</script>") {
		t.Fatalf("GET / = %d, want the embedded pb_public/index.html with its style and script inline", code)
	}
	if code, body := get(t, base+"/_/", nil); code != http.StatusOK || !strings.Contains(body, "<html") {
		t.Fatalf("GET /_/ = %d, want the dashboard", code)
	}
	if code, _ := get(t, base+"/api/collections/reports/records", nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous reports list = %d, want 401", code)
	}
	if !strings.Contains(s.Output(), "superuser upsert") {
		t.Errorf("a fresh data dir should say how to create the first superuser; output:\n%s", s.Output())
	}
	time.Sleep(time.Second) // PocketBase's setup link would be printed in the background
	s.Stop()
	if strings.Contains(s.Output(), "pbinstal") {
		t.Errorf("PocketBase's setup link is printed beside superuser upsert: one way only; output:\n%s", s.Output())
	}

	// Second start on the same data dir: migrations are already applied and
	// must neither fail nor run again.
	s = binarytest.Start(t, dataDir)
	if code, body := get(t, s.URL+"/api/collections/embassies/records", nil); code != http.StatusOK || !strings.Contains(body, `"items":[]`) {
		t.Fatalf("embassies after restart = %d %s; a plain start must not invent embassies", code, body)
	}
	s.Stop()
}

func TestDemoFlagLoadsMarkedDemoData(t *testing.T) {
	s := binarytest.Start(t, t.TempDir(), "--demo")
	code, body := get(t, s.URL+"/api/collections/embassies/records", nil)
	if code != http.StatusOK || !strings.Contains(body, "DEMO: not a real number") || !strings.Contains(body, `"demo":true`) {
		t.Fatalf("demo embassies = %d %s", code, body)
	}
	if !strings.Contains(s.Output(), "DEMO superuser") {
		t.Errorf("the demo superuser's login should be printed; output:\n%s", s.Output())
	}
	// The start banner's checks come after the demo data is loaded, on
	// the first start too, as the console's checks do.
	if !strings.Contains(s.Output(), "Demo embassies are loaded") {
		t.Errorf("the start banner should say demo data is loaded; output:\n%s", s.Output())
	}
	s.Stop()
}

// TestNoClientAddressInDataDir sends anonymous traffic through every
// public route (pages, sync push and pull with a receipt, wrong receipts, a
// tus photo upload, QR scans and checks), with forged forwarding headers
// too, and then searches every file of the data dir for the addresses, the
// browser's user agent and the phone's device id: none may appear.
func TestNoClientAddressInDataDir(t *testing.T) {
	dataDir := t.TempDir()
	s := binarytest.Start(t, dataDir, "--demo")
	base := s.URL

	const forged = "203.0.113.77"
	const probe = "ipprobe7319"
	header := map[string]string{"X-Forwarded-For": forged, "X-Real-IP": forged, "User-Agent": "probe-agent"}
	for _, path := range []string{
		"/", "/?" + probe, "/volunteer", "/staff/", "/verify", "/e", "/e/demo-indonesia",
		"/q/not-a-real-token", "/.well-known/jwks.json", "/api/qr/embassy/demo-indonesia/vcard.png",
		"/api/health?" + probe,
		"/api/collections/reports/records?" + probe,
		"/api/collections/messages/records?" + probe,
		"/api/nope?" + probe,
	} {
		get(t, base+path, header)
	}
	anonymousSync(t, base, header)
	send(t, http.MethodPost, base+"/api/qr/verify", header, `{"token":"not-a-token"}`)
	s.Stop() // flushes the request log

	// The addresses, the user agent, and the anonymous phone's device id
	// (anonymousSync's "probe-phone").
	needles := []string{"127.0.0.1", forged, "probe-agent", "probe-phone"}
	var sawProbe bool
	err := filepath.Walk(dataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(probe)) {
			sawProbe = true
		}
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				return fmt.Errorf("%s contains the client's %s", path, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawProbe {
		t.Fatal("the request log holds none of the probe requests, so the search proved nothing")
	}
}

// anonymousSync files a report with a receipt, a message, a photo by tus,
// pulls with the right and a wrong receipt, as a reporter's phone would.
func anonymousSync(t *testing.T, base string, header map[string]string) {
	t.Helper()
	_, body := get(t, base+"/api/collections/embassies/records", nil)
	var list struct {
		Items []struct {
			Id string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) == 0 {
		t.Fatalf("embassies: %v %s", err, body)
	}
	const receipt = "4821 0937 5512 8064 2296"
	const report = "ipprobereport0000001"
	push := `{"device":"probe-phone","ops":[` +
		`{"op":"o1","kind":"create","collection":"reports","id":"` + report + `","receipt":"` + receipt + `",` +
		`"data":{"embassy":"` + list.Items[0].Id + `","message":"probe","consent_version":"v1"}},` +
		`{"op":"o2","kind":"create","collection":"messages","id":"ipprobemessage1","receipt":"` + receipt + `",` +
		`"data":{"report":"` + report + `","body":"hello"}}]}`
	if code, body := send(t, http.MethodPost, base+"/api/sync/push", header, push); code != http.StatusOK || strings.Count(body, `"applied"`) != 2 {
		t.Fatalf("push = %d %s", code, body)
	}
	withReceipt := func(r string) map[string]string {
		h := map[string]string{"X-Receipt": r}
		for k, v := range header {
			h[k] = v
		}
		return h
	}
	if code, _ := get(t, base+"/api/sync/pull", withReceipt(receipt)); code != http.StatusOK {
		t.Fatalf("pull with the receipt = %d", code)
	}
	if code, _ := get(t, base+"/api/sync/pull", withReceipt("1111 2222 3333 4444 5555")); code != http.StatusNotFound {
		t.Fatalf("pull with a wrong receipt = %d, want 404", code)
	}

	photo := smallPNG(t)
	h := withReceipt(receipt)
	h["Tus-Resumable"] = "1.0.0"
	h["Upload-Length"] = fmt.Sprint(len(photo))
	h["Upload-Metadata"] = "report " + base64.StdEncoding.EncodeToString([]byte(report))
	res := do(t, http.MethodPost, base+"/api/sync/files/", h, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("tus create = %d", res.StatusCode)
	}
	h["Content-Type"] = "application/offset+octet-stream"
	h["Upload-Offset"] = "0"
	delete(h, "Upload-Length")
	delete(h, "Upload-Metadata")
	res = do(t, http.MethodPatch, base+res.Header.Get("Location"), h, photo)
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Homeward-Attachment") == "" {
		t.Fatalf("tus patch = %d", res.StatusCode)
	}
}

func send(t *testing.T, method, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	res := do(t, method, url, header, []byte(body))
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

func do(t *testing.T, method, url string, header map[string]string, body []byte) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// smallPNG is a 16×16 photo for upload tests.
func smallPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestACommandThatFailsExitsNonZero runs the README's first-accounts
// commands, and commands that must fail, as a setup script would: each
// failure (a refused value, a taken slug, an unknown command or flag, a
// missing argument) exits 1 after printing why, and each success exits 0.
func TestACommandThatFailsExitsNonZero(t *testing.T) {
	bin := binarytest.Build(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"superuser", "upsert", "admin@homeward.example", "short"}, 1, "at least"},
		{[]string{"superuser", "upsert", "admin@homeward.example", "a long passphrase of our own"}, 0, "saved superuser"},
		{[]string{"embassy", "add", "testland", "--name", "Embassy of Testland", "--country", "Testland", "--hotline", "+000 23 000 000"}, 0, "Embassy testland added"},
		{[]string{"embassy", "add", "testland", "--name", "Embassy of Testland", "--country", "Testland"}, 1, "testland"},
		{[]string{"embassy", "add", "Bad_Slug", "--name", "x", "--country", "y"}, 1, "slug"},
		{[]string{"embassy", "add"}, 1, "accepts 1 arg"},
		{[]string{"staff", "add", "officer@embassy.example", "--embassy", "nowhere"}, 1, "nowhere"},
		// Demo data is never loaded beside real data.
		{[]string{"serve", "--demo", "--http", "127.0.0.1:0"}, 1, "--demo refused: this data dir holds real data"},
		{[]string{"no-such-command"}, 1, `unknown command "no-such-command"`},
		{[]string{"serve", "--no-such-flag"}, 1, "unknown flag"},
		{[]string{}, 0, "Available Commands"},
	} {
		cmd := exec.Command(bin, append(c.args, "--dir", dir)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("homeward %v: %v", c.args, err)
		}
		if code != c.code || !strings.Contains(string(out), c.says) {
			t.Errorf("homeward %v exited %d, want %d, saying %q; it printed:\n%s", c.args, code, c.code, c.says, out)
		}
	}
}

// TestEscrowKeygenLeavesOnlyTheKey: on the escrow holder's offline
// machine, "escrow keygen" writes the private key (mode 0600) and prints
// the public key, and leaves nothing else: no data dir is opened for it.
func TestEscrowKeygenLeavesOnlyTheKey(t *testing.T) {
	bin := binarytest.Build(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "escrow", "keygen", "--out", "escrow.pem")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Public key") {
		t.Fatalf("escrow keygen: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "escrow.pem" {
		t.Fatalf("the directory holds %v, want escrow.pem alone", entries)
	}
	if info, err := entries[0].Info(); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("escrow.pem: %v %v, want mode 0600", info.Mode(), err)
	}
	// A second run refuses to overwrite the key, and says why.
	again := exec.Command(bin, "escrow", "keygen", "--out", "escrow.pem")
	again.Dir = dir
	if out, err := again.CombinedOutput(); err == nil || !strings.Contains(string(out), "exists") {
		t.Fatalf("a second keygen over the key: %v\n%s", err, out)
	}
}
