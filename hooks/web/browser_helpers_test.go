package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	_ "homeward/pb_migrations"
)

// liveServer serves the app on a fixed loopback address that can be taken
// down and brought back, so the browser meets a server that is really gone
// (connection refused) and then really back at the same origin, which the
// service worker and IndexedDB are bound to.
type liveServer struct {
	t    *testing.T
	App  *tests.TestApp
	URL  string
	addr string
	mux  http.Handler
	srv  *http.Server

	maxOps   atomic.Int32 // when > 0, larger pushes get 413 before the app sees them
	tooLarge atomic.Int32 // pushes refused that way
	largest  atomic.Int32 // most ops in a push let through
	pulls    atomic.Int32 // pull requests seen
	gate     atomic.Pointer[gate]
	// intercept, when set, sees each request first; when it returns true
	// it has answered the request itself, and the app never sees it.
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

// gate holds each request for one path at the door until it is opened; a
// request that arrives says so on entered.
type gate struct {
	path    string
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

// open lets the requests held, and every one after them, through.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// hold holds every request for path from now on, before the app reads it,
// until the test opens the gate (or ends).
func (s *liveServer) hold(path string) *gate {
	g := &gate{path: path, entered: make(chan struct{}, 1), release: make(chan struct{})}
	s.gate.Store(g)
	s.t.Cleanup(g.open)
	return g
}

func startLive(t *testing.T) *liveServer {
	t.Helper()
	app := testserver.NewApp(t, false)
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	s := &liveServer{t: t, App: app}
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		s.mux, err = e.Router.BuildMux()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *liveServer) serve(ln net.Listener) {
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle)}
	go s.srv.Serve(ln)
}

func (s *liveServer) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/sync/pull" {
		s.pulls.Add(1)
	}
	if g := s.gate.Load(); g != nil && r.URL.Path == g.path {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.release
	}
	if intercept := s.intercept.Load(); intercept != nil && (*intercept)(w, r) {
		return
	}
	if limit := s.maxOps.Load(); limit > 0 && r.URL.Path == "/api/sync/push" && !s.withinOps(r, int(limit)) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		w.Write([]byte(`{"status":413,"message":"Too many operations.","data":{"code":"too_many_ops"}}`))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// dropMidAnswer answers as a signal lost mid-answer would: the headers and
// a first few bytes arrive, then nothing. (A connection closed before any
// answer would not do: Chrome sends a GET again on a new connection.)
func dropMidAnswer(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"changes\":["))
			conn.Close()
		}
	}
}

// withinOps reads a push body, counts its ops and puts the body back.
func (s *liveServer) withinOps(r *http.Request, limit int) bool {
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var body io.Reader = bytes.NewReader(raw)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return true // let the app answer
		}
		body = zr
	}
	var push struct {
		Ops []json.RawMessage `json:"ops"`
	}
	if json.NewDecoder(body).Decode(&push) != nil {
		return true
	}
	if len(push.Ops) > limit {
		s.tooLarge.Add(1)
		return false
	}
	if n := int32(len(push.Ops)); n > s.largest.Load() {
		s.largest.Store(n)
	}
	return true
}

// Stop closes the listener and every open connection.
func (s *liveServer) Stop() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Restart listens again on the same address.
func (s *liveServer) Restart() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// seedEmbassy saves an active embassy through the test fixture and
// returns its id.
func seedEmbassy(t *testing.T, app core.App, slug, name string) string {
	t.Helper()
	s := testserver.Seed(t, app, testserver.Options{Embassies: []testserver.Embassy{{Slug: slug, Name: name, Fields: map[string]any{
		"country": "Testland", "hotline": "+000 23 000 000", "address": "1 Test Street", "hours": "Mon-Fri 08:00-17:00",
	}}}})
	return s.Embassies[0].Id
}

// volunteerSignedIn starts the app with one embassy and a volunteer, and
// signs the volunteer in on the volunteer page in Chromium. It returns the
// server, the browser and the embassy's id.
func volunteerSignedIn(t *testing.T) (*liveServer, context.Context, string) {
	t.Helper()
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	seedVolunteer(t, srv.App, "vol@example.org")
	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/volunteer?lang=en")
	volunteerLogin(t, ctx, "vol@example.org", testserver.Password)
	return srv, ctx, embassy
}

// setOffline cuts (or restores) the browser's network: navigator.onLine
// and the online/offline events, and every request of the page and of its
// service worker.
//
// Going offline, it waits until the page has shown its offline notice
// and laid itself out again: a click aimed before the notice pushed the
// page down landed on the button below (a volunteer's "Sync now" for
// "New report").
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	browsertest.SetOffline(t, ctx, offline)
	if !offline {
		return
	}
	waitFor(t, ctx, "the page to show it is offline", `new Promise((settled) => {
		const net = document.getElementById('net');
		const app = net && document.documentElement.hasAttribute('data-ready'); // a page of the app, started
		if (navigator.onLine !== false || (app && net.hidden)) return settled(false);
		requestAnimationFrame(() => requestAnimationFrame(() => settled(true)));
	})`)
}

// do runs actions and fails the test on error.
func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := browsertest.Step(ctx, actions...); err != nil {
		t.Fatalf("%v\n%s", err, browsertest.PageState(ctx))
	}
}

// eval returns the value of a JavaScript expression (promises awaited).
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is truthy.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		// A page that navigates away mid-poll (erase, reload) is polled again.
		if err == nil || !(strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context was destroyed") ||
			strings.Contains(err.Error(), "Cannot find context")) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, page)
	}
}

// openApp navigates to url and waits until the app has started.
func openApp(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url))
	waitFor(t, ctx, "the app to start", `document.documentElement.getAttribute('data-ready') === '1'`)
}

// testlandReporter starts the app with the Testland embassy and opens the
// reporter app on its card in Chromium.
func testlandReporter(t *testing.T) (*liveServer, context.Context) {
	t.Helper()
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := browsertest.New(t, 90*time.Second)
	openTestlandReport(t, ctx, srv.URL)
	return srv, ctx
}

// openTestlandReport opens the reporter app at base with the embassy of
// seedEmbassy("test-indonesia", "Embassy of Testland") chosen, and waits
// for its card.
func openTestlandReport(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	openApp(t, ctx, base+"/?embassy=test-indonesia&lang=en")
	waitFor(t, ctx, "the embassy card", `document.querySelector('#embassies details[open] summary') &&
		document.querySelector('#embassies details[open] summary').textContent === 'Embassy of Testland'`)
}

// waitForServiceWorker waits until the service worker controls the page,
// which means the shell is cached.
func waitForServiceWorker(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "the service worker", `navigator.serviceWorker && navigator.serviceWorker.controller !== null`)
}

// localReports returns the reports IndexedDB holds on the phone.
func localReports(t *testing.T, ctx context.Context) []map[string]any {
	t.Helper()
	s := eval[string](t, ctx, `self.homeward.db.all('reports').then((r) => JSON.stringify(r))`)
	var out []map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fillReport writes a report on the open form and submits it.
func fillReport(t *testing.T, ctx context.Context, message, photo string) {
	t.Helper()
	do(t, ctx,
		chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-nationality"), "ID"),
		chromedp.SetValue(chromedp.ID("f-people"), "2"),
		chromedp.Click(chromedp.CSS(`input[name="needs"][value="shelter"]`)),
		chromedp.SetValue(chromedp.ID("f-left"), "2026-11-20"),
		chromedp.SendKeys(chromedp.ID("f-message"), message),
	)
	if photo != "" {
		do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photo}))
		waitFor(t, ctx, "the shrunk photo", `document.querySelectorAll('#photo-list li').length === 1`)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	// A reporter gets the receipt screen; a volunteer the form again, with
	// the receipt on it.
	waitFor(t, ctx, "the receipt", `!document.getElementById('receipt').hidden || !document.getElementById('f-saved').hidden`)
}
