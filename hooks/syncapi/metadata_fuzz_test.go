package syncapi

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseMetadata: any Upload-Metadata header parses without panic into
// keys that are single words, and a well-formed header round-trips.
func FuzzParseMetadata(f *testing.F) {
	enc := base64.StdEncoding.EncodeToString
	for _, s := range []string{
		"report " + enc([]byte("q8x0m3k2v9d7f1a4z6c2")) + ",sha256 " + enc([]byte(strings.Repeat("a", 64))),
		"", ",", " , ", "report", "report !!!", "a b c,d", "report " + enc([]byte("../../etc/passwd")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for k := range parseMetadata(header) {
			if k == "" || strings.ContainsAny(k, ", ") {
				t.Fatalf("key %q from %q is not one word", k, header)
			}
		}
		// The same values written out canonically read back the same.
		parsed := parseMetadata(header)
		var parts []string
		for k, v := range parsed {
			parts = append(parts, k+" "+enc([]byte(v)))
		}
		again := parseMetadata(strings.Join(parts, ","))
		if len(again) != len(parsed) {
			t.Fatalf("round trip of %q lost keys: %v vs %v", header, parsed, again)
		}
		for k, v := range parsed {
			if again[k] != v {
				t.Fatalf("round trip of %q changed %q: %q vs %q", header, k, v, again[k])
			}
		}
	})
}
