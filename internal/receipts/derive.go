package receipts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Derive returns the receipt code the server issues for a record made by
// a client that cannot make receipts itself (an ODK form): 19 digits of a
// keyed hash of purpose and id, and their check digit. The same id always
// gives the same code, so a retried submission whose first answer was lost
// is answered with the code again, while nobody without the server key can
// compute a report's code from its id. Each part is length-prefixed, and a
// derived code never collides with an OpKey.
func (r Keys) Derive(purpose, id string) string {
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte("derived-receipt"))
	for _, part := range []string{purpose, id} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	sum := mac.Sum(nil)
	// 10^19 < 2^64: the modulo's bias is below one part in a thousand.
	v := binary.BigEndian.Uint64(sum[:8]) % 10_000_000_000_000_000_000
	digits := fmt.Sprintf("%019d", v)
	return digits + string(CheckDigit(digits))
}
