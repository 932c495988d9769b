package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// openRosaRateLimit bounds the OpenRosa API (hooks/openrosa) per client as
// the sync API's signed-in rule does: ODK Collect sends a HEAD and a POST
// per filled form (and one POST per 10 MB of its files), so a volunteer
// sending a day's thirty forms at once stays far inside it.
var openRosaRateLimit = core.RateLimitRule{Label: "/openrosa/", MaxRequests: 300, Duration: 60}

// openrosa_form_versions lists the versions of the report form the
// OpenRosa API has handed out (the version changes with the embassy list),
// so a form filled offline on an older version is still taken and a
// version never handed out is refused.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`
			CREATE TABLE IF NOT EXISTS {{openrosa_form_versions}} (
				[[version]] TEXT PRIMARY KEY NOT NULL,
				[[created]] TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ'))
			) WITHOUT ROWID;
		`).Execute()
		if err != nil {
			return err
		}
		s := app.Settings()
		if !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == openRosaRateLimit.Label }) {
			s.RateLimits.Rules = append(s.RateLimits.Rules, openRosaRateLimit)
		}
		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		s.RateLimits.Rules = slices.DeleteFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == openRosaRateLimit.Label })
		if err := app.Save(s); err != nil {
			return err
		}
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS {{openrosa_form_versions}}").Execute()
		return err
	})
}
