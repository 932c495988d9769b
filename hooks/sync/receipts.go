package sync

import (
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

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
	limited := a.guesses.Hit(e.RealIP())
	// Logged without the address or the code: only that it happened.
	e.App.Logger().Warn("sync: wrong receipt", "limited", limited)
	if limited {
		return codedError(http.StatusTooManyRequests, CodeReceiptLimited, "Too many wrong receipt codes from this network. Wait a minute and try again.")
	}
	return codedError(http.StatusNotFound, CodeReceiptUnknown, "No report has this receipt code. Check the code, or wait until the report is sent.")
}
