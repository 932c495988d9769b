package staff

import (
	"fmt"
	"html"
	"net/mail"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// Notice text. It carries no report content, not even the report id: mail
// crosses servers the embassy does not control, and a staff inbox may be
// read by others.
const (
	noticeSubject = "Homeward: an urgent report is waiting"
	noticeText    = "An urgent report has arrived for your embassy.\n\n" +
		"Open the staff console to read it:\n%s\n\n" +
		"You receive this because you are marked on duty in Homeward.\n"
)

// notifyUrgent e-mails the on-duty staff of the report's embassy when an
// urgent report arrives. It runs after the report is committed; a mail
// failure is logged and never undoes the report.
func notifyUrgent(e *core.RecordEvent) error {
	if !e.Record.GetBool("urgent") {
		return e.Next()
	}
	var onDuty []*core.Record
	err := e.App.RecordQuery(CollectionStaff).
		AndWhere(dbx.HashExp{"embassy": e.Record.GetString("embassy"), "on_duty": true}).
		All(&onDuty)
	if err != nil {
		e.App.Logger().Error("Failed to find on-duty staff for an urgent report notice.", "error", err)
		return e.Next()
	}
	for _, s := range onDuty {
		if err := sendNotice(e.App, s.Email()); err != nil {
			// The address is not logged: logs are kept and read more widely.
			e.App.Logger().Error("Failed to send an urgent report notice.", "error", err)
		}
	}
	return e.Next()
}

// ConsoleURL is the staff console's address on this deployment.
func ConsoleURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/staff/"
}

func sendNotice(app core.App, to string) error {
	if to == "" {
		return nil
	}
	meta := app.Settings().Meta
	link := ConsoleURL(app)
	msg := &mailer.Message{
		From:    mail.Address{Name: meta.SenderName, Address: meta.SenderAddress},
		To:      []mail.Address{{Address: to}},
		Subject: noticeSubject,
		Text:    fmt.Sprintf(noticeText, link),
		HTML: "<p>An urgent report has arrived for your embassy.</p>" +
			`<p><a href="` + html.EscapeString(link) + `">Open the staff console</a> to read it.</p>` +
			"<p>You receive this because you are marked on duty in Homeward.</p>",
	}
	return app.NewMailClient().Send(msg)
}
