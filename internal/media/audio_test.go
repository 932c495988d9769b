package media

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"homeward/internal/media/mediatest"
)

// checkAudioCleaned checks out against file: no secret left in the bytes
// or in what exiftool reads, while exiftool did read them from the
// original (so the test file is one it understands).
func checkAudioCleaned(t *testing.T, file, out []byte) {
	t.Helper()
	for _, s := range mediatest.AudioSecrets {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q survived cleaning", s)
		}
	}
	before, ok := mediatest.ExiftoolReads(t, file)
	if !ok {
		return
	}
	if !strings.Contains(before, "Somchai") {
		t.Fatalf("exiftool does not read the test file's tags, so it proves nothing:\n%s", before)
	}
	after, _ := mediatest.ExiftoolReads(t, out)
	for _, s := range mediatest.AudioSecrets {
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
			out, mime, err := Clean(file)
			if err != nil || mime != "audio/mpeg" {
				t.Fatalf("Clean = %q, %v", mime, err)
			}
			if !bytes.Equal(out, frames) {
				t.Fatalf("kept %d bytes, want the %d bytes of the frames alone", len(out), len(frames))
			}
			checkAudioCleaned(t, file, out)
		})
	}
}

// --- Ogg ---

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
		if got, want := binary.LittleEndian.Uint32(page[22:]), mediatest.OggCRC(page); got != want {
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
	tags := append([]byte("OpusTags"), mediatest.CommentList("libopus 1.3", oggComments...)...)
	audio := [][]byte{bytes.Repeat([]byte{0xfc, 0x01}, 40), bytes.Repeat([]byte{0xfc, 0x02}, 300)}
	file := mediatest.OggFile(0x1234, 2, [][]byte{head}, [][]byte{tags}, audio)

	out, mime, err := Clean(file)
	if err != nil || mime != "audio/ogg" {
		t.Fatalf("Clean = %q, %v", mime, err)
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
	wantTags := append([]byte("OpusTags"), mediatest.CommentList("libopus 1.3")...)
	if !bytes.HasPrefix(packets[1], wantTags) || len(bytes.Trim(packets[1][len(wantTags):], "\x00")) != 0 {
		t.Fatalf("comment header is %q, want the vendor, no comments, then zeros", packets[1])
	}
}

// TestOggVorbisCommentsAreBlanked: the same for Vorbis, whose comment
// header ends with a framing bit that must stay set.
func TestOggVorbisCommentsAreBlanked(t *testing.T) {
	ident := append([]byte("\x01vorbis"), make([]byte, 23)...)
	comments := append(append([]byte("\x03vorbis"), mediatest.CommentList("Xiph.Org libVorbis", oggComments...)...), 1)
	setup := append([]byte("\x05vorbis"), bytes.Repeat([]byte{0x42}, 40)...)
	audio := bytes.Repeat([]byte{0x33}, 100)
	file := mediatest.OggFile(7, 3, [][]byte{ident}, [][]byte{comments, setup}, [][]byte{audio})

	out, _, err := Clean(file)
	if err != nil {
		t.Fatal(err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
	packets := checkOggPages(t, out)
	want := append(append([]byte("\x03vorbis"), mediatest.CommentList("Xiph.Org libVorbis")...), 1)
	if !bytes.HasPrefix(packets[1], want) {
		t.Fatalf("comment header is %q, want the vendor, no comments and the framing bit", packets[1])
	}
	if !bytes.Equal(packets[2], setup) || !bytes.Equal(packets[3], audio) {
		t.Fatal("the setup header or the audio changed")
	}
}

func TestMalformedOggIsRefused(t *testing.T) {
	cutOff := mediatest.OggFile(1, 1, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), mediatest.CommentList("libopus", strings.Repeat("x", 240))...)})
	file := mediatest.OggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), mediatest.CommentList("x", "A=b")...)})
	for name, bad := range map[string][]byte{
		"cut mid-page":      file[:len(file)-3],
		"not a page":        append(bytes.Clone(file), "junk"...),
		"vendor too long":   mediatest.OggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), 0xff, 0xff, 0, 0, 0, 0, 0, 0)}),
		"comment too short": mediatest.OggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{[]byte("OpusTags\x00\x00")}),
		"no comment header": mediatest.OggFile(1, 4, [][]byte{[]byte("OpusHead")}, [][]byte{[]byte("audio")}),
		// One segment a page: the comments' last page is missing, every
		// page left is whole.
		"comment cut off": cutOff[:bytes.LastIndex(cutOff, []byte("OggS"))],
		"Speex":           mediatest.OggFile(1, 4, [][]byte{[]byte("Speex   1.2")}, [][]byte{mediatest.CommentList("x", "ARTIST=Somchai")}),
	} {
		if _, _, err := Clean(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOggWithASkeletonIndexIsCleaned: a Skeleton stream may come with the
// audio; the audio's comments are still emptied.
func TestOggWithASkeletonIndexIsCleaned(t *testing.T) {
	skeleton := mediatest.OggFile(9, 4, [][]byte{append([]byte("fishead\x00"), make([]byte, 56)...)})
	opus := mediatest.OggFile(1, 4, [][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
		[][]byte{append([]byte("OpusTags"), mediatest.CommentList("libopus", oggComments...)...)}, [][]byte{{0xfc, 1}})
	file := append(skeleton, opus...)
	out, _, err := Clean(file)
	if err != nil {
		t.Fatal(err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
}

func FuzzBlankOggComments(f *testing.F) {
	f.Add(mediatest.OggFile(1, 2, [][]byte{[]byte("OpusHead")}, [][]byte{append([]byte("OpusTags"), mediatest.CommentList("v", oggComments...)...)}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _, err := blankOggComments(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}

// --- WebM ---

// TestWebMTagsTitleAndDateAreBlanked: a WebM voice note with a title, a
// recording date and tags (a name, a place) in a segment of unknown size,
// its first cluster mediatest.Unsized too; after cleaning those are Void elements of
// the same length, and the audio blocks and the rest are untouched.
func TestWebMTagsTitleAndDateAreBlanked(t *testing.T) {
	block1 := append([]byte{0x81, 0x00, 0x00, 0x80}, bytes.Repeat([]byte{0xaa}, 200)...)
	block2 := append([]byte{0x81, 0x00, 0x14, 0x80}, bytes.Repeat([]byte{0xbb}, 200)...)
	file := bytes.Join([][]byte{
		mediatest.EBML(0x1A45DFA3, mediatest.EBML(0x4282, []byte("webm")), mediatest.EBML(0x4287, []byte{4})),
		mediatest.Unsized(0x18538067,
			mediatest.EBML(0x1549A966,
				mediatest.EBML(0x2AD7B1, []byte{0x0f, 0x42, 0x40}),
				mediatest.EBML(0x7BA9, []byte("Voice memo at the compound")),
				mediatest.EBML(0x4461, []byte{0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}),
				mediatest.EBML(0x4D80, []byte("Chrome")),
			),
			mediatest.EBML(0x1654AE6B, mediatest.EBML(0xAE, mediatest.EBML(0xD7, []byte{1}), mediatest.EBML(0x86, []byte("A_OPUS")))),
			mediatest.EBML(0x1254C367, mediatest.EBML(0x7373,
				mediatest.EBML(0x67C8, mediatest.EBML(0x45A3, []byte("ARTIST")), mediatest.EBML(0x4487, []byte("Somchai"))),
				mediatest.EBML(0x67C8, mediatest.EBML(0x45A3, []byte("RECORDING_LOCATION")), mediatest.EBML(0x4487, []byte("+11.5564+104.9282/"))),
			)),
			mediatest.Unsized(0x1F43B675, mediatest.EBML(0xE7, []byte{0}), mediatest.EBML(0xA3, block1)),
			mediatest.EBML(0x1F43B675, mediatest.EBML(0xE7, []byte{0x14}), mediatest.EBML(0xA3, block2)),
		),
	}, nil)

	out, mime, err := Clean(file)
	if err != nil || mime != "audio/webm" {
		t.Fatalf("Clean = %q, %v", mime, err)
	}
	checkSameSize(t, file, out)
	checkAudioCleaned(t, file, out)
	if !bytes.Contains(out, block1) || !bytes.Contains(out, block2) || !bytes.Contains(out, []byte("A_OPUS")) || !bytes.Contains(out, []byte("Chrome")) {
		t.Fatal("the audio or the track description changed")
	}
	again, _, err := Clean(out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("the cleaned file does not parse as the same file again: %v", err)
	}
}

func TestMalformedWebMIsRefused(t *testing.T) {
	header := mediatest.EBML(0x1A45DFA3, mediatest.EBML(0x4282, []byte("webm")))
	for name, bad := range map[string][]byte{
		"element larger than the file": append(bytes.Clone(header), 0x18, 0x53, 0x80, 0x67, 0x88, 0xff),
		"no size marker":               append(bytes.Clone(header), 0x18, 0x53, 0x80, 0x67, 0x00),
		"unsized tags":                 append(bytes.Clone(header), mediatest.Unsized(0x18538067, mediatest.Unsized(0x1254C367, []byte{1}))...),
	} {
		if _, _, err := Clean(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzBlankWebMMetadata(f *testing.F) {
	f.Add(bytes.Join([][]byte{
		mediatest.EBML(0x1A45DFA3, mediatest.EBML(0x4282, []byte("webm"))),
		mediatest.Unsized(0x18538067, mediatest.EBML(0x1549A966, mediatest.EBML(0x7BA9, []byte("t"))), mediatest.Unsized(0x1F43B675, mediatest.EBML(0xE7, []byte{0}))),
	}, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _, err := blankWebMMetadata(raw)
		if err == nil && len(out) != len(raw) {
			t.Fatalf("size changed: %d -> %d", len(raw), len(out))
		}
	})
}
