package qr

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/setup"
)

// Verdicts a link token can get. Only VerdictValid leads to the embassy's
// contact flow as "genuine"; every other verdict shows a warning.
const (
	VerdictValid   = "valid"   // signed by a current key, known link, not expired or revoked
	VerdictExpired = "expired" // genuine, but past its expiry
	VerdictRevoked = "revoked" // genuine, but revoked (or its embassy is no longer listed)
	VerdictUnknown = "unknown" // unknown key id or link id: not issued here, or its key was retired
	VerdictInvalid = "invalid" // malformed, wrong algorithm, bad signature or wrong address
	// VerdictUnconfigured: a full link URL while this server has no
	// official public address to check it against; not a verdict on the
	// code, which may be genuine.
	VerdictUnconfigured = "unconfigured"
)

// linkPath is where link tokens live on the public address: {AppURL}/q/{token}.
const linkPath = "/q/"

// maxTokenLength bounds the input accepted anywhere a token is read; a real
// token is about 250 characters.
const maxTokenLength = 2048

// signingMethods pins the one algorithm links use, so "alg: none" and
// HS256 keyed with the public key are refused before any key is used.
var signingMethods = []string{jwt.SigningMethodES256.Alg()}

var errUnknownKid = errors.New("unknown key id")

// LinkClaims is a link token's payload: the standard jti (link id), iat
// (the link's creation) and exp (its expiry), plus the embassy's slug
// under the short name "emb".
type LinkClaims struct {
	Embassy string `json:"emb"`
	jwt.RegisteredClaims
}

// Result is the outcome of checking a token.
type Result struct {
	Verdict string
	Reason  string       // one sentence for people, in English
	Kid     string       // from the header, when it could be read
	Claims  *LinkClaims  // when the signature was good
	Link    *core.Record // when the link exists
	Embassy *core.Record // when the link and its embassy exist
}

// SignLink returns the token of a qr_links record, signed with the current
// key. Signatures are randomised, so two calls give different tokens that
// both verify.
func SignLink(app core.App, link *core.Record) (string, error) {
	token, _, err := signLink(app, link)
	return token, err
}

// signLink signs link and also says with which key.
func signLink(app core.App, link *core.Record) (token, kid string, err error) {
	embassy, err := app.FindRecordById("embassies", link.GetString("embassy"))
	if err != nil {
		return "", "", fmt.Errorf("find link embassy: %w", err)
	}
	key, err := KeyringFor(app).Current()
	if err != nil {
		return "", "", err
	}
	claims := LinkClaims{
		Embassy: embassy.GetString("slug"),
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        link.Id,
			IssuedAt:  jwt.NewNumericDate(link.GetDateTime("created").Time()),
			ExpiresAt: jwt.NewNumericDate(linkExpiry(link)),
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	// No "typ": it tells a verifier nothing here and costs 18 characters
	// in every code.
	t.Header = map[string]any{"alg": jwt.SigningMethodES256.Alg(), "kid": key.Kid}
	signed, err := t.SignedString(key.Private)
	if err != nil {
		return "", "", fmt.Errorf("sign link: %w", err)
	}
	return signed, key.Kid, nil
}

// LinkURL returns the address a link's QR code carries:
// {Meta.AppURL}/q/{token}. Until the official public address is set, the
// error wraps setup.ErrNoPublicURL (or another error of setup.PublicURL):
// a code must never send people to an address they cannot reach.
func LinkURL(app core.App, link *core.Record) (string, error) {
	base, err := setup.PublicURL(app)
	if err != nil {
		return "", err
	}
	token, err := SignLink(app, link)
	if err != nil {
		return "", err
	}
	return base + linkPath + token, nil
}

// linkExpiry is when a link stops being valid. Links made through the API
// always get one (see defaultLinkLifetime); a record without one is
// treated as made with the default.
func linkExpiry(link *core.Record) time.Time {
	if exp := link.GetDateTime("expires"); !exp.IsZero() {
		return exp.Time()
	}
	return link.GetDateTime("created").Time().Add(defaultLinkLifetime)
}

// tokenFromInput accepts a bare token or a full link URL. A URL must be on
// this deployment's public address: a genuine token copied onto another
// site is exactly what a fake poster would carry.
func tokenFromInput(app core.App, input string) (string, error) {
	input = strings.TrimSpace(input)
	i := strings.LastIndex(input, linkPath)
	if i < 0 {
		return input, nil
	}
	u, err := url.Parse(input)
	if err != nil || u.Host == "" {
		return input[i+len(linkPath):], nil
	}
	base, err := setup.PublicURL(app)
	if err != nil {
		return "", errNoPublicURL
	}
	want, err := url.Parse(base)
	if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, want.Scheme+"://"+want.Host) {
		return "", errors.New("the link does not point at this service's address")
	}
	return strings.TrimPrefix(u.Path, linkPath), nil
}

// errNoPublicURL: a full link URL cannot be checked against the official
// address while none is set.
var errNoPublicURL = errors.New("no official public address to check the link against")

// VerifyInput checks a bare token or a full link URL.
func VerifyInput(app core.App, input string) Result {
	token, err := tokenFromInput(app, input)
	if errors.Is(err, errNoPublicURL) {
		return Result{Verdict: VerdictUnconfigured, Reason: "This server's official public address is not set, so a full link cannot be checked yet. Paste the code's token alone, or ask the administrator to set the address."}
	}
	if err != nil {
		return Result{Verdict: VerdictInvalid, Reason: "This link does not point at the official address, so it is not a genuine code."}
	}
	return Verify(app, token, time.Now())
}

// Verify checks a token's signature against the key ring and then the
// link it names, as of now.
func Verify(app core.App, token string, now time.Time) Result {
	if token == "" || len(token) > maxTokenLength {
		return Result{Verdict: VerdictInvalid, Reason: "This is not a Homeward code."}
	}
	ring := KeyringFor(app)
	claims := &LinkClaims{}
	var kid string
	parsed, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		key, ok, err := ring.Verifying(kid)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errUnknownKid
		}
		return key, nil
	},
		jwt.WithValidMethods(signingMethods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	res := Result{Kid: kid}
	switch {
	case err == nil && parsed.Valid:
	case errors.Is(err, errUnknownKid):
		res.Verdict, res.Reason = VerdictUnknown, "This code was not signed with a key this service knows."
		return res
	case errors.Is(err, jwt.ErrTokenMalformed):
		res.Verdict, res.Reason = VerdictInvalid, "This is not a Homeward code."
		return res
	case errors.Is(err, jwt.ErrTokenExpired):
		res.Verdict, res.Reason = VerdictExpired, "This code has expired."
	default:
		res.Verdict, res.Reason = VerdictInvalid, "This code's signature does not check out: it was changed or made by someone else."
		return res
	}
	if claims.ID == "" || claims.Embassy == "" {
		return Result{Kid: kid, Verdict: VerdictInvalid, Reason: "This code lacks the link or embassy it should name."}
	}
	res.Claims = claims
	return checkLink(app, res, now)
}

// checkLink completes a result whose signature was good with what the
// database says about the link now: revocation and a shortened expiry
// work on codes already printed.
func checkLink(app core.App, res Result, now time.Time) Result {
	link, err := app.FindRecordById("qr_links", res.Claims.ID)
	if err != nil {
		res.Verdict, res.Reason = VerdictUnknown, "This service has no record of this code."
		return res
	}
	res.Link = link
	embassy, err := app.FindRecordById("embassies", link.GetString("embassy"))
	if err == nil {
		res.Embassy = embassy
	}
	switch {
	case res.Verdict == VerdictExpired:
	case link.GetBool("revoked"):
		res.Verdict, res.Reason = VerdictRevoked, "This code was withdrawn by the embassy."
	case res.Embassy == nil || !res.Embassy.GetBool("active"):
		res.Verdict, res.Reason = VerdictRevoked, "The embassy this code names is no longer listed here."
	case !linkExpiry(link).After(now):
		res.Verdict, res.Reason = VerdictExpired, "This code has expired."
	default:
		res.Verdict, res.Reason = VerdictValid, "This code is genuine."
	}
	return res
}
