package media

import (
	"bytes"
	"testing"

	"homeward/internal/media/mediatest"
)

// TestM4ALocationIsBlanked: a phone's voice memo carries where it was
// recorded in moov/udta ("©xyz"); after cleaning, no metadata is left, the
// file has the same size and layout, and the audio bytes are untouched.
func TestM4ALocationIsBlanked(t *testing.T) {
	audio := bytes.Repeat([]byte{0x21, 0x10, 0x05}, 50)
	location := []byte("+11.5564+104.9282/")
	file := bytes.Join([][]byte{
		mediatest.Box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom")),
		mediatest.Box("moov",
			mediatest.Box("mvhd", make([]byte, 100)),
			mediatest.Box("trak", mediatest.Box("mdia", mediatest.Box("hdlr", make([]byte, 24))), mediatest.Box("udta", mediatest.Box("name", []byte("Voice memo at the compound")))),
			mediatest.Box("udta", mediatest.Box("\xa9xyz", location), mediatest.Box("meta", make([]byte, 4), mediatest.Box("ilst", []byte("artist: Somchai")))),
		),
		mediatest.Box("uuid", []byte("XMP <x:xmpmeta>GPSLatitude 11.5564</x:xmpmeta>")),
		mediatest.Box("mdat", audio),
	}, nil)

	out, mime, err := Clean(file)
	if err != nil || mime != "audio/mp4" {
		t.Fatalf("Clean = %q, %v", mime, err)
	}
	if len(out) != len(file) {
		t.Fatalf("size changed from %d to %d: offsets into mdat would break", len(file), len(out))
	}
	for _, secret := range []string{"11.5564", "104.9282", "compound", "Somchai", "xmpmeta", "\xa9xyz", "udta", "ilst"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("%q survived cleaning", secret)
		}
	}
	if !bytes.HasSuffix(out, audio) || !bytes.Contains(out, []byte("mvhd")) || !bytes.Contains(out, []byte("hdlr")) {
		t.Error("the audio or the structure was damaged")
	}
}

func TestMalformedMP4IsRefused(t *testing.T) {
	bad := mediatest.Box("ftyp", []byte("M4A "))
	bad = append(bad, 0, 0, 0x10, 0, 'm', 'o', 'o', 'v') // claims 4 KiB, has none
	if _, _, err := Clean(bad); err == nil {
		t.Fatal("a mediatest.Box larger than the file was accepted")
	}
}

func FuzzBlankMP4Metadata(f *testing.F) {
	f.Add(mediatest.Box("ftyp", []byte("M4A ")))
	f.Add(append(mediatest.Box("ftyp", []byte("M4A ")), mediatest.Box("moov", mediatest.Box("udta", []byte("x")))...))
	for _, s := range mediatest.TaggedSamples() {
		if len(s.File) > 12 && string(s.File[4:8]) == "ftyp" {
			f.Add(s.File) // M4A with every kind of metadata mediatest.Box, HEIC, AVIF
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 12 {
			return
		}
		copy(raw[4:8], "ftyp")
		out, _, err := Clean(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}
