// Package seal encrypts a report's private fields to its embassy's public
// key, so that only the embassy's staff, in their browsers, can read them:
// Hybrid Public Key Encryption (RFC 9180) in base mode with the cipher
// suite DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, through Go's
// crypto/hpke. The reporter's phone seals with the same suite in
// pb_public/js/seal.js (over the vendored @hpke/core), and the two open
// each other's envelopes (TestGoAndBrowserOpenEachOther).
//
// An Envelope binds its ciphertext to where it belongs:
//   - HPKE's info names the embassy and its key id, so a body sealed for
//     one embassy or key epoch does not open as another's;
//   - the AEAD's associated data names the record id and the SHA-256 of
//     the clear fields the reporter set (ClearHash), so the server cannot
//     move a sealed body to another report, nor change those fields,
//     without the staff's browser noticing.
//
// Plaintexts are compressed (zlib) and padded (Pad, Padmé) before
// sealing, so the ciphertext's length says little about what was written
// and a sealed report costs about what it did in clear over 2G
// (BenchmarkSealInChromium, docs/BENCHMARKS.md).
package seal

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Version is the envelope format's version.
const Version = 1

// SuiteName names the one cipher suite in envelopes.
const SuiteName = "DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-128-GCM"

// Envelope is a sealed body as stored and sent: JSON with base64url
// (unpadded) byte strings.
type Envelope struct {
	V     int    `json:"v"`     // Version
	Suite string `json:"suite"` // SuiteName
	Kid   string `json:"kid"`   // the embassy key's id
	Enc   string `json:"enc"`   // HPKE's encapsulated key, 65 bytes
	CT    string `json:"ct"`    // the padded plaintext, sealed, with the 16-byte tag
}

// Binding is what an envelope is bound to: the embassy and key it is
// sealed to (HPKE info) and the record and clear fields it belongs with
// (associated data).
type Binding struct {
	Embassy string
	Kid     string
	Record  string
	Clear   [sha256.Size]byte // ClearHash of the record's clear fields
}

// Errors of Open.
var (
	ErrFormat  = errors.New("seal: not an envelope of this version and suite")
	ErrBinding = errors.New("seal: the envelope is sealed to another embassy key")
	ErrOpen    = errors.New("seal: the envelope does not open: wrong key, or changed, or moved to another record")
	ErrPadding = errors.New("seal: bad padding")
)

const context = "homeward sealed report v1"

// Info is HPKE's info for an embassy key.
func Info(embassy, kid string) []byte {
	return []byte(context + "\x00embassy\x00" + embassy + "\x00kid\x00" + kid)
}

// AAD is the associated data for a record with the given clear hash.
func AAD(record string, clear [sha256.Size]byte) []byte {
	return []byte(context + "\x00record\x00" + record + "\x00clear\x00" + hex.EncodeToString(clear[:]))
}

// Field is one clear field of a record, by name. Value is a string, a
// bool, an int or a []string.
type Field struct {
	Name  string
	Value any
}

// ClearHash is the SHA-256 of the clear fields in a canonical form both Go
// and the browser compute alike: sorted by name, each name and value
// written as <byte length>:<bytes>, a list as [ its items ], a bool as
// true or false and an int in decimal. It fails on a value of another type.
func ClearHash(fields []Field) ([sha256.Size]byte, error) {
	sorted := slices.Clone(fields)
	slices.SortFunc(sorted, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	str := func(s string) { b.WriteString(strconv.Itoa(len(s)) + ":" + s) }
	for _, f := range sorted {
		str(f.Name)
		switch v := f.Value.(type) {
		case string:
			str(v)
		case bool:
			str(strconv.FormatBool(v))
		case int:
			str(strconv.Itoa(v))
		case []string:
			b.WriteString("[")
			for _, item := range v {
				str(item)
			}
			b.WriteString("]")
		default:
			return [sha256.Size]byte{}, fmt.Errorf("seal: clear field %s has a %T", f.Name, f.Value)
		}
	}
	return sha256.Sum256([]byte(b.String())), nil
}

// minPadded is the smallest padded plaintext: a report with next to
// nothing written looks like one with a few words.
const minPadded = 64

// MaxPlaintext bounds what Open inflates, so an envelope cannot expand
// into more memory than any report, message or attachment chunk needs.
const MaxPlaintext = 4 << 20

// Pad returns b padded with a 0x80 byte, then zeros (ISO/IEC 7816-4), to
// the length Padmé gives (Nikitin et al., "Reducing Metadata Leakage from
// Encrypted Files and Communication with PURBs", PETS 2019), at least
// minPadded: a length of E+1 significant bits keeps only its top
// floor(log2 E)+1 bits, so the padding costs at most 12 % and the length
// shows only its order of magnitude and a few bits more.
func Pad(b []byte) []byte {
	out := make([]byte, PadLen(len(b)))
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// PadLen is the length Pad pads n bytes to.
func PadLen(n int) int { return padme(max(n+1, minPadded)) }

// padme is the Padmé length for n bytes.
func padme(n int) int {
	e := bits.Len(uint(n)) - 1 // floor(log2 n)
	s := bits.Len(uint(e))     // floor(log2 e) + 1
	mask := 1<<max(e-s, 0) - 1
	return (n + mask) &^ mask
}

// Unpad undoes Pad.
func Unpad(b []byte) ([]byte, error) {
	i := len(b) - 1
	for i >= 0 && b[i] == 0 {
		i--
	}
	if i < 0 || b[i] != 0x80 {
		return nil, ErrPadding
	}
	return b[:i], nil
}

// compress is what Seal seals: plaintext in zlib's format (RFC 1950), as
// the browser's CompressionStream("deflate") writes it. Text in Burmese or
// Khmer, three bytes a character in UTF-8, halves; a photo does not
// shrink. A report's text is the reporter's alone, with nothing an
// attacker could mix in, so the compressed length (padded) tells no more
// than the plaintext's would.
func compress(plaintext []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(plaintext) // a bytes.Buffer does not fail
	w.Close()
	return buf.Bytes()
}

// decompress undoes compress, refusing more than MaxPlaintext bytes.
func decompress(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, ErrFormat
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxPlaintext+1))
	if err != nil || len(out) > MaxPlaintext {
		return nil, ErrFormat
	}
	return out, nil
}

var b64 = base64.RawURLEncoding

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES128GCM() }

// Seal compresses and pads plaintext and seals it to pub, the embassy key
// b.Kid.
func Seal(pub *ecdh.PublicKey, b Binding, plaintext []byte) (Envelope, error) {
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return Envelope{}, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pk, kdf, aead, Info(b.Embassy, b.Kid))
	if err != nil {
		return Envelope{}, fmt.Errorf("seal: %w", err)
	}
	ct, err := sender.Seal(AAD(b.Record, b.Clear), Pad(compress(plaintext)))
	if err != nil {
		return Envelope{}, fmt.Errorf("seal: %w", err)
	}
	return Envelope{V: Version, Suite: SuiteName, Kid: b.Kid, Enc: b64.EncodeToString(enc), CT: b64.EncodeToString(ct)}, nil
}

// Open opens e with priv, the private key of the embassy key b.Kid, and
// returns the plaintext, unpadded and inflated.
func Open(priv *ecdh.PrivateKey, b Binding, e Envelope) ([]byte, error) {
	if e.V != Version || e.Suite != SuiteName {
		return nil, ErrFormat
	}
	if e.Kid != b.Kid {
		return nil, ErrBinding
	}
	enc, err := b64.DecodeString(e.Enc)
	if err != nil {
		return nil, ErrFormat
	}
	ct, err := b64.DecodeString(e.CT)
	if err != nil {
		return nil, ErrFormat
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	r, err := hpke.NewRecipient(enc, sk, kdf, aead, Info(b.Embassy, b.Kid))
	if err != nil {
		return nil, ErrOpen
	}
	padded, err := r.Open(AAD(b.Record, b.Clear), ct)
	if err != nil {
		return nil, ErrOpen
	}
	compressed, err := Unpad(padded)
	if err != nil {
		return nil, err
	}
	return decompress(compressed)
}
