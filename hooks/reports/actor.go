package reports

import (
	"context"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Actor says who did something to a report, for the audit trail and for
// the rules that depend on who writes (the staff field whitelist).
type Actor struct {
	StaffId string // set when a staff member acted
	Label   string // superuser, volunteer, reporter or system otherwise
}

// ActorSystem is the actor of a write no person asked for: Go code,
// migrations, the demo data.
var ActorSystem = Actor{Label: "system"}

// ActorFromAuth turns a request's auth record into an Actor.
func ActorFromAuth(auth *core.Record) Actor {
	switch {
	case auth == nil:
		return Actor{Label: "reporter"}
	case auth.Collection().Name == "staff":
		return Actor{StaffId: auth.Id}
	case auth.IsSuperuser():
		return Actor{Label: "superuser"}
	default:
		return Actor{Label: auth.Collection().Name}
	}
}

type actorKey struct{}

// WithActor returns ctx carrying who is writing. Pass it to SaveWithContext
// (sync push, OpenRosa, Go code acting for a person) so the model-level
// rules and the audit trail know the writer.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// requestActors holds, for each record a records API request (REST,
// /api/batch, the dashboard) is writing, the request's caller. PocketBase
// saves such a record with a context of its own, so the caller reaches the
// model-level hooks through the record being written instead.
var requestActors sync.Map // *core.Record → Actor

// ActorOf returns who is writing e.Record: the actor in the save's context
// (WithActor), else the caller of the records API request writing it,
// else ActorSystem.
func ActorOf(e *core.RecordEvent) Actor {
	if e.Context != nil {
		if a, ok := e.Context.Value(actorKey{}).(Actor); ok {
			return a
		}
	}
	if a, ok := requestActors.Load(e.Record); ok {
		return a.(Actor)
	}
	return ActorSystem
}

// registerRequestActors remembers the caller of every records API write
// for as long as the request's write runs. It runs first among the
// request hooks, so every hook after it and every model hook sees the
// caller.
func registerRequestActors(app core.App) {
	remember := &hook.Handler[*core.RecordRequestEvent]{
		Id:       "homewardRequestActor",
		Priority: -1000,
		Func: func(e *core.RecordRequestEvent) error {
			requestActors.Store(e.Record, ActorFromAuth(e.Auth))
			defer requestActors.Delete(e.Record)
			return e.Next()
		},
	}
	app.OnRecordCreateRequest().Bind(remember)
	app.OnRecordUpdateRequest().Bind(remember)
	app.OnRecordDeleteRequest().Bind(remember)
}
