package receipts_test

import (
	"crypto/rand"
	"testing"

	"homeward/internal/receipts"
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
		for _, typo := range typos(code) {
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

// typos returns every single-digit substitution and every swap of two
// different neighbouring digits of code.
func typos(code string) []string {
	var out []string
	for i := range len(code) {
		for d := byte('0'); d <= '9'; d++ {
			if d != code[i] {
				b := []byte(code)
				b[i] = d
				out = append(out, string(b))
			}
		}
		if i+1 < len(code) && code[i] != code[i+1] {
			b := []byte(code)
			b[i], b[i+1] = b[i+1], b[i]
			out = append(out, string(b))
		}
	}
	return out
}
