package syncapi_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestARecordedM4AStillPlaysAfterCleaning records a voice note as MP4
// with Chromium's MediaRecorder (fake microphone), as Safari's recorder
// writes them, tags it with a place (exiftool's QuickTime tags where it
// can, and a top-level udta box with "©xyz"), uploads it through tus, and
// checks that the stored file has no place left and that Chromium still
// decodes it to the same length of audio.
func TestARecordedM4AStillPlaysAfterCleaning(t *testing.T) {
	f := newFixture(t)
	ctx := browsertest.New(t, 90*time.Second,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
	)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const type = ['audio/mp4;codecs=mp4a.40.2', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
		if (!type) return '';
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
		const rec = new MediaRecorder(stream, { mimeType: type });
		const parts = [];
		rec.ondataavailable = (e) => parts.push(e.data);
		const stopped = new Promise((r) => { rec.onstop = r; });
		rec.start();
		await new Promise((r) => setTimeout(r, 1500));
		rec.stop();
		await stopped;
		stream.getTracks().forEach((t) => t.stop());
		const b = new Uint8Array(await new Blob(parts).arrayBuffer());
		let s = '';
		for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if b64 == "" {
		t.Skip("this Chromium does not record MP4")
	}
	recorded, _ := base64.StdEncoding.DecodeString(b64)
	if len(recorded) < 12 || string(recorded[4:8]) != "ftyp" {
		t.Fatalf("the recording is not MP4: % x", recorded[:min(16, len(recorded))])
	}
	tagged := tagMP4(t, recorded)

	loc, h := f.startUpload(t, len(tagged))
	a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), tagged, false)
	if a.status != http.StatusNoContent {
		t.Fatalf("upload: %d %q %q", a.status, a.code, a.message)
	}
	rec, err := f.app.FindRecordById("attachments", a.header.Get("Homeward-Attachment"))
	if err != nil {
		t.Fatal(err)
	}
	stored := testserver.ReadFile(t, f.app, rec, "file")
	for _, secret := range []string{"11.5564", "104.9282", "Somchai"} {
		if bytes.Contains(stored, []byte(secret)) {
			t.Fatalf("the stored voice note still carries %q", secret)
		}
	}
	exiftool(t, stored, "11.5564", "104.9282", "Somchai")

	decode := func(file []byte) float64 {
		t.Helper()
		d, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(async () => {
			const bytes = Uint8Array.from(atob('`+base64.StdEncoding.EncodeToString(file)+`'), (c) => c.charCodeAt(0));
			const buf = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(bytes.buffer);
			return buf.duration;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("Chromium cannot decode the file: %v", err)
		}
		return d
	}
	before, after := decode(recorded), decode(stored)
	if before < 0.5 || after != before {
		t.Fatalf("decoded %.3f s after cleaning, %.3f s before", after, before)
	}
}

// tagMP4 adds a place and a name to an MP4: QuickTime tags written by
// exiftool where it can, then a top-level udta box with "©xyz".
func tagMP4(t *testing.T, file []byte) []byte {
	t.Helper()
	if path, err := exec.LookPath("exiftool"); err == nil {
		tmp := filepath.Join(t.TempDir(), "note.m4a")
		os.WriteFile(tmp, file, 0o600)
		out, err := exec.Command(path, "-overwrite_original", "-Keys:GPSCoordinates=11.5564, 104.9282",
			"-ItemList:Artist=Somchai", "-UserData:Artist=Somchai", tmp).CombinedOutput()
		if raw, _ := os.ReadFile(tmp); err == nil && bytes.Contains(raw, []byte("Somchai")) {
			file = raw
		} else {
			t.Logf("exiftool could not tag the recording (%v): %s", err, out)
		}
	}
	return append(bytes.Clone(file), mp4Box("udta", mp4Box("\xa9xyz", []byte("+11.5564+104.9282/")), mp4Box("\xa9ART", []byte("Somchai")))...)
}
