package setup

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// Errors of CheckPublicURL and PublicURL, checked with errors.Is.
var (
	// ErrNoPublicURL: the Application URL was never set, or is still
	// PocketBase's default (http://localhost:8090).
	ErrNoPublicURL = errors.New("the official public address is not set")
	// ErrLocalPublicURL: the address is one only this machine or its local
	// network can reach (localhost, a loopback or private IP, a name with
	// no dot, .local); allowed with --dev only.
	ErrLocalPublicURL = errors.New("the public address is not reachable by the public")
	// ErrBadPublicURL: not an absolute http(s) address of a site's root.
	ErrBadPublicURL = errors.New("the public address is not a valid site address")
)

// defaultAppURL is the Application URL PocketBase starts with. It is never
// an official address, even in dev mode: a developer who wants codes on a
// local address says so with --public-url.
const defaultAppURL = "http://localhost:8090"

// HowToSetPublicURL is the one step an operator takes, quoted by every
// refusal.
const HowToSetPublicURL = "Start the server once with --public-url https://YOUR.DOMAIN " +
	"(e.g. go run . serve --public-url https://homeward.example.org), " +
	"or set Settings > Application URL in the dashboard (/_/#/settings)."

// CheckPublicURL says whether raw may be the official address that QR
// codes, posters, contact cards and links carry. Outside dev mode it must
// be https on a name or address the public can reach, with no path: the
// poster tells people to trust exactly this address. The error wraps one of
// ErrNoPublicURL, ErrLocalPublicURL or ErrBadPublicURL.
func CheckPublicURL(raw string, dev bool) error {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.TrimRight(raw, "/") == defaultAppURL {
		return ErrNoPublicURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: %q is not an absolute address such as https://homeward.example.org", ErrBadPublicURL, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return fmt.Errorf("%w: %q must be the site's root, with no path, query or login", ErrBadPublicURL, raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !dev {
			return fmt.Errorf("%w: %q must use https: on plain http anyone on the way can change the page", ErrBadPublicURL, raw)
		}
	default:
		return fmt.Errorf("%w: %q must start with https://", ErrBadPublicURL, raw)
	}
	if local(u.Hostname()) && !dev {
		return fmt.Errorf("%w: %s can only be reached from this machine or its local network (allowed with --dev only)", ErrLocalPublicURL, u.Host)
	}
	return nil
}

// local reports whether host is a name or address the public cannot reach.
func local(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if addr, err := netip.ParseAddr(host); err == nil {
		addr = addr.Unmap()
		return addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
			addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsMulticast() ||
			sharedAddressSpace.Contains(addr)
	}
	if net.ParseIP(host) != nil { // a form netip refuses, e.g. with a zone
		return true
	}
	if !strings.Contains(host, ".") {
		return true // localhost, an intranet name
	}
	for _, suffix := range localSuffixes {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range: not routable
// on the internet.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// localSuffixes are names only a local network resolves (RFC 6761's
// localhost, mDNS's .local, RFC 8375's home.arpa, and the common
// intranet suffixes).
var localSuffixes = []string{".localhost", ".local", ".home.arpa", ".internal", ".lan", ".intranet"}

// PublicURL returns the official public address without a trailing slash,
// or an error that says why there is none and (in its text) how to set it.
func PublicURL(app core.App) (string, error) {
	raw := app.Settings().Meta.AppURL
	if err := CheckPublicURL(raw, configOf(app).Dev); err != nil {
		return "", err
	}
	return strings.TrimRight(strings.TrimSpace(raw), "/"), nil
}

// PublicURLError is the API error for a route that would hand out the
// public address while none is set: 503, with the one step that fixes it.
func PublicURLError(e *core.RequestEvent, err error) error {
	why := "."
	if !errors.Is(err, ErrNoPublicURL) {
		why = ": " + err.Error() + "."
	}
	return e.Error(http.StatusServiceUnavailable, "QR codes, posters and contact links are not available until the official public address is set"+
		why+" "+HowToSetPublicURL, nil)
}

// checkFlag checks a --public-url value. PocketBase's default address
// given as the flag is refused as the local address it is.
func checkFlag(raw string, dev bool) error {
	err := CheckPublicURL(raw, dev)
	if errors.Is(err, ErrNoPublicURL) {
		err = fmt.Errorf("%w: %q", ErrLocalPublicURL, raw)
	}
	if err != nil {
		return fmt.Errorf("--public-url: %w. %s", err, HowToSetPublicURL)
	}
	return nil
}

// IsPublicURLError reports whether err is one of PublicURL's: the address
// is missing, local, or not a site's root.
func IsPublicURLError(err error) bool {
	return errors.Is(err, ErrNoPublicURL) || errors.Is(err, ErrLocalPublicURL) || errors.Is(err, ErrBadPublicURL)
}

// savePublicURL saves raw, checked by checkFlag, as the Application URL.
func savePublicURL(app core.App, raw string) error {
	s := app.Settings()
	want := strings.TrimRight(strings.TrimSpace(raw), "/")
	if s.Meta.AppURL == want {
		return nil
	}
	s.Meta.AppURL = want
	return app.Save(s)
}
