package sync

import "bytes"

// AudioSamples are the first bytes of voice notes as phones record them,
// enough for type detection.
func AudioSamples() map[string][]byte {
	pad := bytes.Repeat([]byte{0}, 64)
	webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
		0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02}, pad...)
	ogg := append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"), pad...)
	m4a := append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"), pad...)
	aac := append([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, pad...)
	mp3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64"), pad...)
	return map[string][]byte{"webm": webm, "ogg": ogg, "m4a": m4a, "aac": aac, "mp3": mp3}
}
