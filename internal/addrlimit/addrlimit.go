// Package addrlimit counts events per client address in fixed windows, for
// the limits PocketBase's own rate limiter cannot express. The counts live
// in memory only: no address is ever written to disk or to the logs.
package addrlimit

import (
	"sync"
	"time"
)

// Limiter allows at most max events per key in each window.
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*count
}

type count struct {
	start time.Time
	n     int
}

// sweepAt is the map size that triggers dropping expired windows, so
// memory stays bounded under a scan from many addresses.
const sweepAt = 10000

// New returns a limiter of max events per key in each window.
func New(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, hits: map[string]*count{}}
}

// Hit records one event from key and reports whether key is now over the
// limit.
func (l *Limiter) Hit(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	c := l.current(key, now)
	c.n++
	return c.n > l.max
}

// Take counts n events from key if they fit in key's window, and reports
// whether they did; when they do not, nothing is counted and wait is how
// long until the window starts again (at least a second). It is for
// limits on amounts, such as the reports one address creates, where a
// request either fits whole or waits.
func (l *Limiter) Take(key string, n int) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	c := l.current(key, now)
	if c.n+n > l.max {
		return false, max(time.Second, c.start.Add(l.window).Sub(now))
	}
	c.n += n
	return true, 0
}

// current returns key's count in the window now falls in, starting a new
// window when the last one has passed. Past a sweepAt keys, expired ones
// are dropped first. l.mu must be held.
func (l *Limiter) current(key string, now time.Time) *count {
	if len(l.hits) >= sweepAt {
		for k, c := range l.hits {
			if now.Sub(c.start) > l.window {
				delete(l.hits, k)
			}
		}
	}
	c := l.hits[key]
	if c == nil || now.Sub(c.start) > l.window {
		c = &count{start: now}
		l.hits[key] = c
	}
	return c
}
