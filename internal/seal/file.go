package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// A sealed file (a photo or voice note of a sealed report) is one HPKE
// base-mode context to the embassy's key, its plaintext cut into chunks of
// FileChunk bytes, each sealed in turn with the context's Seal, so a
// phone seals a photo once, stores the sealed bytes, and a tus upload cut
// half-way resumes with the same bytes:
//
//	header   FileHeaderSize bytes:
//	  "HWSF"       magic
//	  version      1 byte, FileVersion
//	  kem kdf aead 3 × uint16, RFC 9180's ids of the suite (0x0010 0x0001 0x0001)
//	  chunk        uint32, the plaintext chunk size, FileChunk
//	  kid          16 bytes, the embassy key's id (KeyID)
//	  enc          65 bytes, HPKE's encapsulated key
//	chunks   each FileChunk + 16 bytes (the tag); the last shorter or equal
//
// The plaintext is the media type's length (1 byte), the media type, the
// file's bytes, padded (Pad, Padmé) as a whole: the server learns "sealed"
// and the order of magnitude of the size, not the type nor the exact
// length. HPKE's info binds the embassy and key id under a label of its own
// (FileInfo); each chunk's associated data names the report, the chunk's
// index and whether it is the last (FileAAD), so chunks cannot be
// reordered, dropped, or cut off at a chunk boundary without Open refusing
// the file. seal.js's sealFile and openFile are the same format.
const (
	FileMagic   = "HWSF"
	FileVersion = 1
	// FileChunk is the plaintext chunk size: 64 KiB, as the phone's tus
	// PATCHes (sync.js), small enough that a browser opens a photo chunk
	// by chunk without holding two copies of large buffers.
	FileChunk = 64 << 10
	// FileHeaderSize is the header's length.
	FileHeaderSize = 4 + 1 + 6 + 4 + kidSize + encSize
	// FileMime is the media type a sealed file is stored under.
	FileMime = "application/octet-stream"

	kidSize     = 16
	encSize     = 65
	fileContext = "homeward file v1"
	// RFC 9180's ids of the suite: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
	kemID, kdfID, aeadID = 0x0010, 0x0001, 0x0001
)

// Errors of OpenFile and ParseFile, besides ErrOpen (a chunk does not open:
// wrong key, changed, reordered, dropped or cut off, or moved to another
// report) and ErrPadding.
var (
	ErrFileFormat = errors.New("seal: not a sealed file of this version and suite")
	ErrFileLength = errors.New("seal: the sealed file's length does not fit its chunks")
)

// FileHeader is what a sealed file's header says.
type FileHeader struct {
	Kid   string
	Enc   []byte
	Chunk int
}

// FileInfo is HPKE's info for a file sealed to an embassy key.
func FileInfo(embassy, kid string) []byte {
	return []byte(fileContext + "\x00embassy\x00" + embassy + "\x00kid\x00" + kid)
}

// FileAAD is the associated data of chunk index of a file of report record.
func FileAAD(record string, index int, last bool) []byte {
	flag := "0"
	if last {
		flag = "1"
	}
	return []byte(fileContext + "\x00record\x00" + record + "\x00chunk\x00" + strconv.Itoa(index) + "\x00last\x00" + flag)
}

// IsSealedFile reports whether b starts as a sealed file does (its magic):
// such a file must parse, and is never taken for a photo.
func IsSealedFile(b []byte) bool {
	return bytes.HasPrefix(b, []byte(FileMagic))
}

// SealFile seals data, a file of media type mime, to pub, the embassy key
// kid, for the report record.
func SealFile(pub *ecdh.PublicKey, embassy, kid, record, mime string, data []byte) ([]byte, error) {
	if len(kid) != kidSize {
		return nil, fmt.Errorf("seal: a key id has %d characters, not %d", kidSize, len(kid))
	}
	if len(mime) > 255 {
		return nil, errors.New("seal: media type too long")
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pk, kdf, aead, FileInfo(embassy, kid))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	plain := make([]byte, 0, 1+len(mime)+len(data))
	plain = append(plain, byte(len(mime)))
	plain = append(append(plain, mime...), data...)
	plain = Pad(plain)
	n := (len(plain) + FileChunk - 1) / FileChunk
	out := make([]byte, 0, FileHeaderSize+len(plain)+n*tagSize)
	out = appendFileHeader(out, kid, enc)
	for i := range n {
		chunk := plain[i*FileChunk : min((i+1)*FileChunk, len(plain))]
		ct, err := sender.Seal(FileAAD(record, i, i == n-1), chunk)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		out = append(out, ct...)
	}
	return out, nil
}

func appendFileHeader(b []byte, kid string, enc []byte) []byte {
	b = append(b, FileMagic...)
	b = append(b, FileVersion)
	b = binary.BigEndian.AppendUint16(b, kemID)
	b = binary.BigEndian.AppendUint16(b, kdfID)
	b = binary.BigEndian.AppendUint16(b, aeadID)
	b = binary.BigEndian.AppendUint32(b, FileChunk)
	b = append(b, kid...)
	return append(b, enc...)
}

// ParseFile checks a sealed file's shape without opening it (the server
// has no private key): the header of this version, suite and chunk size,
// a key id of base64url characters, an encapsulated key that is an
// uncompressed P-256 point, and a length that is a whole number of chunks
// holding a padded plaintext (FileLengthFits). It returns the header.
func ParseFile(b []byte) (FileHeader, error) {
	return ParseFileHeader(b, int64(len(b)))
}

// ParseFileHeader is ParseFile for a file of length bytes of which b holds
// at least the header: the server checks a file's start and length
// without reading it whole.
func ParseFileHeader(b []byte, length int64) (FileHeader, error) {
	if len(b) < FileHeaderSize || !IsSealedFile(b) {
		return FileHeader{}, ErrFileFormat
	}
	if b[4] != FileVersion || binary.BigEndian.Uint16(b[5:]) != kemID || binary.BigEndian.Uint16(b[7:]) != kdfID ||
		binary.BigEndian.Uint16(b[9:]) != aeadID || binary.BigEndian.Uint32(b[11:]) != FileChunk {
		return FileHeader{}, ErrFileFormat
	}
	kid := string(b[15 : 15+kidSize])
	if _, err := b64.DecodeString(kid); err != nil {
		return FileHeader{}, ErrFileFormat
	}
	enc := b[15+kidSize : FileHeaderSize]
	if enc[0] != 4 {
		return FileHeader{}, ErrFileFormat
	}
	if !FileLengthFits(length) {
		return FileHeader{}, ErrFileLength
	}
	return FileHeader{Kid: kid, Enc: bytes.Clone(enc), Chunk: FileChunk}, nil
}

// FileLengthFits reports whether n bytes can be a sealed file: a header,
// then chunks of FileChunk plaintext bytes and a tag each, the last one
// shorter or equal, holding a padded plaintext (a Padmé length). The
// server checks it when an upload starts, before a byte is sent.
func FileLengthFits(n int64) bool {
	body := n - FileHeaderSize
	if body <= tagSize {
		return false
	}
	full := int64(FileChunk + tagSize)
	chunks := (body + full - 1) / full
	last := body - (chunks-1)*full
	if last <= tagSize {
		return false
	}
	plain := (chunks-1)*FileChunk + last - tagSize
	return plain >= minPadded && int64(padme(int(plain))) == plain
}

// OpenFile opens a sealed file of the report record with priv, the
// private key of the embassy key the header names, and returns the media
// type and the file's bytes.
func OpenFile(priv *ecdh.PrivateKey, embassy, record string, sealed []byte) (string, []byte, error) {
	h, err := ParseFile(sealed)
	if err != nil {
		return "", nil, err
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return "", nil, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	r, err := hpke.NewRecipient(h.Enc, sk, kdf, aead, FileInfo(embassy, h.Kid))
	if err != nil {
		return "", nil, ErrOpen
	}
	body := sealed[FileHeaderSize:]
	full := FileChunk + tagSize
	n := (len(body) + full - 1) / full
	plain := make([]byte, 0, len(body)-n*tagSize)
	for i := range n {
		chunk, err := r.Open(FileAAD(record, i, i == n-1), body[i*full:min((i+1)*full, len(body))])
		if err != nil {
			return "", nil, ErrOpen
		}
		plain = append(plain, chunk...)
	}
	plain, err = Unpad(plain)
	if err != nil {
		return "", nil, err
	}
	if len(plain) < 1 || len(plain) < 1+int(plain[0]) {
		return "", nil, ErrFileFormat
	}
	return string(plain[1 : 1+int(plain[0])]), plain[1+int(plain[0]):], nil
}
