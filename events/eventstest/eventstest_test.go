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
	if got := r.Take(); len(got) != 10 || got[0].Type != events.HostRejected {
		t.Fatalf("Take: %v", got)
	}
	if r.Len() != 0 || r.Take() != nil {
		t.Errorf("events left after Take")
	}
}
