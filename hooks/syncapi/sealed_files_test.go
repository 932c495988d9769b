package syncapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// sealedUpload creates a tus upload declared sealed for report.
func (f *fixture) sealedUpload(h header, report string, file []byte) tusAnswer {
	f.t.Helper()
	sum := sha256.Sum256(file)
	return f.tusBody(http.MethodPost, "/api/sync/files/", header{"X-Receipt": h["X-Receipt"], "Upload-Length": strconv.Itoa(len(file)),
		"Upload-Metadata": metadata("report", report, "sealed", "1", "sha256", hex.EncodeToString(sum[:]))}, nil, false)
}

// reportFor pushes a new report to embassy i and returns its id and the
// header that proves it.
func (f *fixture) reportFor(i int) (string, header) {
	f.t.Helper()
	rcpt, report := newReceipt(), newId()
	res := f.push(nil, "g", []op{reportCreate(newId(), report, f.embassy[i], rcpt, nil)})
	if len(res.Results) != 1 || res.Results[0].Status != "applied" {
		f.t.Fatalf("push: %+v", res)
	}
	return report, receipt(rcpt)
}

// TestASealedUploadResumedMidWayIsStoredOnce: a file the phone sealed is
// uploaded in two parts over a cut connection, stored as it came (not
// cleaned, application/octet-stream, sealed_by "phone"), opens with the
// embassy's key as the photo, and sending it again stores nothing more.
func TestASealedUploadResumedMidWayIsStoredOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := testserver.AddEmbassyKey(t, f.app, f.embassy[0], nil)
	photo := testdata(t, "photo.png")
	photo = append(photo, make([]byte, 3*seal.FileChunk)...) // several chunks
	report, h := f.reportFor(0)
	file, err := seal.SealFile(key.Private.PublicKey(), f.embassy[0], key.Kid, report, "image/png", photo)
	if err != nil {
		t.Fatal(err)
	}
	a := f.sealedUpload(h, report, file)
	loc := a.header.Get("Location")
	if a.status != 201 || loc == "" {
		t.Fatalf("create: %d %s", a.status, a.message)
	}
	half := len(file) / 2
	f.cutPatch(t, loc, h, 0, file[:half], len(file))
	offset := 0
	for range 200 {
		_, res := f.tus(http.MethodHead, loc, h, nil)
		if offset, _ = strconv.Atoi(res.Get("Upload-Offset")); offset == half {
			break
		}
	}
	if offset != half {
		t.Fatalf("offset after the cut %d, want %d", offset, half)
	}
	status, res := f.tus(http.MethodPatch, loc, header{"X-Receipt": h["X-Receipt"], "Upload-Offset": strconv.Itoa(offset)}, file[offset:])
	for i := 0; i < 200 && status == http.StatusLocked; i++ {
		status, res = f.tus(http.MethodPatch, loc, header{"X-Receipt": h["X-Receipt"], "Upload-Offset": strconv.Itoa(offset)}, file[offset:])
	}
	if status != 204 || res.Get("Homeward-Attachment") == "" {
		t.Fatalf("resume: %d %v", status, res)
	}
	att, err := f.app.FindRecordById("attachments", res.Get("Homeward-Attachment"))
	if err != nil {
		t.Fatal(err)
	}
	stored := testserver.ReadFile(t, f.app, att, "file")
	sum := sha256.Sum256(file)
	if !bytes.Equal(stored, file) || att.GetString("sha256") != hex.EncodeToString(sum[:]) || att.GetString("mime") != seal.FileMime ||
		att.GetString("sealed_by") != "phone" || att.GetInt("size") != len(file) {
		t.Fatalf("stored %d bytes as %s %s sealed_by %q; want the sealed file as sent", len(stored), att.GetString("mime"), att.GetString("sha256"), att.GetString("sealed_by"))
	}
	if mime, data := key.OpenAttachment(t, f.app, att); mime != "image/png" || !bytes.Equal(data, photo) {
		t.Fatalf("opened as %s, %d bytes", mime, len(data))
	}
	again := f.sealedUpload(h, report, file)
	if again.status != 201 || again.header.Get("Homeward-Attachment") != att.Id || again.header.Get("Upload-Offset") != strconv.Itoa(len(file)) {
		t.Fatalf("re-upload: %d %v, want complete at once", again.status, again.header)
	}
	if n := f.count("attachments"); n != 1 {
		t.Fatalf("%d attachments, want 1", n)
	}
}

// TestMalformedSealedUploadsAreRefused: an upload declared sealed whose
// length cannot be whole chunks is refused before a byte is sent; one that
// is not a sealed file, or is sealed to a key that is not its report's
// embassy's, is refused when complete with bad_sealed_file, and nothing is
// stored.
func TestMalformedSealedUploadsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := testserver.AddEmbassyKey(t, f.app, f.embassy[0], nil)
	other := testserver.AddEmbassyKey(t, f.app, f.embassy[1], nil)
	report, h := f.reportFor(0)
	body := make([]byte, 5000)
	rand.Read(body)
	good, err := seal.SealFile(key.Private.PublicKey(), f.embassy[0], key.Kid, report, "audio/webm", body)
	if err != nil {
		t.Fatal(err)
	}
	otherEmbassy, err := seal.SealFile(other.Private.PublicKey(), f.embassy[1], other.Kid, report, "audio/webm", body)
	if err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Clone(good)
	v2[4] = 2
	notSealed := bytes.Clone(good)
	copy(notSealed, "JUNK")

	if a := f.sealedUpload(h, report, good[:len(good)-1]); a.status != 415 || a.code != "bad_sealed_file" || a.message == "" {
		t.Errorf("a length that fits no chunks: %d %q %q, want 415 bad_sealed_file at creation", a.status, a.code, a.message)
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"another version", v2},
		{"no sealed file at all", notSealed},
		{"sealed to another embassy's key", otherEmbassy},
	} {
		a := f.sealedUpload(h, report, tc.file)
		if a.status != 201 {
			t.Fatalf("%s: create %d %s", tc.name, a.status, a.message)
		}
		p := f.tusBody(http.MethodPatch, a.header.Get("Location"), header{"X-Receipt": h["X-Receipt"], "Upload-Offset": "0"}, tc.file, false)
		if p.status != 415 || p.code != "bad_sealed_file" || p.message == "" {
			t.Errorf("%s: %d %q %q, want 415 bad_sealed_file", tc.name, p.status, p.code, p.message)
		}
		t.Logf("%s: %s", tc.name, p.message)
	}
	if n := f.count("attachments"); n != 0 {
		t.Fatalf("%d attachments stored, want none", n)
	}
}

// TestAPlaintextPhotoToAKeyedEmbassyIsStoredSealed: a photo sent in clear
// (an older phone) for a report of an embassy with a key is cleaned, then
// sealed by the server before it is stored: it opens with the embassy's
// key as the cleaned photo, and neither the photo's bytes nor its GPS
// EXIF is in any file of the data dir. Go code storing an attachment is
// held to the same rule, and a file of no known type that is not sealed
// is refused.
func TestAPlaintextPhotoToAKeyedEmbassyIsStoredSealed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := testserver.AddEmbassyKey(t, f.app, f.embassy[0], nil)
	photo := testdata(t, "photo-with-gps.jpg")
	report, h := f.reportFor(0)
	a := f.tusBody(http.MethodPost, "/api/sync/files/", header{"X-Receipt": h["X-Receipt"], "Upload-Length": strconv.Itoa(len(photo)),
		"Upload-Metadata": metadata("report", report, "filetype", "image/jpeg")}, nil, false)
	p := f.tusBody(http.MethodPatch, a.header.Get("Location"), header{"X-Receipt": h["X-Receipt"], "Upload-Offset": "0"}, photo, false)
	if p.status != 204 || p.header.Get("Homeward-Attachment") == "" {
		t.Fatalf("upload: %d %s", p.status, p.message)
	}
	att, err := f.app.FindRecordById("attachments", p.header.Get("Homeward-Attachment"))
	if err != nil {
		t.Fatal(err)
	}
	if att.GetString("sealed_by") != "server" || att.GetString("mime") != seal.FileMime {
		t.Fatalf("stored as %s, sealed_by %q", att.GetString("mime"), att.GetString("sealed_by"))
	}
	mime, clean := key.OpenAttachment(t, f.app, att)
	if mime != "image/jpeg" || !bytes.HasPrefix(clean, []byte{0xff, 0xd8}) || bytes.Contains(clean, []byte("Exif")) {
		t.Fatalf("opened as %s, %d bytes, EXIF %v", mime, len(clean), bytes.Contains(clean, []byte("Exif")))
	}
	exiftool(t, clean, "GPS", "TestPhone")

	// Go code (and so OpenRosa and the records API) obeys the same rule.
	col, err := f.app.FindCollectionByNameOrId("attachments")
	if err != nil {
		t.Fatal(err)
	}
	file, err := filesystem.NewFileFromBytes(clean, "direct.jpg")
	if err != nil {
		t.Fatal(err)
	}
	direct := core.NewRecord(col)
	direct.Load(map[string]any{"report": report, "file": file, "mime": "image/jpeg"})
	if err := f.app.Save(direct); err != nil {
		t.Fatal(err)
	}
	if direct.GetString("sealed_by") != "server" {
		t.Fatalf("a file saved by Go code: sealed_by %q", direct.GetString("sealed_by"))
	}
	junk := make([]byte, 4000)
	rand.Read(junk)
	file, _ = filesystem.NewFileFromBytes(junk, "junk.bin")
	bad := core.NewRecord(col)
	bad.Load(map[string]any{"report": report, "file": file})
	if err := f.app.Save(bad); err == nil {
		t.Fatal("a file of no known type that is not sealed was stored")
	}

	// The data dir: not the photo's image data (the same before and after
	// cleaning), not its EXIF block.
	exif := bytes.Index(photo, []byte("Exif\x00\x00"))
	if exif < 0 {
		t.Fatal("the test photo has no EXIF")
	}
	for _, part := range [][]byte{photo[len(photo)-300 : len(photo)-200], photo[exif : exif+64], clean[len(clean)/2 : len(clean)/2+64]} {
		testserver.NoFileHolds(t, f.app.DataDir(), string(part))
	}
}

// TestTheRecordsAPIKeepsTheSealedFileRules: a superuser's upload through
// PocketBase's records API (multipart) obeys the same rules: a sealed file
// to the report's embassy is stored as it came, one sealed to another
// embassy is refused with a field error in PocketBase's shape, and a
// plaintext photo is sealed by the server.
func TestTheRecordsAPIKeepsTheSealedFileRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := testserver.AddEmbassyKey(t, f.app, f.embassy[0], nil)
	other := testserver.AddEmbassyKey(t, f.app, f.embassy[1], nil)
	report, _ := f.reportFor(0)
	photo := testdata(t, "photo.png")
	good, err := seal.SealFile(key.Private.PublicKey(), f.embassy[0], key.Kid, report, "image/png", photo)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := seal.SealFile(other.Private.PublicKey(), f.embassy[1], other.Kid, report, "image/png", photo)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, file []byte) (int, map[string]any) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("report", report)
		part, _ := w.CreateFormFile("file", name)
		part.Write(file)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/collections/attachments/records", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", f.suTok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if status, out := upload("sealed.bin", good); status != 200 || out["sealed_by"] != "phone" || out["mime"] != seal.FileMime {
		t.Errorf("a sealed file: %d %v", status, out)
	}
	status, out := upload("wrong.bin", wrong)
	data, _ := out["data"].(map[string]any)
	fileErr, _ := data["file"].(map[string]any)
	if status != 400 || fileErr["code"] != "validation_sealed_file_key" {
		t.Errorf("a file sealed to another embassy: %d %v", status, out)
	}
	status, out = upload("photo.png", photo)
	if status != 200 || out["sealed_by"] != "server" || out["mime"] != seal.FileMime {
		t.Errorf("a plaintext photo: %d %v", status, out)
	}
	if n := f.count("attachments"); n != 2 {
		t.Fatalf("%d attachments, want 2", n)
	}
}
