package syncapi_test

import (
	"bytes"
	"image"
	"net/http"
	"testing"

	"homeward/internal/media/mediatest"
	"homeward/internal/testserver"
)

// TestAnUploadedTurnedPhotoIsStoredUpright: the same through tus.
func TestAnUploadedTurnedPhotoIsStoredUpright(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	photo := mediatest.OrientedJPEG(640, 480, 6, "GPS 11.5564 N 104.9282 E")
	loc, h := f.startUpload(t, len(photo))
	a := f.tusBody(http.MethodPatch, loc, patchAt(h, 0), photo, false)
	if a.status != 204 {
		t.Fatalf("upload: %d %q", a.status, a.message)
	}
	rec, err := f.app.FindRecordById("attachments", a.header.Get("Homeward-Attachment"))
	if err != nil {
		t.Fatal(err)
	}
	stored := testserver.ReadFile(t, f.app, rec, "file")
	mediatest.CheckUpright(t, stored, 6, 640, 480)
	if cfg, _, _ := image.DecodeConfig(bytes.NewReader(stored)); cfg.Width != 480 || cfg.Height != 640 {
		t.Fatalf("stored %dx%d, want 480x640", cfg.Width, cfg.Height)
	}
}
