// Package receiptstest holds what the receipt tests on both sides (Go and
// the phone's JavaScript) share.
package receiptstest

// Typos returns every single-digit substitution of code and every swap of
// two different neighbouring digits: the typing mistakes a check digit must
// catch.
func Typos(code string) []string {
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
