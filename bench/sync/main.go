// Command sync measures Homeward's sync API against stock PocketBase write
// paths and the raw SQLite bound, side by side in one run on one machine.
//
//	go run ./bench/sync                 # writes, pulls and the 2G proxy
//	go run ./bench/sync -only writes    # or: pulls, 2g
//	go run ./bench/sync -only push -cpuprofile cpu.out   # push alone, to profile it
//	go run ./bench/sync -only surge -phones 100,300,1000  # N phones on 2G at once
//
// The surge (surge.go) builds and starts the real binary instead, and
// drives it from simulated phones, each through its own emulated 2G link.
//
// The other parts run the real app (every Homeward package registered, dev mode off so
// no SQL logging) over a temporary data dir, served on 127.0.0.1. Nothing
// leaves the machine. The results are printed as Markdown tables for
// docs/benchmarks/sync.md.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks"
	_ "homeward/pb_migrations"
)

func main() {
	only := flag.String("only", "", "run one part: writes, pulls, 2g, surge, or push (push of 1,000 ops alone, for profiling)")
	phones := flag.String("phones", "100,300,1000", "phone counts for the surge, run one after the other")
	pullSizes := flag.String("pull-sizes", "10000,100000,1000000", "change log sizes for the pull benchmark")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *only == "surge" {
		var ns []int
		for _, f := range strings.Split(*phones, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				log.Fatalf("bad -phones %q", *phones)
			}
			ns = append(ns, n)
		}
		// -cpuprofile profiles the server, the process the surge measures.
		if err := surge(ns, *cpuProfile); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	dir, err := os.MkdirTemp("", "homeward-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := newBench(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer b.close()

	fmt.Printf("Machine: %s/%s, %d CPUs, %s; Go %s; %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if *only == "push" {
		b.pushOnly()
	}
	if *only == "" || *only == "writes" {
		b.writes()
	}
	if *only == "" || *only == "pulls" {
		b.pulls(*pullSizes)
	}
	if *only == "" || *only == "2g" {
		b.slowLink()
	}
}

// bench is the running app and the credentials the measurements use.
type bench struct {
	app       *core.BaseApp
	srv       *http.Server
	url       string
	embassy   string
	superuser string // Authorization header value
	staff     string
	tablet    string // a volunteer's device credential: large pushes are a volunteer's
	client    *http.Client
}

func newBench(dir string) (*bench, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: filepath.Join(dir, "pb_data"), IsDev: false})
	if err := app.Bootstrap(); err != nil {
		return nil, err
	}
	if err := app.RunAllMigrations(); err != nil {
		return nil, err
	}
	s := app.Settings()
	s.RateLimits.Enabled = false // one client drives many requests on purpose
	s.Batch.Enabled = true       // only here, for the comparison
	s.Batch.MaxRequests = 1000
	s.Batch.Timeout = 60
	if err := app.Save(s); err != nil {
		return nil, err
	}
	// The web apps' files, which the forms and pages read (OpenRosa's
	// labels among them): the repository's, as go run starts in its root.
	if _, err := os.Stat(filepath.Join("pb_public", "i18n", "en.json")); err != nil {
		return nil, fmt.Errorf("run from the repository's root, where pb_public is: %w", err)
	}
	if err := hooks.Register(app, hooks.Config{Public: os.DirFS("pb_public")}); err != nil {
		return nil, err
	}
	b := &bench{app: app, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}

	emb, err := b.save("embassies", map[string]any{"name": "Bench embassy", "country": "Bench", "slug": "bench", "active": true, "clear_until_keyed": true})
	if err != nil {
		return nil, err
	}
	b.embassy = emb.Id
	su, err := b.save(core.CollectionNameSuperusers, map[string]any{"email": "bench@example.com", "password": "bench-password"})
	if err != nil {
		return nil, err
	}
	staff, err := b.save("staff", map[string]any{"email": "staff@example.com", "password": "bench-password", "embassy": emb.Id})
	if err != nil {
		return nil, err
	}
	vol, err := b.save("volunteers", map[string]any{"email": "volunteer@example.com", "password": "bench-password", "approved": true})
	if err != nil {
		return nil, err
	}
	var volunteer string
	for _, p := range []struct {
		rec *core.Record
		dst *string
	}{{su, &b.superuser}, {staff, &b.staff}, {vol, &volunteer}} {
		tok, err := p.rec.NewAuthToken()
		if err != nil {
			return nil, err
		}
		*p.dst = tok
	}

	router, err := apis.NewRouter(app)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		b.srv = &http.Server{Handler: mux}
		go b.srv.Serve(l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.url = "http://" + l.Addr().String()
	// A phone without an account may create only a handful of reports a
	// push; the pushes measured here are a volunteer's tablet's.
	var dev struct{ Token string }
	if err := json.Unmarshal(b.post(b.client, "/api/sync/devices", volunteer, map[string]any{"label": "bench tablet"}, http.StatusCreated), &dev); err != nil {
		return nil, err
	}
	b.tablet = "Device " + dev.Token
	return b, nil
}

func (b *bench) close() {
	b.srv.Shutdown(context.Background())
	b.app.ResetBootstrapState()
}

func (b *bench) save(coll string, data map[string]any) (*core.Record, error) {
	col, err := b.app.FindCollectionByNameOrId(coll)
	if err != nil {
		return nil, err
	}
	rec := core.NewRecord(col)
	rec.Load(data)
	if pw, ok := data["password"].(string); ok {
		rec.SetPassword(pw)
	}
	return rec, b.app.Save(rec)
}

// report is the row every write path stores: a typical report from a phone.
func (b *bench) report() map[string]any {
	return map[string]any{
		"embassy":           b.embassy,
		"message":           "We were held in a compound near the river for four months. Two of us are sick and need a doctor. Our passports were taken by the manager.",
		"needs":             []string{"shelter", "medical", "documents"},
		"people_count":      3,
		"nationality":       "Indonesia",
		"language":          "id",
		"passport_held":     "yes",
		"compound_location": "Near the river, blue gate, third building",
		"consent_contact":   true,
		"consent_version":   "v1",
	}
}

// newId makes a client-side id: 20 characters of [a-z0-9].
func newId() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	buf := make([]byte, 20)
	rand.Read(buf)
	for i := range buf {
		buf[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return string(buf)
}

func newReceipt() string {
	buf := make([]byte, 20)
	rand.Read(buf)
	for i := range buf {
		buf[i] = '0' + buf[i]%10
	}
	return string(buf)
}

// post sends body as JSON and fails loudly on anything but wantStatus.
func (b *bench) post(client *http.Client, path, auth string, body any, wantStatus int) []byte {
	return b.postRaw(client, path, auth, encode(body), wantStatus)
}

func encode(body any) []byte {
	raw, err := json.Marshal(body)
	if err != nil {
		log.Fatal(err)
	}
	return raw
}

// postRaw sends an encoded JSON body and fails loudly on anything but
// wantStatus.
func (b *bench) postRaw(client *http.Client, path, auth string, raw []byte, wantStatus int) []byte {
	req, _ := http.NewRequest(http.MethodPost, b.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != wantStatus {
		log.Fatalf("POST %s: %d %s", path, res.StatusCode, out)
	}
	return out
}

// pushOps makes n report creates for one push.
func (b *bench) pushOps(n int) []map[string]any {
	rcpt := newReceipt()
	ops := make([]map[string]any, n)
	for i := range ops {
		ops[i] = map[string]any{"op": newId(), "kind": "create", "collection": "reports", "id": newId(), "receipt": rcpt, "data": b.report()}
	}
	return ops
}

// speed is a measured rate: per second of wall time, and per second of
// this process's CPU time (server and client together). On a shared
// machine the wall rate swings with other load; the CPU rate does not.
type speed struct {
	wall, cpu float64
}

// rate runs fn for n records.
func rate(n int, fn func()) speed {
	startCPU := cpuTime()
	start := time.Now()
	fn()
	return speed{
		wall: float64(n) / time.Since(start).Seconds(),
		cpu:  float64(n) / (cpuTime() - startCPU).Seconds(),
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parallel runs total jobs on c workers.
func parallel(c, total int, job func()) {
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				job()
			}
		}()
	}
	for range total {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
