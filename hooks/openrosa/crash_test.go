package openrosa_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"homeward/internal/binarytest"
	"homeward/internal/media/mediatest"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

// collect is a client of the real binary as ODK Collect is: HTTP Basic
// with a device id and credential, the OpenRosa header, multipart bodies.
type collect struct {
	t          testing.TB
	b          *binarytest.Server
	user, pass string
}

// newCollect starts the binary over a fresh data dir with demo embassies,
// a volunteer and a registered device, rate limits off (the test sends
// from one address faster than a phone).
func newCollect(t *testing.T) (*collect, string) {
	b, dev := binarytest.StartForDevice(t, "collect-volunteer@example.org", "Collect")
	return &collect{t: t, b: b, user: dev.Id, pass: dev.Token}, dev.Superuser
}

// do sends one request with Collect's headers and returns the status and
// body, or the transport error.
func (c *collect) do(method, path string, body io.Reader, contentType string) (int, string, error) {
	req, err := http.NewRequest(method, c.b.URL+path, body)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("X-OpenRosa-Version", "1.0")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), err
}

var versionPattern = regexp.MustCompile(`<version>([^<]+)</version>`)
var embassyPattern = regexp.MustCompile(`<value>([a-z0-9]{15})</value>`)

// form reads the form list and the form, as Collect's "Get Blank Form",
// and returns the version and the first embassy's id.
func (c *collect) form() (version, embassy string) {
	status, list, err := c.do(http.MethodGet, "/openrosa/formList", nil, "")
	m := versionPattern.FindStringSubmatch(list)
	if err != nil || status != http.StatusOK || m == nil {
		c.t.Fatalf("formList: %d %v %s", status, err, list)
	}
	status, form, err := c.do(http.MethodGet, "/openrosa/forms/homeward_report.xml", nil, "")
	e := embassyPattern.FindStringSubmatch(form)
	if err != nil || status != http.StatusOK || e == nil {
		c.t.Fatalf("form: %d %v", status, err)
	}
	return m[1], e[1]
}

// count is the number of records of a collection, read by the superuser.
func count(t testing.TB, b *binarytest.Server, su, coll string) int {
	var list struct{ TotalItems int }
	if status, err := b.Do(http.MethodGet, "/api/collections/"+coll+"/records?perPage=1", su, nil, &list); status != 200 {
		t.Fatalf("count %s: %d %v", coll, status, err)
	}
	return list.TotalItems
}

// filledFor is filled() for an embassy of the binary's demo data.
func filledFor(instanceID, version, embassy, message, photo string) string {
	return strings.Replace(filled(instanceID, version, message, photo), embassyX, embassy, 1)
}

// TestCrashMidSubmissionLeavesNoHalfReport kills the real binary with
// SIGKILL while a submission's body is still arriving, and again and
// again while Collect sends forms with photos: after every restart and
// retry each form is exactly one report with exactly its photo.
func TestCrashMidSubmissionLeavesNoHalfReport(t *testing.T) {
	c, su := newCollect(t)
	version, embassy := c.form()

	// 1. Killed mid-body, with a chunked body (Collect streams its files).
	photo := mediatest.OrientedJPEG(640, 480, 6, "GPS 11.55N 104.92E")
	x := filledFor("uuid:crash-0", version, embassy, "killed mid-body", "photo.jpg")
	body := multipartBody(t, xmlPart(x), filePart("photo.jpg", photo)).Bytes()
	pr, pw := io.Pipe()
	answered := make(chan error, 1)
	go func() {
		_, _, err := c.do(http.MethodPost, "/openrosa/submission", pr, "multipart/form-data; boundary="+boundary)
		answered <- err
	}()
	pw.Write(body[:len(body)/2])
	c.b.Kill()
	pw.Close()
	if err := <-answered; err == nil {
		t.Fatal("the cut submission got an answer")
	}
	c.b.Start()
	if n := count(t, c.b, su, "reports"); n != 0 {
		t.Fatalf("%d reports after a submission cut mid-body, want 0", n)
	}
	for i, want := range []int{http.StatusCreated, http.StatusAccepted} {
		status, answer, err := c.do(http.MethodPost, "/openrosa/submission", io.MultiReader(bytes.NewReader(body)), "multipart/form-data; boundary="+boundary)
		if err != nil || status != want {
			t.Fatalf("retry %d: %d %v %s, want %d", i+1, status, err, answer, want)
		}
	}

	// 2. Killed again and again while forms with photos arrive, the client
	// retrying each until it is answered, as Collect's "Send" does.
	const forms = 30
	progress := make(chan int, forms)
	clientDone := make(chan error, 1)
	go func() {
		for i := 1; i <= forms; i++ {
			x := filledFor(fmt.Sprintf("uuid:crash-%d", i), version, embassy, fmt.Sprintf("form %d", i), "photo.jpg")
			body := multipartBody(t, xmlPart(x), filePart("photo.jpg", mediatest.OrientedJPEG(320, 240, 1, fmt.Sprintf("note %d", i)))).Bytes()
			backoff := 20 * time.Millisecond
			for {
				status, answer, err := c.do(http.MethodPost, "/openrosa/submission", bytes.NewReader(body), "multipart/form-data; boundary="+boundary)
				if err == nil && (status == http.StatusCreated || status == http.StatusAccepted) {
					break
				}
				if err == nil && status/100 == 4 {
					clientDone <- fmt.Errorf("form %d refused: %d %s", i, status, answer)
					return
				}
				time.Sleep(backoff)
				backoff = min(2*backoff, 500*time.Millisecond)
			}
			progress <- i
		}
		clientDone <- nil
	}()
	for kill := 1; kill <= 3; kill++ {
		for done := range progress {
			if done >= kill*forms/4 {
				break
			}
		}
		c.b.Kill()
		c.b.Start()
	}
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	su = c.b.SignIn("_superusers", binarytest.Superuser, binarytest.SuperuserPassword)
	if n := count(t, c.b, su, "reports"); n != forms+1 {
		t.Fatalf("%d reports, want %d", n, forms+1)
	}
	if n := count(t, c.b, su, "attachments"); n != forms+1 {
		t.Fatalf("%d photos, want %d: one per form", n, forms+1)
	}
}
