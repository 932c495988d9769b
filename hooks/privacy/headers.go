// Package privacy holds the protections that apply to every route: security
// headers, no browser fingerprint and no query values in the request log, no
// bound values in dev mode's SQL log, and guests kept out of private
// collections.
package privacy

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// ContentSecurityPolicy allows only Homeward's own origin: no third-party
// script, style, font or beacon can ever load, and no inline script runs.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
	"manifest-src 'self'; worker-src 'self'; form-action 'self'; base-uri 'none'; " +
	"frame-ancestors 'none'; object-src 'none'"

// ContentSecurityPolicyWith is ContentSecurityPolicy that also allows the
// inline scripts and styles with the given sources ('sha256-…' hashes), for
// a page that must work from its first round trip (the reporter's shell).
func ContentSecurityPolicyWith(scripts, styles []string) string {
	p := ContentSecurityPolicy
	if len(scripts) > 0 {
		p = strings.Replace(p, "script-src 'self'", "script-src 'self' "+strings.Join(scripts, " "), 1)
	}
	if len(styles) > 0 {
		p = strings.Replace(p, "style-src 'self'", "style-src 'self' "+strings.Join(styles, " "), 1)
	}
	return p
}

// Register binds the security headers and the log scrubbing to every route
// and refuses guests on private collections.
func Register(app core.App) error {
	registerGuestRefusal(app)
	registerLogScrubbing(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.BindFunc(securityHeaders)
		return se.Next()
	})
	return nil
}

// securityHeaders sets the headers for Homeward's own pages and API. The
// superuser dashboard under /_/ keeps PocketBase's own policy, which its
// bundled editor needs.
func securityHeaders(e *core.RequestEvent) error {
	// The request log would keep these; a phone's exact browser build and
	// the page it came from help single a reporter out, and nothing in
	// Homeward needs them.
	e.Request.Header.Del("User-Agent")
	e.Request.Header.Del("Referer")

	h := e.Response.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	// A voice note needs the microphone; nothing needs location or the
	// camera API (photos come through the file picker).
	h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=(self), payment=(), usb=()")
	if !strings.HasPrefix(e.Request.URL.Path, "/_/") {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	return e.Next()
}
