// Package heavytest decides whether a heavy test runs: one that starts a
// real Chromium (browsertest) or builds and runs the real binary
// (binarytest). `go test -short ./...` skips them for a quick run; a
// plain `go test ./...`, and CI, run them all.
package heavytest

import (
	"os"
	"testing"
)

// Env vars that ask for a full run, as .ci/run sets them: with either (or
// CI) set, a heavy test that cannot run fails instead of skipping.
const (
	RequireBrowser = "HOMEWARD_REQUIRE_BROWSER"
	RequireDeploy  = "HOMEWARD_REQUIRE_DEPLOY"
)

// Required reports whether this run must include the heavy tests.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv(RequireBrowser) != "" || os.Getenv(RequireDeploy) != ""
}

// SkipIfShort skips a heavy test under -short, saying what it skipped. A
// run that is required to include heavy tests (Required) fails instead:
// the require flag wins over -short, loudly, so CI can never go green by
// skipping what it is meant to prove.
func SkipIfShort(t testing.TB, what string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if Required() {
		t.Fatalf("%s must run here (CI, %s or %s is set), but -short skips it: run without -short", what, RequireBrowser, RequireDeploy)
	}
	t.Skipf("-short skips %s; run go test without -short to include it", what)
}
