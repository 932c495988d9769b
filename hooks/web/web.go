// Package web serves the embedded web apps (reporter PWA, volunteer mode,
// staff console) from the binary.
package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Register serves fsys at the site root. Unknown page paths fall back to
// index.html so the app's own routes work offline and on reload; unknown
// API paths stay 404 with a JSON error.
func Register(app core.App, fsys fs.FS) error {
	fsys, err := minifiedJS(fsys)
	if err != nil {
		return err
	}
	static := apis.Static(fsys, true)
	page, err := newShell(fsys)
	if err != nil {
		return err
	}
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(se *core.ServeEvent) error {
			// The first load must fit a 2G link: files leave compressed
			// (measured by the budget test), the API keeps its own encoding.
			se.Router.GET("/{path...}", func(e *core.RequestEvent) error {
				if strings.HasPrefix(e.Request.URL.Path, "/api/") {
					return e.NotFoundError("", nil)
				}
				if isShell(fsys, e.Request.URL.Path) {
					return serveShell(e, page)
				}
				// The staff console's page shows reports opened with the
				// embassy's keys: no cache keeps it, the back-forward cache
				// included (a kept page would also hold up the key store's
				// IndexedDB for the next one: pb_public/staff/vault.js).
				if isConsolePage(e.Request.URL.Path) {
					e.Response.Header().Set("Cache-Control", "no-store")
				}
				// The service worker must always be checked for updates.
				if e.Request.URL.Path == "/sw.js" {
					e.Response.Header().Set("Cache-Control", "no-cache")
				}
				// Go's type table lacks the manifest; with nosniff the browser
				// must be told (http.ServeContent keeps a type already set).
				if strings.HasSuffix(e.Request.URL.Path, ".webmanifest") {
					e.Response.Header().Set("Content-Type", "application/manifest+json")
				}
				return static(e)
			}).Bind(apis.GzipWithConfig(apis.GzipConfig{MinLength: 512}))
			return se.Next()
		},
		// Last, so that routes other packages register win over the files.
		Priority: 999,
	})
	return nil
}

// isShell reports whether p is a page of the reporter or volunteer app
// (served by the shell), not a file.
func isShell(fsys fs.FS, p string) bool {
	name := strings.TrimPrefix(p, "/")
	if name == "" || name == "index.html" {
		return true
	}
	if path.Ext(name) != "" || strings.HasPrefix(name, "staff") || strings.HasPrefix(name, "_") {
		return false
	}
	_, err := fs.Stat(fsys, name)
	return err != nil
}

// isConsolePage reports whether p is the staff console's page.
func isConsolePage(p string) bool {
	return p == "/staff" || p == "/staff/" || p == "/staff/index.html"
}

// serveShell sends the shell in the request's language, with the strict
// CSP widened by exactly its inline blocks' hashes.
func serveShell(e *core.RequestEvent, page *shell) error {
	q := e.Request.URL.Query()
	h := e.Response.Header()
	h.Set("Content-Security-Policy", page.policy)
	h.Set("Cache-Control", "no-cache")
	lang := language(q.Get("lang"), e.Request.Header.Get("Accept-Language"))
	return e.HTML(http.StatusOK, page.render(e.App, lang, q.Get("embassy")))
}
