package testserver

import (
	"crypto/rand"

	"homeward/internal/receipts"
)

// NewId makes a client-side record id as the phone does: 20 characters of
// [a-z0-9].
func NewId() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// NewReceipt makes a receipt code as the phone does: 19 random digits and
// their check digit (receipts.CheckDigit).
func NewReceipt() string {
	b := make([]byte, receipts.Digits-1)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b) + string(receipts.CheckDigit(string(b)))
}
