package sync

import "bytes"

// AudioSamples are small voice notes in the containers phones record to,
// whole files as far as their containers go (the audio itself is filler).
func AudioSamples() map[string][]byte {
	pad := bytes.Repeat([]byte{0}, 64)
	// As Chromium's MediaRecorder writes it: a segment and a cluster of
	// unknown size.
	webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
		0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02},
		unsized(ebmlSegment, ebml(ebmlInfo, ebml(0x4D80, []byte("Chrome"))), unsized(ebmlCluster, ebml(0xE7, []byte{0}), ebml(0xA3, pad)))...)
	ogg := oggFile(1, 255, [][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
		[][]byte{append([]byte("OpusTags"), commentList("libopus")...)}, [][]byte{pad})
	m4a := append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"), pad...)
	// Two ADTS frames of 16 bytes; two MPEG-1 Layer III frames of 417.
	aac := bytes.Repeat(append([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, make([]byte, 9)...), 2)
	mp3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x00\x00\x00"),
		bytes.Repeat(append([]byte{0xff, 0xfb, 0x90, 0x64}, make([]byte, 413)...), 2)...)
	return map[string][]byte{"webm": webm, "ogg": ogg, "m4a": m4a, "aac": aac, "mp3": mp3}
}

// ExiftoolReads is exiftoolReads, for the upload tests.
var ExiftoolReads = exiftoolReads

// CleanFile is cleanFile, for tests that build their files with the
// test server's helpers.
var CleanFile = cleanFile

// TaggedSample is a file whose tags carry TagPlace; Mime is what it is
// stored as, "" when refused.
type TaggedSample struct {
	Name, Mime string
	File       []byte
}

// TagPlace is the location marker of the tagged samples.
const TagPlace = tagPlace

// TaggedSamples are taggedSamples, for the upload tests.
func TaggedSamples() []TaggedSample {
	var out []TaggedSample
	for _, s := range taggedSamples() {
		out = append(out, TaggedSample{Name: s.name, Mime: s.mime, File: s.file})
	}
	return out
}
