// Package limits keeps slow clients from starving the server: timeouts
// for headers, idle connections and slow bodies, a bound on header memory,
// and a cap on concurrent uploads. Each value leaves a 2G phone room to
// work; the sums are in docs/SECURITY.md ("Slow clients").
package limits

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// The limits, each sized against the slowest phone Homeward serves: 2G at
// 30 kbit/s (3.75 kB/s) with 700 ms of latency, uploading 64 KiB tus
// chunks (pb_public/js/sync.js).
const (
	// ReadHeaderTimeout bounds the wait for a request's headers. A phone
	// needs about 1.4 s for the TCP handshake (two trips), 0.7 s for the
	// first byte and 0.3 s for 1 kB of headers: 2.4 s, so 20 s is an
	// eight-fold margin. A connection that trickles its headers (slowloris)
	// is closed after it.
	ReadHeaderTimeout = 20 * time.Second
	// IdleTimeout bounds a kept-alive connection between requests. The
	// phone's next request (the next chunk, the pull after a push) follows
	// within a second or two; PocketBase leaves it at ReadTimeout (5 min).
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes bounds the memory one connection's headers may take
	// (Go's default is 1 MiB). Homeward's largest header is a token of
	// under 1 kB; a browser's cookies for the site stay far below this.
	MaxHeaderBytes = 64 << 10

	// BodyGrace and MinBodyRate set how long a request body may take:
	// BodyGrace plus one second per MinBodyRate bytes read, checked before
	// every read. A body that falls behind is cut, so a slow sender holds
	// a connection only while it keeps sending: a 64 KiB chunk may take
	// 30 + 65.5 = 95.5 s, and a phone at 30 kbit/s needs 0.7 + 17.5 =
	// 18.2 s, a five-fold margin; at any moment the phone at 3.75 kB/s is
	// far ahead of the 1 kB/s the rule asks. A volunteer's 1 MiB push at
	// 30 kbit/s (280 s) is never cut, where a fixed ReadTimeout of 5 min
	// would nearly be reached.
	BodyGrace   = 30 * time.Second
	MinBodyRate = 1000 // bytes per second
	// WriteAfterBody is the time left to write the answer once the body
	// deadline is set, as PocketBase's own WriteTimeout (5 min).
	WriteAfterBody = 5 * time.Minute

	// MaxUploads caps concurrent tus PATCH requests. Each holds a
	// goroutine, an open file and a copy buffer while its bytes arrive at
	// 2G speed; beyond the cap a client is told to come back later (503
	// with Retry-After) instead of everyone slowing down together.
	MaxUploads = 256
	// retryAfterMin and retryAfterSpread spread the retries of refused
	// uploads over 10–40 s, so they do not come back as one wave.
	retryAfterMin    = 10
	retryAfterSpread = 30

	// UploadsPrefix is where the tus uploads live (hooks/syncapi/files.go).
	UploadsPrefix = "/api/sync/files/"
)

// UploadWork is how many uploads may be past their last byte at once: the
// fsync, and for a file's last chunk the decoding and re-encoding of the
// photo, which holds whole bitmaps (1280×960: 1.8 MB decoded, 4.9 MB when
// turned upright). Transfers overlap freely; this work takes half the
// cores, so the other half stays for the staff console and pushes, and a
// surge of photos finishing together holds a few bitmaps instead of a
// hundred.
func UploadWork() int { return max(1, runtime.NumCPU()/2) }

// CodeUploadsBusy is data.code of the 503 when MaxUploads are running.
const CodeUploadsBusy = "uploads_busy"

// Register sets the server's timeouts and binds the body-rate rule, the
// answer to rate-limited requests and the upload cap.
func Register(app core.App) error {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if se.Server != nil { // nil when a test triggers OnServe itself
			setTimeouts(se.Server)
		}
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "homewardBodyRate",
			Func:     bodyRate,
			Priority: apis.DefaultWWWRedirectMiddlewarePriority + 1, // before anything reads a body
		})
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "homewardRateLimitAnswer",
			Func:     rateLimitAnswer,
			Priority: apis.DefaultRateLimitMiddlewarePriority - 1, // around the rate limiter
		})
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "homewardUploadCap",
			Func:     uploadCap(make(chan struct{}, MaxUploads), make(chan struct{}, UploadWork())),
			Priority: apis.DefaultBodyLimitMiddlewarePriority + 1, // after the rate limits
		})
		return se.Next()
	})
	return nil
}

// setTimeouts replaces PocketBase's defaults (headers 1 min, no idle
// timeout of its own, 1 MiB of headers). ReadTimeout and WriteTimeout
// stay at PocketBase's 5 min as the backstop for a request whose body is
// never read; bodyRate moves both for bodies that are.
func setTimeouts(s *http.Server) {
	s.ReadHeaderTimeout = ReadHeaderTimeout
	s.IdleTimeout = IdleTimeout
	s.MaxHeaderBytes = MaxHeaderBytes
}

// bodyRate wraps a request body so that every read must come before
// BodyGrace plus the bytes read so far at MinBodyRate, counted from the
// first read.
func bodyRate(e *core.RequestEvent) error {
	if e.Request.Body != nil && e.Request.Body != http.NoBody && e.Request.ContentLength != 0 {
		e.Request.Body = &rateReader{body: e.Request.Body, rc: http.NewResponseController(e.Response)}
	}
	return e.Next()
}

// rateReader is a request body that moves the connection's deadlines
// before each read.
type rateReader struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	read  int64
}

func (r *rateReader) Read(p []byte) (int, error) {
	if r.start.IsZero() {
		r.start = time.Now()
	}
	deadline := r.start.Add(BodyGrace + time.Duration(r.read)*time.Second/MinBodyRate)
	// Both fail only on a writer without a connection (httptest's
	// recorder); the server's own ReadTimeout then stays in force.
	r.rc.SetReadDeadline(deadline)
	r.rc.SetWriteDeadline(deadline.Add(WriteAfterBody))
	n, err := r.body.Read(p)
	r.read += int64(n)
	if err == io.EOF {
		// The body is complete: the server now watches the connection
		// for the client leaving, and a deadline passing there would
		// cancel the request while its handler still works. Give the
		// handler the time PocketBase gives a whole request. After any
		// other error the deadline stays: the server then reads no more
		// of a body that fell behind, and closes the connection.
		r.rc.SetReadDeadline(time.Now().Add(WriteAfterBody))
	}
	return n, err
}

func (r *rateReader) Close() error { return r.body.Close() }

// uploadCap refuses a tus PATCH while MaxUploads others are running, and
// lets at most UploadWork() of them past their last byte at once.
func uploadCap(slots, work chan struct{}) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if e.Request.Method != http.MethodPatch || !strings.HasPrefix(e.Request.URL.Path, UploadsPrefix) {
			return e.Next()
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			if e.Request.Body != nil && e.Request.Body != http.NoBody {
				w := &workGate{body: e.Request.Body, work: work, done: e.Request.Context().Done()}
				e.Request.Body = w
				defer w.release()
			}
			return e.Next()
		default:
		}
		h := e.Response.Header()
		h.Set("Retry-After", strconv.Itoa(retryAfterMin+rand.IntN(retryAfterSpread)))
		h.Set("Tus-Resumable", "1.0.0")
		// The chunk is not read: closing spares the phone sending it.
		h.Set("Connection", "close")
		return &router.ApiError{
			Status:  http.StatusServiceUnavailable,
			Message: "The server is receiving many uploads right now. Retry this upload after the Retry-After seconds; nothing sent before is lost.",
			Data:    map[string]any{"code": CodeUploadsBusy},
		}
	}
}

// workGate is an upload's body that, when its last byte has been read,
// waits for a work slot before the handler goes on to store the chunk.
type workGate struct {
	body io.ReadCloser
	work chan struct{}
	done <-chan struct{}
	held bool
}

func (w *workGate) Read(p []byte) (int, error) {
	n, err := w.body.Read(p)
	if err == io.EOF && !w.held {
		select {
		case w.work <- struct{}{}:
			w.held = true
		case <-w.done:
			return n, context.Canceled
		}
	}
	return n, err
}

func (w *workGate) Close() error { return w.body.Close() }

// release frees the work slot once the handler has answered.
func (w *workGate) release() {
	if w.held {
		<-w.work
	}
}
