package console_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/ui"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestDashboardScreenshots signs a superuser into PocketBase's /_/ and
// writes screenshots of the reports and report_events lists, to review how
// the dashboard reads. It only runs with HOMEWARD_SCREENSHOTS=1: the field
// order and labels it shows are checked by the migration's own test.
func TestDashboardScreenshots(t *testing.T) {
	if os.Getenv("HOMEWARD_SCREENSHOTS") == "" {
		t.Skip("set HOMEWARD_SCREENSHOTS=1 to write the dashboard screenshots")
	}
	app := newApp(t)
	moreReports(t, app, nil)
	// The test router has no /_/; bind it as `serve` does.
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/_/{path...}", apis.Static(ui.DistDirFS, false))
		return se.Next()
	})
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 60*time.Second)

	rows := chromedp.Poll[bool](`document.querySelectorAll('tbody tr').length > 1`, chromedp.WithPollingTimeout(20*time.Second))
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(srv.URL+"/_/"),
		chromedp.WaitVisible(`#login_identity`),
		chromedp.SendKeys(`#login_identity`, testserver.SuperuserEmail),
		chromedp.SendKeys(`#login_pass`, testserver.Password+"\n"),
		chromedp.WaitVisible(`.sidebar-content, .page-sidebar, aside`),
		chromedp.Evaluate[chromedp.Void](`location.hash = "#/collections?collection=reports"`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"reports", "report_events"} {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`location.hash = "#/collections?collection=`+c+`"`)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, rows); err != nil {
			t.Fatalf("%s list: %v", c, err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		writeShot(t, "dashboard-"+c, png)
	}
}
