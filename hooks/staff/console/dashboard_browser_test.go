package console_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/ui"

	"homeward/hooks/sealing"
	"homeward/hooks/staff/internal/fixture"
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
	app := fixture.NewApp(t)
	fixture.MoreReports(t, app, nil)
	ctx := dashboardOnReports(t, app)
	rows := chromedp.Poll[bool](`document.querySelectorAll('tbody tr').length > 1`, chromedp.WithPollingTimeout(20*time.Second))
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

// TestTheDashboardSavesASealedReportStillSealed opens a server-sealed
// report in PocketBase's own dashboard as a superuser: its private fields
// read as sealed, not empty. Changing its status there and saving, as a
// superuser tidying up would, stores the status and leaves the report
// sealed as it was: the same envelope, nothing in clear, no mark stored.
func TestTheDashboardSavesASealedReportStillSealed(t *testing.T) {
	app := fixture.NewApp(t)
	key := testserver.AddEmbassyKey(t, app, fixture.EmbassyX, nil)
	const id, marker = "dashsealed0000000001", "MARKER-dashboard"
	fixture.SaveReport(id, fixture.EmbassyX, map[string]any{"message": marker + " message", "contact_name": marker + " name", "people_count": 2})(t, app, nil)
	before, err := app.FindRecordById("reports", id)
	if err != nil || before.GetString("sealed_by") != "server" {
		t.Fatalf("the report was not sealed by the server: %v", err)
	}
	ctx := dashboardOnReports(t, app)
	steps := []struct {
		what string
		act  chromedp.Action[chromedp.Void]
	}{
		{"the report's row", chromedp.Poll[chromedp.Void](`(() => { const r = [...document.querySelectorAll('tbody tr')].find((r) => r.textContent.includes('`+id+`'));
			if (r) r.click(); return !!r; })()`, chromedp.WithPollingTimeout(30*time.Second))},
		{"the form showing the fields as sealed", chromedp.Poll[chromedp.Void](`['message', 'contact_name', 'current_location'].every((n) => {
			const f = document.querySelector('textarea[name="' + n + '"], input[name="' + n + '"]');
			return f && f.value === `+strconv.Quote(sealing.SealedMark)+`; })`, chromedp.WithPollingTimeout(30*time.Second))},
		{"the status list opened", chromedp.Click(chromedp.CSS(`button[name="status"]`))},
		{"in_review chosen", chromedp.Click(chromedp.Search(`//button[contains(@class, "select-option") and normalize-space(.) = "in_review"]`), chromedp.NodeVisible)},
		{"the form saved", chromedp.Click(chromedp.Search(`//button[not(@disabled) and normalize-space(.) = "Save changes"]`))},
	}
	for _, s := range steps {
		if err := chromedp.Do(ctx, s.act); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	var after *core.Record
	for {
		if after, err = app.FindRecordById("reports", id); err != nil {
			t.Fatal(err)
		}
		if after.GetString("status") == "in_review" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard's save did not store the status: %q", after.GetString("status"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var was, is any
	if json.Unmarshal([]byte(before.GetString("sealed")), &was) != nil || json.Unmarshal([]byte(after.GetString("sealed")), &is) != nil ||
		!reflect.DeepEqual(was, is) || after.GetString("sealed_by") != "server" {
		t.Errorf("the envelope changed: %s (sealed_by %q)", after.GetString("sealed"), after.GetString("sealed_by"))
	}
	for _, f := range []string{"message", "contact_name", "contact_phone", "compound_location", "current_location"} {
		if v := after.GetString(f); v != "" {
			t.Errorf("%s is stored as %q", f, v)
		}
	}
	if body := key.OpenReport(t, after); body.Message != marker+" message" || body.ContactName != marker+" name" {
		t.Errorf("the envelope opens to %+v", body)
	}
	testserver.NoFileHolds(t, app.DataDir(), marker)
}

// dashboardOnReports serves app with PocketBase's dashboard at /_/ (the
// test router has none; bound as `serve` does), signs a superuser in
// there in Chromium and opens the reports collection.
func dashboardOnReports(t *testing.T, app *tests.TestApp) context.Context {
	t.Helper()
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/_/{path...}", apis.Static(ui.DistDirFS, false))
		return se.Next()
	})
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 60*time.Second)
	if err := browsertest.Step(ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(srv.URL+"/_/"),
		chromedp.WaitVisible(`#login_identity`),
		chromedp.SendKeys(`#login_identity`, testserver.SuperuserEmail),
		chromedp.SendKeys(`#login_pass`, testserver.Password+"\n"),
		chromedp.WaitVisible(`.sidebar-content, .page-sidebar, aside`),
		chromedp.Evaluate[chromedp.Void](`location.hash = "#/collections?collection=reports"`)); err != nil {
		t.Fatal(err)
	}
	return ctx
}
