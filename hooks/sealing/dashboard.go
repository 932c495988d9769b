package sealing

import (
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/seal"
)

// SealedMark is what a superuser reading a sealed record through the
// records API, as PocketBase's dashboard (/_/) does, sees in each of its
// private text fields: empty, they would read as "the reporter wrote
// nothing".
const SealedMark = "🔒 sealed: readable only in the embassy staff's browsers"

// privateFields are the fields each collection keeps only in a sealed
// record's envelope.
var privateFields = map[string][]string{
	reports.CollectionReports: seal.SealedReportFields,
	CollectionMessages:        seal.SealedMessageFields,
	reports.CollectionEvents:  seal.SealedNoteFields,
}

// registerDashboard shows SealedMark to superusers in every answer of the
// records API (view, list, create and update answers, realtime, expand:
// all go through OnRecordEnrich), and takes it back as "unchanged" when
// the dashboard saves a sealed record, since it sends every field of its
// form.
func registerDashboard(app core.App) {
	for coll := range privateFields {
		app.OnRecordEnrich(coll).BindFunc(showSealed)
		app.OnRecordUpdateRequest(coll).BindFunc(keepSealed)
	}
}

func showSealed(e *core.RecordEnrichEvent) error {
	if e.RequestInfo != nil && e.RequestInfo.HasSuperuserAuth() && envelope(e.Record) != nil {
		for _, name := range privateText(e.Record) {
			if e.Record.GetString(name) == "" {
				e.Record.Set(name, SealedMark)
			}
		}
	}
	return e.Next()
}

func keepSealed(e *core.RecordRequestEvent) error {
	if envelope(e.Record.Original()) != nil {
		for _, name := range privateText(e.Record) {
			if e.Record.GetString(name) == SealedMark {
				e.Record.Set(name, e.Record.Original().GetString(name))
			}
		}
	}
	return e.Next()
}

// privateText are r's private fields that hold text (a point cannot show
// the mark).
func privateText(r *core.Record) []string {
	var out []string
	for _, name := range privateFields[r.Collection().Name] {
		switch r.Collection().Fields.GetByName(name).(type) {
		case *core.TextField, *core.EditorField:
			out = append(out, name)
		}
	}
	return out
}
