package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
)

// The emulated 2G link: this kernel has no netem, so a userspace proxy on
// loopback delays, throttles and cuts the traffic.
const (
	linkDelay   = 300 * time.Millisecond // one way
	linkBitrate = 50_000                 // bits per second, each way
	linkCutRate = 0.02                   // share of requests cut mid-transfer
	slowReports = 200
)

// link is a proxy from a loopback listener to the server.
type link struct {
	target   string
	ln       net.Listener
	up, down atomic.Int64 // bytes carried client→server and back
	cuts     atomic.Int64
	cutNext  atomic.Bool // cut the next request, whatever the dice say
	rng      *rand.Rand
	mu       sync.Mutex
}

func newLink(target string) (*link, error) { return newSeededLink(target, 1) }

// newSeededLink is a link whose cuts follow seed: the surge gives each
// phone its own, so the phones are not all cut at the same request.
func newSeededLink(target string, seed uint64) (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &link{target: target, ln: ln, rng: rand.New(rand.NewPCG(seed, 2))}
	go l.accept()
	return l, nil
}

func (l *link) url() string { return "http://" + l.ln.Addr().String() }

func (l *link) chance() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rng.Float64()
}

func (l *link) accept() {
	for {
		client, err := l.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", l.target)
		if err != nil {
			client.Close()
			continue
		}
		c := &linkConn{link: l, client: client, server: server}
		go c.pipe(client, server, &l.up, true)
		go c.pipe(server, client, &l.down, false)
	}
}

// linkConn is one proxied connection. A request starts when the client
// sends after the server has answered; each request is cut with
// probability linkCutRate, partway through its bytes.
type linkConn struct {
	link      *link
	client    net.Conn
	server    net.Conn
	answered  atomic.Bool
	closeOnce sync.Once
}

func (c *linkConn) close() {
	c.closeOnce.Do(func() {
		c.client.Close()
		c.server.Close()
	})
}

// pipe copies src to dst through the emulated link: each chunk waits for
// the link to be free (bandwidth), then for the one-way delay.
func (c *linkConn) pipe(src, dst net.Conn, counter *atomic.Int64, upstream bool) {
	type chunk struct {
		data []byte
		at   time.Time
	}
	queue := make(chan chunk, 1024)
	go func() {
		for ch := range queue {
			time.Sleep(time.Until(ch.at))
			if _, err := dst.Write(ch.data); err != nil {
				c.close()
				return
			}
		}
	}()
	defer close(queue)
	linkFree := time.Now()
	first := true
	buf := make([]byte, 512)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if upstream && (first || c.answered.Swap(false)) {
				first = false
				if c.link.cutNext.Swap(false) || c.link.chance() < linkCutRate {
					data = data[:n/2]
					c.link.cuts.Add(1)
					err = io.ErrUnexpectedEOF
				}
			}
			if !upstream {
				c.answered.Store(true)
			}
			counter.Add(int64(len(data)))
			now := time.Now()
			if linkFree.Before(now) {
				linkFree = now
			}
			linkFree = linkFree.Add(time.Duration(len(data)) * 8 * time.Second / linkBitrate)
			queue <- chunk{data, linkFree.Add(linkDelay)}
		}
		if err != nil {
			// Let the queued bytes drain, then drop the connection.
			time.Sleep(time.Until(linkFree.Add(linkDelay)))
			c.close()
			return
		}
	}
}

// slowLink uploads the same reports over the emulated link one POST each
// and in one push, with a client that retries until every report is
// acknowledged, and compares both with the transfer lower bound.
func (b *bench) slowLink() {
	type run struct {
		name               string
		took               time.Duration
		up, down, cuts     int64
		requests, attempts int
	}
	var runs []run
	var sent []string // the ids of every report sent, to count them on the server
	for _, mode := range []string{"one POST per report", "one gzipped push", "one gzipped push, first attempt cut"} {
		l, err := newLink(strings.TrimPrefix(b.url, "http://"))
		if err != nil {
			log.Fatal(err)
		}
		if strings.HasSuffix(mode, "cut") {
			l.cutNext.Store(true)
		}
		client := &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		ops := b.pushOps(slowReports)
		for _, o := range ops {
			sent = append(sent, o["id"].(string))
		}
		bodies := [][]map[string]any{ops}
		if mode == "one POST per report" {
			bodies = nil
			for _, o := range ops {
				bodies = append(bodies, []map[string]any{o})
			}
		}
		start := time.Now()
		attempts := 0
		for _, body := range bodies {
			for {
				attempts++
				if pushOver(client, l.url()+"/api/sync/push", b.tablet, body, mode != "one POST per report") {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		runs = append(runs, run{mode, time.Since(start), l.up.Load(), l.down.Load(), l.cuts.Load(), len(bodies), attempts})
		l.ln.Close()
		client.CloseIdleConnections()
	}

	// Count the ops by the reports they created.
	ids, _ := json.Marshal(sent)
	var stored, ops int
	err := b.app.DB().NewQuery(`SELECT
		(SELECT COUNT(*) FROM reports WHERE id IN (SELECT value FROM json_each({:ids}))),
		(SELECT COUNT(*) FROM sync_ops WHERE collection = 'reports' AND record IN (SELECT value FROM json_each({:ids})))`).
		Bind(dbx.Params{"ids": string(ids)}).Row(&stored, &ops)
	if err != nil {
		log.Fatal(err)
	}

	// The bound for moving these reports at all: push's own bytes at the
	// link rate (the answer cannot start before the request has arrived,
	// so up and down add), plus one round trip for the request. The proxy
	// does not delay the TCP handshake, so connecting costs nothing here.
	p := runs[1]
	rtt := 2 * linkDelay
	bound := time.Duration(float64(p.up+p.down)*8/linkBitrate*float64(time.Second)) + rtt
	fmt.Printf("Emulated link: %v one-way delay, %d kbit/s each way, %.0f %% of requests cut mid-transfer; %d reports.\n\n", linkDelay, linkBitrate/1000, 100*linkCutRate, slowReports)
	fmt.Println("| upload | wall time | requests (attempts) | cut | bytes up / down | vs transfer lower bound |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		fmt.Printf("| %s | %.1f s | %d (%d) | %d | %d / %d | %.2f× |\n", r.name, r.took.Seconds(), r.requests, r.attempts, r.cuts, r.up, r.down, r.took.Seconds()/bound.Seconds())
	}
	fmt.Printf("\nLower bound: %.1f s (push's %d bytes up and %d down at %d kbit/s, plus 1 round trip of %v). One push is %.1f× faster than one POST per report. Reports stored: %d (each run sends %d new ones: %d expected); ops applied: %d.\n\n",
		bound.Seconds(), p.up, p.down, linkBitrate/1000, rtt, runs[0].took.Seconds()/runs[1].took.Seconds(), stored, slowReports, len(runs)*slowReports, ops)
}

// pushOver sends one push through the link and reports whether every op
// was acknowledged (applied or duplicate).
func pushOver(client *http.Client, url, auth string, ops []map[string]any, gz bool) bool {
	raw, _ := json.Marshal(map[string]any{"device": "slowlink", "ops": ops})
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	if gz {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(raw)
		w.Close()
		raw = buf.Bytes()
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	req.ContentLength = int64(len(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var out struct {
		Results []struct{ Status string }
	}
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&out) != nil || len(out.Results) != len(ops) {
		return false
	}
	for _, r := range out.Results {
		if r.Status != "applied" && r.Status != "duplicate" {
			return false
		}
	}
	return true
}
