package sync

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// The location marker every tagged sample carries, and a name with it.
const (
	tagPlace = "11.5564 N 104.9282 E"
	tagName  = "Somchai"
)

// taggedSample is a file of a kind Homeward may meet, with tags carrying
// tagPlace and tagName where that format keeps them; mime is what it is
// stored as, or "" when it must be refused.
type taggedSample struct {
	name string
	file []byte
	mime string
}

// mpegFrames are three MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz).
func mpegFrames() []byte {
	return bytes.Repeat(append([]byte{0xff, 0xfb, 0x90, 0x64}, bytes.Repeat([]byte{0x55}, 413)...), 3)
}

// adtsFrames are three ADTS (AAC LC) frames of 16 bytes.
func adtsFrames() []byte {
	return bytes.Repeat(append([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, bytes.Repeat([]byte{0x21}, 9)...), 3)
}

func id3v1() []byte {
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	copy(v1[3:], "Voice memo")
	copy(v1[33:], tagName)
	copy(v1[97:], tagPlace)
	return v1
}

// id3v2 is an ID3v2.4 tag with an artist and a comment; footer appends the
// "3DI" footer an appended tag carries.
func id3v2(footer bool) []byte {
	frame := func(id, text string) []byte {
		body := append([]byte{3}, text...) // UTF-8
		f := append([]byte(id), synchsafe(len(body))...)
		return append(append(f, 0, 0), body...)
	}
	body := append(frame("TPE1", tagName), frame("TXXX", "\x00location\x00"+tagPlace)...)
	flags := byte(0)
	if footer {
		flags = 0x10
	}
	head := append([]byte{'I', 'D', '3', 4, 0, flags}, synchsafe(len(body))...)
	tag := append(head, body...)
	if footer {
		tag = append(tag, append([]byte{'3', 'D', 'I', 4, 0, flags}, synchsafe(len(body))...)...)
	}
	return tag
}

func synchsafe(n int) []byte {
	return []byte{byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
}

// apev2 is an APEv2 tag with a header and a footer (as foobar2000 and
// Mp3tag write it), an artist and a comment.
func apev2() []byte {
	le := binary.LittleEndian
	item := func(key, value string) []byte {
		out := le.AppendUint32(nil, uint32(len(value)))
		out = le.AppendUint32(out, 0)
		return append(append(append(out, key...), 0), value...)
	}
	items := append(item("Artist", tagName), item("Comment", "recorded at "+tagPlace)...)
	block := func(flags uint32) []byte {
		out := append([]byte("APETAGEX"), le.AppendUint32(nil, 2000)...)
		out = le.AppendUint32(out, uint32(len(items)+32))
		out = le.AppendUint32(out, 2)
		out = le.AppendUint32(out, flags)
		return append(out, make([]byte, 8)...)
	}
	return bytes.Join([][]byte{block(0xa0000000), items, block(0x80000000)}, nil)
}

// lyrics3v2 is a Lyrics3 v2.00 block: fields, their size, "LYRICS200".
func lyrics3v2() []byte {
	field := func(id, value string) string {
		return id + string([]byte{byte('0' + len(value)/10000%10), byte('0' + len(value)/1000%10), byte('0' + len(value)/100%10),
			byte('0' + len(value)/10%10), byte('0' + len(value)%10)}) + value
	}
	body := "LYRICSBEGIN" + field("IND", "10") + field("EAR", tagName) + field("INF", "at "+tagPlace)
	size := []byte{byte('0' + len(body)/100000%10), byte('0' + len(body)/10000%10), byte('0' + len(body)/1000%10),
		byte('0' + len(body)/100%10), byte('0' + len(body)/10%10), byte('0' + len(body)%10)}
	return append(append([]byte(body), size...), "LYRICS200"...)
}

// plainPhoto is a small photo encoded as f does.
func plainPhoto(encode func(*bytes.Buffer, image.Image) error) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// jpegSegment is a JPEG marker segment.
func jpegSegment(marker byte, body []byte) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{0xff, marker}, uint16(2+len(body))), body...)
}

// tiffWithGPS is a little-endian EXIF TIFF whose IFD0 has an Artist and
// a GPS IFD with the latitude reference and a GPS area text.
func tiffWithGPS() []byte {
	le := binary.LittleEndian
	artist := append([]byte(tagName), 0)
	area := append([]byte("ASCII\x00\x00\x00"), tagPlace...)
	t := []byte("II\x2a\x00\x08\x00\x00\x00")
	const ifd0 = 8
	const gps = ifd0 + 2 + 2*12 + 4
	const data = gps + 2 + 2*12 + 4
	t = le.AppendUint16(t, 2)
	t = append(le.AppendUint16(le.AppendUint16(t, 0x013B), 2), le.AppendUint32(le.AppendUint32(nil, uint32(len(artist))), data)...)
	t = append(le.AppendUint16(le.AppendUint16(t, 0x8825), 4), le.AppendUint32(le.AppendUint32(nil, 1), gps)...)
	t = le.AppendUint32(t, 0)
	t = le.AppendUint16(t, 2)
	t = append(le.AppendUint16(le.AppendUint16(t, 0x0001), 2), le.AppendUint32(le.AppendUint32(nil, 2), 'N')...)
	t = append(le.AppendUint16(le.AppendUint16(t, 0x001C), 7), le.AppendUint32(le.AppendUint32(nil, uint32(len(area))), uint32(data+len(artist)))...)
	t = le.AppendUint32(t, 0)
	return append(append(t, artist...), area...)
}

func xmpPacket() []byte {
	return []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
		`<photoshop:City>` + tagPlace + `</photoshop:City><dc:creator><rdf:Seq><rdf:li>` + tagName + `</rdf:li></rdf:Seq></dc:creator>` +
		`</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)
}

// iptcBlock is a Photoshop image resource block with IPTC: a byline and
// a sublocation.
func iptcBlock() []byte {
	ds := func(tag byte, v string) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{0x1c, 2, tag}, uint16(len(v))), v...)
	}
	iptc := append(ds(80, tagName), ds(92, tagPlace)...)
	if len(iptc)%2 == 1 {
		iptc = append(iptc, 0)
	}
	res := append([]byte("8BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptc)))...)
	return append(append([]byte("Photoshop 3.0\x00"), res...), iptc...)
}

// taggedJPEG carries EXIF (with GPS), XMP, IPTC and a comment.
func taggedJPEG() []byte {
	raw := plainPhoto(func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) })
	segs := bytes.Join([][]byte{
		jpegSegment(0xe1, append([]byte("Exif\x00\x00"), tiffWithGPS()...)),
		jpegSegment(0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket()...)),
		jpegSegment(0xed, iptcBlock()),
		jpegSegment(0xfe, []byte("taken by "+tagName)),
	}, nil)
	return append(append(raw[:2:2], segs...), raw[2:]...)
}

// pngChunk is a PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(append(out, kind...), data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// taggedPNG carries tEXt, iTXt (XMP) and eXIf (with GPS) chunks.
func taggedPNG() []byte {
	raw := plainPhoto(func(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) })
	ihdrEnd := 8 + 8 + 13 + 4
	chunks := bytes.Join([][]byte{
		pngChunk("tEXt", []byte("Author\x00"+tagName)),
		pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket()...)),
		pngChunk("eXIf", tiffWithGPS()),
	}, nil)
	return bytes.Join([][]byte{raw[:ihdrEnd], chunks, raw[ihdrEnd:]}, nil)
}

// riff is a RIFF file of form kind with the given chunks.
func riff(kind string, chunks ...[]byte) []byte {
	body := append([]byte(kind), bytes.Join(chunks, nil)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

func riffChunk(id string, data []byte) []byte {
	out := append(binary.LittleEndian.AppendUint32([]byte(id), uint32(len(data))), data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// taggedSamples are the tag formats that can sit before, inside or after
// the audio or image data of the files Homeward meets.
func taggedSamples() []taggedSample {
	frames, adts := mpegFrames(), adtsFrames()
	m4aAudio := bytes.Repeat([]byte{0x21, 0x10, 0x05}, 50)
	wavInfo := riffChunk("LIST", append([]byte("INFO"), append(riffChunk("IART", []byte(tagName+"\x00")), riffChunk("ICMT", []byte(tagPlace+"\x00"))...)...))
	return []taggedSample{
		{"MP3: ID3v2 in front, APEv2 and ID3v1 at the end", bytes.Join([][]byte{id3v2(false), frames, apev2(), id3v1()}, nil), "audio/mpeg"},
		{"MP3: APEv2 with a header and ID3v1", bytes.Join([][]byte{frames, apev2(), id3v1()}, nil), "audio/mpeg"},
		{"MP3: APEv2 alone", bytes.Join([][]byte{frames, apev2()}, nil), "audio/mpeg"},
		{"MP3: Lyrics3 v2 and ID3v1", bytes.Join([][]byte{frames, lyrics3v2(), id3v1()}, nil), "audio/mpeg"},
		{"MP3: ID3v2 appended at the end", bytes.Join([][]byte{frames, id3v2(true)}, nil), "audio/mpeg"},
		{"MP3: two ID3v2 tags in front", bytes.Join([][]byte{id3v2(false), id3v2(false), frames}, nil), "audio/mpeg"},
		{"AAC: ID3v2 in front, APEv2 and ID3v1 at the end", bytes.Join([][]byte{id3v2(false), adts, apev2(), id3v1()}, nil), "audio/aac"},
		{"M4A: udta ©xyz, 3GPP loci, meta/ilst, XMP uuid, old tags in free space, an unknown box", bytes.Join([][]byte{
			box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom")),
			box("moov",
				box("mvhd", make([]byte, 100)),
				box("trak", box("tkhd", make([]byte, 84)),
					box("mdia", box("mdhd", make([]byte, 24)), box("hdlr", make([]byte, 25)),
						box("minf", box("smhd", make([]byte, 8)), box("stbl", box("stsd", make([]byte, 8)), box("Xtra", []byte(tagName))))),
					box("udta", box("loci", []byte("\x00\x00\x00\x00\x15\xc7"+tagPlace+"\x00")))),
				box("udta", box("\xa9xyz", []byte("+11.5564+104.9282/")), box("meta", make([]byte, 4), box("ilst", []byte("artist "+tagName)))),
				box("meta", make([]byte, 4), box("keys", []byte("com.apple.quicktime.location.ISO6709 "+tagPlace))),
			),
			box("free", []byte("old tag: "+tagName+" at "+tagPlace)),
			box("uuid", []byte("XMP <x:xmpmeta>GPSLatitude "+tagPlace+"</x:xmpmeta>")),
			box("mdat", m4aAudio),
		}, nil), "audio/mp4"},
		{"Ogg Vorbis: comments", oggFile(7, 255,
			[][]byte{[]byte("\x01vorbis\x00\x00\x00\x00\x01\x44\xac\x00\x00\x00\x00\x00\x00\x80\x38\x01\x00\x00\x00\x00\xb8\x01")},
			[][]byte{append(append([]byte("\x03vorbis"), commentList("Lavf", "ARTIST="+tagName, "LOCATION="+tagPlace)...), 1)},
			[][]byte{bytes.Repeat([]byte{0x11}, 64)}), "audio/ogg"},
		{"Ogg Opus: comments", oggFile(8, 255,
			[][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
			[][]byte{append([]byte("OpusTags"), commentList("libopus", "ARTIST="+tagName, "LOCATION="+tagPlace)...)},
			[][]byte{bytes.Repeat([]byte{0x11}, 64)}), "audio/ogg"},
		{"WebM: tags, title", bytes.Join([][]byte{
			ebml(0x1A45DFA3, ebml(0x4282, []byte("webm")), ebml(0x4287, []byte{4})),
			unsized(0x18538067,
				ebml(0x1549A966, ebml(0x2AD7B1, []byte{0x0f, 0x42, 0x40}), ebml(0x7BA9, []byte("by "+tagName))),
				ebml(0x1654AE6B, ebml(0xAE, ebml(0xD7, []byte{1}), ebml(0x86, []byte("A_OPUS")))),
				ebml(0x1254C367, ebml(0x7373, ebml(0x67C8, ebml(0x45A3, []byte("RECORDING_LOCATION")), ebml(0x4487, []byte(tagPlace))))),
				unsized(0x1F43B675, ebml(0xE7, []byte{0}), ebml(0xA3, append([]byte{0x81, 0, 0, 0x80}, make([]byte, 64)...))),
			),
		}, nil), "audio/webm"},
		{"JPEG: EXIF with GPS, XMP, IPTC, a comment", taggedJPEG(), "image/jpeg"},
		{"PNG: tEXt, iTXt XMP, eXIf with GPS", taggedPNG(), "image/png"},
		// Formats Homeward does not take: refused whole.
		{"WAV: RIFF LIST INFO", riff("WAVE", riffChunk("fmt ", []byte("\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00")), wavInfo, riffChunk("data", make([]byte, 64))), ""},
		{"WebP: EXIF and XMP chunks", riff("WEBP", riffChunk("VP8X", make([]byte, 10)), riffChunk("EXIF", tiffWithGPS()), riffChunk("XMP ", xmpPacket())), ""},
		{"HEIC: EXIF in the media data", bytes.Join([][]byte{
			box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")),
			box("meta", make([]byte, 4), box("hdlr", make([]byte, 8), []byte("pict"), make([]byte, 13))),
			box("mdat", append([]byte("Exif\x00\x00"), tiffWithGPS()...)),
		}, nil), ""},
		{"AVIF: EXIF in the media data", bytes.Join([][]byte{
			box("ftyp", []byte("avif\x00\x00\x00\x00avifmif1miaf")),
			box("mdat", append([]byte("Exif\x00\x00"), tiffWithGPS()...)),
		}, nil), ""},
		{"FLAC: Vorbis comments", append([]byte("fLaC\x84\x00\x00\x20"), append(commentList("ref", "LOCATION="+tagPlace), make([]byte, 64)...)...), ""},
		{"an ID3v2 tag with no audio after it", id3v2(false), ""},
	}
}

// TestEveryTagFormatIsCleanedOrRefused: each tag format in each kind of
// file is gone from the cleaned bytes (and from what exiftool reads), or
// the file is refused.
func TestEveryTagFormatIsCleanedOrRefused(t *testing.T) {
	for _, s := range taggedSamples() {
		t.Run(s.name, func(t *testing.T) {
			if !bytes.Contains(s.file, []byte(tagPlace)) && !bytes.Contains(s.file, []byte("11.5564")) {
				t.Fatal("the sample carries no location marker")
			}
			out, mime, err := cleanFile(s.file)
			if s.mime == "" {
				if err == nil {
					t.Fatalf("stored as %q, want refused", mime)
				}
				return
			}
			if err != nil || mime != s.mime {
				t.Fatalf("cleanFile = %q, %v; want %q", mime, err, s.mime)
			}
			for _, secret := range []string{tagPlace, "11.5564", "104.9282", tagName} {
				if bytes.Contains(out, []byte(secret)) {
					t.Fatalf("%q survived cleaning", secret)
				}
			}
			if mime == "audio/aac" {
				return // exiftool does not read raw ADTS
			}
			if after, ok := exiftoolReads(t, out); ok {
				for _, secret := range []string{"11.5564", "104.9282", tagName} {
					if bytes.Contains([]byte(after), []byte(secret)) {
						t.Fatalf("exiftool still reads %q:\n%s", secret, after)
					}
				}
			}
		})
	}
}

// TestMPEGFramesAreKeptWhole: the audio frames of an MP3 or AAC file are
// kept byte for byte, and a frame cut off by the end of the file goes.
func TestMPEGFramesAreKeptWhole(t *testing.T) {
	frames, adts := mpegFrames(), adtsFrames()
	cases := []struct {
		name       string
		file, want []byte
	}{
		{"MP3 with tags around", bytes.Join([][]byte{id3v2(false), frames, apev2(), id3v1()}, nil), frames},
		{"MP3 cut in its last frame", append(bytes.Clone(frames), 0xff, 0xfb, 0x90, 0x64, 1, 2, 3), frames},
		{"AAC with tags around", bytes.Join([][]byte{id3v2(false), adts, lyrics3v2()}, nil), adts},
		{"MPEG-2 Layer III at 8 kbit/s, 16 kHz", bytes.Repeat(append([]byte{0xff, 0xf3, 0x18, 0xc4}, make([]byte, 32)...), 2), nil},
	}
	// MPEG-2 Layer III, 8 kbit/s, 16 kHz: 72*8000/16000 = 36 bytes a frame.
	cases[3].want = cases[3].file
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := cleanFile(c.file)
			if err != nil || !bytes.Equal(out, c.want) {
				t.Fatalf("kept %d bytes (%v), want the %d bytes of the frames", len(out), err, len(c.want))
			}
		})
	}
}

func FuzzKeepMPEGFrames(f *testing.F) {
	for _, s := range taggedSamples() {
		if bytes.HasPrefix(s.file, []byte("ID3")) || (len(s.file) > 1 && s.file[0] == 0xff) {
			f.Add(s.file)
		}
	}
	f.Add([]byte("ID3\x04\x00\x10\x00\x00\x00\x00"))
	f.Add([]byte{0xff, 0xfb, 0x90})
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, mime, err := keepMPEGFrames(raw)
		if err != nil {
			return
		}
		if len(out) == 0 || len(out) > len(raw) || (mime != "audio/mpeg" && mime != "audio/aac") {
			t.Fatalf("kept %d of %d bytes as %q", len(out), len(raw), mime)
		}
		// What is kept is frames alone: cleaning it again keeps all of it.
		again, _, err := keepMPEGFrames(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("cleaning the kept frames again changed them: %v", err)
		}
	})
}
