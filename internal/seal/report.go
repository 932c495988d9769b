package seal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
	"slices"
	"strconv"
)

// SealedReportFields are the reports fields a sealed report keeps only in
// its envelope (ReportBody); on the record they are empty.
var SealedReportFields = []string{"message", "contact_name", "contact_phone", "contact_app", "compound_location", "compound_point", "current_location"}

// ReportBody is the plaintext of a report's envelope, as JSON, before
// padding. CompoundPoint is nil when the reporter gave none. ReplyKey is
// the key replies to an anonymous reporter are sealed with, derived on the
// phone from the receipt (base64url), or empty.
type ReportBody struct {
	Message          string `json:"message"`
	ContactName      string `json:"contact_name"`
	ContactPhone     string `json:"contact_phone"`
	ContactApp       string `json:"contact_app"`
	CompoundLocation string `json:"compound_location"`
	CompoundPoint    *Point `json:"compound_point"`
	CurrentLocation  string `json:"current_location"`
	ReplyKey         string `json:"reply_key,omitempty"`
	// NationalityOriginal is a nationality the reporter typed that names
	// no listed country; the report then says "other" in clear.
	NationalityOriginal string `json:"nationality_original,omitempty"`
}

// Point is a coarse geographic point in degrees.
type Point struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Record is what ReportClear reads a report through; *core.Record has it.
type Record interface {
	GetString(name string) string
	GetBool(name string) bool
	GetInt(name string) int
	GetStringSlice(name string) []string
}

// ReportClear returns the clear fields a report's envelope is bound to:
// those the reporter set that stay in clear for routing and triage, and
// that staff do not change afterwards. needs is sorted and left_on is its
// date alone (YYYY-MM-DD), so the phone and the server write them alike;
// seal.js's reportClear is the same list.
func ReportClear(r Record) []Field {
	needs := slices.Clone(r.GetStringSlice("needs"))
	slices.Sort(needs)
	if needs == nil {
		needs = []string{}
	}
	leftOn := r.GetString("left_on")
	if len(leftOn) > 10 {
		leftOn = leftOn[:10]
	}
	return []Field{
		{"embassy", r.GetString("embassy")},
		{"channel", r.GetString("channel")},
		{"volunteer", r.GetString("volunteer")},
		{"language", r.GetString("language")},
		{"nationality", r.GetString("nationality")},
		{"people_count", r.GetInt("people_count")},
		{"minors_present", r.GetBool("minors_present")},
		{"gender", r.GetString("gender")},
		{"age_band", r.GetString("age_band")},
		{"left_on", leftOn},
		{"passport_held", r.GetString("passport_held")},
		{"needs", needs},
		{"safety_risk_now", r.GetBool("safety_risk_now")},
		{"consent_contact", r.GetBool("consent_contact")},
		{"consent_share", r.GetBool("consent_share")},
		{"consent_version", r.GetString("consent_version")},
	}
}

// KeyID is the id of an embassy key: the first 16 characters of the
// base64url SHA-256 of its HPKE public key (the 65-byte point).
func KeyID(publicKey []byte) string {
	sum := sha256.Sum256(publicKey)
	return b64.EncodeToString(sum[:])[:16]
}

// ChainStatement is what an epoch's predecessor signs (embassy_keys):
// the embassy, the epoch number, its key id and its two public keys, as
// stored (base64url).
func ChainStatement(embassy string, epoch int, kid, publicKey, verifyKey string) []byte {
	return []byte("homeward key chain v1\x00embassy\x00" + embassy + "\x00epoch\x00" + strconv.Itoa(epoch) +
		"\x00kid\x00" + kid + "\x00public\x00" + publicKey + "\x00verify\x00" + verifyKey)
}

// VerifyChain reports whether sig (base64url, IEEE P1363 r||s, 64 bytes)
// is the signature of statement by verifyKey (base64url uncompressed
// P-256 point), ECDSA with SHA-256.
func VerifyChain(verifyKey string, statement []byte, sig string) bool {
	point, err := b64.DecodeString(verifyKey)
	if err != nil {
		return false
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return false
	}
	rs, err := b64.DecodeString(sig)
	if err != nil || len(rs) != 64 {
		return false
	}
	h := sha256.Sum256(statement)
	return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:]))
}

// Fingerprint is how a key id is shown to people, on posters, contact
// pages, the phone and the staff console: in groups of four characters,
// so it can be read aloud and compared ("AbCd EfGh IjKl MnOp").
// vault.js's fingerprint is the same.
func Fingerprint(kid string) string {
	var b []byte
	for i := 0; i < len(kid); i++ {
		if i > 0 && i%4 == 0 {
			b = append(b, ' ')
		}
		b = append(b, kid[i])
	}
	return string(b)
}
