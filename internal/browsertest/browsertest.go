// Package browsertest starts a real headless Chromium for tests. Without a
// Chromium on the machine the test is skipped, unless CI or
// HOMEWARD_REQUIRE_BROWSER is set, where it fails instead. Under
// `go test -short` browser tests are skipped (see heavytest).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/heavytest"
)

// minSession is the least time a browser session gets: on a shared 2-core
// machine a first start, a service worker install and a few reloads can
// take far longer than on a quiet one, and a hung test still ends.
const minSession = 3 * time.Minute

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
// (at least minSession) bounds the whole browser session so a hung page
// cannot hang the suite. extra adds allocator options, e.g. Chromium flags
// a test needs.
//
// Only one Chromium runs at a time across all test packages (go test runs
// packages in parallel): two browsers on two cores starve each other and
// the servers under test.
func New(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	heavytest.SkipIfShort(t, "this browser test (headless Chromium)")
	timeout = max(timeout, minSession)
	bin := Find()
	if bin == "" {
		if os.Getenv(heavytest.RequireBrowser) != "" || os.Getenv("CI") != "" {
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
		// Only loopback: a page that would reach out (the quick exit's
		// plain website) gets "not found" instead of the Internet.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(390, 844),
	)
	opts = append(opts, extra...)
	unlock := lockBrowser(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(tab, timeout)
	var j journal
	t.Cleanup(func() {
		diagnose(t, tab, &j)
		cancelTimeout()
		cancelTab()
		cancelAlloc()
		unlock()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	j.watch(tab)
	return ctx
}

// browserLock is the machine-wide lock's state in this process: a test may
// open a second browser (e.g. a second phone) while it holds the first.
var browserLock struct {
	sync.Mutex
	holders int
	file    *os.File
}

// lockBrowser takes a machine-wide lock file, waiting for another test
// package's browser to finish, and returns its release.
func lockBrowser(t testing.TB) func() {
	t.Helper()
	browserLock.Lock()
	defer browserLock.Unlock()
	if browserLock.holders == 0 {
		f, err := os.OpenFile(filepath.Join(os.TempDir(), "homeward-chromium.lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatalf("browser lock: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			t.Fatalf("browser lock: %v", err)
		}
		browserLock.file = f
	}
	browserLock.holders++
	return func() {
		browserLock.Lock()
		defer browserLock.Unlock()
		browserLock.holders--
		if browserLock.holders == 0 {
			syscall.Flock(int(browserLock.file.Fd()), syscall.LOCK_UN)
			browserLock.file.Close()
		}
	}
}
