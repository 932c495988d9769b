package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// rateLimitRules throttle every anonymous route per client. PocketBase keeps
// the counters in memory only, so no address reaches the disk. Labels are
// matched most specific first.
var rateLimitRules = []core.RateLimitRule{
	// Sign-in attempts: slow enough to make password guessing useless.
	{Label: "*:auth", MaxRequests: 5, Duration: 60},
	// Anonymous sync: a reporter's phone retries with backoff, a shelter
	// behind one address may hold a few phones; receipt guessing gets its
	// own, tighter limit in the sync API.
	{Label: "/api/sync/", Audience: core.RateLimitRuleAudienceGuest, MaxRequests: 60, Duration: 60},
	{Label: "/api/sync/", Audience: core.RateLimitRuleAudienceAuth, MaxRequests: 300, Duration: 60},
	{Label: "POST /api/qr/verify", MaxRequests: 30, Duration: 60},
	{Label: "/api/qr/", MaxRequests: 120, Duration: 60},
	{Label: "/q/", MaxRequests: 60, Duration: 60},
	{Label: "*:create", MaxRequests: 20, Duration: 5},
	{Label: "/api/", MaxRequests: 300, Duration: 10},
}

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		s.Meta.AppName = "Homeward"
		s.Meta.HideControls = false

		// Request logs keep no client address and no account id, for a week.
		s.Logs.LogIP = false
		s.Logs.LogAuthId = false
		s.Logs.MaxDays = 7

		s.RateLimits.Enabled = true
		s.RateLimits.Rules = rateLimitRules

		// Clients use the sync API, which commits a batch per operation
		// result; PocketBase's all-or-nothing batch stays off.
		s.Batch.Enabled = false

		// Superuser sessions are short: a lost laptop should not stay signed in.
		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.AuthToken.Duration = 4 * 60 * 60
		if err := app.Save(superusers); err != nil {
			return err
		}

		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		s.Meta.AppName = "Acme"
		s.Logs.LogIP = true
		s.Logs.MaxDays = 5
		s.RateLimits.Enabled = false
		s.RateLimits.Rules = nil
		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.AuthToken.Duration = 86400
		if err := app.Save(superusers); err != nil {
			return err
		}
		return app.Save(s)
	})
}
