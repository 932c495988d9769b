// Package zbar decodes QR codes in tests with zbarimg (Debian's
// zbar-tools), a decoder that shares no code with the one that drew them.
package zbar

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Decode reads every QR code in a PNG and returns their text. Only QR
// codes are looked for: zbarimg's other decoders may read a few digits
// out of a poster's text or the code's own modules as a linear barcode,
// and in binary mode it writes that next to the QR code's text with
// nothing between. Without
// zbarimg the test is skipped, or fails when HOMEWARD_REQUIRE_BROWSER is
// set (as in CI), since then every real-decoder test must run.
func Decode(t testing.TB, pngData []byte) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("HOMEWARD_REQUIRE_BROWSER") != "" {
			t.Fatal("zbarimg is required (apt-get install zbar-tools)")
		}
		t.Skip("zbarimg not installed")
	}
	file := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(file, pngData, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Sbinary", file).Output()
	if err != nil {
		t.Fatalf("zbarimg found no code: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
