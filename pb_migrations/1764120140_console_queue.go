package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The console's "waiting for us" queue and its dense list:
//   - reports.last_activity, set by the server on every change of a report
//     and every message of its conversation (hooks/reports, hooks/staff),
//     with an (embassy, last_activity) index for the sort and for reports
//     idle too long;
//   - a partial index of the reporters' messages no member of staff has
//     read yet (messages.read_by_staff is the stored unread state);
//   - embassies.waiting_idle_hours, how long an open report may wait;
//   - staff_views, each staff member's saved views of the list, seen and
//     changed by their owner only.

const (
	idxReportsActivity = "idx_reports_embassy_activity"
	idxMessagesUnread  = "idx_messages_unread"

	ownStaffView = isStaff + " && staff = @request.auth.id"
)

func init() {
	m.Register(upConsoleQueue, downConsoleQueue)
}

func upConsoleQueue(app core.App) error {
	reportsCol, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		return err
	}
	reportsCol.Fields.Add(&core.DateField{Name: "last_activity",
		Help: "Set by the server: the last change of the report or message of its conversation."})
	reportsCol.AddIndex(idxReportsActivity, false, "embassy, last_activity", "")
	if err := app.Save(reportsCol); err != nil {
		return fmt.Errorf("reports last_activity: %w", err)
	}
	// Reports stored before: their last change or last message, whichever
	// came later.
	_, err = app.DB().NewQuery("UPDATE reports SET last_activity = max(updated, " +
		"coalesce((SELECT max(created) FROM messages WHERE messages.report = reports.id), ''))").Execute()
	if err != nil {
		return fmt.Errorf("fill last_activity: %w", err)
	}

	messages, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		return err
	}
	messages.AddIndex(idxMessagesUnread, false, "report", "direction = 'reporter' AND read_by_staff = 0")
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messages unread index: %w", err)
	}

	embassies, err := app.FindCollectionByNameOrId("embassies")
	if err != nil {
		return err
	}
	embassies.Fields.Add(&core.NumberField{Name: "waiting_idle_hours", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(24.0 * 90),
		Hidden: true, Help: "After how many hours without activity an open report joins the staff's waiting queue (48 when empty)."})
	if err := app.Save(embassies); err != nil {
		return fmt.Errorf("embassies waiting_idle_hours: %w", err)
	}

	staff, err := app.FindCollectionByNameOrId("staff")
	if err != nil {
		return err
	}
	views := core.NewBaseCollection("staff_views")
	views.ListRule = types.Pointer(ownStaffView)
	views.ViewRule = types.Pointer(ownStaffView)
	views.CreateRule = types.Pointer(ownStaffView)
	views.UpdateRule = types.Pointer(ownStaffView + " && @request.body.staff:isset = false")
	views.DeleteRule = types.Pointer(ownStaffView)
	views.Fields.Add(
		&core.RelationField{Name: "staff", CollectionId: staff.Id, Required: true, MaxSelect: 1, CascadeDelete: true},
		&core.TextField{Name: "name", Required: true, Max: 80, Presentable: true},
		&core.TextField{Name: "query", Max: 2000, Help: "The list's filters, sort and search as the console's address carries them."},
	)
	timestamps(views)
	views.AddIndex("idx_staff_views_staff_name", true, "staff, name", "")
	return app.Save(views)
}

func downConsoleQueue(app core.App) error {
	if views, err := app.FindCollectionByNameOrId("staff_views"); err == nil {
		if err := app.Delete(views); err != nil {
			return err
		}
	}
	embassies, err := app.FindCollectionByNameOrId("embassies")
	if err != nil {
		return err
	}
	embassies.Fields.RemoveByName("waiting_idle_hours")
	if err := app.Save(embassies); err != nil {
		return err
	}
	messages, err := app.FindCollectionByNameOrId("messages")
	if err != nil {
		return err
	}
	messages.RemoveIndex(idxMessagesUnread)
	if err := app.Save(messages); err != nil {
		return err
	}
	reportsCol, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		return err
	}
	reportsCol.RemoveIndex(idxReportsActivity)
	reportsCol.Fields.RemoveByName("last_activity")
	return app.Save(reportsCol)
}
