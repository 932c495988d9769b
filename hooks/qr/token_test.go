package qr_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"homeward/hooks/qr"
)

// signClaims signs arbitrary claims with key under kid, for forged and
// edge-case tokens.
func signClaims(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header = map[string]any{"alg": method.Alg(), "kid": kid}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsFor(f *fixture, id string) jwt.MapClaims {
	return jwt.MapClaims{"jti": id, "emb": "kh-indonesia", "iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(time.Hour).Unix()}
}

func TestTokenVerdicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ring := qr.KeyringFor(f.app)
	current, err := ring.Current()
	if err != nil {
		t.Fatal(err)
	}
	valid := tokenOf(linkURL(t, f.app, f.link))
	parts := strings.Split(valid, ".")

	tampered := tamper(t, valid, f.revoked.Id) // names another link, keeps the signature

	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&current.Private.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	point, _ := current.Private.PublicKey.Bytes()

	none := signClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, current.Kid, claimsFor(f, f.link.Id))

	cases := []struct {
		name, token, want string
	}{
		{"a token made by the service is valid", valid, qr.VerdictValid},
		{"a link past its expiry is expired", tokenOf(linkURL(t, f.app, f.expired)), qr.VerdictExpired},
		{"a revoked link is revoked", tokenOf(linkURL(t, f.app, f.revoked)), qr.VerdictRevoked},
		{"a changed payload is invalid", tampered, qr.VerdictInvalid},
		{"a signature by another key under a known kid is invalid", signClaims(t, jwt.SigningMethodES256, otherKey, current.Kid, claimsFor(f, f.link.Id)), qr.VerdictInvalid},
		{"alg none is invalid", none, qr.VerdictInvalid},
		{"alg none with the signature stripped is invalid", parts[0] + "." + parts[1] + ".", qr.VerdictInvalid},
		{"HS256 keyed with the PEM public key is invalid", signClaims(t, jwt.SigningMethodHS256, pubPEM, current.Kid, claimsFor(f, f.link.Id)), qr.VerdictInvalid},
		{"HS256 keyed with the raw public point is invalid", signClaims(t, jwt.SigningMethodHS256, point, current.Kid, claimsFor(f, f.link.Id)), qr.VerdictInvalid},
		{"an unknown kid is unknown", signClaims(t, jwt.SigningMethodES256, otherKey, "zzzzzz", claimsFor(f, f.link.Id)), qr.VerdictUnknown},
		{"a genuine signature over an unknown link id is unknown", signClaims(t, jwt.SigningMethodES256, current.Private, current.Kid, claimsFor(f, "nosuchlink00000")), qr.VerdictUnknown},
		{"a token without exp is invalid", signClaims(t, jwt.SigningMethodES256, current.Private, current.Kid, jwt.MapClaims{"jti": f.link.Id, "emb": "kh-indonesia", "iat": time.Now().Unix()}), qr.VerdictInvalid},
		{"a token without embassy is invalid", signClaims(t, jwt.SigningMethodES256, current.Private, current.Kid, jwt.MapClaims{"jti": f.link.Id, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}), qr.VerdictInvalid},
		{"garbage is invalid", "not.a.token", qr.VerdictInvalid},
		{"empty is invalid", "", qr.VerdictInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := qr.Verify(f.app, c.token, time.Now())
			if got.Verdict != c.want {
				t.Fatalf("verdict %q (%s), want %q", got.Verdict, got.Reason, c.want)
			}
		})
	}

	t.Run("a valid link read years later is expired", func(t *testing.T) {
		got := qr.Verify(f.app, valid, time.Now().Add(3*365*24*time.Hour))
		if got.Verdict != qr.VerdictExpired {
			t.Fatalf("verdict %q, want expired", got.Verdict)
		}
	})
	t.Run("revoking a printed link turns its token to revoked", func(t *testing.T) {
		link, _ := f.app.FindRecordById("qr_links", f.link.Id)
		link.Set("revoked", true)
		if err := f.app.Save(link); err != nil {
			t.Fatal(err)
		}
		defer func() {
			link.Set("revoked", false)
			f.app.Save(link)
		}()
		if got := qr.Verify(f.app, valid, time.Now()); got.Verdict != qr.VerdictRevoked {
			t.Fatalf("verdict %q, want revoked", got.Verdict)
		}
	})
}

func TestTokenIsShortAndCarriesTheLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	token := tokenOf(linkURL(t, f.app, f.link))
	parts := strings.Split(token, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var h, p map[string]any
	json.Unmarshal(header, &h)
	json.Unmarshal(payload, &p)
	if len(h) != 2 || h["alg"] != "ES256" || h["kid"] == "" {
		t.Fatalf("header %s, want only alg ES256 and kid", header)
	}
	if p["jti"] != f.link.Id || p["emb"] != "kh-indonesia" || p["iat"] == nil || p["exp"] == nil || len(p) != 4 {
		t.Fatalf("payload %s, want exactly jti, emb, iat, exp", payload)
	}
	// alg+kid header, four claims and a 64-byte signature: about 240
	// characters; anything much longer means a claim crept in.
	if len(token) > 260 {
		t.Fatalf("token is %d characters: %s", len(token), token)
	}
	t.Logf("token length %d", len(token))
}

func TestRotatedKeyVerifiesOldLinksUntilRetired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ring := qr.KeyringFor(f.app)
	first, _ := ring.Current()
	old := tokenOf(linkURL(t, f.app, f.link))

	second, err := ring.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	fresh := tokenOf(linkURL(t, f.app, f.link))
	if got := qr.Verify(f.app, fresh, time.Now()); got.Verdict != qr.VerdictValid || got.Kid != second.Kid {
		t.Fatalf("new token: verdict %q kid %q, want valid with %q", got.Verdict, got.Kid, second.Kid)
	}
	if got := qr.Verify(f.app, old, time.Now()); got.Verdict != qr.VerdictValid || got.Kid != first.Kid {
		t.Fatalf("old token after rotation: verdict %q kid %q, want valid with %q", got.Verdict, got.Kid, first.Kid)
	}

	if err := ring.Retire(second.Kid); err == nil {
		t.Fatal("retiring the current key worked, want an error")
	}
	if err := ring.Retire(first.Kid); err != nil {
		t.Fatal(err)
	}
	if got := qr.Verify(f.app, old, time.Now()); got.Verdict != qr.VerdictUnknown {
		t.Fatalf("old token after retiring its key: verdict %q, want unknown", got.Verdict)
	}
	if got := qr.Verify(f.app, fresh, time.Now()); got.Verdict != qr.VerdictValid {
		t.Fatalf("new token after retiring the old key: verdict %q, want valid", got.Verdict)
	}
}

func TestVerifyInputRefusesGenuineTokensOnAnotherAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	u := linkURL(t, f.app, f.link)
	for _, c := range []struct{ input, want string }{
		{u, qr.VerdictValid},
		{"  " + u + "\n", qr.VerdictValid},
		{tokenOf(u), qr.VerdictValid},
		{"https://homeward-help.example/q/" + tokenOf(u), qr.VerdictInvalid},
		{"http://homeward.example/q/" + tokenOf(u), qr.VerdictInvalid},
	} {
		if got := qr.VerifyInput(f.app, c.input); got.Verdict != c.want {
			t.Errorf("VerifyInput(%.40q…) = %q, want %q", c.input, got.Verdict, c.want)
		}
	}
}

func TestLinksGetAnExpiryAndTheirCreator(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	exp := f.link.GetDateTime("expires")
	if exp.IsZero() || exp.Time().Before(time.Now().Add(365*24*time.Hour)) {
		t.Fatalf("a link made without expiry got %v, want about two years ahead", exp)
	}
}

func FuzzVerify(f *testing.F) {
	fx := newFixture(f, false)
	f.Add(tokenOf(linkURL(f, fx.app, fx.link)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("https://homeward.example/q/x.y.z")
	f.Add("http://[::1/q/")
	f.Fuzz(func(t *testing.T, token string) {
		got := qr.VerifyInput(fx.app, token)
		if got.Verdict == qr.VerdictValid && got.Link == nil {
			t.Fatal("valid without a link")
		}
	})
}
