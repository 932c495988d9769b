package receipts

// damm is the operation table of Damm's check digit (H. M. Damm, "Total
// anti-symmetrische Quasigruppen", 2004): a weakly totally anti-symmetric
// quasigroup of order 10. A Damm check digit catches every single wrong
// digit and every swap of two neighbouring digits. pb_public/js/ids.js
// holds the same table; the phone makes receipts and checks them.
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// CheckDigit returns the Damm check digit of a string of ASCII digits.
func CheckDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = damm[interim][digits[i]-'0']
	}
	return '0' + interim
}

// Checks reports whether a normalized receipt (Digits ASCII digits) ends
// in its check digit, as receipts made since the check digit do: 19 random
// digits (about 63 bits) and CheckDigit of them. Older receipts fail it
// nine times in ten and are still valid: the server accepts any 20 digits,
// and the phone treats a failed check as a likely typo the person may
// override.
func Checks(norm string) bool {
	return len(norm) == Digits && CheckDigit(norm) == '0'
}
