package syncapi_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"homeward/hooks/syncapi"
	"homeward/internal/binarytest"
	"homeward/internal/media/mediatest"
	"homeward/internal/testserver"
)

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	return testserver.TestData(t, name)
}

// tus sends one tus request and returns the answer's status and headers.
func (f *fixture) tus(method, path string, h header, body []byte) (int, http.Header) {
	f.t.Helper()
	a := f.tusBody(method, path, h, body, false)
	return a.status, a.header
}

func metadata(kv ...string) string {
	var parts []string
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

// cutPatch sends a PATCH announcing the whole rest of the file but
// delivers only part of it, then drops the connection, as a 2G link does.
func (f *fixture) cutPatch(t *testing.T, location string, h header, offset int, part []byte, announced int) {
	u, _ := url.Parse(f.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: %d\r\nContent-Length: %d\r\n", location, u.Host, offset, announced)
	for k, v := range h {
		fmt.Fprintf(w, "%s: %s\r\n", k, v)
	}
	w.WriteString("\r\n")
	w.Write(part)
	w.Flush()
	conn.Close()
}

func TestResumableUploadAfterACutConnectionStripsMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	photo := testdata(t, "photo-with-gps.jpg")
	rcpt, report := newReceipt(), newId()
	f.push(nil, "g", []op{reportCreate("1", report, f.embassy[0], rcpt, nil)})
	h := receipt(rcpt)

	status, res := f.tus(http.MethodPost, "/api/sync/files/", header{"X-Receipt": rcpt, "Upload-Length": strconv.Itoa(len(photo)),
		"Upload-Metadata": metadata("report", report, "filetype", "image/jpeg")}, nil)
	loc := res.Get("Location")
	if status != 201 || loc == "" {
		t.Fatalf("create: %d %v", status, res)
	}

	half := len(photo) / 2
	f.cutPatch(t, loc, h, 0, photo[:half], len(photo))
	// The server keeps what arrived; ask where to resume (the handler may
	// still be finishing the cut request).
	offset := 0
	for range 200 {
		_, res = f.tus(http.MethodHead, loc, h, nil)
		if offset, _ = strconv.Atoi(res.Get("Upload-Offset")); offset == half {
			break
		}
	}
	if offset != half {
		t.Fatalf("offset after the cut %d, want %d", offset, half)
	}
	// Resuming from a wrong offset is refused (423 while the cut request
	// is still being wound up).
	status = http.StatusLocked
	for i := 0; i < 200 && status == http.StatusLocked; i++ {
		status, _ = f.tus(http.MethodPatch, loc, header{"X-Receipt": rcpt, "Upload-Offset": "0"}, photo)
	}
	if status != 409 {
		t.Fatalf("patch at a wrong offset: %d, want 409", status)
	}
	status, res = f.tus(http.MethodPatch, loc, header{"X-Receipt": rcpt, "Upload-Offset": strconv.Itoa(offset)}, photo[offset:])
	if status != 204 || res.Get("Upload-Offset") != strconv.Itoa(len(photo)) || res.Get("Homeward-Attachment") == "" {
		t.Fatalf("resume: %d %v", status, res)
	}

	att, err := f.app.FindRecordById("attachments", res.Get("Homeward-Attachment"))
	if err != nil {
		t.Fatal(err)
	}
	stored := testserver.ReadFile(t, f.app, att, "file")
	sum := sha256.Sum256(stored)
	if hex.EncodeToString(sum[:]) != att.GetString("sha256") || att.GetString("mime") != "image/jpeg" || att.GetInt("size") != len(stored) {
		t.Fatalf("attachment %v does not describe the stored file", att)
	}
	if bytes.Contains(stored, []byte("TestPhone")) || bytes.Contains(stored, []byte("Exif")) {
		t.Fatal("stored photo still carries EXIF")
	}
	exiftool(t, stored, "GPS", "TestPhone", "Model X")

	// Sending the same file again (named by its hash) is free.
	src := sha256.Sum256(photo)
	status, res = f.tus(http.MethodPost, "/api/sync/files/", header{"X-Receipt": rcpt, "Upload-Length": strconv.Itoa(len(photo)),
		"Upload-Metadata": metadata("report", report, "sha256", hex.EncodeToString(src[:]))}, nil)
	if status != 201 || res.Get("Upload-Offset") != strconv.Itoa(len(photo)) || res.Get("Homeward-Attachment") != att.Id {
		t.Fatalf("re-upload: %d %v, want complete at once", status, res)
	}
	if n := f.count("attachments"); n != 1 {
		t.Fatalf("%d attachments, want 1", n)
	}
}

// exiftool checks, when exiftool is installed, that none of the words
// appear in what it reads from the file.
func exiftool(t *testing.T, file []byte, words ...string) {
	t.Helper()
	out, ok := mediatest.ExiftoolReads(t, file)
	if !ok {
		return
	}
	for _, w := range words {
		if strings.Contains(out, w) {
			t.Fatalf("exiftool still finds %q:\n%s", w, out)
		}
	}
}

func TestUploadRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	_, tokB := f.registerDevice(1)
	rcpt, report, volReport := newReceipt(), newId(), newId()
	f.push(nil, "g", []op{reportCreate("1", report, f.embassy[0], rcpt, nil)})
	f.push(device(tok), "v", []op{reportCreate("1", volReport, f.embassy[0], "", nil)})
	png := testdata(t, "photo.png")

	create := func(h header, report string, length int) (int, string) {
		h2 := header{"Upload-Length": strconv.Itoa(length), "Upload-Metadata": metadata("report", report)}
		for k, v := range h {
			h2[k] = v
		}
		status, res := f.tus(http.MethodPost, "/api/sync/files/", h2, nil)
		return status, res.Get("Location")
	}
	cases := []struct {
		name   string
		h      header
		report string
		length int
		want   int
	}{
		{"report not synced yet", receipt(rcpt), newId(), 10, 409},
		{"guest without the receipt", nil, report, 10, 401},
		{"no report named", receipt(rcpt), "", 10, 400},
		{"guest with another receipt", receipt(newReceipt()), report, 10, 404},
		{"volunteer B on A's report", device(tokB), volReport, 10, 403},
		{"staff", bearer(f.staffTok[0]), report, 10, 403},
		{"too large", receipt(rcpt), report, 11 << 20, 413},
		{"volunteer on its report", device(tok), volReport, 10, 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, _ := create(tc.h, tc.report, tc.length); status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
		})
	}

	// Another caller cannot see or continue someone's upload.
	_, loc := create(receipt(rcpt), report, len(png))
	if status, _ := f.tus(http.MethodHead, loc, device(tok), nil); status != 404 {
		t.Fatalf("HEAD by another caller: %d, want 404", status)
	}
	if status, _ := f.tus(http.MethodPatch, loc, header{"X-Receipt": rcpt, "Upload-Offset": "0"}, png); status != 204 {
		t.Fatalf("PNG upload: %d", status)
	}
	atts, _ := f.app.FindAllRecords("attachments")
	fsys, _ := f.app.NewFilesystem()
	defer fsys.Close()
	r, err := fsys.GetReader(atts[0].BaseFilesPath() + "/" + atts[0].GetString("file"))
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(r)
	r.Close()
	if bytes.Contains(stored, []byte("secret location")) || bytes.Contains(stored, []byte("tEXt")) {
		t.Fatal("stored PNG keeps its text chunk")
	}
	exiftool(t, stored, "secret location")

	// Something that is neither a photo nor a voice note is refused.
	text := []byte("just some text, not a photo")
	_, loc = create(receipt(rcpt), report, len(text))
	if status, _ := f.tus(http.MethodPatch, loc, header{"X-Receipt": rcpt, "Upload-Offset": "0"}, text); status != 415 {
		t.Fatalf("text upload: %d, want 415", status)
	}
	// A client speaking another tus version is told which one to use.
	req, _ := http.NewRequest(http.MethodOptions, f.srv.URL+"/api/sync/files/", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Tus-Version") != "1.0.0" || res.Header.Get("Tus-Extension") != "creation" {
		t.Fatalf("OPTIONS headers %v", res.Header)
	}
}

func TestVoiceNotesInPhoneContainersAreStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.registerDevice(0)
	report := newId()
	f.push(device(tok), "v", []op{reportCreate("1", report, f.embassy[0], "", nil)})
	want := map[string]string{"webm": "audio/webm", "ogg": "audio/ogg", "m4a": "audio/mp4", "aac": "audio/aac", "mp3": "audio/mpeg"}
	for name, sample := range mediatest.AudioSamples() {
		t.Run(name, func(t *testing.T) {
			h := header{"Authorization": "Device " + tok, "Upload-Length": strconv.Itoa(len(sample)), "Upload-Metadata": metadata("report", report)}
			status, res := f.tus(http.MethodPost, "/api/sync/files/", h, nil)
			if status != 201 {
				t.Fatalf("create: %d", status)
			}
			status, res = f.tus(http.MethodPatch, res.Get("Location"), header{"Authorization": "Device " + tok, "Upload-Offset": "0"}, sample)
			if status != 204 {
				t.Fatalf("upload: %d", status)
			}
			att, err := f.app.FindRecordById("attachments", res.Get("Homeward-Attachment"))
			if err != nil {
				t.Fatal(err)
			}
			if att.GetString("mime") != want[name] {
				t.Fatalf("mime %q, want %q", att.GetString("mime"), want[name])
			}
			if name == "mp3" && att.GetInt("size") >= len(sample) {
				t.Fatal("the MP3's ID3 tag was kept")
			}
		})
	}
}

// TestTusDiscoveryOnTheRealServer: the binary, where PocketBase's CORS
// middleware answers every OPTIONS request before any route, announces tus
// to OPTIONS on the upload endpoint (tus 1.0.0: Tus-Version on a
// successful OPTIONS), to a tus client and to a browser's preflight alike.
func TestTusDiscoveryOnTheRealServer(t *testing.T) {
	b := binarytest.Start(t, t.TempDir())
	for _, origin := range []string{"", "https://volunteer.example"} {
		req, err := http.NewRequest(http.MethodOptions, b.URL+"/api/sync/files/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if res.StatusCode/100 != 2 || h.Get("Tus-Version") != "1.0.0" || h.Get("Tus-Resumable") != "1.0.0" ||
			h.Get("Tus-Extension") != "creation" || h.Get("Tus-Max-Size") == "" {
			t.Errorf("OPTIONS (origin %q): %d %v", origin, res.StatusCode, h)
		}
	}
}

// TestUploadsBegunTogetherStillStopAtTheAttachmentLimit: a phone may
// begin many uploads for one report before it finishes any, so each
// finds the report with no attachment when it begins. The limit on a
// report's attachments holds where they are stored: the one past it is
// refused (413 too_many_attachments) and dropped.
func TestUploadsBegunTogetherStillStopAtTheAttachmentLimit(t *testing.T) {
	f := newFixture(t)
	rcpt, report := newReceipt(), newId()
	f.push(nil, "g", []op{reportCreate("1", report, f.embassy[0], rcpt, nil)})
	h := receipt(rcpt)
	photos := make([][]byte, syncapi.MaxAttachments+1)
	locs := make([]string, len(photos))
	for i := range photos {
		photos[i] = mediatest.OrientedJPEG(8+i, 8, 1, "")
		a := f.tusBody(http.MethodPost, "/api/sync/files/", header{"X-Receipt": rcpt, "Upload-Length": strconv.Itoa(len(photos[i])),
			"Upload-Metadata": metadata("report", report, "filetype", "image/jpeg")}, nil, false)
		if a.status != http.StatusCreated {
			t.Fatalf("begin upload %d: %d %s", i, a.status, a.message)
		}
		locs[i] = a.header.Get("Location")
	}
	for i, loc := range locs {
		a := f.tusBody(http.MethodPatch, loc, header{"X-Receipt": rcpt, "Upload-Offset": "0"}, photos[i], false)
		switch {
		case i < syncapi.MaxAttachments && (a.status != http.StatusNoContent || a.header.Get("Homeward-Attachment") == ""):
			t.Fatalf("upload %d: %d %s", i, a.status, a.message)
		case i == syncapi.MaxAttachments && (a.status != http.StatusRequestEntityTooLarge || a.code != "too_many_attachments"):
			t.Fatalf("upload %d, past the limit: %d %q, want 413 too_many_attachments", i, a.status, a.code)
		}
	}
	if n := f.count("attachments"); n != syncapi.MaxAttachments {
		t.Fatalf("%d attachments stored, want %d", n, syncapi.MaxAttachments)
	}
	if a := f.tusBody(http.MethodHead, locs[syncapi.MaxAttachments], h, nil, false); a.status != http.StatusNotFound {
		t.Fatalf("the refused upload answers HEAD %d, want 404 (dropped)", a.status)
	}
}
