package syncapi

import (
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// receiptReports returns the ids of the reports whose receipt matches code.
// A well-formed code that matches nothing is counted against the client's
// address; the error is then a 404 (receipt_unknown), or a 429 once over
// the limit. A malformed code (see receipts.Normalize) is a 400
// (receipt_malformed) and is not counted: it can never match a report, so
// it is a typing mistake, not a guess.
func (a *api) receiptReports(e *core.RequestEvent, code string) ([]string, error) {
	h, err := a.receipts.Hash(code)
	if err != nil {
		return nil, malformedReceiptError()
	}
	var ids []string
	err = e.App.DB().Select("id").From(collReports).
		Where(dbx.HashExp{"receipt_hash": h}).Column(&ids)
	if err != nil {
		return nil, e.InternalServerError("Failed to check the receipt.", err)
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

// malformedReceiptError answers a code that is not a receipt at all.
func malformedReceiptError() *router.ApiError {
	return codedError(http.StatusBadRequest, CodeReceiptMalformed, "This is not a receipt code: a receipt is 20 digits, in groups if you like. Check it and try again.")
}
