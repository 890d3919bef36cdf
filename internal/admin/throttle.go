package admin

import (
	"sync"
	"time"
)

// failureThrottle counts failed sign-ins per client address over a
// sliding minute, so that one address cannot spray passwords over many
// accounts (each account's own count only locks that account). It lives in
// the process: every process sharing a database throttles on its own.
type failureThrottle struct {
	limit int
	mu    sync.Mutex
	byIP  map[string]*failureWindow
	swept time.Time
}

// failureWindow holds the counts of the current and the previous minute;
// the sliding count weighs the previous one by how much of it still lies
// within the last minute.
type failureWindow struct {
	start     time.Time // start of the current minute
	cur, prev int
}

func newFailureThrottle(limit int) *failureThrottle {
	return &failureThrottle{limit: limit, byIP: map[string]*failureWindow{}}
}

// window returns ip's window moved to now; the caller holds mu.
func (f *failureThrottle) window(ip string, now time.Time) *failureWindow {
	w := f.byIP[ip]
	if w == nil {
		w = &failureWindow{start: now.Truncate(time.Minute)}
		f.byIP[ip] = w
	}
	switch start := now.Truncate(time.Minute); {
	case start.Sub(w.start) >= 2*time.Minute:
		w.start, w.cur, w.prev = start, 0, 0
	case start.Sub(w.start) >= time.Minute:
		w.start, w.prev, w.cur = start, w.cur, 0
	}
	return w
}

func (w *failureWindow) count(now time.Time) int {
	left := time.Minute - now.Sub(w.start)
	return w.cur + int(float64(w.prev)*float64(left)/float64(time.Minute))
}

// exceeded reports whether ip has failed limit times in the last minute.
// An empty address (a call from inside the process) is never throttled.
func (f *failureThrottle) exceeded(ip string, now time.Time) bool {
	if ip == "" {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.byIP[ip]; !ok {
		return false
	}
	return f.window(ip, now).count(now) >= f.limit
}

// fail counts one failed sign-in from ip.
func (f *failureThrottle) fail(ip string, now time.Time) {
	if ip == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.window(ip, now).cur++
	// Forget quiet addresses now and then, so that the map stays small.
	if now.Sub(f.swept) > 2*time.Minute {
		for k, w := range f.byIP {
			if now.Sub(w.start) >= 2*time.Minute {
				delete(f.byIP, k)
			}
		}
		f.swept = now
	}
}

// errTooManyFailures answers an address over the throttle: fast, before
// any hashing.
var errTooManyFailures = &Error{Kind: KindRateLimited, Code: "too_many_sign_in_failures", Message: "Too many failed sign-ins from your address; try again in a minute."}
