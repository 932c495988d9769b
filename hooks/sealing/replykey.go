package sealing

import (
	"context"
	"errors"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// replyKeyCtx is the context key of WithReplyKey.
type replyKeyCtx struct{}

type replyKeyFor struct {
	record string
	key    []byte
}

// WithReplyKey returns ctx carrying the reply key (seal.ReplyKey) of the
// report record, for the server to put in the report's envelope when it
// seals a report that arrived in plaintext with its receipt. The receipt
// is in the request only and never stored, so the write path that has it
// derives the key (before its transaction: PBKDF2 is slow on purpose) and
// passes it down to the save with app.SaveWithContext.
func WithReplyKey(ctx context.Context, record string, key []byte) context.Context {
	return context.WithValue(ctx, replyKeyCtx{}, replyKeyFor{record: record, key: key})
}

// ReplyKeyFrom returns the reply key ctx carries for record, or nil.
func ReplyKeyFrom(ctx context.Context, record string) []byte {
	if ctx == nil {
		return nil
	}
	v, ok := ctx.Value(replyKeyCtx{}).(replyKeyFor)
	if !ok || v.record != record {
		return nil
	}
	return v.key
}

// ReplyKeyFor returns the reply key of a report the server will seal on
// arrival: one of an embassy with a key, from its receipt (normalized
// digits). It is nil for an embassy with no key (nothing is sealed, no
// reply key is needed) and on any error: the report is then stored
// without one, and replies cannot reach the reporter's phone, which the
// console says.
func ReplyKeyFor(app core.App, embassy, receipt, reportID string) []byte {
	if receipt == "" || reportID == "" {
		return nil
	}
	if _, err := NewestKey(app, embassy); errors.Is(err, ErrNoKey) || err != nil {
		return nil
	}
	return seal.ReplyKey(receipt, reportID)
}
