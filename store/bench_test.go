package store

import (
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
)

// The benchmarks write to the test's temporary directory, so they measure
// the disk's fsync as much as the store:
//
//	go test -run '^$' -bench . -benchtime 2s ./store/

var benchEvent = events.Event{Type: events.HostRejected, Severity: events.Low, Site: "app", Host: "evil.example",
	Path: "/wp-login.php", Client: "203.0.113.7", Method: "GET", Message: "host not served"}

func reportRate(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkAddEvent: one event per transaction, as a caller without a
// Queue would write: one fsync each.
func BenchmarkAddEvent(b *testing.B) {
	s := open(b, Options{})
	start := time.Now()
	for b.Loop() {
		if err := s.AddEvents(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
}

// BenchmarkAddEventParallel: concurrent writers without a Queue: bbolt
// serialises them, one fsync each.
func BenchmarkAddEventParallel(b *testing.B) {
	s := open(b, Options{})
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.AddEvents(benchEvent); err != nil {
				b.Error(err)
			}
		}
	})
	reportRate(b, start)
}

// BenchmarkQueue: events through a Queue, as the bus delivers them, from
// parallel goroutines; the Queue writes what accumulates in one
// transaction. Every so often the producers wait for the queue to drain,
// so that nothing is dropped and the figure is what is written.
func BenchmarkQueue(b *testing.B) {
	s := open(b, Options{})
	q := NewQueue(s, QueueOptions{})
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			q.Event(benchEvent)
			if n++; n%(DefaultQueueSize/4) == 0 {
				q.Flush()
			}
		}
	})
	q.Close()
	reportRate(b, start)
	if st := q.Stats(); st.Dropped > 0 || st.Failed > 0 {
		b.Errorf("stats %+v: the figure counts dropped events", st)
	}
}
