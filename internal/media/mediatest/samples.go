// Package mediatest builds small media files carrying the metadata a phone
// or an editor writes (EXIF GPS, XMP, IPTC, ID3, APE, Lyrics3, MP4 udta,
// Ogg comments, WebM tags, RIFF INFO), for the tests of package media and
// of the upload routes that store what media.Clean returns.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The location marker every tagged sample carries, and a name with it.
const (
	TagPlace = "11.5564 N 104.9282 E"
	TagName  = "Somchai"
)

// TaggedSample is a file of a kind Homeward may meet, with tags carrying
// TagPlace and TagName where that format keeps them; mime is what it is
// stored as, or "" when it must be refused.
type TaggedSample struct {
	Name string
	File []byte
	Mime string // what it is stored as; "" when it must be refused
}

// TaggedSamples are the tag formats that can sit before, inside or after
// the audio or image data of the files Homeward meets.
func TaggedSamples() []TaggedSample {
	frames, adts := MPEGFrames(), ADTSFrames()
	m4aAudio := bytes.Repeat([]byte{0x21, 0x10, 0x05}, 50)
	wavInfo := RIFFChunk("LIST", append([]byte("INFO"), append(RIFFChunk("IART", []byte(TagName+"\x00")), RIFFChunk("ICMT", []byte(TagPlace+"\x00"))...)...))
	return []TaggedSample{
		{"MP3: ID3v2 in front, APEv2 and ID3v1 at the end", bytes.Join([][]byte{ID3v2(false), frames, APEv2(), ID3v1()}, nil), "audio/mpeg"},
		{"MP3: APEv2 with a header and ID3v1", bytes.Join([][]byte{frames, APEv2(), ID3v1()}, nil), "audio/mpeg"},
		{"MP3: APEv2 alone", bytes.Join([][]byte{frames, APEv2()}, nil), "audio/mpeg"},
		{"MP3: Lyrics3 v2 and ID3v1", bytes.Join([][]byte{frames, Lyrics3v2(), ID3v1()}, nil), "audio/mpeg"},
		{"MP3: ID3v2 appended at the end", bytes.Join([][]byte{frames, ID3v2(true)}, nil), "audio/mpeg"},
		{"MP3: two ID3v2 tags in front", bytes.Join([][]byte{ID3v2(false), ID3v2(false), frames}, nil), "audio/mpeg"},
		{"AAC: ID3v2 in front, APEv2 and ID3v1 at the end", bytes.Join([][]byte{ID3v2(false), adts, APEv2(), ID3v1()}, nil), "audio/aac"},
		{"M4A: udta ©xyz, 3GPP loci, meta/ilst, XMP uuid, old tags in free space, an unknown box", bytes.Join([][]byte{
			Box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom")),
			Box("moov",
				Box("mvhd", make([]byte, 100)),
				Box("trak", Box("tkhd", make([]byte, 84)),
					Box("mdia", Box("mdhd", make([]byte, 24)), Box("hdlr", make([]byte, 25)),
						Box("minf", Box("smhd", make([]byte, 8)), Box("stbl", Box("stsd", make([]byte, 8)), Box("Xtra", []byte(TagName))))),
					Box("udta", Box("loci", []byte("\x00\x00\x00\x00\x15\xc7"+TagPlace+"\x00")))),
				Box("udta", Box("\xa9xyz", []byte("+11.5564+104.9282/")), Box("meta", make([]byte, 4), Box("ilst", []byte("artist "+TagName)))),
				Box("meta", make([]byte, 4), Box("keys", []byte("com.apple.quicktime.location.ISO6709 "+TagPlace))),
			),
			Box("free", []byte("old tag: "+TagName+" at "+TagPlace)),
			Box("uuid", []byte("XMP <x:xmpmeta>GPSLatitude "+TagPlace+"</x:xmpmeta>")),
			Box("mdat", m4aAudio),
		}, nil), "audio/mp4"},
		{"Ogg Vorbis: comments", OggFile(7, 255,
			[][]byte{[]byte("\x01vorbis\x00\x00\x00\x00\x01\x44\xac\x00\x00\x00\x00\x00\x00\x80\x38\x01\x00\x00\x00\x00\xb8\x01")},
			[][]byte{append(append([]byte("\x03vorbis"), CommentList("Lavf", "ARTIST="+TagName, "LOCATION="+TagPlace)...), 1)},
			[][]byte{bytes.Repeat([]byte{0x11}, 64)}), "audio/ogg"},
		{"Ogg Opus: comments", OggFile(8, 255,
			[][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
			[][]byte{append([]byte("OpusTags"), CommentList("libopus", "ARTIST="+TagName, "LOCATION="+TagPlace)...)},
			[][]byte{bytes.Repeat([]byte{0x11}, 64)}), "audio/ogg"},
		{"WebM: tags, title", bytes.Join([][]byte{
			EBML(0x1A45DFA3, EBML(0x4282, []byte("webm")), EBML(0x4287, []byte{4})),
			Unsized(0x18538067,
				EBML(0x1549A966, EBML(0x2AD7B1, []byte{0x0f, 0x42, 0x40}), EBML(0x7BA9, []byte("by "+TagName))),
				EBML(0x1654AE6B, EBML(0xAE, EBML(0xD7, []byte{1}), EBML(0x86, []byte("A_OPUS")))),
				EBML(0x1254C367, EBML(0x7373, EBML(0x67C8, EBML(0x45A3, []byte("RECORDING_LOCATION")), EBML(0x4487, []byte(TagPlace))))),
				Unsized(0x1F43B675, EBML(0xE7, []byte{0}), EBML(0xA3, append([]byte{0x81, 0, 0, 0x80}, make([]byte, 64)...))),
			),
		}, nil), "audio/webm"},
		{"JPEG: EXIF with GPS, XMP, IPTC, a comment", TaggedJPEG(), "image/jpeg"},
		{"PNG: tEXt, iTXt XMP, eXIf with GPS", TaggedPNG(), "image/png"},
		// Formats Homeward does not take: refused whole.
		{"WAV: RIFF LIST INFO", RIFF("WAVE", RIFFChunk("fmt ", []byte("\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00")), wavInfo, RIFFChunk("data", make([]byte, 64))), ""},
		{"WebP: EXIF and XMP chunks", RIFF("WEBP", RIFFChunk("VP8X", make([]byte, 10)), RIFFChunk("EXIF", TIFFWithGPS()), RIFFChunk("XMP ", XMPPacket())), ""},
		{"HEIC: EXIF in the media data", bytes.Join([][]byte{
			Box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")),
			Box("meta", make([]byte, 4), Box("hdlr", make([]byte, 8), []byte("pict"), make([]byte, 13))),
			Box("mdat", append([]byte("Exif\x00\x00"), TIFFWithGPS()...)),
		}, nil), ""},
		{"AVIF: EXIF in the media data", bytes.Join([][]byte{
			Box("ftyp", []byte("avif\x00\x00\x00\x00avifmif1miaf")),
			Box("mdat", append([]byte("Exif\x00\x00"), TIFFWithGPS()...)),
		}, nil), ""},
		{"FLAC: Vorbis comments", append([]byte("fLaC\x84\x00\x00\x20"), append(CommentList("ref", "LOCATION="+TagPlace), make([]byte, 64)...)...), ""},
		{"an ID3v2 tag with no audio after it", ID3v2(false), ""},
	}
}

// What a recorder or an editor might have written into a voice note.
var AudioSecrets = []string{"Somchai", "compound", "11.5564", "104.9282"}

// ExiftoolReads returns what exiftool reads from file, or skips the check
// when exiftool is not installed (CI installs it).
func ExiftoolReads(t *testing.T, file []byte) (string, bool) {
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

// Box builds an MP4 box.
func Box(kind string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(out, uint32(8+len(body)))
	copy(out[4:], kind)
	return append(out, body...)
}

// MPEGFrames are three MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz).
func MPEGFrames() []byte {
	return bytes.Repeat(append([]byte{0xff, 0xfb, 0x90, 0x64}, bytes.Repeat([]byte{0x55}, 413)...), 3)
}

// ADTSFrames are three ADTS (AAC LC) frames of 16 bytes.
func ADTSFrames() []byte {
	return bytes.Repeat(append([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, bytes.Repeat([]byte{0x21}, 9)...), 3)
}

func ID3v1() []byte {
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	copy(v1[3:], "Voice memo")
	copy(v1[33:], TagName)
	copy(v1[97:], TagPlace)
	return v1
}

// ID3v2 is an ID3v2.4 tag with an artist and a comment; footer appends the
// "3DI" footer an appended tag carries.
func ID3v2(footer bool) []byte {
	frame := func(id, text string) []byte {
		body := append([]byte{3}, text...) // UTF-8
		f := append([]byte(id), synchsafe(len(body))...)
		return append(append(f, 0, 0), body...)
	}
	body := append(frame("TPE1", TagName), frame("TXXX", "\x00location\x00"+TagPlace)...)
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

// APEv2 is an APEv2 tag with a header and a footer (as foobar2000 and
// Mp3tag write it), an artist and a comment.
func APEv2() []byte {
	le := binary.LittleEndian
	item := func(key, value string) []byte {
		out := le.AppendUint32(nil, uint32(len(value)))
		out = le.AppendUint32(out, 0)
		return append(append(append(out, key...), 0), value...)
	}
	items := append(item("Artist", TagName), item("Comment", "recorded at "+TagPlace)...)
	block := func(flags uint32) []byte {
		out := append([]byte("APETAGEX"), le.AppendUint32(nil, 2000)...)
		out = le.AppendUint32(out, uint32(len(items)+32))
		out = le.AppendUint32(out, 2)
		out = le.AppendUint32(out, flags)
		return append(out, make([]byte, 8)...)
	}
	return bytes.Join([][]byte{block(0xa0000000), items, block(0x80000000)}, nil)
}

// Lyrics3v2 is a Lyrics3 v2.00 block: fields, their size, "LYRICS200".
func Lyrics3v2() []byte {
	field := func(id, value string) string {
		return id + string([]byte{byte('0' + len(value)/10000%10), byte('0' + len(value)/1000%10), byte('0' + len(value)/100%10),
			byte('0' + len(value)/10%10), byte('0' + len(value)%10)}) + value
	}
	body := "LYRICSBEGIN" + field("IND", "10") + field("EAR", TagName) + field("INF", "at "+TagPlace)
	size := []byte{byte('0' + len(body)/100000%10), byte('0' + len(body)/10000%10), byte('0' + len(body)/1000%10),
		byte('0' + len(body)/100%10), byte('0' + len(body)/10%10), byte('0' + len(body)%10)}
	return append(append([]byte(body), size...), "LYRICS200"...)
}

// PlainPhoto is a small photo encoded as f does.
func PlainPhoto(encode func(*bytes.Buffer, image.Image) error) []byte {
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

// JPEGSegment is a JPEG marker segment.
func JPEGSegment(marker byte, body []byte) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{0xff, marker}, uint16(2+len(body))), body...)
}

// TIFFWithGPS is a little-endian EXIF TIFF whose IFD0 has an Artist and
// a GPS IFD with the latitude reference and a GPS area text.
func TIFFWithGPS() []byte {
	le := binary.LittleEndian
	artist := append([]byte(TagName), 0)
	area := append([]byte("ASCII\x00\x00\x00"), TagPlace...)
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

func XMPPacket() []byte {
	return []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
		`<photoshop:City>` + TagPlace + `</photoshop:City><dc:creator><rdf:Seq><rdf:li>` + TagName + `</rdf:li></rdf:Seq></dc:creator>` +
		`</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)
}

// IPTCBlock is a Photoshop image resource block with IPTC: a byline and
// a sublocation.
func IPTCBlock() []byte {
	ds := func(tag byte, v string) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{0x1c, 2, tag}, uint16(len(v))), v...)
	}
	iptc := append(ds(80, TagName), ds(92, TagPlace)...)
	if len(iptc)%2 == 1 {
		iptc = append(iptc, 0)
	}
	res := append([]byte("8BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptc)))...)
	return append(append([]byte("Photoshop 3.0\x00"), res...), iptc...)
}

// TaggedJPEG carries EXIF (with GPS), XMP, IPTC and a comment.
func TaggedJPEG() []byte {
	raw := PlainPhoto(func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) })
	segs := bytes.Join([][]byte{
		JPEGSegment(0xe1, append([]byte("Exif\x00\x00"), TIFFWithGPS()...)),
		JPEGSegment(0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), XMPPacket()...)),
		JPEGSegment(0xed, IPTCBlock()),
		JPEGSegment(0xfe, []byte("taken by "+TagName)),
	}, nil)
	return append(append(raw[:2:2], segs...), raw[2:]...)
}

// PNGChunk is a PNG chunk with its CRC.
func PNGChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(append(out, kind...), data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// TaggedPNG carries tEXt, iTXt (XMP) and eXIf (with GPS) chunks.
func TaggedPNG() []byte {
	raw := PlainPhoto(func(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) })
	ihdrEnd := 8 + 8 + 13 + 4
	chunks := bytes.Join([][]byte{
		PNGChunk("tEXt", []byte("Author\x00"+TagName)),
		PNGChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), XMPPacket()...)),
		PNGChunk("eXIf", TIFFWithGPS()),
	}, nil)
	return bytes.Join([][]byte{raw[:ihdrEnd], chunks, raw[ihdrEnd:]}, nil)
}

// RIFF is a RIFF file of form kind with the given chunks.
func RIFF(kind string, chunks ...[]byte) []byte {
	body := append([]byte(kind), bytes.Join(chunks, nil)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

func RIFFChunk(id string, data []byte) []byte {
	out := append(binary.LittleEndian.AppendUint32([]byte(id), uint32(len(data))), data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// OggCRC is the Ogg CRC computed bit by bit, apart from the table the
// code uses.
func OggCRC(page []byte) uint32 {
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

// OggFile lays packets out in Ogg pages of at most perPage segments each,
// a packet running on into the next page where it does not fit. Each group
// of packets starts on a fresh page, as the headers must (RFC 7845).
func OggFile(serial uint32, perPage int, groups ...[][]byte) []byte {
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
			binary.LittleEndian.PutUint32(page[22:], OggCRC(page))
			out = append(out, page...)
			continued = !ends[n-1]
			segs, ends = segs[n:], ends[n:]
			seq++
		}
	}
	return out
}

// CommentList is a vendor string and "KEY=value" comments, as Opus and
// Vorbis write them.
func CommentList(vendor string, comments ...string) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(vendor)))
	out = append(out, vendor...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(comments)))
	for _, c := range comments {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
	}
	return out
}

// EBML builds an element with a sized body; Unsized builds one whose size
// is unknown, as a live recorder writes segments and clusters.
func EBML(id uint64, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	size := binary.BigEndian.AppendUint64(nil, uint64(len(b)))
	size[0] = 0x01 // an 8-byte size, as muxers often write
	return append(append(idBytes(id), size...), b...)
}

func Unsized(id uint64, body ...[]byte) []byte {
	return append(append(idBytes(id), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), bytes.Join(body, nil)...)
}

func idBytes(id uint64) []byte {
	var out []byte
	for ; id > 0; id >>= 8 {
		out = append([]byte{byte(id)}, out...)
	}
	return out
}

// EBML element ids of a WebM file's structure (the Matroska specification).
const (
	ebmlSegment = 0x18538067
	ebmlInfo    = 0x1549A966
	ebmlCluster = 0x1F43B675
)

// AudioSamples are small voice notes in the containers phones record to,
// whole files as far as their containers go (the audio itself is filler).
func AudioSamples() map[string][]byte {
	pad := bytes.Repeat([]byte{0}, 64)
	// As Chromium's MediaRecorder writes it: a segment and a cluster of
	// unknown size.
	webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
		0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02},
		Unsized(ebmlSegment, EBML(ebmlInfo, EBML(0x4D80, []byte("Chrome"))), Unsized(ebmlCluster, EBML(0xE7, []byte{0}), EBML(0xA3, pad)))...)
	ogg := OggFile(1, 255, [][]byte{[]byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")},
		[][]byte{append([]byte("OpusTags"), CommentList("libopus")...)}, [][]byte{pad})
	m4a := append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"), pad...)
	// Two ADTS frames of 16 bytes; two MPEG-1 Layer III frames of 417.
	aac := bytes.Repeat(append([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, make([]byte, 9)...), 2)
	mp3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x00\x00\x00"),
		bytes.Repeat(append([]byte{0xff, 0xfb, 0x90, 0x64}, make([]byte, 413)...), 2)...)
	return map[string][]byte{"webm": webm, "ogg": ogg, "m4a": m4a, "aac": aac, "mp3": mp3}
}
