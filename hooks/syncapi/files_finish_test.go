package syncapi_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/media/mediatest"
	"homeward/internal/testserver"
)

// tusAnswer is a tus answer with its body's error code.
type tusAnswer struct {
	status  int
	header  http.Header
	code    string
	message string
}

// tusBody sends one tus request and reads the answer's error code; body
// is sent with a known Content-Length unless chunked is set.
func (f *fixture) tusBody(method, path string, h header, body []byte, chunked bool) tusAnswer {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // no length known: sent chunked
		}
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Message string
		Data    struct{ Code string }
	}
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &out)
	return tusAnswer{status: res.StatusCode, header: res.Header, code: out.Data.Code, message: out.Message}
}

// startUpload creates an upload of length bytes for a new report and
// returns its location and the receipt that proves it.
func (f *fixture) startUpload(t *testing.T, length int) (loc string, h header) {
	t.Helper()
	rcpt, report := newReceipt(), newId()
	f.push(nil, "g", []op{reportCreate(newId(), report, f.embassy[0], rcpt, nil)})
	h = receipt(rcpt)
	a := f.tusBody(http.MethodPost, "/api/sync/files/", header{"X-Receipt": rcpt, "Upload-Length": strconv.Itoa(length),
		"Upload-Metadata": metadata("report", report)}, nil, false)
	if a.status != http.StatusCreated || a.header.Get("Location") == "" {
		t.Fatalf("create: %d %v", a.status, a.header)
	}
	return a.header.Get("Location"), h
}

func patchAt(h header, offset int) header {
	out := header{"Upload-Offset": strconv.Itoa(offset)}
	for k, v := range h {
		out[k] = v
	}
	return out
}

// mp4Box builds an ISO BMFF box.
func mp4Box(kind string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(out, kind...), body...)
}

// heicSample is an iPhone photo's layout: an ftyp box with HEIF brands, a
// meta box (item info and locations), and the media data where its EXIF
// (with GPS) lies.
func heicSample() []byte {
	return bytes.Join([][]byte{
		mp4Box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")),
		mp4Box("meta", make([]byte, 4), mp4Box("hdlr", make([]byte, 8), []byte("pict"), make([]byte, 13))),
		mp4Box("mdat", []byte("Exif\x00\x00MM\x00\x2a GPS 11.5564 104.9282"), make([]byte, 64)),
	}, nil)
}

// TestFailedFinishNeverLooksComplete: when storing a complete upload
// fails, HEAD never answers Upload-Offset = Upload-Length without a stored
// attachment. A failure that may pass (a hook, a busy database, a full
// disk) leaves the upload resumable one byte short, and sending that byte
// again stores it; a file refused for good is answered 415
// unsupported_file and the upload is gone (404), so a client starts over
// or gives up instead of taking it for sent.
func TestFailedFinishNeverLooksComplete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	photo := testdata(t, "photo-with-gps.jpg")
	var failure atomic.Pointer[error] // what a hook answers the attachment's save with
	f.app.OnRecordCreate("attachments").BindFunc(func(e *core.RecordEvent) error {
		if err := failure.Load(); err != nil && *err != nil {
			return *err
		}
		return e.Next()
	})
	var notSet error

	cases := []struct {
		name      string
		file      []byte
		fail      error
		status    int
		code      string
		resumable bool
	}{
		{"a hook refuses the save", photo, errors.New("disk full"), http.StatusInternalServerError, "", true},
		{"the collection refuses the stored file", photo, validation.Errors{"file": validation.NewError("validation_invalid_mime_type", "refused")},
			http.StatusUnsupportedMediaType, "unsupported_file", false},
		{"not a photo or a voice note", []byte("just some text, not a photo"), notSet, http.StatusUnsupportedMediaType, "unsupported_file", false},
		{"a HEIC photo", heicSample(), notSet, http.StatusUnsupportedMediaType, "unsupported_file", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.count("attachments")
			loc, h := f.startUpload(t, len(tc.file))
			failure.Store(&tc.fail)
			a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), tc.file, false)
			failure.Store(nil)
			if a.status != tc.status || a.code != tc.code || a.header.Get("Homeward-Attachment") != "" {
				t.Fatalf("PATCH of every byte: %d %q %q, want %d %q and no attachment", a.status, a.code, a.message, tc.status, tc.code)
			}
			if n := f.count("attachments"); n != before {
				t.Fatalf("%d attachments after the failure, want %d", n, before)
			}
			if want := strconv.Itoa(len(tc.file) - 1); tc.resumable != (a.header.Get("Upload-Offset") == want) {
				t.Fatalf("the failed PATCH says Upload-Offset %q (resumable: %v)", a.header.Get("Upload-Offset"), tc.resumable)
			}
			head := f.tusBody(http.MethodHead, loc, h, nil, false)
			if !tc.resumable {
				if head.status != http.StatusNotFound {
					t.Fatalf("HEAD after a refusal: %d, want 404 so the client starts over", head.status)
				}
				return
			}
			last := len(tc.file) - 1
			if head.status != http.StatusOK || head.header.Get("Upload-Offset") != strconv.Itoa(last) ||
				head.header.Get("Upload-Length") != strconv.Itoa(len(tc.file)) || head.header.Get("Homeward-Attachment") != "" {
				t.Fatalf("HEAD after a failed finish: %d %v, want offset %d of %d and no attachment", head.status, head.header, last, len(tc.file))
			}
			// Resuming as tus does sends the held-back byte; now it is stored.
			a = f.tusBody(http.MethodPatch, loc, patchAt(h, last), tc.file[last:], false)
			att := a.header.Get("Homeward-Attachment")
			if a.status != http.StatusNoContent || a.header.Get("Upload-Offset") != strconv.Itoa(len(tc.file)) || att == "" {
				t.Fatalf("resume after the failure: %d %q %v", a.status, a.message, a.header)
			}
			rec, err := f.app.FindRecordById("attachments", att)
			if err != nil {
				t.Fatal(err)
			}
			if stored := testserver.ReadFile(t, f.app, rec, "file"); len(stored) == 0 || bytes.Contains(stored, []byte("Exif")) {
				t.Fatal("the stored photo is empty or keeps its EXIF")
			}
			head = f.tusBody(http.MethodHead, loc, h, nil, false)
			if head.header.Get("Upload-Offset") != strconv.Itoa(len(tc.file)) || head.header.Get("Homeward-Attachment") != att {
				t.Fatalf("HEAD once stored: %v", head.header)
			}
		})
	}
}

// TestHEICIsRefusedWithAClearReason: a HEIC photo is answered 415
// unsupported_file, saying to send JPEG; never 400 validation errors.
func TestHEICIsRefusedWithAClearReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	heic := heicSample()
	loc, h := f.startUpload(t, len(heic))
	a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), heic, false)
	if a.status != http.StatusUnsupportedMediaType || a.code != "unsupported_file" || !bytes.Contains([]byte(a.message), []byte("JPEG")) {
		t.Fatalf("HEIC upload: %d %q %q", a.status, a.code, a.message)
	}
	// A client that names the type is told at creation, before sending.
	rcpt, report := newReceipt(), newId()
	f.push(nil, "g", []op{reportCreate(newId(), report, f.embassy[0], rcpt, nil)})
	for _, typ := range []string{"image/heic", "image/HEIF", "image/avif"} {
		a = f.tusBody(http.MethodPost, "/api/sync/files/", header{"X-Receipt": rcpt, "Upload-Length": strconv.Itoa(len(heic)),
			"Upload-Metadata": metadata("report", report, "filetype", typ)}, nil, false)
		if a.status != http.StatusUnsupportedMediaType || a.code != "unsupported_file" || a.header.Get("Location") != "" {
			t.Fatalf("creating a %s upload: %d %q, want 415 unsupported_file", typ, a.status, a.code)
		}
	}
}

// TestPatchesThatDoNotFitStoreNothing: every PATCH whose bytes do not fit
// the upload where the server has it (past Upload-Length, with a known
// length or chunked, a Content-Length past the end on a cut connection,
// a wrong or unreadable offset, bytes after completion) is refused with a
// 4xx and leaves the upload as it was; the right PATCH then completes it
// with the file's own bytes.
func TestPatchesThatDoNotFitStoreNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	png := testdata(t, "photo.png") // 332 bytes
	long := append(bytes.Clone(png), bytes.Repeat([]byte("X"), 445-len(png))...)

	cases := []struct {
		name    string
		sent    int // bytes sent rightly before
		send    func(loc string, h header) tusAnswer
		status  int
		code    string
		trusted bool // the answer's Upload-Offset says where the server is
	}{
		{"445 bytes to a 332-byte upload", 0, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 0), long, false)
		}, 413, "upload_length_exceeded", true},
		{"445 bytes to a 332-byte upload, chunked", 0, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 0), long, true)
		}, 413, "upload_length_exceeded", true},
		{"past the end after 100 bytes", 100, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 100), long[100:], false)
		}, 413, "upload_length_exceeded", true},
		{"past the end after 100 bytes, chunked", 100, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 100), long[100:], true)
		}, 413, "upload_length_exceeded", true},
		{"one byte past the end", 331, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 331), []byte{png[331], 0}, false)
		}, 413, "upload_length_exceeded", true},
		{"Content-Length past the end, connection cut", 0, func(loc string, h header) tusAnswer {
			f.cutPatch(t, loc, h, 0, long[:200], len(long))
			return tusAnswer{}
		}, 0, "", false},
		{"offset ahead of the server's", 100, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 200), png[200:], false)
		}, 409, "upload_offset_mismatch", true},
		{"offset behind the server's", 100, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, patchAt(h, 50), png[50:], false)
		}, 409, "upload_offset_mismatch", true},
		{"offset not a number", 100, func(loc string, h header) tusAnswer {
			return f.tusBody(http.MethodPatch, loc, header{"X-Receipt": h["X-Receipt"], "Upload-Offset": "-1"}, png[100:], false)
		}, 400, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc, h := f.startUpload(t, len(png))
			if tc.sent > 0 {
				if a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), png[:tc.sent], false); a.status != 204 {
					t.Fatalf("first %d bytes: %d", tc.sent, a.status)
				}
			}
			a := tc.send(loc, h)
			if a.status != tc.status || a.code != tc.code {
				t.Fatalf("answer %d %q (%s), want %d %q", a.status, a.code, a.message, tc.status, tc.code)
			}
			if tc.trusted && a.header.Get("Upload-Offset") != strconv.Itoa(tc.sent) {
				t.Fatalf("the refusal says Upload-Offset %q, want %d", a.header.Get("Upload-Offset"), tc.sent)
			}
			// The server holds what it held before, no byte more (HEAD may
			// meet a cut request still winding up: 423 is no answer yet).
			var head tusAnswer
			for range 200 {
				if head = f.tusBody(http.MethodHead, loc, h, nil, false); head.header.Get("Upload-Offset") == strconv.Itoa(tc.sent) {
					break
				}
			}
			if head.header.Get("Upload-Offset") != strconv.Itoa(tc.sent) {
				t.Fatalf("HEAD after the refusal: offset %q, want %d", head.header.Get("Upload-Offset"), tc.sent)
			}
			done := f.tusBody(http.MethodPatch, loc, patchAt(h, tc.sent), png[tc.sent:], false)
			for i := 0; i < 200 && done.status == http.StatusLocked; i++ {
				done = f.tusBody(http.MethodPatch, loc, patchAt(h, tc.sent), png[tc.sent:], false)
			}
			if done.status != 204 || done.header.Get("Homeward-Attachment") == "" {
				t.Fatalf("the right PATCH after the refusal: %d %q", done.status, done.message)
			}
		})
	}

	// After completion: more bytes are refused, an empty PATCH at the end
	// is answered again, a PATCH from the start is told where it stands.
	loc, h := f.startUpload(t, len(png))
	first := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), png, false)
	att := first.header.Get("Homeward-Attachment")
	if first.status != 204 || att == "" {
		t.Fatalf("upload: %d", first.status)
	}
	rec, _ := f.app.FindRecordById("attachments", att)
	stored := testserver.ReadFile(t, f.app, rec, "file")
	end := len(png)
	after := []struct {
		name   string
		h      header
		body   []byte
		status int
		code   string
	}{
		{"a chunk after completion", patchAt(h, end), []byte("more"), 413, "upload_length_exceeded"},
		{"a chunked chunk after completion", patchAt(h, end), []byte("more"), 413, "upload_length_exceeded"},
		{"the whole file again from 0", patchAt(h, 0), png, 409, "upload_offset_mismatch"},
		{"an empty PATCH at the end", patchAt(h, end), []byte{}, 204, ""},
	}
	for i, tc := range after {
		a := f.tusBody(http.MethodPatch, loc, tc.h, tc.body, i == 1)
		if a.status != tc.status || a.code != tc.code || a.header.Get("Upload-Offset") != strconv.Itoa(end) {
			t.Fatalf("%s: %d %q offset %q, want %d %q offset %d", tc.name, a.status, a.code, a.header.Get("Upload-Offset"), tc.status, tc.code, end)
		}
		if tc.status == 204 && a.header.Get("Homeward-Attachment") != att {
			t.Fatalf("%s: attachment %q, want %q", tc.name, a.header.Get("Homeward-Attachment"), att)
		}
	}
	rec, _ = f.app.FindRecordById("attachments", att)
	if again := testserver.ReadFile(t, f.app, rec, "file"); !bytes.Equal(again, stored) {
		t.Fatal("the stored file changed after completion")
	}
}

// TestUploadedTagsNeverReachStorage: each tagged sample goes through tus;
// the stored bytes carry no location marker, or the file is refused 415
// unsupported_file and nothing is stored.
func TestUploadedTagsNeverReachStorage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, s := range mediatest.TaggedSamples() {
		t.Run(s.Name, func(t *testing.T) {
			before := f.count("attachments")
			loc, h := f.startUpload(t, len(s.File))
			a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), s.File, false)
			if s.Mime == "" {
				if a.status != http.StatusUnsupportedMediaType || a.code != "unsupported_file" || f.count("attachments") != before {
					t.Fatalf("answer %d %q (%s), want 415 unsupported_file and nothing stored", a.status, a.code, a.message)
				}
				return
			}
			if a.status != http.StatusNoContent {
				t.Fatalf("upload: %d %q %q", a.status, a.code, a.message)
			}
			rec, err := f.app.FindRecordById("attachments", a.header.Get("Homeward-Attachment"))
			if err != nil {
				t.Fatal(err)
			}
			stored := testserver.ReadFile(t, f.app, rec, "file")
			if rec.GetString("mime") != s.Mime || len(stored) == 0 {
				t.Fatalf("stored %d bytes as %q, want %q", len(stored), rec.GetString("mime"), s.Mime)
			}
			for _, secret := range []string{mediatest.TagPlace, "11.5564", "104.9282", "Somchai"} {
				if bytes.Contains(stored, []byte(secret)) {
					t.Fatalf("the stored file still carries %q", secret)
				}
			}
		})
	}
}

// TestACrashAfterStoringResumesToTheSameAttachment: a crash after the
// attachment was stored and before the upload's state was written leaves
// every byte on disk and no attachment named. HEAD must not call that
// complete; the byte sent again finds the stored file and names it, and
// nothing is stored twice.
func TestACrashAfterStoringResumesToTheSameAttachment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	png := testdata(t, "photo.png")
	loc, h := f.startUpload(t, len(png))
	a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), png, false)
	att := a.header.Get("Homeward-Attachment")
	if a.status != 204 || att == "" {
		t.Fatalf("upload: %d", a.status)
	}
	// Put the upload back as the crash left it.
	dir := filepath.Join(f.app.DataDir(), "sync_uploads")
	id := filepath.Base(loc)
	infoPath := filepath.Join(dir, id+".json")
	raw, err := os.ReadFile(infoPath)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	json.Unmarshal(raw, &info)
	delete(info, "attachment")
	raw, _ = json.Marshal(info)
	if err := os.WriteFile(infoPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".bin"), png, 0o600); err != nil {
		t.Fatal(err)
	}

	head := f.tusBody(http.MethodHead, loc, h, nil, false)
	last := len(png) - 1
	if head.header.Get("Upload-Offset") != strconv.Itoa(last) || head.header.Get("Homeward-Attachment") != "" {
		t.Fatalf("HEAD after the crash: %v, want offset %d and no attachment", head.header, last)
	}
	a = f.tusBody(http.MethodPatch, loc, patchAt(h, last), png[last:], false)
	if a.status != 204 || a.header.Get("Homeward-Attachment") != att {
		t.Fatalf("resume: %d %q, want the stored attachment %s", a.status, a.header.Get("Homeward-Attachment"), att)
	}
	if n := f.count("attachments"); n != 1 {
		t.Fatalf("%d attachments, want 1", n)
	}
}
