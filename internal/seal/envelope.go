package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxPadded is the largest padded plaintext an envelope may carry: a
// report's private fields at their longest (a 5,000-character message and
// the rest, in 4-byte UTF-8), compressed, fit in 32 KiB, and the envelope's JSON then
// stays under reports.sealed's 64 KiB.
const MaxPadded = 32 << 10

// tagSize is AES-128-GCM's tag, which the ciphertext carries after the
// padded plaintext.
const tagSize = 16

// ErrShape is the error of ParseEnvelope for anything not shaped like an
// envelope of this version and suite.
var ErrShape = errors.New("seal: not an envelope")

// ParseEnvelope reads an envelope as a client sends it and checks its
// shape without opening it (the server has no private key): exactly the
// fields of Envelope, this version and suite, an encapsulated key that is
// an uncompressed P-256 point, and a ciphertext that is a padded size
// bucket (Pad) of at most MaxPadded bytes plus the tag.
func ParseEnvelope(raw []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrShape, err)
	}
	if dec.More() {
		return Envelope{}, fmt.Errorf("%w: data after the envelope", ErrShape)
	}
	if e.V != Version || e.Suite != SuiteName {
		return Envelope{}, ErrFormat
	}
	if e.Kid == "" {
		return Envelope{}, fmt.Errorf("%w: no key id", ErrShape)
	}
	enc, err := b64.DecodeString(e.Enc)
	if err != nil || len(enc) != 65 || enc[0] != 4 {
		return Envelope{}, fmt.Errorf("%w: enc is not an uncompressed P-256 point", ErrShape)
	}
	ct, err := b64.DecodeString(e.CT)
	if err != nil || !isBucket(len(ct)-tagSize) {
		return Envelope{}, fmt.Errorf("%w: ct is not a padded size bucket of at most %d bytes", ErrShape, MaxPadded)
	}
	return e, nil
}

// isBucket reports whether n is a length Pad makes (a Padmé length of at
// least minPadded), up to MaxPadded.
func isBucket(n int) bool {
	return n >= minPadded && n <= MaxPadded && padme(n) == n
}
