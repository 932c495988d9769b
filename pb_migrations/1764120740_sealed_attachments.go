package pb_migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Sealed attachments (docs/SECURITY.md, "Sealed reports"): a photo or
// voice note of a report to an embassy with a sealing key is stored only
// as a sealed file (internal/seal/file.go), which content sniffing names
// application/octet-stream; hooks/sealing refuses any such file that is
// not a sealed file of the report's embassy.
//   - attachments.sealed_by says who sealed it: the reporter's phone, or
//     the server on arrival for a channel that sends plaintext; empty for
//     a file of an embassy with no key.

// sealedFileType is the media type a sealed file sniffs as.
const sealedFileType = "application/octet-stream"

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("attachments")
		if err != nil {
			return err
		}
		file, ok := c.Fields.GetByName("file").(*core.FileField)
		if !ok {
			return fmt.Errorf("attachments.file is not a file field")
		}
		if !slices.Contains(file.MimeTypes, sealedFileType) {
			file.MimeTypes = append(file.MimeTypes, sealedFileType)
		}
		file.Help = "Stored with all metadata (EXIF, GPS, camera, text chunks) removed; for an embassy with a key, sealed to it (only its staff open it, in their browsers)."
		c.Fields.Add(&core.SelectField{Name: "sealed_by", Values: []string{"phone", "server"}, MaxSelect: 1,
			Help: "Who sealed the file: the reporter's phone, or the server on arrival."})
		if err := app.Save(c); err != nil {
			return fmt.Errorf("attachments sealed: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("attachments")
		if err != nil {
			return err
		}
		c.Fields.RemoveByName("sealed_by")
		if file, ok := c.Fields.GetByName("file").(*core.FileField); ok {
			file.MimeTypes = slices.DeleteFunc(file.MimeTypes, func(t string) bool { return t == sealedFileType })
			file.Help = "Stored with all metadata (EXIF, GPS, camera, text chunks) removed."
		}
		return app.Save(c)
	})
}
