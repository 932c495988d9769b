// Package sync is Homeward's offline sync API: an idempotent batched push
// with a result per operation, a cursor pull scoped to what the caller may
// see, the change log every write path appends to, revocable device
// credentials for volunteers, and resumable (tus 1.0) attachment uploads.
//
// Routes, all under /api/sync:
//
//	POST /push            apply a batch of operations (push.go)
//	GET  /pull            changes since a cursor (pull.go)
//	POST /devices         register a volunteer device (devices.go)
//	/files/...            tus 1.0 core + creation uploads (files.go)
package syncapi

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/internal/addrlimit"
	"homeward/internal/receipts"
)

// Collection names the sync API reads and writes.
const (
	collReports     = "reports"
	collMessages    = "messages"
	collDevices     = "devices"
	collAttachments = "attachments"
	collVolunteers  = "volunteers"
	collStaff       = "staff"
)

// Error codes sent in an error answer's data.code, so a client can act on
// them without parsing the message.
const (
	CodeTooManyOps        = "too_many_ops"         // 413: halve the batch and retry
	CodeReportsLimited    = "reports_rate_limited" // 429: keep the outbox; retry after Retry-After seconds
	CodePushTooLarge      = "push_too_large"       // 413: halve the batch and retry
	CodeBadPush           = "bad_push"             // 400: the body is not a push; do not retry as is
	CodeDeviceUnknown     = "device_unknown"       // 401: log in and register the device again
	CodeDeviceRevoked     = "device_revoked"       // 401: log in and register the device again; keep the outbox
	CodeDeviceExpired     = "device_expired"       // 401: log in and register the device again; keep the outbox
	CodeNotApproved       = "volunteer_not_approved"
	CodeReceiptRequired   = "receipt_required"     // 401: pull and upload creation need X-Receipt, a device credential or a login
	CodeReceiptUnknown    = "receipt_unknown"      // 404: no report has this receipt (yet)
	CodeReceiptLimited    = "receipt_rate_limited" // 429: too many wrong receipts from this network
	CodeReceiptMalformed  = "receipt_malformed"    // 400: not a receipt at all (a typing mistake, not counted as a guess)
	CodeBadCursor         = "bad_cursor"
	CodeReportNotSynced   = "report_not_synced" // 409: push the report before its attachments
	CodeUnsupportedFile   = "unsupported_file"  // 415: refused for good; do not send this file again
	CodeBadSealedFile     = "bad_sealed_file"   // 415: declared sealed but not a sealed file for the report's embassy; refused for good
	CodeFileTooLarge      = "file_too_large"
	CodeTooManyFiles      = "too_many_attachments"
	CodeUploadNotFound    = "upload_not_found"
	CodeUploadOffset      = "upload_offset_mismatch"
	CodeUploadExceeded    = "upload_length_exceeded" // 413: a PATCH ran past Upload-Length; nothing of it was kept
	CodeUploadUnsupported = "unsupported_tus_version"
)

// HeaderReceipt carries an anonymous reporter's receipt code on pull and
// uploads; HeaderAuthorization with the DeviceScheme prefix carries a
// volunteer's device credential.
const (
	HeaderReceipt = "X-Receipt"
	DeviceScheme  = "Device "
)

// receiptGuessLimit and receiptGuessWindow bound wrong receipts per client
// address: a person mistyping a code needs a few tries, a scanner needs
// billions (a receipt has about 66 bits).
const (
	receiptGuessLimit  = 20
	receiptGuessWindow = time.Minute
)

// Limits on the reports anonymous phones create, against a flood of fake
// reports burying the real ones. A reporter's phone holds a handful of
// reports at most (their own, perhaps a friend's, written while offline),
// so a push without an account carries at most maxGuestReportCreates
// creates of reports (413 too_many_ops: the phone halves its batch, as for
// any too-large push). One address may create guestCreateLimit reports in
// guestCreateWindow (429 reports_rate_limited, with Retry-After): enough
// for a shelter's Wi-Fi with sixty people reporting at once, while a
// flood from one address is held to 360 an hour instead of the 60,000 a
// minute that 60 pushes of 1,000 ops would be. Volunteers and staff sign
// in and are not limited this way; other addresses are not slowed. The
// address throttle is off when the app's rate limits are (as PocketBase's
// own are), for load tests on one address.
const (
	maxGuestReportCreates = 5
	guestCreateLimit      = 60
	guestCreateWindow     = 10 * time.Minute
)

// api holds what the handlers share: the receipt hasher and the in-memory
// guess limiter. It is made once per app in Register.
//
// The limiter counts only wrong receipts: a correct receipt is always
// accepted, so a shelter sharing one address with a guesser is not locked
// out, and the 66-bit code space makes the guesses it lets through
// worthless.
type api struct {
	receipts receipts.Keys
	guesses  *addrlimit.Limiter
	creates  *addrlimit.Limiter // anonymous report creates per address
	uploads  *uploads
}

// Register binds the sync API routes and the change log hooks to app.
func Register(app core.App) error {
	registerChangeLog(app)
	registerRetention(app)

	a := &api{
		guesses: addrlimit.New(receiptGuessLimit, receiptGuessWindow),
		creates: addrlimit.New(guestCreateLimit, guestCreateWindow),
	}
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// The data dir exists only once the app has bootstrapped, so the
		// receipt key is read here rather than in Register.
		receipts, err := receipts.Load(se.App.DataDir())
		if err != nil {
			return fmt.Errorf("load receipt key: %w", err)
		}
		a.receipts = receipts
		up, err := newUploads(se.App)
		if err != nil {
			return err
		}
		a.uploads = up

		g := se.Router.Group("/api/sync")
		// Push and pull answers are JSON lists that shrink several times
		// under gzip: on a 2G link that is most of the wait. The fastest
		// level keeps nearly all of the gain for a third of the CPU.
		gz := apis.GzipWithConfig(apis.GzipConfig{Level: gzip.BestSpeed, MinLength: 512})
		g.POST("/push", a.push).Bind(gz)
		g.GET("/pull", a.pull).Bind(gz)
		g.POST("/devices", a.registerDevice)
		bindFilesApi(a, g)
		// PocketBase's CORS middleware answers every OPTIONS request itself,
		// before any route: the tus discovery headers are set ahead of it.
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "homewardTusOptions",
			Func:     tusOptionsBeforeCORS,
			Priority: apis.DefaultCorsMiddlewarePriority - 1,
		})
		return se.Next()
	})
	return nil
}

// codedError is an error answer in PocketBase's shape whose data carries a
// machine-readable code.
func codedError(status int, code, message string) *router.ApiError {
	return &router.ApiError{Status: status, Message: message, Data: map[string]any{"code": code}}
}

// receiptRequiredError answers a reporter who sent no X-Receipt at all:
// no proof is not a wrong receipt, and is not counted as one.
func receiptRequiredError() *router.ApiError {
	return codedError(http.StatusUnauthorized, CodeReceiptRequired, "Send the report's receipt in the X-Receipt header, or sign in.")
}

func tooManyOpsError() *router.ApiError {
	return codedError(http.StatusRequestEntityTooLarge, CodeTooManyOps,
		fmt.Sprintf("A push may carry at most %d operations. Send half as many and retry.", maxPushOps))
}

func pushTooLargeError() *router.ApiError {
	return codedError(http.StatusRequestEntityTooLarge, CodePushTooLarge,
		fmt.Sprintf("A push may be at most %d bytes (after decompression). Send half as many operations and retry.", maxPushBytes))
}
