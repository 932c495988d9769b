package qr

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/addrlimit"
)

// JWK is one public key in RFC 7517 form.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// jwksMaxAge lets browsers and caches keep the key set for an hour: a
// rotation needs no fast spread (old keys keep verifying), and the offline
// verifier refreshes on an unknown key id anyway.
const jwksMaxAge = "public, max-age=3600"

// jwksLimit and jwksWindow bound key set fetches per client address. A
// verifier keeps the set for an hour, so even a shelter of phones behind
// one address stays far below; a flood does not. PocketBase's rate-limit
// rules cannot name this route (their labels refuse dots), so it has its
// own counter, in memory only, on or off with the other rate limits.
const (
	jwksLimit  = 60
	jwksWindow = time.Minute
)

// limitJWKS refuses a client over jwksLimit fetches in jwksWindow.
func limitJWKS(l *addrlimit.Limiter) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if e.App.Settings().RateLimits.Enabled && !e.HasSuperuserAuth() && l.Hit(e.RealIP()) {
			return e.TooManyRequestsError("Too many requests for the signing keys. Keep them: they change rarely.", nil)
		}
		return e.Next()
	}
}

// PublicJWKS returns the keys that verify links now, oldest first.
func PublicJWKS(app core.App) (JWKS, error) {
	keys, err := KeyringFor(app).Public()
	if err != nil {
		return JWKS{}, err
	}
	set := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		// The uncompressed point is 0x04 || X || Y, each coordinate the
		// fixed 32 bytes RFC 7518 section 6.2.1.2 asks for.
		point, err := k.Private.PublicKey.Bytes()
		if err != nil {
			return JWKS{}, err
		}
		x, y := point[1:33], point[33:65]
		set.Keys = append(set.Keys, JWK{
			Kty: "EC",
			Crv: "P-256",
			X:   base64.RawURLEncoding.EncodeToString(x),
			Y:   base64.RawURLEncoding.EncodeToString(y),
			Kid: k.Kid,
			Use: "sig",
			Alg: "ES256",
		})
	}
	return set, nil
}

func jwksHandler(e *core.RequestEvent) error {
	set, err := PublicJWKS(e.App)
	if err != nil {
		return e.InternalServerError("Failed to read the signing keys.", err)
	}
	e.Response.Header().Set("Cache-Control", jwksMaxAge)
	e.Response.Header().Set("Content-Type", "application/jwk-set+json")
	return e.JSON(http.StatusOK, set)
}
