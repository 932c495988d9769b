package staff_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/hooks/staff"
)

func TestUrgentReportMailsOnDutyStaffWithoutContent(t *testing.T) {
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
		"contact_phone": "+855 99 000 111", "nationality": "Indonesia",
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
	for _, secret := range []string{urgent.Id, "secret words", "KK Park", "+855 99", "Indonesia", "minor"} {
		if strings.Contains(strings.ToLower(all), strings.ToLower(secret)) {
			t.Errorf("mail carries report content %q", secret)
		}
	}
}

func TestOrdinaryReportSendsNoMail(t *testing.T) {
	app := newApp(t)
	saveReport("calmxx0000000000001x", embassyX, map[string]any{"needs": []string{"documents"}})(t, app, nil)
	if n := app.TestMailer.TotalSend(); n != 0 {
		t.Fatalf("a report that is not urgent sent %d mails", n)
	}
}
