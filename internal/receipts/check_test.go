package receipts_test

import (
	"crypto/rand"
	"testing"

	"homeward/internal/receipts"
	"homeward/internal/receipts/receiptstest"
)

// TestCheckDigitCatchesEveryTypo: for receipts made with a check digit,
// every single wrong digit and every swap of two different neighbouring
// digits fails the check; the receipt itself passes.
func TestCheckDigitCatchesEveryTypo(t *testing.T) {
	for range 200 {
		code := checkedReceipt()
		if !receipts.Checks(code) {
			t.Fatalf("%s fails its own check", code)
		}
		for _, typo := range receiptstest.Typos(code) {
			if receipts.Checks(typo) {
				t.Fatalf("%s passes the check, a typo of %s", typo, code)
			}
		}
	}
}

func checkedReceipt() string {
	b := make([]byte, 19)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b) + string(receipts.CheckDigit(string(b)))
}
