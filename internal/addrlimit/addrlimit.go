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
	c.n++
	return c.n > l.max
}
