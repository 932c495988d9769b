package pb_migrations

import (
	"encoding/json"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The staff console migration: an index for every filter of the report
// list, tighter rules for what staff may write into the audit trail and the
// reporter's read flag, and help texts and presentable fields that make a
// report readable in the superuser dashboard.

// staffFilterIndexes serve the console's list filters within one embassy,
// newest first. Status and urgency already have theirs; needs is a JSON
// array, scanned within the (embassy, created) range.
var staffFilterIndexes = [][3]string{
	{"idx_reports_embassy_safety", "embassy, safety_risk_now, created"},
	{"idx_reports_embassy_minors", "embassy, minors_present, created"},
	{"idx_reports_embassy_language", "embassy, language, created"},
	{"idx_reports_embassy_channel", "embassy, channel, created"},
}

const (
	eventsCreateRuleBefore = isStaff + " && embassy = @request.auth.embassy" +
		` && kind = "note" && actor = @request.auth.id && report.embassy = @request.auth.embassy`
	// A note carries text only: staff cannot dress it up as a status change
	// or as another actor's entry.
	eventsCreateRuleAfter = eventsCreateRuleBefore +
		" && @request.body.from_status:isset = false && @request.body.to_status:isset = false" +
		" && @request.body.actor_label:isset = false"

	messagesUpdateRuleBefore = isStaff + " && report.embassy = @request.auth.embassy" +
		" && @request.body.report:isset = false && @request.body.direction:isset = false" +
		" && @request.body.body:isset = false && @request.body.author:isset = false"
	// Only the reporter's own follow-up marks a reply as read by them.
	messagesUpdateRuleAfter = messagesUpdateRuleBefore + " && @request.body.read_by_reporter:isset = false"
)

// Staff sessions last a working day, not PocketBase's default week: the
// console runs on shared embassy computers (its token is kept in the
// browser's localStorage, signed out after the embassy's idle time: see
// 1764120400_staff_idle.go).
const (
	staffTokenBefore = 7 * 24 * 60 * 60
	staffTokenAfter  = 10 * 60 * 60
)

// fieldLook is how the dashboard shows one field.
type fieldLook struct {
	collection, field string
	help              string
	presentable       bool
}

// dashboardLooks: a report in a relation reads "new · Indonesia · 3 ·
// date" instead of a bare id; every field a reviewer may wonder about says
// what it holds.
var dashboardLooks = []fieldLook{
	{"reports", "embassy", "The embassy this report is for. Staff of other embassies cannot see it.", false},
	{"reports", "nationality", "As the reporter gave it.", true},
	{"reports", "people_count", "How many people the report speaks for.", true},
	{"reports", "created", "", true}, // autodate fields have no help text
	{"reports", "needs", "What the people need now.", false},
	{"reports", "message", "The reporter's own words.", false},
	{"reports", "language", "The language the report was written in: answer in it.", false},
	{"reports", "channel", "self: the person wrote it; volunteer: a volunteer wrote it with them.", false},
	{"reports", "volunteer", "The volunteer who collected the report, if any.", false},
	{"reports", "status", "new, in review, contacted, assisted, repatriated, closed; or duplicate, spam. Every change is logged in report_events.", true},
	{"messages", "direction", "reporter: written by the reporter; staff: a reply to them.", true},
	{"messages", "author", "The staff member who replied.", false},
	{"messages", "read_by_reporter", "Set when the reporter's phone has shown the reply.", false},
	{"report_events", "embassy", "Whose audit trail this entry belongs to.", false},
	{"report_events", "to_status", "The status after a status change.", true},
	{"report_events", "from_status", "The status before a status change.", false},
	{"report_events", "actor", "The staff member who acted.", false},
	{"report_events", "created", "", true},
}

func init() {
	m.Register(func(app core.App) error {
		return applyStaffConsole(app, true)
	}, func(app core.App) error {
		return applyStaffConsole(app, false)
	})
}

func applyStaffConsole(app core.App, up bool) error {
	reportsCol, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		return err
	}
	for _, idx := range staffFilterIndexes {
		if up {
			reportsCol.AddIndex(idx[0], false, idx[1], "")
		} else {
			reportsCol.RemoveIndex(idx[0])
		}
	}
	if err := app.Save(reportsCol); err != nil {
		return err
	}

	events, err := app.FindCollectionByNameOrId("report_events")
	if err != nil {
		return err
	}
	messages, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		return err
	}
	if up {
		events.CreateRule = types.Pointer(eventsCreateRuleAfter)
		messages.UpdateRule = types.Pointer(messagesUpdateRuleAfter)
	} else {
		events.CreateRule = types.Pointer(eventsCreateRuleBefore)
		messages.UpdateRule = types.Pointer(messagesUpdateRuleBefore)
	}
	if err := app.Save(events); err != nil {
		return err
	}
	if err := app.Save(messages); err != nil {
		return err
	}
	staff, err := app.FindCollectionByNameOrId("staff")
	if err != nil {
		return err
	}
	staff.AuthToken.Duration = staffTokenBefore
	if up {
		staff.AuthToken.Duration = staffTokenAfter
	}
	if err := app.Save(staff); err != nil {
		return err
	}
	if err := applyDashboardOrder(app, up); err != nil {
		return err
	}
	return applyDashboardLooks(app, up)
}

// dashboardLooksBefore is what the first migration set, for the down
// step: none of the fields above had a help text, and only these two were
// presentable.
var dashboardLooksBefore = map[string]fieldLook{
	"reports.embassy": {presentable: true},
	"reports.status":  {presentable: true},
}

// dashboardOrder puts what a reviewer reads first in the dashboard's first
// columns: when, what, how urgent. Fields not named keep their order after
// these. The "before" lists are the first migration's order, for the down
// step.
var dashboardOrder = map[string]struct{ up, before []string }{
	"reports": {
		up: []string{"id", "created", "status", "urgent", "safety_risk_now", "minors_present", "needs",
			"people_count", "nationality", "language", "message", "compound_location", "current_location"},
		before: []string{"id", "status", "duplicate_of", "embassy", "urgent", "safety_risk_now", "minors_present",
			"needs", "people_count", "nationality", "language", "gender", "age_band", "message",
			"compound_location", "compound_point", "current_location", "left_on", "passport_held",
			"contact_name", "contact_phone", "contact_app", "consent_contact", "consent_share",
			"consent_version", "channel", "volunteer", "device_created", "version", "receipt_hash",
			"created", "updated"},
	},
	"report_events": {
		up:     []string{"id", "created", "kind", "report", "from_status", "to_status", "actor", "actor_label", "note", "embassy"},
		before: []string{"id", "embassy", "report", "kind", "from_status", "to_status", "note", "actor", "actor_label", "created"},
	},
}

func applyDashboardOrder(app core.App, up bool) error {
	for name, order := range dashboardOrder {
		col, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		names := order.before
		if up {
			names = order.up
		}
		for i, n := range names {
			if f := col.Fields.GetByName(n); f != nil {
				col.Fields.AddAt(i, f) // an existing field moves
			}
		}
		if err := app.Save(col); err != nil {
			return err
		}
	}
	return nil
}

func applyDashboardLooks(app core.App, up bool) error {
	cols := map[string]*core.Collection{}
	for _, l := range dashboardLooks {
		col, ok := cols[l.collection]
		if !ok {
			var err error
			if col, err = app.FindCollectionByNameOrId(l.collection); err != nil {
				return err
			}
			cols[l.collection] = col
		}
		f := col.Fields.GetByName(l.field)
		if f == nil {
			return fmt.Errorf("%s has no field %s", l.collection, l.field)
		}
		look := l
		if !up {
			look = dashboardLooksBefore[l.collection+"."+l.field]
		}
		if err := setLook(f, look.help, look.presentable); err != nil {
			return fmt.Errorf("%s.%s: %w", l.collection, l.field, err)
		}
	}
	for _, col := range cols {
		if err := app.Save(col); err != nil {
			return err
		}
	}
	return nil
}

// setLook sets a field's help text and presentable flag, whatever its type,
// through the same JSON form the dashboard itself saves.
func setLook(f core.Field, help string, presentable bool) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var opts map[string]any
	if err := json.Unmarshal(raw, &opts); err != nil {
		return err
	}
	opts["help"] = help
	opts["presentable"] = presentable
	if raw, err = json.Marshal(opts); err != nil {
		return err
	}
	return json.Unmarshal(raw, f)
}
