package media

// An MP3 (MPEG audio) or AAC (ADTS) voice note is a run of frames, each
// with a header that says how long it is. Tags sit around them: ID3v2 in
// front (or, less often, at the end), and at the end APEv2, Lyrics3 and
// ID3v1, with titles, names, comments and places. keepMPEGFrames keeps
// the frames alone: it skips ID3v2 tags in front, walks whole frames of
// one stream, and drops everything from the first byte that is not one
// (a tag, a frame cut off by the end of a recording, or junk). So no tag
// format needs to be known to be removed.

// mpegFrame is what a frame header says: its length, and the fields every
// frame of the same stream shares.
type mpegFrame struct {
	length int
	stream uint32 // version, layer and sample rate (MPEG) or profile and rate (ADTS)
}

// mpegBitrates are the bit rates in kbit/s by [MPEG-1 or 2/2.5][layer
// I, II, III][index] (ISO/IEC 11172-3, 13818-3).
var mpegBitrates = [2][3][15]int{
	{
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	},
	{
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	},
}

// mpegSampleRates are in Hz by [version bits][index]; version 1 is reserved.
var mpegSampleRates = [4][3]int{
	{11025, 12000, 8000},  // MPEG 2.5
	{},                    // reserved
	{22050, 24000, 16000}, // MPEG 2
	{44100, 48000, 32000}, // MPEG 1
}

// mpegHeader reads an MPEG audio frame header at b; ok is false when b
// does not start with one. Free-format frames (no bit rate) are not read:
// their length is not in the header.
func mpegHeader(b []byte) (mpegFrame, bool) {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return mpegFrame{}, false
	}
	version, layer := int(b[1]>>3&3), int(b[1]>>1&3)
	rateIdx, srIdx, padding := int(b[2]>>4), int(b[2]>>2&3), int(b[2]>>1&1)
	if version == 1 || layer == 0 || rateIdx == 0 || rateIdx == 15 || srIdx == 3 {
		return mpegFrame{}, false
	}
	v := 1
	if version == 3 {
		v = 0
	}
	l := 3 - layer // layer bits 3, 2, 1 are layers I, II, III
	bitrate := mpegBitrates[v][l][rateIdx] * 1000
	sr := mpegSampleRates[version][srIdx]
	var n int
	switch {
	case l == 0:
		n = (12*bitrate/sr + padding) * 4
	case l == 2 && v == 1:
		n = 72*bitrate/sr + padding
	default:
		n = 144*bitrate/sr + padding
	}
	return mpegFrame{length: n, stream: uint32(b[1])<<8 | uint32(b[2]&0x0c)}, true
}

// adtsHeader reads an ADTS (AAC) frame header at b.
func adtsHeader(b []byte) (mpegFrame, bool) {
	if len(b) < 7 || b[0] != 0xff || b[1]&0xf6 != 0xf0 {
		return mpegFrame{}, false
	}
	if b[2]>>2&0x0f > 12 { // sampling frequency index
		return mpegFrame{}, false
	}
	n := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5])>>5
	header := 7
	if b[1]&1 == 0 { // a CRC follows the header
		header = 9
	}
	if n < header {
		return mpegFrame{}, false
	}
	return mpegFrame{length: n, stream: uint32(b[1])<<8 | uint32(b[2]&0xfc)}, true
}

// id3v2Size is the length of an ID3v2 tag at b (header, body and footer),
// or 0 when b does not start with one.
func id3v2Size(b []byte) int {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] == 0xff || b[4] == 0xff {
		return 0
	}
	for _, c := range b[6:10] {
		if c&0x80 != 0 { // a synchsafe size has no high bits
			return 0
		}
	}
	n := 10 + (int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9]))
	if b[5]&0x10 != 0 {
		n += 10 // footer
	}
	return n
}

// keepMPEGFrames returns the audio frames of an MP3 or AAC file (see the
// top of this file); a file with no whole frame is refused.
func keepMPEGFrames(raw []byte) ([]byte, string, error) {
	start := 0
	for {
		n := id3v2Size(raw[start:])
		if n == 0 {
			break
		}
		if n > len(raw)-start {
			return nil, "", ErrUnsupported
		}
		start += n
	}
	read, mime := mpegHeader, "audio/mpeg"
	first, ok := mpegHeader(raw[start:])
	if !ok {
		read, mime = adtsHeader, "audio/aac"
		if first, ok = adtsHeader(raw[start:]); !ok {
			return nil, "", ErrUnsupported
		}
	}
	end := start
	for {
		f, ok := read(raw[end:])
		if !ok || f.stream != first.stream || f.length > len(raw)-end {
			break
		}
		end += f.length
	}
	if end == start {
		return nil, "", ErrUnsupported
	}
	return raw[start:end:end], mime, nil
}
