package media

import "bytes"

// WebM is Matroska: EBML elements, each an id, a size and a body. A
// recorder or an editor may write a title or a recording date into the
// segment's Info, and names, places and pictures into its Tags, Chapters
// and Attachments. blankWebMMetadata turns each of those elements into a
// Void element of the same length, zero-filled, as blankMP4Metadata does
// with "free" boxes: every offset in the file stays right, so the cues
// still point at the audio.

// EBML ids of the elements read or blanked.
const (
	ebmlHeaderID    = 0x1A45DFA3
	ebmlSegment     = 0x18538067
	ebmlSeekHead    = 0x114D9B74
	ebmlInfo        = 0x1549A966
	ebmlTracks      = 0x1654AE6B
	ebmlCluster     = 0x1F43B675
	ebmlCues        = 0x1C53BB6B
	ebmlTags        = 0x1254C367
	ebmlAttachments = 0x1941A469
	ebmlChapters    = 0x1043A770
	ebmlTitle       = 0x7BA9
	ebmlDateUTC     = 0x4461
	ebmlVoid        = 0xEC
)

// ebmlSizeUnset is the end ebmlElement gives an element of unknown size.
const ebmlSizeUnset = -1

// webmSegmentChildren are the ids that may follow a cluster of unknown size
// in its segment, so they end it; webmMetadata are the segment's children
// blanked whole.
var (
	webmSegmentChildren = map[uint64]bool{
		ebmlSeekHead: true, ebmlInfo: true, ebmlTracks: true, ebmlCluster: true,
		ebmlCues: true, ebmlTags: true, ebmlAttachments: true, ebmlChapters: true,
	}
	webmMetadata = map[uint64]bool{ebmlTags: true, ebmlAttachments: true, ebmlChapters: true}
)

func blankWebMMetadata(raw []byte) ([]byte, string, error) {
	out := bytes.Clone(raw)
	id, _, end, err := ebmlElement(out, 0, len(out))
	if err != nil || id != ebmlHeaderID || end == ebmlSizeUnset {
		return nil, "", ErrUnsupported
	}
	for pos := end; pos < len(out); {
		id, body, end, err := ebmlElement(out, pos, len(out))
		if err != nil || end == ebmlSizeUnset {
			return nil, "", ErrUnsupported
		}
		if id == ebmlSegment {
			if err := blankSegment(out, body, end); err != nil {
				return nil, "", err
			}
		}
		pos = end
	}
	return out, "audio/webm", nil
}

// blankSegment walks a segment's children from body to end.
func blankSegment(b []byte, body, end int) error {
	for pos := body; pos < end; {
		id, childBody, childEnd, err := ebmlElement(b, pos, end)
		if err != nil {
			return err
		}
		switch {
		case childEnd == ebmlSizeUnset && id == ebmlCluster:
			// A live recorder writes clusters before it knows their size:
			// the cluster ends where the next segment child starts.
			if childEnd, err = unsizedClusterEnd(b, childBody, end); err != nil {
				return err
			}
		case childEnd == ebmlSizeUnset:
			return ErrUnsupported
		case webmMetadata[id]:
			voidElement(b, pos, childEnd)
		case id == ebmlInfo:
			for p := childBody; p < childEnd; {
				infoID, _, infoEnd, err := ebmlElement(b, p, childEnd)
				if err != nil || infoEnd == ebmlSizeUnset {
					return ErrUnsupported
				}
				if infoID == ebmlTitle || infoID == ebmlDateUTC {
					voidElement(b, p, infoEnd)
				}
				p = infoEnd
			}
		}
		pos = childEnd
	}
	return nil
}

// unsizedClusterEnd finds where a cluster of unknown size ends.
func unsizedClusterEnd(b []byte, body, end int) (int, error) {
	pos := body
	for pos < end {
		id, _, childEnd, err := ebmlElement(b, pos, end)
		if err != nil {
			return 0, err
		}
		if webmSegmentChildren[id] {
			break
		}
		if childEnd == ebmlSizeUnset {
			return 0, ErrUnsupported
		}
		pos = childEnd
	}
	return pos, nil
}

// ebmlElement reads the element at pos: its id, where its body starts, and
// where it ends (ebmlSizeUnset for an unknown size, which runs to limit
// for a segment and to its next sibling for a cluster).
func ebmlElement(b []byte, pos, limit int) (id uint64, body, end int, err error) {
	id, idLen, ok := ebmlVint(b, pos, limit, 4)
	if !ok {
		return 0, 0, 0, ErrUnsupported
	}
	id |= 1 << (7 * idLen) // ids keep their length marker
	size, sizeLen, ok := ebmlVint(b, pos+idLen, limit, 8)
	if !ok {
		return 0, 0, 0, ErrUnsupported
	}
	body = pos + idLen + sizeLen
	if size == 1<<(7*sizeLen)-1 { // all ones: unknown size
		if id == ebmlSegment {
			return id, body, limit, nil
		}
		return id, body, ebmlSizeUnset, nil
	}
	if size > uint64(limit-body) {
		return 0, 0, 0, ErrUnsupported
	}
	return id, body, body + int(size), nil
}

// ebmlVint reads a variable-length integer of at most max bytes, without
// its length marker.
func ebmlVint(b []byte, pos, limit, max int) (v uint64, n int, ok bool) {
	if pos >= limit {
		return 0, 0, false
	}
	first := b[pos]
	for n = 1; n <= max && first&(0x80>>(n-1)) == 0; n++ {
	}
	if n > max || pos+n > limit {
		return 0, 0, false
	}
	v = uint64(first & (0xff >> n))
	for _, c := range b[pos+1 : pos+n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}

// voidElement rewrites the element in b[pos:end] as a Void element of the
// same length with a zeroed body.
func voidElement(b []byte, pos, end int) {
	total := end - pos
	// The shortest size field that, with the one-byte Void id, fills the
	// element exactly; an element is at least two bytes, so one fits.
	n := 1
	for ; n < 8 && uint64(total-1-n) > 1<<(7*n)-2; n++ {
	}
	size := uint64(total - 1 - n)
	b[pos] = ebmlVoid
	for i := n; i >= 1; i-- {
		b[pos+i] = byte(size)
		size >>= 8
	}
	b[pos+1] |= 0x80 >> (n - 1)
	clear(b[pos+1+n : end])
}
