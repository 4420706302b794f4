// Package eventstest provides a recording events.Sink for tests, as
// net/http/httptest provides a recording ResponseWriter.
package eventstest

import (
	"sync"

	"github.com/portcullis/portcullis/events"
)

// Recorder is an events.Sink (its Sink method) that keeps every event it
// is given. It is safe for concurrent use; the zero value is ready.
type Recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

// Sink records e.
func (r *Recorder) Sink(e events.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

// Take returns the events recorded since the last Take, and forgets them.
func (r *Recorder) Take() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.evs
	r.evs = nil
	return evs
}

// All returns a copy of the events recorded and not yet taken.
func (r *Recorder) All() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.evs...)
}

// Count is how many events of type typ were recorded and not yet taken.
func (r *Recorder) Count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// Len is how many events were recorded and not yet taken.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}
