package sync

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// box builds an MP4 box.
func box(kind string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(out, uint32(8+len(body)))
	copy(out[4:], kind)
	return append(out, body...)
}

// TestM4ALocationIsBlanked: a phone's voice memo carries where it was
// recorded in moov/udta ("©xyz"); after cleaning, no metadata is left, the
// file has the same size and layout, and the audio bytes are untouched.
func TestM4ALocationIsBlanked(t *testing.T) {
	audio := bytes.Repeat([]byte{0x21, 0x10, 0x05}, 50)
	location := []byte("+11.5564+104.9282/")
	file := bytes.Join([][]byte{
		box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom")),
		box("moov",
			box("mvhd", make([]byte, 100)),
			box("trak", box("mdia", box("hdlr", make([]byte, 24))), box("udta", box("name", []byte("Voice memo at the compound")))),
			box("udta", box("\xa9xyz", location), box("meta", make([]byte, 4), box("ilst", []byte("artist: Somchai")))),
		),
		box("uuid", []byte("XMP <x:xmpmeta>GPSLatitude 11.5564</x:xmpmeta>")),
		box("mdat", audio),
	}, nil)

	out, mime, err := cleanFile(file)
	if err != nil || mime != "audio/mp4" {
		t.Fatalf("cleanFile = %q, %v", mime, err)
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
	bad := box("ftyp", []byte("M4A "))
	bad = append(bad, 0, 0, 0x10, 0, 'm', 'o', 'o', 'v') // claims 4 KiB, has none
	if _, _, err := cleanFile(bad); err == nil {
		t.Fatal("a box larger than the file was accepted")
	}
}

func FuzzBlankMP4Metadata(f *testing.F) {
	f.Add(box("ftyp", []byte("M4A ")))
	f.Add(append(box("ftyp", []byte("M4A ")), box("moov", box("udta", []byte("x")))...))
	for _, s := range taggedSamples() {
		if len(s.file) > 12 && string(s.file[4:8]) == "ftyp" {
			f.Add(s.file) // M4A with every kind of metadata box, HEIC, AVIF
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 12 {
			return
		}
		copy(raw[4:8], "ftyp")
		out, _, err := cleanFile(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}
