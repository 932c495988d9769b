package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Sealed messages (docs/SECURITY.md, "Sealed reports"): a reporter's
// message to an embassy with a sealing key is kept only as an envelope.
//   - messages.sealed holds the seal.Envelope of the message's body
//     (seal.MessageBody), sealed to the embassy's key; body is then empty,
//     so body is no longer required on its own: a message has a body or an
//     envelope (hooks/sealing).
//   - messages.sealed_by says who sealed it: the reporter's phone, or the
//     server on arrival for a client that sends plaintext.

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("messages")
		if err != nil {
			return err
		}
		body, ok := c.Fields.GetByName("body").(*core.TextField)
		if !ok {
			return fmt.Errorf("messages.body is not a text field")
		}
		body.Required = false
		c.Fields.Add(
			&core.JSONField{Name: "sealed", MaxSize: 64 << 10, Help: "The sealed body (HPKE envelope); only the embassy's staff can open it, in their browsers."},
			&core.SelectField{Name: "sealed_by", Values: []string{"phone", "server"}, MaxSelect: 1, Help: "Who sealed the body: the reporter's phone, or the server on arrival."},
		)
		if err := app.Save(c); err != nil {
			return fmt.Errorf("messages sealed: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("messages")
		if err != nil {
			return err
		}
		c.Fields.RemoveByName("sealed")
		c.Fields.RemoveByName("sealed_by")
		if body, ok := c.Fields.GetByName("body").(*core.TextField); ok {
			body.Required = true
		}
		return app.Save(c)
	})
}
