package console_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"homeward/hooks/qr"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/zbar"
)

// TestLinksScreenMakesAPrintablePoster drives the console's QR links
// screen in Chromium: make a link for a shelter in Khmer, open its A4
// poster from the screen (a new tab, signed in by a file token), and read
// the poster's code with zbarimg: it must be the embassy's genuine link.
// Then revoke the link from the screen. Before the server has its
// official public address, the screen says why nothing prints and offers
// no poster or code to open, which the server would refuse.
func TestLinksScreenMakesAPrintablePoster(t *testing.T) {
	app := fixture.NewApp(t)
	app.Settings().Meta.AppURL = ""
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 120*time.Second)
	problems := watchConsole(ctx)
	s := consoleSteps(t, ctx, problems)
	do, waitFor := s.do, s.waitFor

	do("open the links screen", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/#/links"))
	s.signIn("x@example.org")
	waitFor("the links screen is shown", `!document.querySelector('#links').hidden && !!document.querySelector('[data-link-form]')`)
	waitFor("no links yet", `document.querySelector('[data-links]').textContent.includes('No links yet')`)
	s.fill("name the place", "#link-label", "Poipet shelter, front door")
	s.fill("pick Khmer", "#link-language", "km")
	s.click("make the link", `[data-link-form] button[type="submit"]`)
	waitFor("the link is listed as active, with nothing to print yet, and the screen says why",
		`!!document.querySelector('tr[data-state="active"]') && !document.querySelector('[data-poster], [data-png]') &&
		 !!document.querySelector('[data-no-public-url]')`)
	app.Settings().Meta.AppURL = "https://homeward.example.org"
	do("open the screen again once the address is set", chromedp.Reload())
	waitFor("the link is listed as active, with its poster", `!!document.querySelector('tr[data-state="active"] [data-poster]') && !document.querySelector('[data-no-public-url]')`)
	do("a phone-sized screen", chromedp.EmulateViewport(390, 844))
	waitFor("the screen fits a phone: the table scrolls in its own box", `document.documentElement.scrollWidth <= window.innerWidth`)
	do("a desk-sized screen again", chromedp.EmulateViewport(1280, 900))
	links, err := app.FindAllRecords("qr_links")
	if err != nil || len(links) != 1 {
		t.Fatalf("links on the server: %d (%v), want 1", len(links), err)
	}
	link := links[0]
	if link.GetString("embassy") != fixture.EmbassyX || link.GetString("language") != "km" || link.GetString("created_by") != fixture.StaffX {
		t.Fatalf("the link is %v, want embassy X's, in Khmer, made by staff X", link.FieldsData())
	}
	shotFull(t, ctx, "staff-qr-links")

	// The poster opens in a new tab: find it and read its code.
	opened := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return info.Type == "page" })
	s.click("print the poster", "[data-poster]")
	var tab target.ID
	select {
	case tab = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatalf("no poster tab opened; console: %v", problems())
	}
	posterCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(tab))
	defer cancel()
	if _, err := chromedp.Run(posterCtx, chromedp.Poll[bool](`location.pathname.endsWith('/poster') && !!document.querySelector('svg')`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("poster tab: %v", err)
	}
	if err := chromedp.Do(posterCtx, chromedp.EmulateViewport(1000, 1400)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(posterCtx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("poster screenshot: %v", err)
	}
	if os.Getenv("HOMEWARD_SCREENSHOTS") != "" {
		writeShot(t, "staff-qr-poster", png)
	}
	code := zbar.Decode(t, png)
	if !strings.HasPrefix(code, "https://homeward.example.org/q/") {
		t.Fatalf("the poster's code reads %q, want the official /q/ address", code)
	}
	res := qr.VerifyInput(app, code)
	if res.Verdict != "valid" || res.Link == nil || res.Link.Id != link.Id {
		t.Fatalf("the poster's code %q verifies as %q (%s) for %v, want valid for link %s", code, res.Verdict, res.Reason, res.Link, link.Id)
	}

	// Back to the console: a tab in the background gets no animation
	// frames, which the steps' polling waits on.
	if _, err := chromedp.Call(posterCtx, page.Close, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	do("confirm what is asked", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	s.click("revoke the link", "[data-revoke]")
	waitFor("the link shows as revoked", `!!document.querySelector('tr[data-state="revoked"]') && !document.querySelector('[data-poster]')`)
	if link, err = app.FindRecordById("qr_links", link.Id); err != nil || !link.GetBool("revoked") {
		t.Fatalf("the link is not revoked on the server (%v)", err)
	}
	if res := qr.VerifyInput(app, code); res.Verdict != "revoked" {
		t.Fatalf("the printed code now verifies as %q, want revoked", res.Verdict)
	}
}
