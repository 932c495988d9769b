package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// Replies to a reporter are sealed with a key only the reporter's receipt
// gives: the reply key, derived from the receipt with PBKDF2, which the
// phone puts in the sealed report (ReportBody.ReplyKey) for the staff. A
// phone that types the receipt derives it again and opens the replies;
// the server holds neither the receipt (only its keyed hash) nor the key
// (only inside the report's envelope). pb_public/js/seal.js has the same
// functions (replyKey, sealReply, openReply), and the two open each
// other's replies (TestGoAndBrowserAgreeOnReplies).

// ReplySuiteName names the reply envelope's suite: the key from PBKDF2,
// the body sealed with AES-128-GCM.
const ReplySuiteName = "reply-pbkdf2-aes128gcm"

// ReplyKeyIterations is PBKDF2's iteration count for the reply key:
// OWASP's figure for PBKDF2-HMAC-SHA256 (2023). A receipt has about 63
// random bits, so the count is a margin, not the defence; it costs a
// cheap phone about a tenth of a second once per report
// (BenchmarkOpenInChromium, docs/BENCHMARKS.md).
const ReplyKeyIterations = 600_000

// ReplyKeySize is the reply key's length: an AES-128 key.
const ReplyKeySize = 16

// replySalt prefixes the report id in the reply key's salt.
const replySalt = "homeward reply key v1\x00"

// replyNonceSize is AES-GCM's standard nonce, random for each reply.
const replyNonceSize = 12

// ReplyKey derives the key replies to a report are sealed with from its
// receipt, as normalized digits (receipts.Normalize: 20 ASCII digits),
// and the report's id: PBKDF2-HMAC-SHA256, ReplyKeyIterations, salt
// "homeward reply key v1\x00" + report id, 16 bytes.
func ReplyKey(receipt, reportID string) []byte {
	key, err := pbkdf2.Key(sha256.New, receipt, []byte(replySalt+reportID), ReplyKeyIterations, ReplyKeySize)
	if err != nil {
		// Only a key length out of range fails, and ReplyKeySize is not.
		panic(err)
	}
	return key
}

// ReplyEnvelope is a reply sealed with a reply key, as stored in
// messages.sealed: JSON with base64url (unpadded) byte strings.
type ReplyEnvelope struct {
	V     int    `json:"v"`     // Version
	Suite string `json:"suite"` // ReplySuiteName
	Nonce string `json:"nonce"` // AES-GCM's nonce, 12 random bytes
	CT    string `json:"ct"`    // the padded, compressed MessageBody, sealed, with the 16-byte tag
}

// ReplyBinding is what a reply is bound to (the AEAD's associated data):
// the message, its report and its direction, so the server cannot move a
// reply to another report or pass it off as the reporter's.
type ReplyBinding struct {
	Message   string
	Report    string
	Direction string
}

// ReplyAAD is a reply's associated data.
func ReplyAAD(b ReplyBinding) []byte {
	return []byte("homeward reply v1\x00message\x00" + b.Message + "\x00report\x00" + b.Report + "\x00direction\x00" + b.Direction)
}

func replyAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != ReplyKeySize {
		return nil, fmt.Errorf("seal: a reply key is %d bytes", ReplyKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// SealReply compresses and pads plaintext (a MessageBody as JSON) and
// seals it with the reply key for b.
func SealReply(key []byte, b ReplyBinding, plaintext []byte) (ReplyEnvelope, error) {
	aead, err := replyAEAD(key)
	if err != nil {
		return ReplyEnvelope{}, err
	}
	nonce := make([]byte, replyNonceSize)
	rand.Read(nonce) // crypto/rand.Read does not fail
	ct := aead.Seal(nil, nonce, Pad(compress(plaintext)), ReplyAAD(b))
	return ReplyEnvelope{V: Version, Suite: ReplySuiteName, Nonce: b64.EncodeToString(nonce), CT: b64.EncodeToString(ct)}, nil
}

// OpenReply opens a reply with its reply key for b and returns the
// plaintext, unpadded and inflated.
func OpenReply(key []byte, b ReplyBinding, e ReplyEnvelope) ([]byte, error) {
	if e.V != Version || e.Suite != ReplySuiteName {
		return nil, ErrFormat
	}
	nonce, err := b64.DecodeString(e.Nonce)
	if err != nil || len(nonce) != replyNonceSize {
		return nil, ErrFormat
	}
	ct, err := b64.DecodeString(e.CT)
	if err != nil {
		return nil, ErrFormat
	}
	aead, err := replyAEAD(key)
	if err != nil {
		return nil, err
	}
	padded, err := aead.Open(nil, nonce, ct, ReplyAAD(b))
	if err != nil {
		return nil, ErrOpen
	}
	compressed, err := Unpad(padded)
	if err != nil {
		return nil, err
	}
	return decompress(compressed)
}

// ParseReplyEnvelope reads a reply envelope as a staff browser sends it
// and checks its shape without opening it (the server has no reply key):
// exactly the fields of ReplyEnvelope, this version and suite, a 12-byte
// nonce, and a ciphertext that is a padded size bucket (Pad) of at most
// MaxPadded bytes plus the tag.
func ParseReplyEnvelope(raw []byte) (ReplyEnvelope, error) {
	var e ReplyEnvelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return ReplyEnvelope{}, fmt.Errorf("%w: %v", ErrShape, err)
	}
	if dec.More() {
		return ReplyEnvelope{}, fmt.Errorf("%w: data after the envelope", ErrShape)
	}
	if e.V != Version || e.Suite != ReplySuiteName {
		return ReplyEnvelope{}, ErrFormat
	}
	nonce, err := b64.DecodeString(e.Nonce)
	if err != nil || len(nonce) != replyNonceSize {
		return ReplyEnvelope{}, fmt.Errorf("%w: nonce is not %d bytes", ErrShape, replyNonceSize)
	}
	ct, err := b64.DecodeString(e.CT)
	if err != nil || !isBucket(len(ct)-tagSize) {
		return ReplyEnvelope{}, fmt.Errorf("%w: ct is not a padded size bucket of at most %d bytes", ErrShape, MaxPadded)
	}
	return e, nil
}
