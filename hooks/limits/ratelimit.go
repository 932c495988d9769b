package limits

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// CodeRateLimited is data.code of the 429 PocketBase's rate limiter
// answers (the rules in the settings migrations), with Retry-After.
const CodeRateLimited = "rate_limited"

// rateLimitAnswer gives the refusals of PocketBase's rate limiter what a
// client needs to come back without hammering: Retry-After (RFC 9110,
// 10.2.3), in seconds, and data.code. PocketBase answers a bare
// {"status":429,"message":"Too Many Requests.","data":{}}. Homeward's own
// 429s carry their code and are left as they are.
//
// PocketBase does not say which rule refused, nor when its count ends: the
// wait given is the window of the rule the request's method and path name
// (as PocketBase looks it up), or the longest window of any rule when a
// collection's own rule answered. Either way it is never shorter than the
// wait needed.
func rateLimitAnswer(e *core.RequestEvent) error {
	err := e.Next()
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Data["code"] != nil {
		return err
	}
	secs := rateLimitWindow(e)
	e.Response.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return &router.ApiError{
		Status:  http.StatusTooManyRequests,
		Message: fmt.Sprintf("Too many requests from this network just now. Nothing was changed; try again in %d seconds.", secs),
		Data:    map[string]any{"code": CodeRateLimited},
	}
}

// rateLimitWindow is the window, in seconds, of the rule that may have
// refused e (see rateLimitAnswer).
func rateLimitWindow(e *core.RequestEvent) int64 {
	limits := e.App.Settings().RateLimits
	audience := []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceGuest}
	if e.Auth != nil {
		audience = []string{core.RateLimitRuleAudienceAll, core.RateLimitRuleAudienceAuth}
	}
	longest := int64(60)
	for _, r := range limits.Rules {
		longest = max(longest, r.Duration)
	}
	// A collection route is counted by its collection's labels first.
	if e.Request.Pattern != "" && e.Request.PathValue("collection") != "" {
		return longest
	}
	rule, ok := limits.FindRateLimitRule([]string{e.Request.Method + " " + e.Request.URL.Path, e.Request.URL.Path}, audience...)
	if !ok {
		return longest
	}
	return rule.Duration
}
