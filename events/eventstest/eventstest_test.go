package eventstest

import (
	"sync"
	"testing"

	"github.com/portcullis/portcullis/events"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { r.Sink(events.Event{Type: events.HostRejected}) })
	}
	wg.Wait()
	if r.Len() != 10 || len(r.All()) != 10 {
		t.Fatalf("Len %d, All %d, want 10", r.Len(), len(r.All()))
	}
	r.Sink(events.Event{Type: events.CrossOriginBlocked})
	if r.Count(events.HostRejected) != 10 || r.Count(events.CrossOriginBlocked) != 1 || r.Count("none") != 0 {
		t.Fatalf("Count: %d host.rejected, %d crossorigin.blocked", r.Count(events.HostRejected), r.Count(events.CrossOriginBlocked))
	}
	if got := r.Take(); len(got) != 11 || got[0].Type != events.HostRejected {
		t.Fatalf("Take: %v", got)
	}
	if r.Len() != 0 || r.Take() != nil {
		t.Errorf("events left after Take")
	}
}
