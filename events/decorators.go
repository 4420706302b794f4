package events

import (
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the decorators: each takes the sink it feeds (next,
// last) and returns a Sink that passes on some events and drops the
// others, counting both in an optional *Counter. They compose, in any
// order and around any sink:
//
//	sink := events.MinSeverity(events.Medium, &sev,
//		events.Dedup(24*time.Hour, nil, time.Now, &dup,
//			webhook.Send))
//
// All are safe for concurrent use and never block beyond their own short
// critical section, so they keep a Sink's promise to return quickly.

// MaxKeys bounds the distinct keys Dedup and RateLimit remember. Keys
// whose window has passed are swept; when MaxKeys keys are still live, an
// event with a new key is dropped and counted in Stats.Overflow (a flood
// of distinct keys costs those events, never memory).
const MaxKeys = 10000

// Stats counts what a decorator did with the events it was given.
type Stats struct {
	// Passed counts events handed to the next sink.
	Passed uint64
	// Dropped counts events not handed on, Overflow included.
	Dropped uint64
	// Overflow counts the events dropped only because MaxKeys keys were
	// already remembered (Dedup, RateLimit).
	Overflow uint64
}

// Counter accumulates a decorator's Stats, for metrics such as
// portcullis_events_dropped_total{stage}. The zero value is ready, it is
// safe for concurrent use, and a nil *Counter counts nothing.
type Counter struct {
	passed, dropped, overflow atomic.Uint64
}

// Stats returns the counts so far (zero for a nil Counter).
func (c *Counter) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return Stats{Passed: c.passed.Load(), Dropped: c.dropped.Load(), Overflow: c.overflow.Load()}
}

func (c *Counter) pass() {
	if c != nil {
		c.passed.Add(1)
	}
}

func (c *Counter) drop() {
	if c != nil {
		c.dropped.Add(1)
	}
}

func (c *Counter) overflowed() {
	if c != nil {
		c.overflow.Add(1)
		c.dropped.Add(1)
	}
}

// MinSeverity passes on the events at or above min.
func MinSeverity(min Severity, c *Counter, next Sink) Sink {
	return Filter(func(e Event) bool { return e.Severity >= min }, c, next)
}

// Filter passes on the events for which keep returns true. keep must be
// safe for concurrent use.
func Filter(keep func(Event) bool, c *Counter, next Sink) Sink {
	return func(e Event) {
		if !keep(e) {
			c.drop()
			return
		}
		c.pass()
		next(e)
	}
}

// Dedup drops an event whose key was passed on less than window ago: the
// first event of a condition goes through, its repeats within window do
// not, and the window restarts at the next one passed on. key gives an
// event's key (nil: Event.Key, the type, site, rule, reason, client,
// names and threshold); now is the clock (nil: time.Now). A window of
// zero or less passes every event on.
func Dedup(window time.Duration, key func(Event) string, now func() time.Time, c *Counter, next Sink) Sink {
	if window <= 0 {
		return Filter(func(Event) bool { return true }, c, next)
	}
	if key == nil {
		key = Event.Key
	}
	ks := newKeySet(now, func(last time.Time) time.Time { return last.Add(window) })
	return func(e Event) {
		k := key(e)
		ok := ks.update(k, func(last time.Time, seen bool, t time.Time) (time.Time, bool) {
			if seen && t.Before(last.Add(window)) {
				return last, false
			}
			return t, true
		})
		switch ok {
		case passed:
			c.pass()
			next(e)
		case refused:
			c.drop()
		case full:
			c.overflowed()
		}
	}
}

// RateLimit passes on at most n events per duration per for each key,
// spreading them as a token bucket does: a burst of n, then one every
// per/n. key groups the events (nil: one limit for all; for example
// func(e Event) string { return e.Client } limits each client); now is
// the clock (nil: time.Now). It panics if n < 1 or per <= 0.
func RateLimit(n int, per time.Duration, key func(Event) string, now func() time.Time, c *Counter, next Sink) Sink {
	if n < 1 || per <= 0 {
		panic("events: RateLimit needs n >= 1 and per > 0")
	}
	if key == nil {
		key = func(Event) string { return "" }
	}
	// The generic cell rate algorithm: each key keeps the time at which
	// its bucket will be full again (tat); an event is allowed when that
	// is at most per-interval away, and pushes it interval further.
	interval := per / time.Duration(n)
	ks := newKeySet(now, func(tat time.Time) time.Time { return tat })
	return func(e Event) {
		ok := ks.update(key(e), func(tat time.Time, seen bool, t time.Time) (time.Time, bool) {
			if !seen || tat.Before(t) {
				tat = t
			}
			if tat.Add(interval).Sub(t) > per {
				return tat, false
			}
			return tat.Add(interval), true
		})
		switch ok {
		case passed:
			c.pass()
			next(e)
		case refused:
			c.drop()
		case full:
			c.overflowed()
		}
	}
}

// outcome is what a keySet update decided.
type outcome int

const (
	passed outcome = iota
	refused
	full // a new key, and MaxKeys keys are live
)

// keySet is the bounded memory of Dedup and RateLimit: a time per key,
// forgotten once the time expire computes from it has passed.
type keySet struct {
	now    func() time.Time
	expire func(time.Time) time.Time

	mu      sync.Mutex
	keys    map[string]time.Time
	sweepAt int       // sweep when the map reaches this size
	nextExp time.Time // no key expires before this (zero: unknown)
}

func newKeySet(now func() time.Time, expire func(time.Time) time.Time) *keySet {
	if now == nil {
		now = time.Now
	}
	return &keySet{now: now, expire: expire, keys: make(map[string]time.Time), sweepAt: 64}
}

// update decides for key k at the current time: decide gets the key's
// time (if seen) and returns its new time and whether the event passes.
// A refused event leaves the key's time as decide returned it.
func (s *keySet) update(k string, decide func(last time.Time, seen bool, now time.Time) (time.Time, bool)) outcome {
	t := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	last, seen := s.keys[k]
	if seen && !t.Before(s.expire(last)) {
		seen = false // expired: as if never seen
	}
	if !seen && len(s.keys) >= s.sweepAt {
		s.sweep(t)
	}
	if !seen && len(s.keys) >= MaxKeys {
		if _, ok := s.keys[k]; !ok {
			return full
		}
	}
	next, ok := decide(last, seen, t)
	s.keys[k] = next
	if exp := s.expire(next); s.nextExp.IsZero() || exp.Before(s.nextExp) {
		s.nextExp = exp
	}
	if ok {
		return passed
	}
	return refused
}

// sweep forgets expired keys. It is skipped while no key can have
// expired, so a flood of live keys does not make every event walk the
// map. s.mu is held.
func (s *keySet) sweep(t time.Time) {
	if !s.nextExp.IsZero() && t.Before(s.nextExp) {
		s.sweepAt = max(64, min(2*len(s.keys), MaxKeys))
		return
	}
	var next time.Time
	for k, v := range s.keys {
		exp := s.expire(v)
		if !t.Before(exp) {
			delete(s.keys, k)
		} else if next.IsZero() || exp.Before(next) {
			next = exp
		}
	}
	s.nextExp = next
	s.sweepAt = max(64, min(2*len(s.keys), MaxKeys))
}
