package sync

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// What a recorder or an editor might have written into a voice note.
var audioSecrets = []string{"Somchai", "compound", "11.5564", "104.9282"}

// exiftoolReads returns what exiftool reads from file, or skips the check
// when exiftool is not installed (CI installs it).
func exiftoolReads(t *testing.T, file []byte) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("exiftool")
	if err != nil {
		return "", false
	}
	tmp := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(tmp, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, tmp).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v %s", err, out)
	}
	return string(out), true
}

// checkAudioCleaned checks out against file: no secret left in the bytes
// or in what exiftool reads, while exiftool did read them from the
// original (so the test file is one it understands).
func checkAudioCleaned(t *testing.T, file, out []byte) {
	t.Helper()
	for _, s := range audioSecrets {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q survived cleaning", s)
		}
	}
	before, ok := exiftoolReads(t, file)
	if !ok {
		return
	}
	if !strings.Contains(before, "Somchai") {
		t.Fatalf("exiftool does not read the test file's tags, so it proves nothing:\n%s", before)
	}
	after, _ := exiftoolReads(t, out)
	for _, s := range audioSecrets {
		if strings.Contains(after, s) {
			t.Errorf("exiftool still reads %q:\n%s", s, after)
		}
	}
	if strings.Contains(after, "Warning") || strings.Contains(after, "Error") {
		t.Errorf("exiftool finds the cleaned file damaged:\n%s", after)
	}
}

// checkSameSize: the containers blanked in place keep every offset.
func checkSameSize(t *testing.T, file, out []byte) {
	t.Helper()
	if len(out) != len(file) {
		t.Fatalf("size changed from %d to %d", len(file), len(out))
	}
}

// --- MP3 ---

// TestMP3TagsAreCut: an ID3v2 tag in front and an ID3v1 tag at the end,
// each with a name and a place, are cut off; the frames stay.
func TestMP3TagsAreCut(t *testing.T) {
	// One MPEG-1 Layer III frame: 128 kbit/s, 44.1 kHz, 417 bytes.
	frame := append([]byte{0xff, 0xfb, 0x90, 0x64}, make([]byte, 413)...)
	frames := bytes.Repeat(frame, 3)
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	copy(v1[3:], "Voice memo at the compound")
	copy(v1[33:], "Somchai")
	copy(v1[97:], "+11.5564+104.9282")
	text := []byte("\x00Somchai at +11.5564+104.9282")
	frameTag := append([]byte("TPE1\x00\x00\x00"), byte(len(text)), 0, 0)
	frameTag = append(frameTag, text...)
	v2 := append([]byte("ID3\x03\x00\x00\x00\x00\x00"), byte(len(frameTag)))
	v2 = append(v2, frameTag...)

	for name, file := range map[string][]byte{
		"ID3v2 and ID3v1": bytes.Join([][]byte{v2, frames, v1}, nil),
		"ID3v1 only":      bytes.Join([][]byte{frames, v1}, nil),
	} {
		t.Run(name, func(t *testing.T) {
			out, mime, err := cleanFile(file)
			if err != nil || mime != "audio/mpeg" {
				t.Fatalf("cleanFile = %q, %v", mime, err)
			}
			if !bytes.Equal(out, frames) {
				t.Fatalf("kept %d bytes, want the %d bytes of the frames alone", len(out), len(frames))
			}
			checkAudioCleaned(t, file, out)
		})
	}
}

// --- Ogg ---

// crcBitwise is the Ogg CRC computed bit by bit, apart from the table the
// code uses.
func crcBitwise(page []byte) uint32 {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 {
			b = 0
		}
		crc ^= uint32(b) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// oggFile lays packets out in Ogg pages of at most perPage segments each,
// a packet running on into the next page where it does not fit. Each group
// of packets starts on a fresh page, as the headers must (RFC 7845).
func oggFile(serial uint32, perPage int, groups ...[][]byte) []byte {
	var out []byte
	seq := 0
	for g, packets := range groups {
		var segs [][]byte
		var ends []bool // whether a segment ends its packet
		for _, p := range packets {
			for {
				n := min(len(p), 255)
				segs = append(segs, p[:n])
				p = p[n:]
				ends = append(ends, n < 255)
				if n < 255 {
					break
				}
			}
		}
		continued := false
		for len(segs) > 0 {
			n := min(perPage, len(segs))
			flags := byte(0)
			if continued {
				flags |= 0x01
			}
			if seq == 0 {
				flags |= 0x02
			}
			if g == len(groups)-1 && n == len(segs) {
				flags |= 0x04
			}
			page := append([]byte("OggS\x00"), flags)
			page = binary.LittleEndian.AppendUint64(page, uint64(seq))
			page = binary.LittleEndian.AppendUint32(page, serial)
			page = binary.LittleEndian.AppendUint32(page, uint32(seq))
			page = append(page, 0, 0, 0, 0, byte(n))
			for _, s := range segs[:n] {
				page = append(page, byte(len(s)))
			}
			page = append(page, bytes.Join(segs[:n], nil)...)
			binary.LittleEndian.PutUint32(page[22:], crcBitwise(page))
			out = append(out, page...)
			continued = !ends[n-1]
			segs, ends = segs[n:], ends[n:]
			seq++
		}
	}
	return out
}

// commentList is a vendor string and "KEY=value" comments, as Opus and
// Vorbis write them.
func commentList(vendor string, comments ...string) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(vendor)))
	out = append(out, vendor...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(comments)))
	for _, c := range comments {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
	}
	return out
}

var oggComments = []string{
	"TITLE=Voice memo at the compound",
	"ARTIST=Somchai",
	"LOCATION=+11.5564+104.9282/",
	"DESCRIPTION=" + strings.Repeat("long enough to span pages ", 30),
}

// checkOggPages checks every page's checksum and returns the packets.
func checkOggPages(t *testing.T, file []byte) [][]byte {
	t.Helper()
	pages, err := oggPages(file)
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	open := false
	for i, p := range pages {
		page := file[p.start:p.end]
		if got, want := binary.LittleEndian.Uint32(page[22:]), crcBitwise(page); got != want {
			t.Fatalf("page %d: CRC %08x, want %08x", i, got, want)
		}
		off := p.data
		for _, n := range p.segments {
			if !open {
				packets = append(packets, nil)
			}
			packets[len(packets)-1] = append(packets[len(packets)-1], file[off:off+n]...)
			open = n == 255
			off += n
		}
	}
	return packets
}

// TestOggOpusCommentsAreBlanked: an Opus voice note's comment header
// (title, artist, location) spread over several pages is emptied; the
// pages keep their sizes and get valid checksums, the audio is untouched.
func TestOggOpusCommentsAreBlanked(t *testing.T) {
	head := append([]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00"), 0, 0, 0)
	tags := append([]byte("OpusTags"), commentList("libopus 1.3", oggComments...)...)
	audio := [][]byte{bytes.Repeat([]byte{0xfc, 0x01}, 40), bytes.Repeat([]byte{0xfc, 0x02}, 300)}
	file := oggFile(0x1234, 2, [][]byte{head}, [][]byte{tags}, audio)

	out, mime, err := cleanFile(file)
	if err != nil || mime != "audio/ogg" {
		t.Fatalf("cleanFile = %q, %v", mime, err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
	packets := checkOggPages(t, out)
	if len(packets) != 4 {
		t.Fatalf("%d packets, want 4", len(packets))
	}
	if !bytes.Equal(packets[0], head) || !bytes.Equal(packets[2], audio[0]) || !bytes.Equal(packets[3], audio[1]) {
		t.Fatal("the header or the audio changed")
	}
	wantTags := append([]byte("OpusTags"), commentList("libopus 1.3")...)
	if !bytes.HasPrefix(packets[1], wantTags) || len(bytes.Trim(packets[1][len(wantTags):], "\x00")) != 0 {
		t.Fatalf("comment header is %q, want the vendor, no comments, then zeros", packets[1])
	}
}

// TestOggVorbisCommentsAreBlanked: the same for Vorbis, whose comment
// header ends with a framing bit that must stay set.
func TestOggVorbisCommentsAreBlanked(t *testing.T) {
	ident := append([]byte("\x01vorbis"), make([]byte, 23)...)
	comments := append(append([]byte("\x03vorbis"), commentList("Xiph.Org libVorbis", oggComments...)...), 1)
	setup := append([]byte("\x05vorbis"), bytes.Repeat([]byte{0x42}, 40)...)
	audio := bytes.Repeat([]byte{0x33}, 100)
	file := oggFile(7, 3, [][]byte{ident}, [][]byte{comments, setup}, [][]byte{audio})

	out, _, err := cleanFile(file)
	if err != nil {
		t.Fatal(err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
	packets := checkOggPages(t, out)
	want := append(append([]byte("\x03vorbis"), commentList("Xiph.Org libVorbis")...), 1)
	if !bytes.HasPrefix(packets[1], want) {
		t.Fatalf("comment header is %q, want the vendor, no comments and the framing bit", packets[1])
	}
	if !bytes.Equal(packets[2], setup) || !bytes.Equal(packets[3], audio) {
		t.Fatal("the setup header or the audio changed")
	}
}

func TestMalformedOggIsRefused(t *testing.T) {
	cutOff := oggFile(1, 1, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), commentList("libopus", strings.Repeat("x", 240))...)})
	file := oggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), commentList("x", "A=b")...)})
	for name, bad := range map[string][]byte{
		"cut mid-page":      file[:len(file)-3],
		"not a page":        append(bytes.Clone(file), "junk"...),
		"vendor too long":   oggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), 0xff, 0xff, 0, 0, 0, 0, 0, 0)}),
		"comment too short": oggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{[]byte("OpusTags\x00\x00")}),
		"no comment header": oggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{[]byte("audio")}),
		// One segment a page: the comments' last page is missing, every
		// page left is whole.
		"comment cut off": cutOff[:bytes.LastIndex(cutOff, []byte("OggS"))],
		"Speex":           oggFile(1, 4, [][]byte{[]byte("Speex   1.2")}, [][]byte{commentList("x", "ARTIST=Somchai")}),
	} {
		if _, _, err := cleanFile(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOggWithASkeletonIndexIsCleaned: a Skeleton stream may come with the
// audio; the audio's comments are still emptied.
func TestOggWithASkeletonIndexIsCleaned(t *testing.T) {
	skeleton := oggFile(9, 4, [][]byte{append([]byte("fishead\x00"), make([]byte, 56)...)})
	opus := oggFile(1, 4, [][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
		[][]byte{append([]byte("OpusTags"), commentList("libopus", oggComments...)...)}, [][]byte{{0xfc, 1}})
	file := append(skeleton, opus...)
	out, _, err := cleanFile(file)
	if err != nil {
		t.Fatal(err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
}

func FuzzBlankOggComments(f *testing.F) {
	f.Add(oggFile(1, 2, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), commentList("v", oggComments...)...)}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _, err := blankOggComments(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}

// --- WebM ---

// ebml builds an element with a sized body; unsized builds one whose size
// is unknown, as a live recorder writes segments and clusters.
func ebml(id uint64, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	size := binary.BigEndian.AppendUint64(nil, uint64(len(b)))
	size[0] = 0x01 // an 8-byte size, as muxers often write
	return append(append(idBytes(id), size...), b...)
}

func unsized(id uint64, body ...[]byte) []byte {
	return append(append(idBytes(id), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), bytes.Join(body, nil)...)
}

func idBytes(id uint64) []byte {
	var out []byte
	for ; id > 0; id >>= 8 {
		out = append([]byte{byte(id)}, out...)
	}
	return out
}

// TestWebMTagsTitleAndDateAreBlanked: a WebM voice note with a title, a
// recording date and tags (a name, a place) in a segment of unknown size,
// its first cluster unsized too; after cleaning those are Void elements of
// the same length, and the audio blocks and the rest are untouched.
func TestWebMTagsTitleAndDateAreBlanked(t *testing.T) {
	block1 := append([]byte{0x81, 0x00, 0x00, 0x80}, bytes.Repeat([]byte{0xaa}, 200)...)
	block2 := append([]byte{0x81, 0x00, 0x14, 0x80}, bytes.Repeat([]byte{0xbb}, 200)...)
	file := bytes.Join([][]byte{
		ebml(0x1A45DFA3, ebml(0x4282, []byte("webm")), ebml(0x4287, []byte{4})),
		unsized(0x18538067,
			ebml(0x1549A966,
				ebml(0x2AD7B1, []byte{0x0f, 0x42, 0x40}),
				ebml(0x7BA9, []byte("Voice memo at the compound")),
				ebml(0x4461, []byte{0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}),
				ebml(0x4D80, []byte("Chrome")),
			),
			ebml(0x1654AE6B, ebml(0xAE, ebml(0xD7, []byte{1}), ebml(0x86, []byte("A_OPUS")))),
			ebml(0x1254C367, ebml(0x7373,
				ebml(0x67C8, ebml(0x45A3, []byte("ARTIST")), ebml(0x4487, []byte("Somchai"))),
				ebml(0x67C8, ebml(0x45A3, []byte("RECORDING_LOCATION")), ebml(0x4487, []byte("+11.5564+104.9282/"))),
			)),
			unsized(0x1F43B675, ebml(0xE7, []byte{0}), ebml(0xA3, block1)),
			ebml(0x1F43B675, ebml(0xE7, []byte{0x14}), ebml(0xA3, block2)),
		),
	}, nil)

	out, mime, err := cleanFile(file)
	if err != nil || mime != "audio/webm" {
		t.Fatalf("cleanFile = %q, %v", mime, err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
	if !bytes.Contains(out, block1) || !bytes.Contains(out, block2) || !bytes.Contains(out, []byte("A_OPUS")) || !bytes.Contains(out, []byte("Chrome")) {
		t.Fatal("the audio or the track description changed")
	}
	again, _, err := cleanFile(out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("the cleaned file does not parse as the same file again: %v", err)
	}
}

func TestMalformedWebMIsRefused(t *testing.T) {
	header := ebml(0x1A45DFA3, ebml(0x4282, []byte("webm")))
	for name, bad := range map[string][]byte{
		"element larger than the file": append(bytes.Clone(header), 0x18, 0x53, 0x80, 0x67, 0x88, 0xff),
		"no size marker":               append(bytes.Clone(header), 0x18, 0x53, 0x80, 0x67, 0x00),
		"unsized tags":                 append(bytes.Clone(header), unsized(0x18538067, unsized(0x1254C367, []byte{1}))...),
	} {
		if _, _, err := cleanFile(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzBlankWebMMetadata(f *testing.F) {
	f.Add(bytes.Join([][]byte{
		ebml(0x1A45DFA3, ebml(0x4282, []byte("webm"))),
		unsized(0x18538067, ebml(0x1549A966, ebml(0x7BA9, []byte("t"))), unsized(0x1F43B675, ebml(0xE7, []byte{0}))),
	}, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _, err := blankWebMMetadata(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}
