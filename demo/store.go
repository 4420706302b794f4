package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// session is one signed-in browser.
type session struct {
	user    string
	expires time.Time
}

// sessionStore holds sessions in memory, keyed by the SHA-256 of their id:
// a map lookup is not constant-time, but timing it reveals nothing about
// ids that exist.
type sessionStore struct {
	mu        sync.Mutex
	m         map[[32]byte]session
	max       int
	ttl       time.Duration
	lastSweep time.Time
}

func newSessionStore(max int, ttl time.Duration) *sessionStore {
	return &sessionStore{m: make(map[[32]byte]session), max: max, ttl: ttl}
}

// newToken returns 128 bits from crypto/rand as 26 base32 characters
// (A–Z, 2–7). Session ids and CSRF tokens have this form.
func newToken() string { return rand.Text() }

// validToken reports whether s has the form newToken produces. Anything
// else (empty, oversized, other characters) is never looked up or matched.
func validToken(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// create starts a session for user and returns its id.
func (s *sessionStore) create(user string, now time.Time) string {
	id := newToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max || now.Sub(s.lastSweep) >= sweepEvery {
		s.sweep(now)
	}
	for len(s.m) >= s.max {
		s.evictOldest()
	}
	s.m[sha256.Sum256([]byte(id))] = session{user: user, expires: now.Add(s.ttl)}
	return id
}

// get returns the live session with this id. An expired one is deleted.
func (s *sessionStore) get(id string, now time.Time) (session, bool) {
	if !validToken(id) {
		return session{}, false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.m[k]
	if !ok {
		return session{}, false
	}
	if !now.Before(se.expires) {
		delete(s.m, k)
		return session{}, false
	}
	return se, true
}

// delete ends the session with this id, if any.
func (s *sessionStore) delete(id string) {
	if !validToken(id) {
		return
	}
	s.mu.Lock()
	delete(s.m, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

// len is the number of stored sessions, expired or not.
func (s *sessionStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *sessionStore) sweep(now time.Time) {
	for k, se := range s.m {
		if !now.Before(se.expires) {
			delete(s.m, k)
		}
	}
	s.lastSweep = now
}

// evictOldest removes the session that would expire first. Linear, but it
// only runs when the store is full of live sessions.
func (s *sessionStore) evictOldest() {
	var oldest [32]byte
	var first time.Time
	found := false
	for k, se := range s.m {
		if !found || se.expires.Before(first) {
			oldest, first, found = k, se.expires, true
		}
	}
	delete(s.m, oldest)
}

// limiter counts failed logins per client in fixed windows. When its table
// is full of live windows, new clients share one overflow bucket: memory
// stays bounded and nobody can flush the table to reset their own count.
type limiter struct {
	mu        sync.Mutex
	m         map[string]window
	max       int
	limit     int
	per       time.Duration
	lastSweep time.Time
}

type window struct {
	start time.Time
	fails int
}

// overflowKey is the shared bucket of clients that did not fit the table.
// No client IP is empty, so it cannot collide with one.
const overflowKey = ""

func newLimiter(max, limit int, per time.Duration) *limiter {
	return &limiter{m: make(map[string]window), max: max, limit: limit, per: per}
}

// blocked reports whether client has used up its failures in the current
// window, and how long until the window ends.
func (l *limiter) blocked(client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.m[client]
	if !ok && l.full() {
		w = l.m[overflowKey]
	}
	end := w.start.Add(l.per)
	if w.fails < l.limit || !now.Before(end) {
		return 0, false
	}
	return end.Sub(now), true
}

// fail records a failed login by client.
func (l *limiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery || l.full() {
		for k, w := range l.m {
			if !now.Before(w.start.Add(l.per)) {
				delete(l.m, k)
			}
		}
		l.lastSweep = now
	}
	if _, ok := l.m[client]; !ok && l.full() {
		client = overflowKey
	}
	w := l.m[client]
	if !now.Before(w.start.Add(l.per)) {
		w = window{start: now}
	}
	w.fails++
	l.m[client] = w
}

// full reports whether the table holds max clients (the overflow bucket,
// which may exist besides them, does not count).
func (l *limiter) full() bool {
	n := len(l.m)
	if _, ok := l.m[overflowKey]; ok {
		n--
	}
	return n >= l.max
}
