package setup

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Check is one thing an operator has not configured: what it breaks, and
// the exact setting that fixes it.
type Check struct {
	Code    string `json:"code"`    // one of the Code* constants
	Message string `json:"message"` // what is not configured, and what that breaks
	Fix     string `json:"fix"`     // the setting to change, or the command to run
}

// Codes of the checks.
const (
	CodePublicURL  = "public_url"
	CodeMail       = "mail"
	CodeProxy      = "proxy_headers"
	CodeProxyTrust = "proxy_headers_trusted_directly"
	CodeBackups    = "backups"
	CodeDemo       = "demo_data"
)

// Checks lists what is not configured, most urgent first. It reads the
// settings, the data dir and what the proxy watch has seen, never a
// report.
func Checks(app core.App) []Check {
	out := []Check{} // a JSON list, never null
	if _, err := PublicURL(app); err != nil {
		msg := "No official public address: QR codes, posters and contact links are refused."
		if !errors.Is(err, ErrNoPublicURL) {
			msg = "The Application URL cannot be the official public address (" + err.Error() + "): QR codes, posters and contact links are refused."
		}
		out = append(out, Check{Code: CodePublicURL, Message: msg, Fix: HowToSetPublicURL})
	}
	s := app.Settings()
	if !s.SMTP.Enabled {
		out = append(out, Check{
			Code:    CodeMail,
			Message: "No mail server: staff marked on duty get no e-mail when an urgent report arrives.",
			Fix:     "Dashboard > Settings > Mail settings (/_/#/settings/mail): turn on \"Use SMTP mail server\" and enter the server, then send a test e-mail.",
		})
	}
	w := watchOf(app)
	if len(s.TrustedProxy.Headers) == 0 && w.proxied.Load() {
		out = append(out, Check{
			Code:    CodeProxy,
			Message: "Requests arrive through a proxy, but no proxy header is trusted: every reporter shares the proxy's rate limits, and one person can lock everyone out.",
			Fix:     "Dashboard > Settings > Application > User IP proxy headers (/_/#/settings): add X-Forwarded-For (as sent by the Caddyfile in deploy/), or run: go run . settings trusted-proxy X-Forwarded-For.",
		})
	}
	if len(s.TrustedProxy.Headers) > 0 && w.direct.Load() {
		out = append(out, Check{
			Code:    CodeProxyTrust,
			Message: "Proxy headers are trusted, but requests also arrive directly from the internet: anyone can forge their address and slip past the rate limits.",
			Fix:     "Listen on 127.0.0.1 only (serve --http 127.0.0.1:8090) behind the proxy, or clear Settings > Application > User IP proxy headers.",
		})
	}
	if !s.Backups.S3.Enabled && !replicated(app) {
		out = append(out, Check{
			Code:    CodeBackups,
			Message: "No off-site backups: the nightly backups stay on this server's disk, so a lost, broken or seized disk loses every report.",
			Fix:     "Run Litestream beside the server (deploy/litestream.yml, docs/DEPLOY.md), or set Dashboard > Settings > Backups (/_/#/settings/backups) > auto backups with S3 storage.",
		})
	}
	if n, err := app.CountRecords("embassies", dbx.HashExp{"demo": true}); err == nil && n > 0 {
		out = append(out, Check{
			Code:    CodeDemo,
			Message: "Demo embassies are loaded (marked DEMO, with numbers nobody answers): reporters could pick them.",
			Fix:     "Delete them in the dashboard (/_/#/collections, embassies, filter demo = true) and never start with --demo on this data.",
		})
	}
	return out
}

// replicated reports whether Litestream keeps a replica of data.db: it
// writes its state beside the database (.data.db-litestream since v0.5,
// data.db-litestream before).
func replicated(app core.App) bool {
	for _, name := range []string{".data.db-litestream", "data.db-litestream"} {
		if info, err := os.Stat(filepath.Join(app.DataDir(), name)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}

// proxyWatch remembers, for the life of the process, whether requests came
// through a proxy and whether they came straight from the internet. It
// keeps no address.
type proxyWatch struct {
	proxied atomic.Bool // a loopback or private peer sent forwarding headers
	direct  atomic.Bool // a public peer reached the server itself
}

const watchStoreKey = "homeward.setup.proxywatch"

func watchOf(app core.App) *proxyWatch {
	return app.Store().GetOrSet(watchStoreKey, func() any { return new(proxyWatch) }).(*proxyWatch)
}

// forwardingHeaders are the headers a reverse proxy adds.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Real-IP", "Forwarded", "CF-Connecting-IP", "True-Client-IP"}

// watchProxies notes whether this request came through a proxy (a
// loopback or private peer that sent a forwarding header) or straight
// from a public address. The first proxied request with no trusted header
// is also written to the log, once.
func watchProxies(e *core.RequestEvent) error {
	peer, err := netip.ParseAddr(e.RemoteIP())
	if err == nil {
		w := watchOf(e.App)
		peer = peer.Unmap()
		if peer.IsLoopback() || peer.IsPrivate() {
			for _, h := range forwardingHeaders {
				if e.Request.Header.Get(h) != "" {
					if !w.proxied.Swap(true) && len(e.App.Settings().TrustedProxy.Headers) == 0 {
						e.App.Logger().Warn("Requests arrive through a proxy, but no proxy header is trusted: set Settings > Application > User IP proxy headers.")
					}
					break
				}
			}
		} else {
			w.direct.Store(true)
		}
	}
	return e.Next()
}
