package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Access rule fragments, shared by the collections below so that the
// meaning of "staff of this embassy" is written once.
const (
	isStaff             = `@request.auth.collectionName = "staff"`
	isApprovedVolunteer = `@request.auth.collectionName = "volunteers" && @request.auth.approved = true`
)

// The select fields' values as this migration created them: frozen
// copies of internal/vocab, the source the code reads. A later change is a
// migration of its own; TestSelectFieldsHoldTheVocabulary says when one is
// missing.
var (
	reportStatuses = []string{"new", "in_review", "contacted", "assisted", "repatriated", "closed", "duplicate", "spam"}
	reportNeeds    = []string{"safety", "medical", "shelter", "food_money", "documents", "legal", "repatriation", "family_contact", "other"}
	ageBands       = []string{"under_18", "18_25", "26_35", "36_50", "over_50", "unknown"}
	genders        = []string{"female", "male", "other", "unknown"}
	languages      = []string{"en", "id", "zh", "vi", "th", "my", "km", "fil"}
	eventKinds     = []string{"created", "status", "note", "reply", "route", "duplicate", "export"}
)

func init() {
	m.Register(createCollections, dropCollections)
}

// collectionNames lists the collections in creation order; the down step
// drops them in reverse so relations never point at a missing table.
var collectionNames = []string{"embassies", "volunteers", "staff", "devices", "reports", "attachments", "messages", "report_events", "qr_links"}

func createCollections(app core.App) error {
	// PocketBase's starter "users" collection allows public sign-up; Homeward
	// has no public accounts, so it goes.
	if users, err := app.FindCollectionByNameOrId("users"); err == nil {
		if err := app.Delete(users); err != nil {
			return err
		}
	}

	embassies := embassiesCollection()
	if err := app.Save(embassies); err != nil {
		return err
	}

	volunteers := volunteersCollection()
	if err := app.Save(volunteers); err != nil {
		return err
	}

	staff := staffCollection(embassies.Id)
	if err := app.Save(staff); err != nil {
		return err
	}

	devices := devicesCollection(volunteers.Id)
	if err := app.Save(devices); err != nil {
		return err
	}

	reports := reportsCollection(embassies.Id, volunteers.Id)
	if err := app.Save(reports); err != nil {
		return err
	}
	// duplicate_of points at the collection itself, so it can only be added
	// once the collection has an id.
	reports.Fields.AddAt(slices.Index(reports.Fields.FieldNames(), "status")+1, &core.RelationField{
		Name:         "duplicate_of",
		CollectionId: reports.Id,
		MaxSelect:    1,
		Help:         "The earlier report this one repeats. Replies still reach this reporter.",
	})
	if err := app.Save(reports); err != nil {
		return err
	}

	for _, c := range []*core.Collection{
		attachmentsCollection(reports.Id),
		messagesCollection(reports.Id, staff.Id),
		reportEventsCollection(embassies.Id, reports.Id, staff.Id),
		qrLinksCollection(embassies.Id, staff.Id),
	} {
		if err := app.Save(c); err != nil {
			return err
		}
	}

	return nil
}

func dropCollections(app core.App) error {
	for i := len(collectionNames) - 1; i >= 0; i-- {
		c, err := app.FindCollectionByNameOrId(collectionNames[i])
		if err != nil {
			continue // already gone: the down step is safe to repeat
		}
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	return nil
}

func timestamps(c *core.Collection) {
	c.Fields.Add(
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
}

func embassiesCollection() *core.Collection {
	c := core.NewBaseCollection("embassies")
	c.ListRule = types.Pointer("active = true")
	c.ViewRule = types.Pointer("active = true")
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true, Help: "Shown to reporters, e.g. \"Embassy of Indonesia in Phnom Penh\"."},
		&core.TextField{Name: "country", Required: true, Max: 80, Presentable: true, Help: "The country whose nationals this mission serves."},
		&core.TextField{Name: "slug", Required: true, Max: 60, Pattern: `^[a-z0-9]+(-[a-z0-9]+)*$`, Help: "Short address part: /e/{slug}."},
		&core.BoolField{Name: "active", Help: "Only active embassies are shown to the public."},
		&core.BoolField{Name: "demo", Help: "Demo data: never a real contact."},
		&core.TextField{Name: "hotline", Max: 40, Help: "Emergency phone in international form, e.g. +855 23 000 000. Verify before publishing: people will call it."},
		&core.TextField{Name: "messaging", Max: 120, Help: "Messaging app contact (WhatsApp, Telegram, LINE, Viber, Zalo) as shown to reporters."},
		&core.EmailField{Name: "email"},
		&core.TextField{Name: "address", Max: 500},
		&core.TextField{Name: "hours", Max: 200, Help: "Opening hours as reporters should read them."},
		&core.SelectField{Name: "languages", Values: languages, MaxSelect: len(languages), Help: "Languages the staff answer in."},
		&core.TextField{Name: "what_to_bring", Max: 1000, Help: "What a person should bring when they come in."},
		&core.TextField{Name: "notes", Max: 2000, Help: "Short notes shown to reporters."},
	)
	timestamps(c)
	c.AddIndex("idx_embassies_slug", true, "slug", "")
	c.AddIndex("idx_embassies_active", false, "active, country", "")
	return c
}

func volunteersCollection() *core.Collection {
	c := core.NewAuthCollection("volunteers")
	own := "id = @request.auth.id"
	c.ListRule = types.Pointer(own)
	c.ViewRule = types.Pointer(own)
	c.UpdateRule = types.Pointer(own + " && @request.body.approved:isset = false && @request.body.organisation:isset = false")
	// Accounts are created and approved by administrators; a volunteer
	// cannot sync until a superuser sets approved.
	c.CreateRule = nil
	c.DeleteRule = nil
	// Volunteers may be watched too: no new-login e-mails carrying where
	// they logged in from, and no IP fingerprint kept for them.
	c.AuthAlert.Enabled = false
	c.Fields.Add(
		&core.TextField{Name: "name", Max: 100, Presentable: true},
		&core.TextField{Name: "organisation", Max: 200, Help: "Shelter or NGO the volunteer works with."},
		&core.BoolField{Name: "approved", Help: "Only approved volunteers can sync reports."},
	)
	timestamps(c)
	return c
}

func staffCollection(embassiesId string) *core.Collection {
	c := core.NewAuthCollection("staff")
	colleague := isStaff + " && embassy = @request.auth.embassy"
	c.ListRule = types.Pointer(colleague)
	c.ViewRule = types.Pointer(colleague)
	c.UpdateRule = types.Pointer("id = @request.auth.id && @request.body.embassy:isset = false")
	c.CreateRule = nil
	c.DeleteRule = nil
	c.Fields.Add(
		&core.TextField{Name: "name", Max: 100, Presentable: true},
		&core.RelationField{Name: "embassy", CollectionId: embassiesId, Required: true, MaxSelect: 1, Help: "Staff see and answer only this embassy's reports."},
		&core.BoolField{Name: "on_duty", Help: "Receives e-mail notices of urgent new reports."},
	)
	timestamps(c)
	c.AddIndex("idx_staff_embassy", false, "embassy", "")
	return c
}

func devicesCollection(volunteersId string) *core.Collection {
	c := core.NewBaseCollection("devices")
	own := isApprovedVolunteer + " && volunteer = @request.auth.id"
	c.ListRule = types.Pointer(own)
	c.ViewRule = types.Pointer(own)
	c.Fields.Add(
		&core.RelationField{Name: "volunteer", CollectionId: volunteersId, Required: true, MaxSelect: 1, CascadeDelete: true},
		&core.TextField{Name: "label", Max: 100, Presentable: true, Help: "The name the volunteer gave this phone."},
		&core.TextField{Name: "token_hash", Max: 128, Hidden: true},
		&core.BoolField{Name: "revoked", Help: "Tick to stop this device at once, e.g. when a phone is lost. Its unsent reports stay on the phone."},
		&core.DateField{Name: "expires"},
		&core.DateField{Name: "last_sync"},
	)
	timestamps(c)
	c.AddIndex("idx_devices_volunteer", false, "volunteer", "")
	c.AddIndex("idx_devices_token_hash", true, "token_hash", "token_hash != ''")
	return c
}

func reportsCollection(embassiesId, volunteersId string) *core.Collection {
	c := core.NewBaseCollection("reports")
	// The id is made on the device: 20 random characters from [a-z0-9]
	// (about 103 bits), so it carries no time or device information.
	id := c.Fields.GetByName("id").(*core.TextField)
	id.Min, id.Max = 20, 20
	id.Pattern = `^[a-z0-9]+$`
	id.AutogeneratePattern = `[a-z0-9]{20}`

	scope := "(" + isStaff + " && embassy = @request.auth.embassy) || (" + isApprovedVolunteer + " && volunteer = @request.auth.id)"
	c.ListRule = types.Pointer(scope)
	c.ViewRule = types.Pointer(scope)
	// Staff triage and route; which fields they may touch is enforced by
	// the reports hooks. Reporters and volunteers write through the sync API.
	c.UpdateRule = types.Pointer(isStaff + " && embassy = @request.auth.embassy")
	c.CreateRule = nil
	c.DeleteRule = nil

	c.Fields.Add(
		&core.SelectField{Name: "status", Values: reportStatuses, MaxSelect: 1, Required: true, Presentable: true},
		&core.RelationField{Name: "embassy", CollectionId: embassiesId, Required: true, MaxSelect: 1, Presentable: true},
		&core.BoolField{Name: "urgent", Help: "Set by the server: safety risk now, minors, or medical need."},
		&core.BoolField{Name: "safety_risk_now"},
		&core.BoolField{Name: "minors_present"},
		&core.SelectField{Name: "needs", Values: reportNeeds, MaxSelect: len(reportNeeds)},
		&core.NumberField{Name: "people_count", Min: types.Pointer(1.0), Max: types.Pointer(1000.0), OnlyInt: true},
		&core.TextField{Name: "nationality", Max: 60},
		&core.SelectField{Name: "language", Values: languages, MaxSelect: 1},
		&core.SelectField{Name: "gender", Values: genders, MaxSelect: 1},
		&core.SelectField{Name: "age_band", Values: ageBands, MaxSelect: 1},
		&core.TextField{Name: "message", Max: 5000},
		&core.TextField{Name: "compound_location", Max: 500, Help: "Where the compound was, as the reporter described it."},
		&core.GeoPointField{Name: "compound_point", Help: "Optional, coarse (rounded) point."},
		&core.TextField{Name: "current_location", Max: 500},
		&core.DateField{Name: "left_on", Help: "When the person was released or escaped."},
		&core.SelectField{Name: "passport_held", Values: []string{"yes", "no", "unknown"}, MaxSelect: 1, Help: "Is the passport held by the employer?"},
		&core.TextField{Name: "contact_name", Max: 100},
		&core.TextField{Name: "contact_phone", Max: 40},
		&core.TextField{Name: "contact_app", Max: 120, Help: "Messaging app and handle, e.g. \"Telegram @name\"."},
		&core.BoolField{Name: "consent_contact"},
		&core.BoolField{Name: "consent_share", Help: "Consent to share with partner organisations."},
		&core.TextField{Name: "consent_version", Max: 20},
		&core.SelectField{Name: "channel", Values: []string{"self", "volunteer"}, MaxSelect: 1, Required: true},
		&core.RelationField{Name: "volunteer", CollectionId: volunteersId, MaxSelect: 1},
		&core.DateField{Name: "device_created", Help: "When the report was written on the phone."},
		&core.NumberField{Name: "version", OnlyInt: true, Min: types.Pointer(1.0), Help: "Raised by the server on every change; sync conflicts compare it."},
		// Only a keyed hash of the reporter's receipt code is kept; hidden so
		// that no API answer ever carries it.
		&core.TextField{Name: "receipt_hash", Max: 128, Hidden: true},
	)
	timestamps(c)
	c.AddIndex("idx_reports_embassy_created", false, "embassy, created", "")
	c.AddIndex("idx_reports_embassy_status", false, "embassy, status, created", "")
	c.AddIndex("idx_reports_embassy_urgent", false, "embassy, urgent, created", "")
	c.AddIndex("idx_reports_volunteer", false, "volunteer, created", "volunteer != ''")
	c.AddIndex("idx_reports_receipt_hash", false, "receipt_hash", "receipt_hash != ''")
	c.AddIndex("idx_reports_contact_phone", false, "embassy, contact_phone", "contact_phone != ''")
	return c
}

// reportScope is the rule for records that hang off a report: the same
// people who may read the report may read them.
func reportScope(prefix string) string {
	return "(" + isStaff + " && " + prefix + "embassy = @request.auth.embassy) || (" +
		isApprovedVolunteer + " && " + prefix + "volunteer = @request.auth.id)"
}

func attachmentsCollection(reportsId string) *core.Collection {
	c := core.NewBaseCollection("attachments")
	c.ListRule = types.Pointer(reportScope("report."))
	c.ViewRule = types.Pointer(reportScope("report."))
	c.Fields.Add(
		&core.RelationField{Name: "report", CollectionId: reportsId, Required: true, MaxSelect: 1, CascadeDelete: true, Presentable: true},
		&core.FileField{
			Name:      "file",
			MaxSelect: 1,
			MaxSize:   10 << 20,
			MimeTypes: []string{"image/jpeg", "image/png", "image/webp", "audio/webm", "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac"},
			Protected: true,
			Help:      "Stored with all metadata (EXIF, GPS, camera, text chunks) removed.",
		},
		&core.TextField{Name: "sha256", Max: 64, Pattern: `^[a-f0-9]{64}$`, Help: "SHA-256 of the stored (cleaned) file."},
		&core.NumberField{Name: "size", OnlyInt: true, Min: types.Pointer(0.0)},
		&core.TextField{Name: "mime", Max: 100},
	)
	timestamps(c)
	c.AddIndex("idx_attachments_report_sha", true, "report, sha256", "sha256 != ''")
	return c
}

func messagesCollection(reportsId, staffId string) *core.Collection {
	c := core.NewBaseCollection("messages")
	c.ListRule = types.Pointer(reportScope("report."))
	c.ViewRule = types.Pointer(reportScope("report."))
	ownEmbassy := isStaff + " && report.embassy = @request.auth.embassy"
	c.CreateRule = types.Pointer(ownEmbassy + ` && direction = "staff" && author = @request.auth.id`)
	c.UpdateRule = types.Pointer(ownEmbassy +
		" && @request.body.report:isset = false && @request.body.direction:isset = false" +
		" && @request.body.body:isset = false && @request.body.author:isset = false")
	c.DeleteRule = nil
	c.Fields.Add(
		&core.RelationField{Name: "report", CollectionId: reportsId, Required: true, MaxSelect: 1, CascadeDelete: true},
		&core.SelectField{Name: "direction", Values: []string{"reporter", "staff"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "body", Required: true, Max: 4000, Presentable: true},
		&core.RelationField{Name: "author", CollectionId: staffId, MaxSelect: 1},
		&core.BoolField{Name: "read_by_staff"},
		&core.BoolField{Name: "read_by_reporter"},
	)
	timestamps(c)
	c.AddIndex("idx_messages_report", false, "report, created", "")
	return c
}

func reportEventsCollection(embassiesId, reportsId, staffId string) *core.Collection {
	c := core.NewBaseCollection("report_events")
	ownEmbassy := isStaff + " && embassy = @request.auth.embassy"
	c.ListRule = types.Pointer(ownEmbassy)
	c.ViewRule = types.Pointer(ownEmbassy)
	// Staff may add internal notes; every other event is written by server
	// hooks. Nobody may edit or delete an event: the log is append-only.
	c.CreateRule = types.Pointer(ownEmbassy + ` && kind = "note" && actor = @request.auth.id && report.embassy = @request.auth.embassy`)
	c.UpdateRule = nil
	c.DeleteRule = nil
	c.Fields.Add(
		&core.RelationField{Name: "embassy", CollectionId: embassiesId, Required: true, MaxSelect: 1},
		&core.RelationField{Name: "report", CollectionId: reportsId, MaxSelect: 1, Presentable: true},
		&core.SelectField{Name: "kind", Values: eventKinds, MaxSelect: 1, Required: true, Presentable: true},
		&core.TextField{Name: "from_status", Max: 20},
		&core.TextField{Name: "to_status", Max: 20},
		&core.TextField{Name: "note", Max: 4000, Help: "Internal: never shown to the reporter."},
		&core.RelationField{Name: "actor", CollectionId: staffId, MaxSelect: 1},
		&core.TextField{Name: "actor_label", Max: 100, Help: "Who acted when not a staff member: superuser, volunteer, reporter, system."},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	c.AddIndex("idx_report_events_report", false, "report, created", "")
	c.AddIndex("idx_report_events_embassy", false, "embassy, created", "")
	return c
}

func qrLinksCollection(embassiesId, staffId string) *core.Collection {
	c := core.NewBaseCollection("qr_links")
	ownEmbassy := isStaff + " && embassy = @request.auth.embassy"
	c.ListRule = types.Pointer(ownEmbassy)
	c.ViewRule = types.Pointer(ownEmbassy)
	c.CreateRule = types.Pointer(ownEmbassy + " && @request.body.scans:isset = false")
	c.UpdateRule = types.Pointer(ownEmbassy + " && @request.body.embassy:isset = false && @request.body.scans:isset = false")
	c.DeleteRule = nil // revoke instead, so printed posters keep a verdict
	c.Fields.Add(
		&core.TextField{Name: "label", Required: true, Max: 200, Presentable: true, Help: "Where the code is used, e.g. \"Poipet shelter poster\"."},
		&core.RelationField{Name: "embassy", CollectionId: embassiesId, Required: true, MaxSelect: 1, Presentable: true},
		&core.SelectField{Name: "language", Values: languages, MaxSelect: 1},
		&core.DateField{Name: "expires"},
		&core.BoolField{Name: "revoked", Help: "A revoked code shows a warning that it may be fake."},
		&core.NumberField{Name: "scans", OnlyInt: true, Min: types.Pointer(0.0), Help: "Counted without IP or device data."},
		&core.RelationField{Name: "created_by", CollectionId: staffId, MaxSelect: 1},
	)
	timestamps(c)
	c.AddIndex("idx_qr_links_embassy", false, "embassy, created", "")
	return c
}
