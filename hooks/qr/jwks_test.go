package qr_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"homeward/hooks/qr"
	"homeward/internal/testserver"
)

// TestJWKSVerifiesTokensWithAnIndependentLibrary proves the key set and the
// tokens are standard: go-jose, which shares no code with golang-jwt,
// verifies a link token with the published keys, after a rotation too.
func TestJWKSVerifiesTokensWithAnIndependentLibrary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	old := tokenOf(linkURL(t, f.app, f.link))
	if _, err := qr.KeyringFor(f.app).Rotate(); err != nil {
		t.Fatal(err)
	}
	fresh := tokenOf(linkURL(t, f.app, f.link))

	res, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/jwk-set+json") {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if strings.Contains(string(body), `"d"`) {
		t.Fatalf("the key set carries a private part: %s", body)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys published, want 2 (old and new)", len(set.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() || k.Algorithm != "ES256" || k.Use != "sig" {
			t.Fatalf("key %+v is not a valid public ES256 signing key", k)
		}
	}

	for name, token := range map[string]string{"old key": old, "new key": fresh} {
		t.Run(name, func(t *testing.T) {
			sig, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			kid := sig.Signatures[0].Header.KeyID
			keys := set.Key(kid)
			if len(keys) != 1 {
				t.Fatalf("kid %q not in the key set", kid)
			}
			payload, err := sig.Verify(keys[0])
			if err != nil {
				t.Fatalf("go-jose rejects the token: %v", err)
			}
			var claims map[string]any
			json.Unmarshal(payload, &claims)
			if claims["jti"] != f.link.Id {
				t.Fatalf("claims %s", payload)
			}
		})
	}
}

// TestDocsExampleVerifies keeps docs/API.md honest: its example link
// verifies with its example key set, with go-jose.
func TestDocsExampleVerifies(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`https://homeward\.example/q/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`).FindStringSubmatch(string(doc))
	keys := regexp.MustCompile(`(?m)^\{"keys":.*\}$`).FindString(string(doc))
	if token == nil || keys == "" {
		t.Fatal("example link or key set missing from the docs")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(keys), &set); err != nil {
		t.Fatal(err)
	}
	sig, err := jose.ParseSignedCompact(token[1], []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	found := set.Key(sig.Signatures[0].Header.KeyID)
	if len(found) != 1 {
		t.Fatal("the example's kid is not in the example key set")
	}
	if _, err := sig.Verify(found[0]); err != nil {
		t.Fatalf("the documented example does not verify: %v", err)
	}
}
