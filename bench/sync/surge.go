package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// The surge: N phones at once, each through its own emulated 2G link,
// each pushing one report and uploading one photo by tus, while a staff
// member pages the console list and opens reports over loopback.
const (
	surgePhotoBytes = 100 << 10 // a phone photo after the app's resizing
	surgeChunk      = 64 << 10  // the web app's tus chunk (pb_public/js/sync.js)
	// surgeGiveUp bounds one phone's whole run, so the program ends by
	// itself even if the server stops answering.
	surgeGiveUp = 30 * time.Minute
	// staffPause is the staff member's time between two requests: a
	// person reads a page before turning it.
	staffPause = 200 * time.Millisecond
)

// surgeConfig is one surge run.
type surgeConfig struct {
	Phones int
	Bin    string    // a built homeward binary; built here if empty
	Out    io.Writer // progress and the report; nil for none
	// CPUProfile, if set, has the server write a CPU profile there and a
	// heap profile beside it, .mem (HOMEWARD_CPUPROFILE and
	// HOMEWARD_MEMPROFILE, read by profile.go only when set).
	CPUProfile string
}

// surgeResult is what a surge measured.
type surgeResult struct {
	Phones                       int
	ReportsStored, PhotosStored  int
	ReportsLost, PhotosLost      int
	ReportsDuplicated, PhotosDup int
	PeakRSSKiB                   int64
	ServerCPU                    time.Duration
	ClientCPU                    time.Duration // this process: phones, links, staff
	Wall                         time.Duration
	List, Open                   latencies
	Cuts                         int64
	PushAttempts, PatchAttempts  int64
	Busy                         int64 // 503 answers (uploads over the cap)
}

// latencies are the durations of one kind of staff request.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// runSurge starts the binary over a fresh data dir, runs the surge and
// counts what the server stored.
func runSurge(cfg surgeConfig) (surgeResult, error) {
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	dir, err := os.MkdirTemp("", "homeward-surge-")
	if err != nil {
		return surgeResult{}, err
	}
	defer os.RemoveAll(dir)
	bin := cfg.Bin
	if bin == "" {
		bin = filepath.Join(dir, "homeward")
		if err := goBuild(bin); err != nil {
			return surgeResult{}, err
		}
	}
	srv, err := startServer(bin, filepath.Join(dir, "pb_data"), cfg.CPUProfile)
	if err != nil {
		return surgeResult{}, err
	}
	defer srv.stop()

	photo, err := surgePhoto()
	if err != nil {
		return surgeResult{}, err
	}
	sum := sha256.Sum256(photo)
	photoHash := hex.EncodeToString(sum[:])

	res := surgeResult{Phones: cfg.Phones}
	cpuBefore, err := procCPU(srv.cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "surge: %d phones, photo %d bytes\n", cfg.Phones, len(photo))

	start, clientBefore := time.Now(), cpuTime()
	staffDone := make(chan struct{})
	var staffWG sync.WaitGroup
	staffWG.Add(1)
	go func() {
		defer staffWG.Done()
		res.List, res.Open = srv.staffLoop(staffDone)
	}()

	var cuts, pushes, patches, busy atomic.Int64
	ids := make([]string, cfg.Phones)
	var wg sync.WaitGroup
	var failures atomic.Int64
	var firstErr atomic.Value
	for i := range cfg.Phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &phone{srv: srv, seed: uint64(i) + 10, photo: photo, photoHash: photoHash, pushes: &pushes, patches: &patches, busy: &busy}
			id, n, err := p.run(i)
			ids[i] = id
			cuts.Add(n)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	res.Wall, res.ClientCPU = time.Since(start), cpuTime()-clientBefore
	close(staffDone)
	staffWG.Wait()
	res.Cuts, res.PushAttempts, res.PatchAttempts, res.Busy = cuts.Load(), pushes.Load(), patches.Load(), busy.Load()

	if res.ServerCPU, err = procCPU(srv.cmd.Process.Pid); err != nil {
		return res, err
	}
	res.ServerCPU -= cpuBefore
	if res.PeakRSSKiB, err = peakRSS(srv.cmd.Process.Pid); err != nil {
		return res, err
	}
	srv.stop()
	if err := countStored(filepath.Join(dir, "pb_data"), ids, &res); err != nil {
		return res, err
	}
	if n := failures.Load(); n > 0 {
		return res, fmt.Errorf("%d phones gave up; the first: %v", n, firstErr.Load())
	}
	return res, nil
}

// goBuild compiles the server from the repository root.
func goBuild(bin string) error {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// server is the running binary and the accounts the surge uses.
type server struct {
	cmd      *exec.Cmd
	addr     string
	url      string
	embassy  string
	staff    string // Authorization value
	su       string
	stopOnce sync.Once
}

func startServer(bin, dataDir, cpuProfile string) (*server, error) {
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append(args, "--dir", dataDir)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("homeward %v: %v\n%s", args, err, out)
		}
		return string(out), nil
	}
	if _, err := run("embassy", "add", "surge", "--name", "Surge embassy", "--country", "Surge", "--active", "--clear-until-keyed"); err != nil {
		return nil, err
	}
	out, err := run("staff", "add", "staff@surge.example", "--embassy", "surge")
	if err != nil {
		return nil, err
	}
	_, pw, ok := strings.Cut(out, "): ")
	if !ok {
		return nil, fmt.Errorf("no staff password in %q", out)
	}
	pw, _, _ = strings.Cut(pw, "\n")
	if _, err := run("superuser", "upsert", "su@surge.example", "surge-password-1"); err != nil {
		return nil, err
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{addr: addr, url: "http://" + addr}
	s.cmd = exec.Command(bin, "serve", "--http", addr, "--dir", dataDir)
	s.cmd.Env = os.Environ()
	if cpuProfile != "" {
		s.cmd.Env = append(s.cmd.Env, "HOMEWARD_CPUPROFILE="+cpuProfile, "HOMEWARD_MEMPROFILE="+cpuProfile+".mem")
	}
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(s.url + "/api/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("the server did not become healthy")
		}
	}

	// Every phone here comes from 127.0.0.1: PocketBase's per-address
	// rate limits would refuse all but the first 60 pushes a minute. In
	// the field the phones come from many addresses.
	if s.su, err = s.signIn(core.CollectionNameSuperusers, "su@surge.example", "surge-password-1"); err != nil {
		return nil, err
	}
	if err := s.json(http.MethodPatch, "/api/settings", s.su, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil); err != nil {
		return nil, err
	}
	if s.staff, err = s.signIn("staff", "staff@surge.example", pw); err != nil {
		return nil, err
	}
	var embs struct{ Items []struct{ Id string } }
	if err := s.json(http.MethodGet, "/api/collections/embassies/records?filter=slug%3D%27surge%27", s.su, nil, &embs); err != nil || len(embs.Items) != 1 {
		return nil, fmt.Errorf("find the embassy: %v %v", err, embs)
	}
	s.embassy = embs.Items[0].Id
	return s, nil
}

// stop ends the server with SIGINT, as an operator's Ctrl-C, so a CPU
// profile is written, and waits for it.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			s.cmd.Process.Kill()
			<-done
		}
	})
}

func (s *server) signIn(coll, email, pw string) (string, error) {
	var auth struct{ Token string }
	err := s.json(http.MethodPost, "/api/collections/"+coll+"/auth-with-password", "", map[string]string{"identity": email, "password": pw}, &auth)
	return auth.Token, err
}

// json sends a JSON request straight to the server (not through a link).
func (s *server) json(method, path, auth string, body, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(encode(body))
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// staffLoop pages through the list (pages 1 to 5, then again) and opens
// the first report of each page, until done, timing each request.
func (s *server) staffLoop(done chan struct{}) (list, open latencies) {
	client := &http.Client{Timeout: time.Minute}
	get := func(path string, out any) (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("Authorization", s.staff)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		if err != nil || res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %d %v", path, res.StatusCode, err)
		}
		if out != nil {
			return took, json.Unmarshal(raw, out)
		}
		return took, nil
	}
	for page := 1; ; page = page%5 + 1 {
		select {
		case <-done:
			return list, open
		case <-time.After(staffPause):
		}
		var items struct{ Items []struct{ Id string } }
		took, err := get(fmt.Sprintf("/api/staff/reports?page=%d&perPage=50", page), &items)
		if err != nil {
			fmt.Fprintln(os.Stderr, "staff list:", err)
			continue
		}
		list = append(list, took)
		if len(items.Items) == 0 {
			continue
		}
		time.Sleep(staffPause)
		if took, err := get("/api/collections/reports/records/"+items.Items[0].Id, nil); err == nil {
			open = append(open, took)
		} else {
			fmt.Fprintln(os.Stderr, "staff open:", err)
		}
	}
}

// phone is one simulated phone: its own 2G link and HTTP client.
type phone struct {
	srv                   *server
	seed                  uint64
	photo                 []byte
	photoHash             string
	client                *http.Client
	base                  string
	receipt               string
	report                string
	pushes, patches, busy *atomic.Int64
	backoff               time.Duration
	deadline              time.Time
	rng                   *rand.Rand
}

// run pushes the report until acknowledged, then uploads the photo until
// the server has it, and returns the report's id and the link's cuts.
func (p *phone) run(i int) (string, int64, error) {
	l, err := newSeededLink(p.srv.addr, p.seed)
	if err != nil {
		return "", 0, err
	}
	defer l.ln.Close()
	p.base = l.url()
	// One connection at a time, as a phone's browser on one host mostly
	// does over 2G; a request that hangs is given up after 2 min.
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	p.client = &http.Client{Timeout: 2 * time.Minute, Transport: tr}
	p.receipt = newReceipt()
	p.report = newId()
	p.rng = rand.New(rand.NewPCG(p.seed, 7))
	p.deadline = time.Now().Add(surgeGiveUp)

	data := (&bench{embassy: p.srv.embassy}).report()
	data["message"] = fmt.Sprintf("Surge phone %d. %s", i, data["message"])
	ops := []map[string]any{{"op": newId(), "kind": "create", "collection": "reports", "id": p.report, "receipt": p.receipt, "data": data}}
	body := encode(map[string]any{"device": "surge" + strconv.Itoa(i), "ops": ops})
	for {
		ok, err := p.pushOnce(body)
		if err != nil {
			return p.report, l.cuts.Load(), err
		}
		if ok {
			break
		}
		if err := p.wait(0); err != nil {
			return p.report, l.cuts.Load(), fmt.Errorf("push: %w", err)
		}
	}
	p.backoff = 0
	if err := p.upload(); err != nil {
		return p.report, l.cuts.Load(), fmt.Errorf("upload: %w", err)
	}
	return p.report, l.cuts.Load(), nil
}

// wait sleeps before a retry: the server's Retry-After if it gave one,
// else a backoff doubling from 1 s to 30 s, with jitter.
func (p *phone) wait(retryAfter time.Duration) error {
	if time.Now().After(p.deadline) {
		return errors.New("gave up after " + surgeGiveUp.String())
	}
	p.backoff = min(max(2*p.backoff, time.Second), 30*time.Second)
	d := p.backoff/2 + time.Duration(p.rng.Int64N(int64(p.backoff)))
	if retryAfter > 0 {
		d = retryAfter
	}
	time.Sleep(d)
	return nil
}

// pushOnce sends the report's push once. It reports whether the server
// stored it; an answer that refuses it for good (rejected, conflict) is
// an error, since sending it again would change nothing.
func (p *phone) pushOnce(body []byte) (bool, error) {
	p.pushes.Add(1)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/api/sync/push", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return false, nil
	}
	defer res.Body.Close()
	var out struct {
		Results []struct {
			Status string
			Error  json.RawMessage
		}
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&out) != nil || len(out.Results) != 1 {
		return false, nil
	}
	switch r := out.Results[0]; r.Status {
	case StatusApplied, StatusDuplicate:
		return true, nil
	default:
		return false, fmt.Errorf("push %s: %s", r.Status, r.Error)
	}
}

// Push result statuses (docs/API.md).
const (
	StatusApplied   = "applied"
	StatusDuplicate = "duplicate"
)

// upload sends the photo with tus 1.0: create once, PATCH 64 KiB chunks
// from the server's offset, and after any failure ask the offset with
// HEAD and go on from there. The upload is done when a PATCH answers
// 204 with Upload-Offset equal to the length.
func (p *phone) upload() error {
	length := int64(len(p.photo))
	meta := "report " + base64.StdEncoding.EncodeToString([]byte(p.report)) +
		",sha256 " + base64.StdEncoding.EncodeToString([]byte(p.photoHash))
	var location string
	offset := int64(-1) // unknown: HEAD first
	for {
		if location == "" {
			res, err := p.tus(http.MethodPost, p.base+"/api/sync/files/", map[string]string{"Upload-Length": strconv.FormatInt(length, 10), "Upload-Metadata": meta}, nil)
			switch {
			case err != nil:
			case res.StatusCode == http.StatusCreated:
				location = res.Header.Get("Location")
				offset = headerOffset(res)
				p.backoff = 0
				continue
			case res.StatusCode/100 == 4 && res.StatusCode != http.StatusConflict && res.StatusCode != http.StatusTooManyRequests:
				return fmt.Errorf("create: %d", res.StatusCode)
			}
			if err := p.wait(retryAfter(res)); err != nil {
				return err
			}
			continue
		}
		if offset < 0 {
			res, err := p.tus(http.MethodHead, p.base+location, nil, nil)
			switch {
			case err != nil:
			case res.StatusCode == http.StatusOK:
				offset = headerOffset(res)
				continue
			case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
				location = "" // the upload is gone: start again
				continue
			}
			if err := p.wait(retryAfter(res)); err != nil {
				return err
			}
			continue
		}
		end := min(offset+surgeChunk, length)
		p.patches.Add(1)
		res, err := p.tus(http.MethodPatch, p.base+location, map[string]string{
			"Upload-Offset": strconv.FormatInt(offset, 10),
			"Content-Type":  "application/offset+octet-stream",
		}, p.photo[offset:end])
		switch {
		case err != nil:
			offset = -1
		case res.StatusCode == http.StatusNoContent:
			got := headerOffset(res)
			if got == length {
				return nil
			}
			if got <= offset || got > length {
				return fmt.Errorf("PATCH at %d answered offset %d", offset, got)
			}
			offset = got
			p.backoff = 0
			continue
		case res.StatusCode == http.StatusConflict:
			offset = headerOffset(res) // the server's offset; -1 asks again
			continue
		case res.StatusCode == http.StatusServiceUnavailable:
			p.busy.Add(1)
			offset = -1
		case res.StatusCode == http.StatusLocked, res.StatusCode/100 == 5, res.StatusCode == http.StatusTooManyRequests:
			offset = -1
		default:
			return fmt.Errorf("PATCH: %d", res.StatusCode)
		}
		if err := p.wait(retryAfter(res)); err != nil {
			return err
		}
	}
}

// tus sends one tus request and reads the answer's body to the end.
func (p *phone) tus(method, url string, headers map[string]string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.ContentLength = int64(len(body))
		if len(body) == 0 {
			req.Body = http.NoBody
		}
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Receipt", p.receipt)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	return res, nil
}

func headerOffset(res *http.Response) int64 {
	n, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func retryAfter(res *http.Response) time.Duration {
	if res == nil {
		return 0
	}
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// surgePhoto is a JPEG of about surgePhotoBytes at a phone's resized
// dimensions (1280×960), so the server decodes and re-encodes a photo of
// realistic size in pixels as well as in bytes.
func surgePhoto() ([]byte, error) {
	const w, h = 1280, 960
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(24))
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128 + n, 255})
		}
	}
	// The smallest quality whose file reaches the target.
	for q := 1; q <= 100; q++ {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, err
		}
		if buf.Len() >= surgePhotoBytes {
			return buf.Bytes(), nil
		}
	}
	return nil, errors.New("no quality reaches the photo size")
}

// procCPU is a process's user and system CPU time (/proc/PID/stat).
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	_, rest, ok := strings.Cut(string(raw), ") ")
	if !ok {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// peakRSS is a process's peak resident set (VmHWM) in KiB.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM")
}

// countStored opens the data dir after the server stopped and counts the
// phones' reports and photos: each sent report once, each with one photo.
func countStored(dataDir string, ids []string, res *surgeResult) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dataDir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	stored := map[string]int{}
	var rows []struct {
		Id string `db:"id"`
	}
	if err := app.DB().NewQuery("SELECT id FROM reports WHERE message LIKE 'Surge phone %'").All(&rows); err != nil {
		return err
	}
	for _, r := range rows {
		stored[r.Id]++
	}
	var messages []struct {
		M string `db:"m"`
		N int    `db:"n"`
	}
	if err := app.DB().NewQuery("SELECT message AS m, COUNT(*) AS n FROM reports WHERE message LIKE 'Surge phone %' GROUP BY message HAVING n > 1").All(&messages); err != nil {
		return err
	}
	res.ReportsStored = len(rows)
	res.ReportsDuplicated = len(rows) - len(stored)
	for _, m := range messages {
		res.ReportsDuplicated += m.N - 1
	}
	var photos []struct {
		Report string `db:"report"`
		N      int    `db:"n"`
	}
	if err := app.DB().NewQuery("SELECT report, COUNT(*) AS n FROM attachments GROUP BY report").All(&photos); err != nil {
		return err
	}
	perReport := map[string]int{}
	for _, ph := range photos {
		perReport[ph.Report] = ph.N
		res.PhotosStored += ph.N
		res.PhotosDup += ph.N - 1
	}
	for _, id := range ids {
		if stored[id] == 0 {
			res.ReportsLost++
		}
		if perReport[id] == 0 {
			res.PhotosLost++
		}
	}
	return nil
}

// surge is -only surge: runs each N and prints the table.
func surge(phones []int, cpuProfile string) error {
	var results []surgeResult
	bin := ""
	dir, err := os.MkdirTemp("", "homeward-surge-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "homeward")
	if err := goBuild(bin); err != nil {
		return err
	}
	for _, n := range phones {
		loadBefore, _ := os.ReadFile("/proc/loadavg")
		r, err := runSurge(surgeConfig{Phones: n, Bin: bin, Out: os.Stdout, CPUProfile: cpuProfile})
		if err != nil {
			fmt.Printf("N=%d: %v\n", n, err)
		}
		fmt.Printf("N=%d done in %.0f s; load average before: %s", n, r.Wall.Seconds(), loadBefore)
		results = append(results, r)
	}
	fmt.Println()
	fmt.Println("| phones | reports stored (lost, duplicated) | photos stored (lost, duplicated) | wall time | server peak RSS | server CPU (phones' CPU) | staff list p50 / p95 / p99 (n) | open report p50 / p95 / p99 (n) | cuts | push attempts | PATCH attempts (503 busy) |")
	fmt.Println("|---:|---|---|---:|---:|---:|---|---|---:|---:|---:|")
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	for _, r := range results {
		fmt.Printf("| %d | %d (%d, %d) | %d (%d, %d) | %.0f s | %.0f MB | %.1f s (%.1f s) | %s / %s / %s ms (%d) | %s / %s / %s ms (%d) | %d | %d | %d (%d) |\n",
			r.Phones, r.ReportsStored, r.ReportsLost, r.ReportsDuplicated, r.PhotosStored, r.PhotosLost, r.PhotosDup,
			r.Wall.Seconds(), float64(r.PeakRSSKiB)/1024, r.ServerCPU.Seconds(), r.ClientCPU.Seconds(),
			ms(r.List.pct(.5)), ms(r.List.pct(.95)), ms(r.List.pct(.99)), len(r.List),
			ms(r.Open.pct(.5)), ms(r.Open.pct(.95)), ms(r.Open.pct(.99)), len(r.Open),
			r.Cuts, r.PushAttempts, r.PatchAttempts, r.Busy)
	}
	return nil
}
