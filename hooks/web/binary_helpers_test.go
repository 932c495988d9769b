package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"homeward/internal/binarytest"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

const (
	superuserEmail    = "root@example.org"
	superuserPassword = "a long superuser password"
)

// realServer is the homeward binary on a fresh data dir with a killer proxy
// in front: the browser talks to the proxy, the test to both. Rate limits
// stay as the migrations set them; the superuser calls are exempt, and the
// journeys stay under the limits (the proxy counts every 429).
type realServer struct {
	t     *testing.T
	Bin   *binarytest.Server
	Proxy *killerProxy
	URL   string // the proxy's address: the app's origin in the browser
	su    string // superuser token
}

func startReal(t *testing.T) *realServer {
	t.Helper()
	bin := binarytest.New(t, t.TempDir())
	bin.Run("superuser", "upsert", superuserEmail, superuserPassword)
	bin.Start()
	s := &realServer{t: t, Bin: bin, Proxy: startKillerProxy(t, bin)}
	s.URL = s.Proxy.URL
	s.su = bin.SignIn("_superusers", superuserEmail, superuserPassword)
	t.Cleanup(func() {
		if n := s.Proxy.tooMany.Load(); n > 0 {
			t.Errorf("the app was rate limited %d times: a normal journey must stay under the limits", n)
		}
	})
	return s
}

// Stop takes the whole server away: the proxy stops listening (the browser
// meets a refused connection) and the binary ends gracefully.
func (s *realServer) Stop() {
	s.Proxy.Stop()
	s.Bin.Stop()
}

// Restart starts the binary on the same data dir and port, then the proxy.
func (s *realServer) Restart() {
	s.Bin.Start()
	s.Proxy.Restart()
}

// api sends a superuser request to the binary and decodes the answer.
func (s *realServer) api(method, path string, body, out any) {
	s.t.Helper()
	if _, err := s.Bin.Do(method, path, s.su, body, out); err != nil {
		s.t.Fatal(err)
	}
}

// create saves a record through the REST API and returns its id.
func (s *realServer) create(collection string, fields map[string]any) string {
	s.t.Helper()
	var rec struct{ Id string }
	s.api(http.MethodPost, "/api/collections/"+collection+"/records", fields, &rec)
	return rec.Id
}

// records lists a collection (at most 500 records) as the superuser sees it.
func (s *realServer) records(collection, filter string) []map[string]any {
	s.t.Helper()
	var page struct{ Items []map[string]any }
	s.api(http.MethodGet, "/api/collections/"+collection+"/records?perPage=500&filter="+url.QueryEscape(filter), nil, &page)
	return page.Items
}

func (s *realServer) seedEmbassy(slug, name string) string {
	s.t.Helper()
	return s.create("embassies", map[string]any{
		"slug": slug, "name": name, "country": "Testland", "active": true,
		"hotline": "+000 23 000 000", "address": "1 Test Street", "hours": "Mon-Fri 08:00-17:00",
		"clear_until_keyed": true, // these tests file reports to an embassy that has no key
	})
}

func (s *realServer) seedVolunteer(email, password string) string {
	s.t.Helper()
	return s.create("volunteers", map[string]any{
		"email": email, "password": password, "passwordConfirm": password, "name": "Test Volunteer", "approved": true,
	})
}

// seedStaff makes a staff member of embassy and signs them in; it returns
// the staff id and token.
func (s *realServer) seedStaff(embassy string) (id, token string) {
	s.t.Helper()
	const email, password = "staff@example.org", "a long staff password"
	id = s.create("staff", map[string]any{"email": email, "password": password, "passwordConfirm": password, "embassy": embassy})
	return id, s.Bin.SignIn("staff", email, password)
}

// file downloads a record's stored file with a superuser file token.
func (s *realServer) file(collection, id, name string) []byte {
	s.t.Helper()
	var tok struct{ Token string }
	s.api(http.MethodPost, "/api/files/token", nil, &tok)
	res, err := http.Get(s.Bin.URL + "/api/files/" + collection + "/" + id + "/" + name + "?token=" + tok.Token)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		s.t.Fatalf("download %s/%s: %d %v", collection, id, res.StatusCode, err)
	}
	return data
}

// killerProxy forwards the browser's requests to the binary. On a chosen
// request it forwards it, waits for the server's full answer (so the server
// has committed the work), SIGKILLs the binary and cuts the browser's
// connection without answering: a server killed after saving and before
// the answer left it.
type killerProxy struct {
	t      *testing.T
	bin    *binarytest.Server
	addr   string
	URL    string
	srv    *http.Server
	rp     *httputil.ReverseProxy
	killOn atomic.Pointer[crashRule]
	killed chan killReport // one value per kill

	gzipPushes atomic.Int32 // pushes that arrived gzipped
	fileHeads  atomic.Int32 // tus HEADs: the app asking where an upload stands
	fileStarts atomic.Int32 // tus POSTs: the app starting an upload
	fileFailed atomic.Int32 // tus PATCHes answered 5xx: a finish that failed on the server
	tooMany    atomic.Int32 // answers 429 Too Many Requests
	refused    atomic.Int32 // sync API answers 401 or 403: a device credential refused
}

// killReport is the server's answer that the browser never received.
type killReport struct {
	Status int
	Body   string
}

func startKillerProxy(t *testing.T, bin *binarytest.Server) *killerProxy {
	t.Helper()
	target, _ := url.Parse(bin.URL)
	p := &killerProxy{t: t, bin: bin, killed: make(chan killReport, 1)}
	p.rp = httputil.NewSingleHostReverseProxy(target)
	p.rp.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode == http.StatusTooManyRequests {
			p.tooMany.Add(1)
		}
		if (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden) && strings.HasPrefix(res.Request.URL.Path, "/api/sync/") {
			p.refused.Add(1)
		}
		if res.Request.Method == http.MethodPatch && strings.HasPrefix(res.Request.URL.Path, "/api/sync/files/") && res.StatusCode >= 500 {
			p.fileFailed.Add(1)
		}
		return nil
	}
	// With the binary gone, the browser gets no answer, as from a dead server.
	p.rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { cut(w) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.URL = "http://" + p.addr
	p.serve(ln)
	t.Cleanup(p.Stop)
	return p
}

func (p *killerProxy) serve(ln net.Listener) {
	p.srv = &http.Server{Handler: http.HandlerFunc(p.handle)}
	go p.srv.Serve(ln)
}

func (p *killerProxy) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/sync/push" && r.Header.Get("Content-Encoding") == "gzip" {
		p.gzipPushes.Add(1)
	}
	if r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/api/sync/files/") {
		p.fileHeads.Add(1)
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/sync/files/" {
		p.fileStarts.Add(1)
	}
	if c := p.killOn.Load(); c != nil && r.Method == c.method && strings.HasPrefix(r.URL.Path, c.path) && p.killOn.CompareAndSwap(c, nil) {
		p.forwardAndKill(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

type crashRule struct{ method, path string }

// KillOnNext arms the proxy for the next request with this method and path
// prefix. The test waits on p.killed.
func (p *killerProxy) KillOnNext(method, pathPrefix string) {
	p.killOn.Store(&crashRule{method, pathPrefix})
}

func (p *killerProxy) forwardAndKill(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", p.bin.Addr
	out.Header.Del("Accept-Encoding") // the test reads the answer
	var report killReport
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		report.Body = err.Error()
	} else {
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		report = killReport{res.StatusCode, string(raw)}
	}
	p.bin.Kill()
	cut(w)
	p.killed <- report
}

// waitKilled waits until the armed request has killed the server.
func (p *killerProxy) waitKilled(what string) killReport {
	p.t.Helper()
	select {
	case r := <-p.killed:
		return r
	case <-time.After(60 * time.Second):
		p.t.Fatalf("the app did not %s", what)
		return killReport{}
	}
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

// Stop closes the listener and every open connection.
func (p *killerProxy) Stop() {
	if p.srv != nil {
		p.srv.Close()
		p.srv = nil
	}
}

// Restart listens again on the same address.
func (p *killerProxy) Restart() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// fmtFilter quotes a value for a PocketBase filter.
func fmtFilter(format string, args ...string) string {
	quoted := make([]any, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `\'`) + "'"
	}
	return fmt.Sprintf(format, quoted...)
}
