package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The first settings migration held anonymous callers to 60 requests a
// minute on /api/sync/, shared by everyone behind one address, and every
// 64 KiB chunk of a photo counted: one phone sending a 6 MiB voice note ran
// out on its own, and a shelter's Wi-Fi long before its sixty reporters had
// sent what the report-create budget (60 in 10 minutes, internal/addrlimit)
// lets through. What guessing or flooding could abuse has its own, tighter
// limit in the sync API (wrong receipts, report creates). So:
//   - anonymous sync requests get the budget signed-in callers have, 300 a
//     minute per address;
//   - tus chunks (PATCH /api/sync/files/) get their own, 600 a minute per
//     address: 37.5 MiB at 64 KiB a chunk, each upload bounded by its
//     declared size.
//
// A rule an operator changed since is left as it is.
var (
	syncGuestBefore = core.RateLimitRule{Label: "/api/sync/", Audience: core.RateLimitRuleAudienceGuest, MaxRequests: 60, Duration: 60}
	syncGuestAfter  = core.RateLimitRule{Label: "/api/sync/", Audience: core.RateLimitRuleAudienceGuest, MaxRequests: 300, Duration: 60}
	syncChunks      = core.RateLimitRule{Label: "PATCH /api/sync/files/", MaxRequests: 600, Duration: 60}
)

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		replaceRule(s, syncGuestBefore, syncGuestAfter)
		if !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == syncChunks.Label }) {
			s.RateLimits.Rules = append(s.RateLimits.Rules, syncChunks)
		}
		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		replaceRule(s, syncGuestAfter, syncGuestBefore)
		s.RateLimits.Rules = slices.DeleteFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r == syncChunks })
		return app.Save(s)
	})
}

// replaceRule puts to in place of the rule equal to from, if there is one.
func replaceRule(s *core.Settings, from, to core.RateLimitRule) {
	if i := slices.Index(s.RateLimits.Rules, from); i >= 0 {
		s.RateLimits.Rules[i] = to
	}
}
