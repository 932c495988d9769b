// Package openrosa is the OpenRosa 1.0 server API, so a volunteer of a
// humanitarian organisation can send reports from ODK Collect or
// KoboCollect, the apps they already carry, into the same embassy queues
// as the Homeward app: the report form (internal/xform) in the form list,
// and submissions stored through the one write path as a volunteer's push
// is, exactly once per instanceID.
//
// Routes, under the base URL a volunteer types into Collect
// (https://HOST/openrosa):
//
//	GET  /openrosa/formList                      the form list (forms.go)
//	GET  /openrosa/forms/homeward_report.xml     the form
//	HEAD /openrosa/submission                    204 with the size Collect may send at once
//	POST /openrosa/submission                    a filled form and its files (submission.go)
//
// Every answer carries X-OpenRosa-Version and Date; errors are
// <OpenRosaResponse> documents; success is 201 (stored) or 202 (already
// stored), never 200, which a captive portal also answers. Callers are
// approved volunteers by device credential over HTTP Basic (auth.go).
package openrosa

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/internal/addrlimit"
	"homeward/internal/receipts"
)

// Prefix is the OpenRosa base path; the base URL is the site's address
// followed by it.
const Prefix = "/openrosa"

// Headers of the OpenRosa API.
const (
	HeaderVersion             = "X-OpenRosa-Version"
	HeaderAcceptContentLength = "X-OpenRosa-Accept-Content-Length"
	ProtocolVersion           = "1.0"
)

// Size limits of a submission. Collect splits a submission whose files
// exceed AcceptContentLength into several POSTs of the same XML with some
// files each; a file is at most maxFileBytes (the attachments
// collection's limit, as for tus uploads), so one POST never needs more
// than one file's worth of room over the limit, and the body limit leaves
// that plus the XML and the multipart framing.
const (
	AcceptContentLength = 10 << 20
	maxFileBytes        = 10 << 20
	maxXMLBytes         = 256 << 10
	maxBodyBytes        = AcceptContentLength + maxFileBytes + maxXMLBytes + 64<<10
	// maxParts bounds the parts of one POST: the XML, the form's two
	// files, and Collect's "*isIncomplete*" marker, with room to spare.
	maxParts = 16
)

// Wrong credentials per client address: a volunteer mistyping needs a
// few tries; a device credential has 256 random bits, so the limit only
// keeps a scanner from costing the database lookups.
const (
	wrongCredentialLimit  = 20
	wrongCredentialWindow = time.Minute
)

// api holds what the handlers share, made once per app in Register.
type api struct {
	labels   labels
	receipts receipts.Keys
	wrong    *addrlimit.Limiter
}

// Register binds the OpenRosa routes to app. public is the web root
// (pb_public), whose language files label the form.
func Register(app core.App, public fs.FS) error {
	l, err := loadLabels(public)
	if err != nil {
		return fmt.Errorf("openrosa: %w", err)
	}
	a := &api{labels: l, wrong: addrlimit.New(wrongCredentialLimit, wrongCredentialWindow)}
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		keys, err := receipts.Load(se.App.DataDir())
		if err != nil {
			return fmt.Errorf("load receipt key: %w", err)
		}
		a.receipts = keys
		// Before PocketBase's rate limiter and body limit, so their
		// refusals too carry the headers and come in OpenRosa's shape.
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "homewardOpenRosaShape",
			Priority: apis.DefaultRateLimitMiddlewarePriority - 1,
			Func:     openRosaShape,
		})
		g := se.Router.Group(Prefix)
		g.GET("/formList", a.authed(a.formList))
		g.GET("/forms/{file}", a.authed(a.formDownload))
		g.HEAD("/submission", a.authed(a.submissionHead))
		g.POST("/submission", a.authed(a.submit))
		g.GET("/{rest...}", notFound)
		g.POST("/{rest...}", notFound)
		return se.Next()
	})
	return nil
}

// notFound answers an address under the base URL that is none of the API's.
func notFound(e *core.RequestEvent) error {
	return respond(e, http.StatusNotFound, natureError, "There is nothing here. The server address for ODK Collect ends in /openrosa.")
}

// openRosaShape puts the OpenRosa version and the date on every answer
// under Prefix (Collect reads the Date to warn of a wrong phone clock),
// keeps answers out of caches, and writes any error not yet answered (a
// rate limit, PocketBase's own refusals) as an OpenRosaResponse, which
// Collect shows, rather than PocketBase's JSON, which it would not.
func openRosaShape(e *core.RequestEvent) error {
	if e.Request.URL.Path != Prefix && !strings.HasPrefix(e.Request.URL.Path, Prefix+"/") {
		return e.Next()
	}
	h := e.Response.Header()
	h.Set(HeaderVersion, ProtocolVersion)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "no-store")
	err := e.Next()
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) && !e.Written() {
		return respond(e, apiErr.Status, natureError, apiErr.Message)
	}
	return err
}

// Natures of an OpenRosaResponse message.
const (
	natureSuccess = "submit_success"
	natureError   = "error"
)

// openRosaResponse is the body of every submission answer and every error.
type openRosaResponse struct {
	XMLName xml.Name `xml:"http://openrosa.org/http/response OpenRosaResponse"`
	Message struct {
		Nature string `xml:"nature,attr"`
		Text   string `xml:",chardata"`
	} `xml:"message"`
}

// respond writes an OpenRosaResponse with one message. Handlers return
// its (nil) result: the answer is written, in OpenRosa's shape rather than
// PocketBase's JSON, which Collect would show as raw text.
func respond(e *core.RequestEvent, status int, nature, message string) error {
	var body openRosaResponse
	body.Message.Nature, body.Message.Text = nature, message
	return writeXML(e, status, body)
}

func writeXML(e *core.RequestEvent, status int, v any) error {
	out, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Type", "text/xml; charset=utf-8")
	e.Response.WriteHeader(status)
	if e.Request.Method == http.MethodHead {
		return nil
	}
	_, err = e.Response.Write(append([]byte(xml.Header), out...))
	return err
}
