// Package media removes what a photo or a voice note says about where and
// by whom it was made, before Homeward stores it: bytes in, bytes out,
// with no server, database or file system involved (Clean). Photos are
// decoded and encoded again; voice notes keep their audio and lose their
// tags, in the containers phones record to (MPEG audio, MP4/M4A, Ogg,
// WebM). Anything else is refused (ErrUnsupported, ErrHEIF,
// ErrImageTooLarge). The decoders of each container are fuzzed
// (FuzzClean, FuzzBlankMP4Metadata, FuzzBlankOggComments,
// FuzzBlankWebMMetadata, FuzzKeepMPEGFrames); package mediatest builds
// the tagged samples the tests clean.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
)

// MaxImagePixels bounds decoding: a small file can declare a huge canvas
// (a decompression bomb); 50 megapixels is beyond any phone photo.
const MaxImagePixels = 50_000_000

// jpegQuality keeps photos legible for staff while re-encoding them.
const jpegQuality = 88

var (
	ErrUnsupported   = errors.New("unsupported file type")
	ErrImageTooLarge = errors.New("image dimensions too large")
	ErrHEIF          = errors.New("HEIF image")
)

// Clean returns the bytes to store for an upload and their media type.
// Images are decoded and encoded again, which keeps the pixels and drops
// everything else (EXIF with GPS and camera, XMP, IPTC, ICC, PNG text
// chunks); a JPEG's EXIF orientation is applied to the pixels first, so a
// photo taken upright stays upright without its tag. HEIC/HEIF photos are
// refused (ErrHEIF): the standard library cannot decode them, and their
// EXIF lies in the media data itself. Audio is kept as sent, but only in
// the containers phones record to, and with its metadata removed: an MP3
// or AAC stream keeps its audio frames alone, so tags before or after them
// (ID3v2, ID3v1, APEv2, Lyrics3) are cut off; an MP4/M4A's boxes other
// than the audio's structure (udta with "©xyz", meta, XMP, free space)
// are blanked in place; an Ogg stream's comments and a WebM file's tags,
// title and date are blanked in place.
func Clean(raw []byte) ([]byte, string, error) {
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
		if isHEIF(raw) {
			return nil, "", ErrHEIF
		}
		return blankMP4Metadata(raw)
	}
	return keepMPEGFrames(raw)
}

func reencode(raw []byte, mime string, encode func(*bytes.Buffer, image.Image) error) ([]byte, string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, "", ErrUnsupported
	}
	if cfg.Width*cfg.Height > MaxImagePixels {
		return nil, "", ErrImageTooLarge
	}
	// imaging reads a JPEG's EXIF orientation (all eight) and turns the
	// pixels to match; any other image decodes as it is.
	img, err := imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	if err != nil {
		return nil, "", ErrUnsupported
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mime, nil
}

// heifBrands are the ftyp brands of HEIF images and image sequences
// (HEIC from iPhones, AVIF): ISO/IEC 23008-12 and the AV1 image format.
var heifBrands = map[string]bool{
	"mif1": true, "mif2": true, "msf1": true, "heic": true, "heix": true, "heim": true, "heis": true,
	"hevc": true, "hevx": true, "hevm": true, "hevs": true, "avif": true, "avis": true, "avci": true,
}

// isHEIF reports whether an ftyp file names a HEIF brand, as its major
// brand or a compatible one.
func isHEIF(raw []byte) bool {
	size := int(binary.BigEndian.Uint32(raw))
	if size < 16 || size > len(raw) {
		size = min(len(raw), 16)
	}
	if heifBrands[string(raw[8:12])] {
		return true
	}
	for i := 16; i+4 <= size; i += 4 {
		if heifBrands[string(raw[i:i+4])] {
			return true
		}
	}
	return false
}

// mp4Containers are the MP4 boxes that hold the boxes an audio track is
// made of; mp4Keep are those boxes. Every other box (udta with "©xyz"
// location, iTunes-style meta and ilst, XMP in uuid, 3GPP loci, and boxes
// no one here knows) is blanked, as is free space, where an editor may
// have left tags it removed.
var (
	mp4Containers = map[string]bool{
		"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true, "edts": true,
		"dinf": true, "mvex": true, "moof": true, "traf": true, "mfra": true,
	}
	mp4Keep = map[string]bool{
		"ftyp": true, "mdat": true, "sidx": true, "styp": true, "pdin": true, "prft": true,
		"mvhd": true, "iods": true, "tkhd": true, "tref": true, "elst": true,
		"mdhd": true, "hdlr": true, "elng": true, "smhd": true, "vmhd": true, "nmhd": true, "hmhd": true, "dref": true,
		"stsd": true, "stts": true, "ctts": true, "cslg": true, "stsc": true, "stsz": true, "stz2": true,
		"stco": true, "co64": true, "stss": true, "stsh": true, "sdtp": true, "sbgp": true, "sgpd": true,
		"subs": true, "saiz": true, "saio": true, "padb": true, "stdp": true,
		"mehd": true, "trex": true, "leva": true, "mfhd": true, "tfhd": true, "tfdt": true, "trun": true,
		"tfra": true, "mfro": true,
	}
)

// blankMP4Metadata overwrites every metadata box of an MP4/M4A file with a
// "free" box of the same size, zero-filled. Sizes and offsets stay as they
// were, so the sample tables still point at the right audio bytes.
func blankMP4Metadata(raw []byte) ([]byte, string, error) {
	out := bytes.Clone(raw)
	if err := blankBoxes(out, 0, len(out)); err != nil {
		return nil, "", ErrUnsupported
	}
	return out, "audio/mp4", nil
}

func blankBoxes(b []byte, start, end int) error {
	for pos := start; pos < end; {
		if end-pos < 8 {
			return ErrUnsupported
		}
		size := int(uint32(b[pos])<<24 | uint32(b[pos+1])<<16 | uint32(b[pos+2])<<8 | uint32(b[pos+3]))
		header := 8
		switch size {
		case 0: // to the end of the enclosing box
			size = end - pos
		case 1: // a 64-bit size follows the type
			if end-pos < 16 {
				return ErrUnsupported
			}
			var big uint64
			for _, c := range b[pos+8 : pos+16] {
				big = big<<8 | uint64(c)
			}
			if big > uint64(end-pos) {
				return ErrUnsupported
			}
			size, header = int(big), 16
		}
		if size < header || size > end-pos {
			return ErrUnsupported
		}
		kind := b[pos+4 : pos+8]
		switch {
		case mp4Containers[string(kind)]:
			if err := blankBoxes(b, pos+header, pos+size); err != nil {
				return err
			}
		case !mp4Keep[string(kind)]:
			copy(b[pos+4:pos+8], "free")
			clear(b[pos+header : pos+size])
		}
		pos += size
	}
	return nil
}
