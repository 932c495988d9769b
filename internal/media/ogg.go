package media

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Ogg (RFC 3533) carries Opus (RFC 7845) or Vorbis audio in pages. The
// second packet of each stream is its comment header: a vendor string, then
// "KEY=value" comments, where a recorder or an editor may have written a
// title, a name or a place. blankOggComments empties that list in place:
// the comment count becomes zero and the comments' bytes zeros, so every
// page keeps its size, and only the CRCs of the pages touched are computed
// again. The vendor string (the encoder library) stays. Streams of other
// codecs (Speex, FLAC, video) are refused; a Skeleton index may come along.

// oggPage is one page: where it starts, its stream, and where each of its
// segments lies in the file.
type oggPage struct {
	start, end int // the whole page, header included
	serial     uint32
	segments   []int // segment lengths, from the segment table
	data       int   // file offset of the first segment
}

// oggChunk is part of a packet, as it lies in the file.
type oggChunk struct{ page, off, n int }

// oggCodec is an audio codec whose comments are cleaned: how its first
// packet (the identification header) and its second (the comment header)
// begin, and whether the comment list ends with a framing bit (Vorbis).
type oggCodec struct {
	head, tags string
	framing    bool
}

var oggCodecs = []oggCodec{
	{head: "OpusHead", tags: "OpusTags"},
	{head: "\x01vorbis", tags: "\x03vorbis", framing: true},
}

func blankOggComments(raw []byte) ([]byte, string, error) {
	out := bytes.Clone(raw)
	pages, err := oggPages(out)
	if err != nil {
		return nil, "", err
	}
	// The first two packets of each stream, gathered across pages: a
	// segment shorter than 255 bytes ends a packet.
	type stream struct {
		packets [][]oggChunk
		open    bool // the last packet goes on
	}
	streams := map[uint32]*stream{}
	var order []*stream
	for i, p := range pages {
		s := streams[p.serial]
		if s == nil {
			s = &stream{}
			streams[p.serial] = s
			order = append(order, s)
		}
		off := p.data
		for _, n := range p.segments {
			if len(s.packets) == 2 && !s.open {
				break
			}
			if !s.open {
				s.packets = append(s.packets, nil)
				s.open = true
			}
			last := len(s.packets) - 1
			s.packets[last] = append(s.packets[last], oggChunk{page: i, off: off, n: n})
			s.open = n == 255
			off += n
		}
	}
	touched := map[int]bool{}
	for _, s := range order {
		first := packetBytes(out, s.packets[0])
		if bytes.HasPrefix(first, []byte("fishead\x00")) {
			continue // a Skeleton stream: an index, no comments
		}
		i := slices.IndexFunc(oggCodecs, func(c oggCodec) bool { return bytes.HasPrefix(first, []byte(c.head)) })
		switch {
		case i < 0:
			// Speex, FLAC, video...: not what phones record voice to, and
			// their comments sit elsewhere.
			return nil, "", ErrUnsupported
		case len(s.packets) < 2:
			continue // no comment header at all
		case len(s.packets) == 2 && s.open:
			return nil, "", ErrUnsupported // the comment header is cut off
		}
		if err := blankCommentPacket(out, s.packets[1], oggCodecs[i], touched); err != nil {
			return nil, "", err
		}
	}
	for i := range touched {
		setOggCRC(out[pages[i].start:pages[i].end])
	}
	return out, "audio/ogg", nil
}

// oggPages splits raw into pages, refusing anything that is not a whole
// sequence of Ogg pages.
func oggPages(raw []byte) ([]oggPage, error) {
	var pages []oggPage
	for pos := 0; pos < len(raw); {
		if len(raw)-pos < 27 || string(raw[pos:pos+4]) != "OggS" || raw[pos+4] != 0 {
			return nil, ErrUnsupported
		}
		n := int(raw[pos+26])
		if len(raw)-pos < 27+n {
			return nil, ErrUnsupported
		}
		p := oggPage{
			start:  pos,
			serial: binary.LittleEndian.Uint32(raw[pos+14:]),
			data:   pos + 27 + n,
		}
		size := 0
		for _, s := range raw[pos+27 : pos+27+n] {
			p.segments = append(p.segments, int(s))
			size += int(s)
		}
		p.end = p.data + size
		if p.end > len(raw) {
			return nil, ErrUnsupported
		}
		pages = append(pages, p)
		pos = p.end
	}
	if len(pages) == 0 {
		return nil, ErrUnsupported
	}
	return pages, nil
}

// packetBytes gathers a packet's bytes from its chunks.
func packetBytes(file []byte, chunks []oggChunk) []byte {
	var pkt []byte
	for _, c := range chunks {
		pkt = append(pkt, file[c.off:c.off+c.n]...)
	}
	return pkt
}

// blankCommentPacket empties the comment list of codec's comment header,
// whose bytes lie in chunks.
func blankCommentPacket(file []byte, chunks []oggChunk, codec oggCodec, touched map[int]bool) error {
	pkt := packetBytes(file, chunks)
	if !bytes.HasPrefix(pkt, []byte(codec.tags)) {
		return ErrUnsupported // the stream's second packet must be its comments
	}
	start := len(codec.tags)
	if len(pkt) < start+8 {
		return ErrUnsupported
	}
	vendor := int(binary.LittleEndian.Uint32(pkt[start:]))
	count := start + 4 + vendor // where the comment count is
	if vendor < 0 || count+4 > len(pkt) {
		return ErrUnsupported
	}
	// Count zero, then nothing: zero padding for Opus; for Vorbis the
	// framing bit its decoder reads right after the (now empty) list.
	clear(pkt[count:])
	if codec.framing {
		if count+4 >= len(pkt) {
			return ErrUnsupported
		}
		pkt[count+4] = 1
	}
	at := 0
	for _, c := range chunks {
		if !bytes.Equal(file[c.off:c.off+c.n], pkt[at:at+c.n]) {
			copy(file[c.off:c.off+c.n], pkt[at:at+c.n])
			touched[c.page] = true
		}
		at += c.n
	}
	return nil
}

// oggCRC is the CRC-32 Ogg pages carry: polynomial 0x04c11db7, not
// reflected, starting at zero, no final inversion.
var oggCRC = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// setOggCRC writes page's checksum, computed with its CRC field zeroed.
func setOggCRC(page []byte) {
	clear(page[22:26])
	var crc uint32
	for _, b := range page {
		crc = crc<<8 ^ oggCRC[byte(crc>>24)^b]
	}
	binary.LittleEndian.PutUint32(page[22:], crc)
}
