package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// TestDashboardShowsWhatIsNotConfigured signs a superuser into the real
// binary's dashboard (/_/) and finds the banner of setup checks that
// Homeward's dashboard extension adds: on a fresh server, at least the
// public address and the mail server.
func TestDashboardShowsWhatIsNotConfigured(t *testing.T) {
	s := startReal(t)
	ctx := browsertest.New(t, 60*time.Second)
	do(t, ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(s.Bin.URL+"/_/"),
		chromedp.WaitVisible(`#login_identity`),
		chromedp.SendKeys(`#login_identity`, superuserEmail),
		chromedp.SendKeys(`#login_pass`, superuserPassword+"\n"))
	waitFor(t, ctx, "the setup banner in the dashboard",
		`!!document.querySelector('#homeward-setup-checks li[data-code="public_url"]') && !!document.querySelector('#homeward-setup-checks li[data-code="mail"]')`)
	if text := eval[string](t, ctx, `document.getElementById('homeward-setup-checks').textContent`); !strings.Contains(text, "--public-url") {
		t.Errorf("the banner does not say how to set the public address: %q", text)
	}
}
