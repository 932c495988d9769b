package receipts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Digits is the length of a receipt code, written as five groups of four
// ("4821 0937 5512 8064 2296"). Digits survive being copied by hand in any
// of the app's languages, and are easy to read out over a phone. Receipts
// made since the check digit are 19 random digits (about 63 bits) and a
// Damm check digit (see Checks); older ones are 20 random digits (about 66
// bits). The server accepts both.
const Digits = 20

// receiptKeyFile holds the server secret that keys receipt hashes. It lives
// in the data dir so backups carry it: without it no receipt can be checked.
const receiptKeyFile = "homeward_receipt.key"

// ErrMalformed is returned for a code that is not a well-formed receipt.
var ErrMalformed = errors.New("receipt must be 20 digits")

// Keys hashes receipt codes with a server-side key, so that the
// database alone never reveals or confirms a reporter's code.
type Keys struct {
	key []byte
}

// New returns Keys keyed by key.
func New(key []byte) Keys {
	return Keys{key: key}
}

// Load reads the receipt key from dataDir, making one on first use.
func Load(dataDir string) (Keys, error) {
	path := filepath.Join(dataDir, receiptKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return Keys{}, fmt.Errorf("make receipt key: %w", err)
		}
		raw = []byte(hex.EncodeToString(key))
		// O_EXCL: two processes starting at once must not each write a key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return Load(dataDir)
		}
		if _, err := f.Write(raw); err != nil {
			f.Close()
			return Keys{}, fmt.Errorf("write receipt key: %w", err)
		}
		if err := f.Close(); err != nil {
			return Keys{}, fmt.Errorf("write receipt key: %w", err)
		}
	} else if err != nil {
		return Keys{}, fmt.Errorf("read receipt key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < 32 {
		return Keys{}, fmt.Errorf("receipt key in %s is damaged", path)
	}
	return Keys{key: key}, nil
}

// maxReceiptRunes bounds a receipt as typed: 20 digits and room for any
// grouping a person writes around them. The phone applies the same bound.
const maxReceiptRunes = 64

// Normalize returns the bare ASCII digits of a receipt as a person
// typed it, on whatever keyboard the phone has. The rule, which
// pb_public/js/ids.js applies the same way on the phone:
//
//   - every decimal digit of any script (Unicode category Nd: ASCII,
//     full-width ０-９, Thai, Khmer, Burmese, Lao, Arabic-Indic, ...) is the
//     digit it stands for;
//   - every space (category Zs, such as U+00A0 and the ideographic U+3000),
//     dash (category Pd, such as U+2010 and the full-width U+FF0D), the
//     minus sign U+2212, tab and line break, invisible format character
//     (category Cf, such as U+200B) and dot (. · ． 。 ・ ･) is a separator
//     and is dropped, wherever it stands;
//   - anything else (letters, other punctuation) makes the code malformed,
//     as does a count of digits other than 20 or more than 64 characters.
//
// A malformed code can never match a report, so callers answer it as a
// typing mistake, not as a wrong guess (see sync's receipt checks).
func Normalize(code string) (string, error) {
	if len(code) > 4*maxReceiptRunes || utf8.RuneCountInString(code) > maxReceiptRunes {
		return "", ErrMalformed
	}
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case unicode.Is(unicode.Nd, r):
			b.WriteRune('0' + digitValue(r))
		case IsSeparator(r):
		default:
			return "", ErrMalformed
		}
	}
	if b.Len() != Digits {
		return "", ErrMalformed
	}
	return b.String(), nil
}

// IsSeparator reports whether r may stand between the digits of a
// receipt (see Normalize).
func IsSeparator(r rune) bool {
	switch r {
	case '\t', '\n', '\r', '\v', '\f', '\u2212', '.', '\u00b7', '\uff0e', '\u3002', '\u30fb', '\uff65':
		return true
	}
	return unicode.In(r, unicode.Zs, unicode.Pd, unicode.Cf)
}

// digitValue returns the value of a decimal digit rune: Unicode lays out
// decimal digits in runs of whole blocks of ten, each starting at zero.
func digitValue(r rune) rune {
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return (r - start) % 10
}

// Hash returns the keyed hash stored in place of a receipt code.
func (r Keys) Hash(code string) (string, error) {
	norm, err := Normalize(code)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(norm))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// OpKey returns the key an anonymous phone's sync op is stored under: a
// keyed hash of the phone's device id and the op id. A retry of the op
// from the same phone finds it again, but the database alone cannot tell
// which ops, and so which reports, came from the same phone. Each part is
// length-prefixed, and a receipt (digits only) never hashes the same.
func (r Keys) OpKey(device, op string) string {
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte("sync-op"))
	for _, part := range []string{device, op} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	return hex.EncodeToString(mac.Sum(nil))
}
