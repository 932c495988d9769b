package sync

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
)

// maxImagePixels bounds decoding: a small file can declare a huge canvas
// (a decompression bomb); 50 megapixels is beyond any phone photo.
const maxImagePixels = 50_000_000

// jpegQuality keeps photos legible for staff while re-encoding them.
const jpegQuality = 88

var (
	errUnsupportedFile = errors.New("unsupported file type")
	errImageTooLarge   = errors.New("image dimensions too large")
)

// cleanFile returns the bytes to store for an upload and their media type.
// Images are decoded and encoded again, which keeps the pixels and drops
// everything else (EXIF with GPS and camera, XMP, ICC, PNG text chunks).
// Audio is kept as sent, but only in the containers phones record to, and
// with its metadata removed: an MP3's ID3 tags (title, artist, comments)
// are cut off; an MP4/M4A's metadata boxes (where phones write the recording's
// location), an Ogg stream's comments and a WebM file's tags, title and
// date are blanked in place.
func cleanFile(raw []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(raw, []byte("\xff\xd8\xff")):
		return reencode(raw, "image/jpeg", func(buf *bytes.Buffer, img image.Image) error {
			return jpeg.Encode(buf, img, &jpeg.Options{Quality: jpegQuality})
		})
	case bytes.HasPrefix(raw, []byte("\x89PNG\r\n\x1a\n")):
		return reencode(raw, "image/png", func(buf *bytes.Buffer, img image.Image) error {
			enc := png.Encoder{CompressionLevel: png.BestCompression}
			return enc.Encode(buf, img)
		})
	case bytes.HasPrefix(raw, []byte("\x1a\x45\xdf\xa3")):
		return blankWebMMetadata(raw)
	case bytes.HasPrefix(raw, []byte("OggS")):
		return blankOggComments(raw)
	case len(raw) > 12 && string(raw[4:8]) == "ftyp":
		return blankMP4Metadata(raw)
	case bytes.HasPrefix(raw, []byte("ID3")):
		return stripID3(raw)
	case len(raw) > 2 && raw[0] == 0xff && (raw[1]&0xf6) == 0xf0:
		return raw, "audio/aac", nil // ADTS
	case len(raw) > 2 && raw[0] == 0xff && (raw[1]&0xe0) == 0xe0:
		return cutID3v1(raw), "audio/mpeg", nil // an MPEG audio frame, no ID3v2 tag
	}
	return nil, "", errUnsupportedFile
}

func reencode(raw []byte, mime string, encode func(*bytes.Buffer, image.Image) error) ([]byte, string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, "", errUnsupportedFile
	}
	if cfg.Width*cfg.Height > maxImagePixels {
		return nil, "", errImageTooLarge
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", errUnsupportedFile
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mime, nil
}

// stripID3 cuts an ID3v2 tag off the front of an MP3, and an ID3v1 tag off
// its end.
func stripID3(raw []byte) ([]byte, string, error) {
	if len(raw) < 10 {
		return nil, "", errUnsupportedFile
	}
	size := int(raw[6]&0x7f)<<21 | int(raw[7]&0x7f)<<14 | int(raw[8]&0x7f)<<7 | int(raw[9]&0x7f)
	end := 10 + size
	if raw[5]&0x10 != 0 {
		end += 10 // footer
	}
	if end >= len(raw) || raw[end] != 0xff {
		return nil, "", errUnsupportedFile
	}
	return cutID3v1(raw[end:]), "audio/mpeg", nil
}

// cutID3v1 drops the 128-byte ID3v1 tag (title, artist, album, comment)
// that may end an MP3.
func cutID3v1(raw []byte) []byte {
	if n := len(raw); n > 128 && string(raw[n-128:n-125]) == "TAG" {
		return raw[:n-128]
	}
	return raw
}

// mp4Containers are the MP4 boxes that hold other boxes on the way to
// metadata; mp4Metadata are the boxes that carry it: user data (udta, with
// "©xyz" location), iTunes-style metadata (meta, ilst) and XMP (uuid).
var (
	mp4Containers = map[string]bool{"moov": true, "trak": true, "mdia": true, "minf": true, "edts": true}
	mp4Metadata   = map[string]bool{"udta": true, "meta": true, "ilst": true, "uuid": true, "XMP_": true}
)

// blankMP4Metadata overwrites every metadata box of an MP4/M4A file with a
// "free" box of the same size, zero-filled. Sizes and offsets stay as they
// were, so the sample tables still point at the right audio bytes.
func blankMP4Metadata(raw []byte) ([]byte, string, error) {
	out := bytes.Clone(raw)
	if err := blankBoxes(out, 0, len(out)); err != nil {
		return nil, "", errUnsupportedFile
	}
	return out, "audio/mp4", nil
}

func blankBoxes(b []byte, start, end int) error {
	for pos := start; pos < end; {
		if end-pos < 8 {
			return errUnsupportedFile
		}
		size := int(uint32(b[pos])<<24 | uint32(b[pos+1])<<16 | uint32(b[pos+2])<<8 | uint32(b[pos+3]))
		header := 8
		switch size {
		case 0: // to the end of the enclosing box
			size = end - pos
		case 1: // a 64-bit size follows the type
			if end-pos < 16 {
				return errUnsupportedFile
			}
			var big uint64
			for _, c := range b[pos+8 : pos+16] {
				big = big<<8 | uint64(c)
			}
			if big > uint64(end-pos) {
				return errUnsupportedFile
			}
			size, header = int(big), 16
		}
		if size < header || size > end-pos {
			return errUnsupportedFile
		}
		kind := b[pos+4 : pos+8]
		switch {
		case mp4Metadata[string(kind)]:
			copy(b[pos+4:pos+8], "free")
			clear(b[pos+header : pos+size])
		case mp4Containers[string(kind)]:
			if err := blankBoxes(b, pos+header, pos+size); err != nil {
				return err
			}
		}
		pos += size
	}
	return nil
}
