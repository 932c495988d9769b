package reports

import (
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/unicode/norm"
)

// composedFields are the free-text fields stored in composed Unicode
// (NFC), per collection.
var composedFields = map[string][]string{
	CollectionReports: {"message", "compound_location", "current_location", "contact_name", "contact_phone", "contact_app"},
	"messages":        {"body"},
}

// registerComposedText makes every write of reports and messages, whichever
// way it comes (sync push, the records API, the dashboard, Go code), store
// free text in composed form (NFC). Some keyboards send Vietnamese and
// other scripts decomposed (a letter, then its marks); NFC is the same text
// to a reader, and the form the console's filters compare with. The
// search index folds further (internal/fold).
func registerComposedText(app core.App) {
	for coll := range composedFields {
		app.OnRecordCreate(coll).BindFunc(composeText)
		app.OnRecordUpdate(coll).BindFunc(composeText)
	}
}

func composeText(e *core.RecordEvent) error {
	for _, f := range composedFields[e.Record.Collection().Name] {
		if s := e.Record.GetString(f); !norm.NFC.IsNormalString(s) {
			e.Record.Set(f, norm.NFC.String(s))
		}
	}
	return e.Next()
}
