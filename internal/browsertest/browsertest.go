// Package browsertest starts a real headless Chromium for tests. Without a
// Chromium on the machine the test is skipped, unless CI or
// HOMEWARD_REQUIRE_BROWSER is set, where it fails instead.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// candidates are the Chromium binaries looked for, in order.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// Find returns the path of a Chromium binary, or "".
func Find() string {
	if p := os.Getenv("HOMEWARD_CHROMIUM"); p != "" {
		return p
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless Chromium with an empty profile and returns a
// chromedp context for one tab; it is closed when the test ends. timeout
// bounds the whole browser session so a hung page cannot hang the suite.
// extra adds allocator options, e.g. Chromium flags a test needs.
func New(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := Find()
	if bin == "" {
		if os.Getenv("HOMEWARD_REQUIRE_BROWSER") != "" || os.Getenv("CI") != "" {
			t.Fatal("browser tests are required here (CI or HOMEWARD_REQUIRE_BROWSER is set) but no Chromium was found (apt-get install chromium)")
		}
		t.Skip("no Chromium on this machine; set HOMEWARD_REQUIRE_BROWSER=1 to make this a failure")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(390, 844),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
