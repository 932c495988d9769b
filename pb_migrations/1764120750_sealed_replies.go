package pb_migrations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Sealed staff replies and notes (docs/SECURITY.md, "Sealed reports"):
//   - a staff reply to a sealed report is sealed in the staff browser with
//     the report's reply key (seal.ReplyEnvelope): messages.sealed_by says
//     "staff";
//   - a staff note on a sealed report is sealed in the staff browser to
//     the embassy's key: report_events gets sealed and sealed_by, and its
//     note is then empty;
//   - staff cannot change a message's envelope afterwards, as they cannot
//     change its body: the messages update rule refuses sealed and
//     sealed_by.

// messagesSealedFixed is what the messages update rule gains.
const messagesSealedFixed = " && @request.body.sealed:isset = false && @request.body.sealed_by:isset = false"

func init() {
	m.Register(func(app core.App) error {
		msgs, err := app.FindCollectionByNameOrId("messages")
		if err != nil {
			return err
		}
		by, ok := msgs.Fields.GetByName("sealed_by").(*core.SelectField)
		if !ok {
			return fmt.Errorf("messages.sealed_by is not a select field")
		}
		if !slices.Contains(by.Values, "staff") {
			by.Values = append(by.Values, "staff")
		}
		by.Help = "Who sealed the body: the reporter's phone, the server on arrival, or a staff browser (a reply, with the report's reply key)."
		if msgs.UpdateRule != nil && !strings.HasSuffix(*msgs.UpdateRule, messagesSealedFixed) {
			msgs.UpdateRule = types.Pointer(*msgs.UpdateRule + messagesSealedFixed)
		}
		if err := app.Save(msgs); err != nil {
			return fmt.Errorf("messages sealed_by staff: %w", err)
		}
		events, err := app.FindCollectionByNameOrId("report_events")
		if err != nil {
			return err
		}
		events.Fields.Add(
			&core.JSONField{Name: "sealed", MaxSize: 64 << 10, Help: "A staff note of a sealed report, sealed to the embassy's key (HPKE envelope); only the embassy's staff can open it, in their browsers."},
			&core.SelectField{Name: "sealed_by", Values: []string{"staff"}, MaxSelect: 1, Help: "Who sealed the note: a staff browser."},
		)
		if err := app.Save(events); err != nil {
			return fmt.Errorf("report_events sealed: %w", err)
		}
		return nil
	}, func(app core.App) error {
		events, err := app.FindCollectionByNameOrId("report_events")
		if err != nil {
			return err
		}
		events.Fields.RemoveByName("sealed")
		events.Fields.RemoveByName("sealed_by")
		if err := app.Save(events); err != nil {
			return err
		}
		msgs, err := app.FindCollectionByNameOrId("messages")
		if err != nil {
			return err
		}
		if by, ok := msgs.Fields.GetByName("sealed_by").(*core.SelectField); ok {
			by.Values = slices.DeleteFunc(by.Values, func(v string) bool { return v == "staff" })
			by.Help = "Who sealed the body: the reporter's phone, or the server on arrival."
		}
		if msgs.UpdateRule != nil {
			msgs.UpdateRule = types.Pointer(strings.TrimSuffix(*msgs.UpdateRule, messagesSealedFixed))
		}
		return app.Save(msgs)
	})
}
