package sync_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"testing"

	hsync "homeward/hooks/sync"
	"homeward/internal/testserver"
)

// near reports whether c is within a JPEG's error of want.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { return int(a>>8)-int(b) < 40 && int(b)-int(a>>8) < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// checkUpright decodes a stored photo and checks it shows the grid of
// testserver.OrientedJPEG(w, h, orientation) upright: its size and where
// its two marked corners are.
func checkUpright(t *testing.T, stored []byte, orientation, w, h int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil {
		t.Fatalf("the stored photo does not decode: %v", err)
	}
	_, _, sw, sh := testserver.Upright(orientation, w, h, 0, 0)
	if b := img.Bounds(); b.Dx() != sw || b.Dy() != sh {
		t.Fatalf("stored %dx%d, want %dx%d upright", b.Dx(), b.Dy(), sw, sh)
	}
	for _, m := range []struct {
		x, y int
		c    color.RGBA
	}{{w / 16, h / 16, testserver.MarkTopLeft}, {w - w/16, h / 16, testserver.MarkTopRight}} {
		sx, sy, _, _ := testserver.Upright(orientation, w, h, m.x, m.y)
		if got := img.At(sx, sy); !near(got, m.c) {
			t.Fatalf("at (%d,%d) the colour is %v, want %v: the photo is turned wrong", sx, sy, got, m.c)
		}
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("11.5564")) {
		t.Fatal("the stored photo keeps its EXIF")
	}
}

// TestJPEGOrientationIsAppliedWhenReEncoding: for each of the eight EXIF
// orientations, the photo is stored as it shows (a 640x480 grid with
// Orientation 6 becomes 480x640), and the tag is gone, so no viewer turns
// it again.
func TestJPEGOrientationIsAppliedWhenReEncoding(t *testing.T) {
	const w, h = 640, 480
	for o := 1; o <= 8; o++ {
		t.Run("orientation "+strconv.Itoa(o), func(t *testing.T) {
			photo := testserver.OrientedJPEG(w, h, o, "GPS 11.5564 N 104.9282 E")
			out, mime, err := hsync.CleanFile(photo)
			if err != nil || mime != "image/jpeg" {
				t.Fatalf("CleanFile = %q, %v", mime, err)
			}
			checkUpright(t, out, o, w, h)
			if got, ok := hsync.ExiftoolReads(t, out); ok && (strings.Contains(got, "Orientation ") || strings.Contains(got, "11.5564")) {
				t.Fatalf("exiftool still reads the orientation or the place:\n%s", got)
			}
		})
	}
}

// TestAnUploadedTurnedPhotoIsStoredUpright: the same through tus.
func TestAnUploadedTurnedPhotoIsStoredUpright(t *testing.T) {
	f := newFixture(t)
	photo := testserver.OrientedJPEG(640, 480, 6, "GPS 11.5564 N 104.9282 E")
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
	checkUpright(t, stored, 6, 640, 480)
	if cfg, _, _ := image.DecodeConfig(bytes.NewReader(stored)); cfg.Width != 480 || cfg.Height != 640 {
		t.Fatalf("stored %dx%d, want 480x640", cfg.Width, cfg.Height)
	}
}

// FuzzCleanFile: any upload is cleaned or refused without a panic; what
// is kept is of the type it is stored as, and cleaning it again keeps
// that type. Seeded with every orientation of a small photo and every
// tagged sample.
func FuzzCleanFile(f *testing.F) {
	for o := 1; o <= 8; o++ {
		f.Add(testserver.OrientedJPEG(32, 24, o, "x"))
	}
	for _, s := range hsync.TaggedSamples() {
		f.Add(s.File)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, mime, err := hsync.CleanFile(raw)
		if err != nil {
			return
		}
		if len(out) == 0 || mime == "" {
			t.Fatalf("kept %d bytes as %q", len(out), mime)
		}
		if _, again, err := hsync.CleanFile(out); err != nil || again != mime {
			t.Fatalf("the cleaned %s does not clean again: %q, %v", mime, again, err)
		}
	})
}
