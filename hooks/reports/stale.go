package reports

import (
	"net/http"
	"reflect"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// collectionMessages is the collection of a report's conversation.
const collectionMessages = "messages"

// ErrStaleCopy answers a records API update of a report or message that
// was written by someone else while the request was being handled (409).
var ErrStaleCopy = router.NewApiError(http.StatusConflict,
	"The record changed while this change was being made, so nothing was changed. Load it again and repeat the change.", nil)

// registerStaleCopyGuard makes a records API update (the staff console,
// /api/batch, the dashboard) of a report or message write over the
// stored record it read, or nothing. PocketBase's update reads the record
// outside the write's transaction, applies the request to that copy and
// saves every column of it: a sync push, a routing or another update
// committed in between would be overwritten with the values read before
// it, though it was answered as done, and a deleted record would get an
// upsert in the change log after its tombstone. The rest of the request
// runs in one transaction that first checks the stored record is still
// the one read; the single writer keeps it so until the commit.
func registerStaleCopyGuard(app core.App) {
	guard := &hook.Handler[*core.RecordRequestEvent]{
		Id:       "homewardStaleCopy",
		Priority: -999, // right after the request's actor, before the other request hooks
		Func:     refuseStaleCopy,
	}
	app.OnRecordUpdateRequest(CollectionReports, collectionMessages).Bind(guard)
}

func refuseStaleCopy(e *core.RecordRequestEvent) error {
	app := e.App
	defer func() { e.App = app }()
	return app.RunInTransaction(func(txApp core.App) error {
		stored, err := txApp.FindRecordById(e.Collection, e.Record.Id)
		if err != nil {
			return router.NewNotFoundError("The record was deleted while this change was being made.", nil)
		}
		if changedSince(stored, e.Record.Original()) {
			return ErrStaleCopy
		}
		e.App = txApp
		return e.Next()
	})
}

// changedSince reports whether stored differs from read in any field a
// save would write back. Autodates and last_activity are set again by the
// save itself, and last_activity alone changes with each message
// (hooks/staff), which overwriting loses nothing of.
func changedSince(stored, read *core.Record) bool {
	for _, f := range stored.Collection().Fields {
		name := f.GetName()
		if f.Type() == core.FieldTypeAutodate || name == FieldLastActivity {
			continue
		}
		if !reflect.DeepEqual(stored.GetRaw(name), read.GetRaw(name)) {
			return true
		}
	}
	return false
}
