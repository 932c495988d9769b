package media

import (
	"strconv"
	"strings"
	"testing"

	"homeward/internal/media/mediatest"
)

// TestJPEGOrientationIsAppliedWhenReEncoding: for each of the eight EXIF
// orientations, the photo is stored as it shows (a 640x480 grid with
// Orientation 6 becomes 480x640), and the tag is gone, so no viewer turns
// it again.
func TestJPEGOrientationIsAppliedWhenReEncoding(t *testing.T) {
	const w, h = 640, 480
	for o := 1; o <= 8; o++ {
		t.Run("orientation "+strconv.Itoa(o), func(t *testing.T) {
			photo := mediatest.OrientedJPEG(w, h, o, "GPS 11.5564 N 104.9282 E")
			out, mime, err := Clean(photo)
			if err != nil || mime != "image/jpeg" {
				t.Fatalf("Clean = %q, %v", mime, err)
			}
			mediatest.CheckUpright(t, out, o, w, h)
			if got, ok := mediatest.ExiftoolReads(t, out); ok && (strings.Contains(got, "Orientation ") || strings.Contains(got, "11.5564")) {
				t.Fatalf("exiftool still reads the orientation or the place:\n%s", got)
			}
		})
	}
}

// FuzzClean: any upload is cleaned or refused without a panic; what
// is kept is of the type it is stored as, and cleaning it again keeps
// that type. Seeded with every orientation of a small photo and every
// tagged sample.
func FuzzClean(f *testing.F) {
	for o := 1; o <= 8; o++ {
		f.Add(mediatest.OrientedJPEG(32, 24, o, "x"))
	}
	for _, s := range mediatest.TaggedSamples() {
		f.Add(s.File)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, mime, err := Clean(raw)
		if err != nil {
			return
		}
		if len(out) == 0 || mime == "" {
			t.Fatalf("kept %d bytes as %q", len(out), mime)
		}
		if _, again, err := Clean(out); err != nil || again != mime {
			t.Fatalf("the cleaned %s does not clean again: %q, %v", mime, again, err)
		}
	})
}
