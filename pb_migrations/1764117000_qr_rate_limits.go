package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// qrPageRateLimits throttle the anonymous pages of the QR flow that the
// first settings migration did not name: /verify?link= checks a code
// server-side like POST /api/qr/verify, so it gets the same limit; the
// contact pages are cheap but still bounded per client. (/.well-known/
// cannot be named: PocketBase labels allow no dot. The key set is a small
// cached answer.)
var qrPageRateLimits = []core.RateLimitRule{
	{Label: "/verify", MaxRequests: 30, Duration: 60},
	{Label: "/e", MaxRequests: 120, Duration: 60},
	{Label: "/e/", MaxRequests: 120, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		for _, rule := range qrPageRateLimits {
			if !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == rule.Label }) {
				s.RateLimits.Rules = append(s.RateLimits.Rules, rule)
			}
		}
		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		s.RateLimits.Rules = slices.DeleteFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool {
			return slices.ContainsFunc(qrPageRateLimits, func(q core.RateLimitRule) bool { return q.Label == r.Label })
		})
		return app.Save(s)
	})
}
