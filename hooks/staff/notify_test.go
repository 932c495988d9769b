package staff_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/staff"
)

func TestUrgentReportMailsOnDutyStaffWithoutContent(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	app.Settings().Meta.AppURL = "https://homeward.example"
	if n := app.TestMailer.TotalSend(); n != 0 {
		t.Fatalf("seed sent %d mails", n)
	}

	col, err := app.FindCollectionByNameOrId(reports.CollectionReports)
	if err != nil {
		t.Fatal(err)
	}
	urgent := core.NewRecord(col)
	urgent.Load(map[string]any{
		"id": "urgentx0000000000001", "embassy": embassyX, "minors_present": true,
		"message": "secret words of the reporter", "compound_location": "KK Park building 9",
		"contact_phone": "+000 99 000 111", "nationality": "Indonesia",
	})
	if err := app.Save(urgent); err != nil {
		t.Fatal(err)
	}

	if n := app.TestMailer.TotalSend(); n != 1 {
		t.Fatalf("want one mail (one on-duty member of staff at X), got %d", n)
	}
	msg := app.TestMailer.LastMessage()
	if len(msg.To) != 1 || msg.To[0].Address != "x@example.org" {
		t.Fatalf("mail went to %v, want only the on-duty staff of X", msg.To)
	}
	if !strings.Contains(msg.Text, staff.ConsoleURL(app)) || !strings.Contains(msg.HTML, "https://homeward.example/staff/") {
		t.Fatalf("mail has no link to the console:\n%s", msg.Text)
	}
	all := msg.Subject + msg.Text + msg.HTML
	for _, secret := range []string{urgent.Id, "secret words", "KK Park", "+000 99", "Indonesia", "minor"} {
		if strings.Contains(strings.ToLower(all), strings.ToLower(secret)) {
			t.Errorf("mail carries report content %q", secret)
		}
	}
}

func TestOrdinaryReportSendsNoMail(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	saveReport("calmxx0000000000001x", embassyX, map[string]any{"needs": []string{"documents"}})(t, app, nil)
	if n := app.TestMailer.TotalSend(); n != 0 {
		t.Fatalf("a report that is not urgent sent %d mails", n)
	}
}

func saveUrgent(t *testing.T, app *tests.TestApp, id string) {
	t.Helper()
	saveReport(id, embassyX, map[string]any{"safety_risk_now": true})(t, app, nil)
}

func TestBurstOfUrgentReportsSendsOneNoticeNow(t *testing.T) {
	t.Parallel()
	app := newApp(t) // default quiet period: ten minutes
	for i := range 5 {
		saveUrgent(t, app, fmt.Sprintf("burstx%014d", i))
	}
	if n := app.TestMailer.TotalSend(); n != 1 {
		t.Fatalf("a burst of 5 urgent reports sent %d mails now, want 1 (the rest after the quiet period)", n)
	}
}

func TestUrgentReportsInTheQuietPeriodGetATrailingNotice(t *testing.T) {
	// Not parallel: the three saves must fall inside a 200 ms quiet
	// period, which a busy machine could stretch them past.
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	if err := reports.Register(app); err != nil {
		t.Fatal(err)
	}
	if err := staff.RegisterWith(app, staff.Options{NoticeQuiet: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	seed(t, app)
	saveUrgent(t, app, "quietx00000000000001")
	saveUrgent(t, app, "quietx00000000000002")
	saveUrgent(t, app, "quietx00000000000003")

	// Wait (bounded) for the trailing notice; it carries no content either.
	deadline := time.Now().Add(10 * time.Second)
	for app.TestMailer.TotalSend() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := app.TestMailer.TotalSend(); n != 2 {
		t.Fatalf("want the first notice and one trailing notice, got %d mails", n)
	}
	if strings.Contains(app.TestMailer.LastMessage().Text, "quietx") {
		t.Fatal("the trailing notice carries a report id")
	}
}
