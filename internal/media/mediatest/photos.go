package mediatest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// Marker colours of OrientedJPEG: where its raw pixel grid has its
// top-left and top-right corners.
var (
	MarkTopLeft  = color.RGBA{R: 230, A: 255}
	MarkTopRight = color.RGBA{G: 200, A: 255}
)

// OrientedJPEG is a w×h photo as a phone camera writes a turned one: the
// pixels as the sensor read them (grey, a red block in the grid's top-left
// corner, a green one in its top-right), and an EXIF block with the
// Orientation tag (1-8) and an ImageDescription carrying note (a place
// that must not survive upload).
func OrientedJPEG(w, h, orientation int, note string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 120, G: 120, B: 120, A: 255}
			switch {
			case x < w/8 && y < h/8:
				c = MarkTopLeft
			case x >= w-w/8 && y < h/8:
				c = MarkTopRight
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	raw := buf.Bytes()
	return append(append(raw[:2:2], exifSegment(orientation, note)...), raw[2:]...)
}

// exifSegment is an APP1 EXIF segment (big-endian TIFF) with one IFD:
// ImageDescription (0x010E) and Orientation (0x0112).
func exifSegment(orientation int, note string) []byte {
	be := binary.BigEndian
	desc := append([]byte(note), 0)
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = be.AppendUint16(tiff, 2)
	const dataAt = 8 + 2 + 2*12 + 4
	tiff = be.AppendUint16(tiff, 0x010E)
	tiff = be.AppendUint16(tiff, 2) // ASCII
	tiff = be.AppendUint32(tiff, uint32(len(desc)))
	tiff = be.AppendUint32(tiff, dataAt)
	tiff = be.AppendUint16(tiff, 0x0112)
	tiff = be.AppendUint16(tiff, 3) // SHORT
	tiff = be.AppendUint32(tiff, 1)
	tiff = be.AppendUint16(tiff, uint16(orientation))
	tiff = be.AppendUint16(tiff, 0)
	tiff = be.AppendUint32(tiff, 0) // no next IFD
	tiff = append(tiff, desc...)
	body := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1}
	seg = be.AppendUint16(seg, uint16(2+len(body)))
	return append(seg, body...)
}

// Upright maps a pixel (x, y) of a w×h grid to where it shows once the
// EXIF orientation is applied (EXIF 2.3, tag 0x0112), and returns the
// shown width and height.
func Upright(orientation, w, h, x, y int) (sx, sy, sw, sh int) {
	switch orientation {
	case 2:
		return w - 1 - x, y, w, h
	case 3:
		return w - 1 - x, h - 1 - y, w, h
	case 4:
		return x, h - 1 - y, w, h
	case 5:
		return y, x, h, w
	case 6:
		return h - 1 - y, x, h, w
	case 7:
		return h - 1 - y, w - 1 - x, h, w
	case 8:
		return y, w - 1 - x, h, w
	}
	return x, y, w, h
}

// near reports whether c is within a JPEG's error of want.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { return int(a>>8)-int(b) < 40 && int(b)-int(a>>8) < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// CheckUpright decodes a stored photo and checks it shows the grid of
// OrientedJPEG(w, h, orientation) upright: its size and where
// its two marked corners are.
func CheckUpright(t testing.TB, stored []byte, orientation, w, h int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil {
		t.Fatalf("the stored photo does not decode: %v", err)
	}
	_, _, sw, sh := Upright(orientation, w, h, 0, 0)
	if b := img.Bounds(); b.Dx() != sw || b.Dy() != sh {
		t.Fatalf("stored %dx%d, want %dx%d upright", b.Dx(), b.Dy(), sw, sh)
	}
	for _, m := range []struct {
		x, y int
		c    color.RGBA
	}{{w / 16, h / 16, MarkTopLeft}, {w - w/16, h / 16, MarkTopRight}} {
		sx, sy, _, _ := Upright(orientation, w, h, m.x, m.y)
		if got := img.At(sx, sy); !near(got, m.c) {
			t.Fatalf("at (%d,%d) the colour is %v, want %v: the photo is turned wrong", sx, sy, got, m.c)
		}
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("11.5564")) {
		t.Fatal("the stored photo keeps its EXIF")
	}
}
