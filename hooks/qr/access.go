package qr

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Link codes are printed by the embassy that owns them, so their images
// and posters are for that embassy's staff and for superusers only: a
// token in anyone's hands is a genuine code on anyone's poster.

// requestAuth is the caller's auth record: from the Authorization header,
// or from a short-lived file token in ?token= (made by POST
// /api/files/token), since a page opened for printing cannot send headers.
func requestAuth(e *core.RequestEvent) *core.Record {
	if e.Auth != nil {
		return e.Auth
	}
	token := e.Request.URL.Query().Get("token")
	if token == "" {
		return nil
	}
	record, err := e.App.FindAuthRecordByToken(token, core.TokenTypeFile)
	if err != nil {
		return nil
	}
	return record
}

// printableLink finds a link the caller may print. Guests get 401; staff
// of another embassy get the same 404 as a missing link, so link ids
// cannot be probed. Revoked and expired links cannot be printed.
func printableLink(e *core.RequestEvent, id string) (*core.Record, error) {
	auth := requestAuth(e)
	if auth == nil {
		return nil, e.UnauthorizedError("Sign in as staff of the link's embassy or as a superuser to print its code.", nil)
	}
	link, err := e.App.FindRecordById("qr_links", id)
	if err != nil {
		return nil, e.NotFoundError("", err)
	}
	ownStaff := auth.Collection().Name == "staff" && auth.GetString("embassy") == link.GetString("embassy")
	if !auth.IsSuperuser() && !ownStaff {
		return nil, e.NotFoundError("", nil)
	}
	if link.GetBool("revoked") {
		return nil, e.BadRequestError("The link is revoked; make a new one to print.", nil)
	}
	if !linkExpiry(link).After(time.Now()) {
		return nil, e.BadRequestError("The link has expired; make a new one to print.", nil)
	}
	return link, nil
}
