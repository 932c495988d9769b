package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Content sniffing names a WebM voice note (Chrome's recorder) video/webm
// and an M4A one (Safari's) audio/x-m4a or video/mp4, so the file field
// must accept those names for the sync API's audio to be stored.
var sniffedAudioTypes = []string{"video/webm", "audio/x-m4a", "video/mp4"}

// source_sha256 is the SHA-256 of an attachment as the phone sent it,
// before metadata was stripped: a client that sends the same file again
// (after a crash, or from another outbox) names it by that hash and the
// upload completes at once. Hidden: it only ever answers "already have it".
func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("attachments")
		if err != nil {
			return err
		}
		c.Fields.Add(&core.TextField{Name: "source_sha256", Max: 64, Pattern: `^[a-f0-9]{64}$`, Hidden: true})
		file := c.Fields.GetByName("file").(*core.FileField)
		for _, t := range sniffedAudioTypes {
			if !slices.Contains(file.MimeTypes, t) {
				file.MimeTypes = append(file.MimeTypes, t)
			}
		}
		c.AddIndex("idx_attachments_report_source", false, "report, source_sha256", "source_sha256 != ''")
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("attachments")
		if err != nil {
			return err
		}
		c.RemoveIndex("idx_attachments_report_source")
		file := c.Fields.GetByName("file").(*core.FileField)
		file.MimeTypes = slices.DeleteFunc(file.MimeTypes, func(t string) bool { return slices.Contains(sniffedAudioTypes, t) })
		c.Fields.RemoveByName("source_sha256")
		return app.Save(c)
	})
}
