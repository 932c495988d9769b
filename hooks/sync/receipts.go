package sync

import (
	"net/http"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// guessLimiter counts wrong receipts per client address, in memory only:
// no address is ever written to disk or to the logs. A correct receipt is
// always accepted, so a shelter sharing one address with a guesser is not
// locked out; the 66-bit code space makes the accepted guesses worthless.
type guessLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*guessWindow
}

type guessWindow struct {
	start time.Time
	count int
}

// guessSweepAt is the map size that triggers dropping expired windows, so
// memory stays bounded under a scan from many addresses.
const guessSweepAt = 10000

func newGuessLimiter(max int, window time.Duration) *guessLimiter {
	return &guessLimiter{max: max, window: window, hits: map[string]*guessWindow{}}
}

// fail records a wrong receipt from key and reports whether key is now over
// the limit.
func (l *guessLimiter) fail(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.hits) >= guessSweepAt {
		for k, w := range l.hits {
			if now.Sub(w.start) > l.window {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w == nil || now.Sub(w.start) > l.window {
		w = &guessWindow{start: now}
		l.hits[key] = w
	}
	w.count++
	return w.count > l.max
}

// receiptReports returns the ids of the reports whose receipt matches code.
// A wrong or malformed code is counted against the client's address; the
// error is then a 404 (receipt_unknown), or a 429 once over the limit.
func (a *api) receiptReports(e *core.RequestEvent, code string) ([]string, error) {
	var ids []string
	if h, err := a.receipts.Hash(code); err == nil {
		err := e.App.DB().Select("id").From(collReports).
			Where(dbx.HashExp{"receipt_hash": h}).Column(&ids)
		if err != nil {
			return nil, e.InternalServerError("Failed to check the receipt.", err)
		}
	}
	if len(ids) > 0 {
		return ids, nil
	}
	return nil, a.wrongReceipt(e)
}

// wrongReceipt counts a failed receipt and returns the answer for it.
func (a *api) wrongReceipt(e *core.RequestEvent) error {
	limited := a.guesses.fail(e.RealIP())
	// Logged without the address or the code: only that it happened.
	e.App.Logger().Warn("sync: wrong receipt", "limited", limited)
	if limited {
		return codedError(http.StatusTooManyRequests, CodeReceiptLimited, "Too many wrong receipt codes from this network. Wait a minute and try again.")
	}
	return codedError(http.StatusNotFound, CodeReceiptUnknown, "No report has this receipt code. Check the code, or wait until the report is sent.")
}
