package limits_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/limits"
	"homeward/internal/binarytest"
	"homeward/internal/testserver"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

var passwordLine = regexp.MustCompile(`Password \(shown once[^)]*\): (\S+)`)

// trickle opens a connection to addr, sends head, then one byte of more
// each second until the server closes the connection or until stop, and
// returns how long the connection lived and whether the server closed it.
func trickle(addr, head, more string, stop time.Duration) (time.Duration, bool, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // ends when the server closes
		close(closed)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		return 0, false, err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; time.Since(start) < stop; i++ {
		select {
		case <-closed:
			return time.Since(start), true, nil
		case <-tick.C:
			conn.Write([]byte{more[i%len(more)]}) // fails once the server is gone; the reader sees it
		}
	}
	return time.Since(start), false, nil
}

// TestSlowlorisLeavesStaffWorking starts the real binary, checks that
// oversized headers are refused, opens hundreds of
// connections that trickle their headers and some that trickle a push's
// body, and checks that /api/health and the staff list answer throughout
// and that the server closes the trickling connections after its header
// timeout and its body rate rule. The bounds are generous: the server's
// own timeouts must end every trickle, PocketBase's defaults (1 min for
// headers, 5 min for a whole request) would not.
func TestSlowlorisLeavesStaffWorking(t *testing.T) {
	s := binarytest.New(t, t.TempDir())
	s.Run("embassy", "add", "testland", "--name", "Embassy of Testland", "--country", "Testland", "--active", "--clear-until-keyed")
	out := s.Run("staff", "add", "officer@embassy.example", "--embassy", "testland")
	m := passwordLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no password printed:\n%s", out)
	}
	s.Start()
	staff := s.SignIn("staff", "officer@embassy.example", m[1])

	// Headers past MaxHeaderBytes are refused (Go's default takes 1 MiB).
	big, _ := http.NewRequest(http.MethodGet, s.URL+"/api/health", nil)
	big.Header.Set("X-Big", strings.Repeat("a", 2*limits.MaxHeaderBytes))
	if res, err := http.DefaultClient.Do(big); err != nil || res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a request with %d bytes of headers: want 431, got %v %v", 2*limits.MaxHeaderBytes, res, err)
	} else {
		res.Body.Close()
	}

	const headerTrickles, bodyTrickles = 300, 50
	headerStop := limits.ReadHeaderTimeout + 25*time.Second
	bodyStop := limits.BodyGrace + 25*time.Second

	type result struct {
		kind   string
		lived  time.Duration
		closed bool
		err    error
	}
	results := make(chan result, headerTrickles+bodyTrickles)
	var wg sync.WaitGroup
	for i := range headerTrickles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			head := fmt.Sprintf("GET /api/health HTTP/1.1\r\nHost: %s\r\nX-Trickle-%d: ", s.Addr, i)
			lived, closed, err := trickle(s.Addr, head, "abcdefghij", headerStop)
			results <- result{"header", lived, closed, err}
		}()
	}
	for range bodyTrickles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			head := fmt.Sprintf("POST /api/sync/push HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"device\":\"", s.Addr)
			lived, closed, err := trickle(s.Addr, head, "abcdefghij", bodyStop)
			results <- result{"body", lived, closed, err}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	// While they trickle, the staff keep working.
	client := &http.Client{Timeout: 30 * time.Second}
	answered := 0
	for polling := true; polling; {
		for _, path := range []string{"/api/health", "/api/staff/reports?perPage=50"} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			req.Header.Set("Authorization", staff)
			res, err := client.Do(req)
			if err != nil {
				t.Fatalf("GET %s during the slowloris: %v", path, err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s during the slowloris: %d", path, res.StatusCode)
			}
			answered++
		}
		select {
		case <-allDone:
			polling = false
		case <-time.After(time.Second):
		}
	}
	close(results)

	for r := range results {
		if r.err != nil {
			t.Fatalf("%s trickle: %v", r.kind, r.err)
		}
		if !r.closed {
			t.Fatalf("a %s trickle was still open after %v: the server should have closed it", r.kind, r.lived.Round(time.Second))
		}
		// Closed by the timeout, not at once by something else.
		if min := limits.ReadHeaderTimeout / 2; r.kind == "header" && r.lived < min {
			t.Fatalf("a header trickle was closed after %v, before half the header timeout", r.lived)
		}
	}
	if answered < 10 {
		t.Fatalf("only %d staff requests were made during the slowloris", answered)
	}
}

// TestUploadCapAnswers503 fills every upload slot with PATCHes that wait,
// checks that one more is refused with 503, Retry-After and a code while
// /api/health still answers, and that a slot freed is a slot taken.
func TestUploadCapAnswers503(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	release := make(chan struct{})
	entered := make(chan struct{}, limits.MaxUploads+1)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// A route under the uploads prefix that holds its slot until told,
		// as a 2G phone's chunk does while its bytes arrive.
		se.Router.PATCH(limits.UploadsPrefix+"hold/{n}", func(e *core.RequestEvent) error {
			entered <- struct{}{}
			<-release
			return e.NoContent(http.StatusNoContent)
		})
		return se.Next()
	})
	srv := testserver.Start(t, app)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: limits.MaxUploads + 2}}
	patch := func(n int) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s%shold/%d", srv.URL, limits.UploadsPrefix, n), strings.NewReader("x"))
		req.Header.Set("Tus-Resumable", "1.0.0")
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return nil, ""
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(bufio.NewReader(res.Body))
		return res, string(body)
	}

	var held sync.WaitGroup
	for n := range limits.MaxUploads {
		held.Add(1)
		go func() {
			defer held.Done()
			if res, body := patch(n); res != nil && res.StatusCode != http.StatusNoContent {
				t.Errorf("held upload %d: %d %s", n, res.StatusCode, body)
			}
		}()
	}
	for range limits.MaxUploads {
		<-entered
	}

	res, body := patch(-1)
	if res == nil {
		t.FailNow()
	}
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"`+limits.CodeUploadsBusy+`"`) {
		t.Fatalf("one upload over the cap: want 503 %s, got %d %s", limits.CodeUploadsBusy, res.StatusCode, body)
	}
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("the 503 has no Retry-After: %q", ra)
	}
	if h, err := client.Get(srv.URL + "/api/health"); err != nil || h.StatusCode != http.StatusOK {
		t.Fatalf("health while the uploads are full: %v %v", h, err)
	}

	// Another kind of request under the prefix is not counted.
	req, _ := http.NewRequest(http.MethodHead, srv.URL+limits.UploadsPrefix+"0123456789abcdef0123456789abcdef", nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	if h, err := client.Do(req); err != nil || h.StatusCode == http.StatusServiceUnavailable {
		t.Fatalf("a HEAD while the uploads are full: %v %v", h, err)
	}

	close(release)
	held.Wait()
	go func() { <-entered }()
	if res, body := patch(-2); res == nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("an upload after the slots are free: %v %s", res, body)
	}
}

// TestUploadWorkIsBounded sends more PATCHes than UploadWork() at once to
// a route under the uploads prefix that reads its chunk and then holds:
// however the requests arrive, at most UploadWork() are ever past their
// last byte together, and every one gets through in the end.
func TestUploadWorkIsBounded(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	w := limits.UploadWork()
	total := w + 3
	arrived := make(chan struct{}, total)
	entered := make(chan struct{}, total)
	release := make(chan struct{})
	var mu sync.Mutex
	current, most := 0, 0
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.PATCH(limits.UploadsPrefix+"work/{n}", func(e *core.RequestEvent) error {
			arrived <- struct{}{}
			if _, err := io.ReadAll(e.Request.Body); err != nil {
				return err
			}
			mu.Lock()
			current++
			most = max(most, current)
			mu.Unlock()
			entered <- struct{}{}
			<-release
			mu.Lock()
			current--
			mu.Unlock()
			return e.NoContent(http.StatusNoContent)
		})
		return se.Next()
	})
	srv := testserver.Start(t, app)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: total}}
	var wg sync.WaitGroup
	for n := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s%swork/%d", srv.URL, limits.UploadsPrefix, n), strings.NewReader("a chunk"))
			res, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNoContent {
				t.Errorf("PATCH %d: %d", n, res.StatusCode)
			}
		}()
	}
	// Every request is in its handler, and the first ones hold their work
	// slots; then each one released lets one more through.
	for range total {
		<-arrived
	}
	for range w {
		<-entered
	}
	for range total - w {
		release <- struct{}{}
		<-entered
	}
	close(release)
	wg.Wait()
	if most > w {
		t.Fatalf("%d uploads were past their last byte at once; the limit is %d", most, w)
	}
}
