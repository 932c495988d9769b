// Package qr signs the links printed as QR codes on posters, so a genuine
// Homeward code can be told from a fraudster's, online at /q/{token} and
// /api/qr/verify, and offline against the keys published at
// /.well-known/jwks.json. It also draws the codes (PNG, SVG, posters,
// embassy contact cards) and serves the embassy contact pages they lead to.
package qr

import (
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/internal/addrlimit"
)

// defaultLinkLifetime is the expiry given to a link made without one:
// posters stay up for months, but a code that never expires cannot be
// taken back from a wall that nobody visits again.
const defaultLinkLifetime = 2 * 365 * 24 * time.Hour

// keyringStoreKey is where an app keeps its key ring, so every handler and
// command of one app shares it and tests with many apps do not.
const keyringStoreKey = "homeward.qr.keyring"

// KeyringFor returns app's key ring, kept in its data dir.
func KeyringFor(app core.App) *Keyring {
	return app.Store().GetOrSet(keyringStoreKey, func() any {
		return NewKeyring(app.DataDir())
	}).(*Keyring)
}

// Register binds the link hooks, the QR routes and the contact pages to app,
// and makes the first signing key when the server starts.
func Register(app core.App) error {
	pages, err := parsePages()
	if err != nil {
		return err
	}
	app.OnRecordCreate("qr_links").BindFunc(setDefaultExpiry)
	app.OnRecordEnrich("embassies").BindFunc(enrichMessagingHref)
	app.OnRecordValidate("embassies").BindFunc(validateEmbassyI18n)
	app.OnRecordCreateRequest("qr_links").BindFunc(setCreatedBy)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if _, err := KeyringFor(se.App).Current(); err != nil {
			return err
		}
		se.Router.GET("/.well-known/jwks.json", jwksHandler).BindFunc(limitJWKS(addrlimit.New(jwksLimit, jwksWindow)))
		// The request log would keep the URL (the link id), the time and
		// the user agent of every scan: a trail of who scanned which
		// poster. Successful anonymous requests here are not logged.
		se.Router.GET("/q/{token}", scanHandler(pages)).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/e", embassyListHandler(pages)).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/e/{slug}", embassyHandler(pages)).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/verify", verifyPageHandler(pages)).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/qr/offline", offlineScanHandler(pages)).Bind(apis.SkipSuccessActivityLog())
		bindQRApi(se.Router.Group("/api/qr"), pages)
		return se.Next()
	})
	return nil
}

// setDefaultExpiry gives every link an expiry, whichever way it is made.
func setDefaultExpiry(e *core.RecordEvent) error {
	if e.Record.GetDateTime("expires").IsZero() {
		e.Record.Set("expires", types.NowDateTime().Add(defaultLinkLifetime))
	}
	return e.Next()
}

// setCreatedBy records which staff member made a link; the create rule
// only scopes the embassy, so the client's value is not trusted.
func setCreatedBy(e *core.RecordRequestEvent) error {
	if e.Auth != nil && e.Auth.Collection().Name == "staff" {
		e.Record.Set("created_by", e.Auth.Id)
	} else {
		e.Record.Set("created_by", "")
	}
	return e.Next()
}

// countScan adds one to a link's scan count in a single statement, so
// concurrent scans are not lost. Nothing about the scanner is kept.
func countScan(app core.App, linkID string) error {
	_, err := app.NonconcurrentDB().NewQuery("UPDATE qr_links SET scans = scans + 1 WHERE id = {:id}").
		Bind(map[string]any{"id": linkID}).Execute()
	return err
}
