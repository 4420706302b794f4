package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/store"
)

// The benchmarks write to a redis-server of their own on a unix socket,
// events sealed as in service:
//
//	go test -run '^$' -bench ClusterStore -benchtime 2s ./cluster/

var benchEvent = events.Event{Type: events.HostRejected, Severity: events.Low, Site: "app", Host: "evil.example",
	Path: "/wp-login.php", Client: "203.0.113.7", Method: "GET", Message: "host not served"}

func benchStore(b *testing.B) *EventStore {
	srv := redistest.Start(b)
	s := open(b, srv, Options{}).EventStore(store.Options{SweepInterval: -1, MaxBytes: -1})
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkClusterStoreAddEvent: one event per call, as a caller without
// a Queue would write: a round trip (MULTI, ZADD, INCRBY, EXEC) each.
func BenchmarkClusterStoreAddEvent(b *testing.B) {
	s := benchStore(b)
	start := time.Now()
	for b.Loop() {
		if err := s.AddEvents(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkClusterStoreQueue: events through a store.Queue, as the event
// bus delivers them in serve, from parallel goroutines; the Queue writes
// what accumulates in one call (up to 512 events). The producers wait for
// the queue to drain every so often, so that nothing is dropped and the
// figure is what is written.
func BenchmarkClusterStoreQueue(b *testing.B) {
	s := benchStore(b)
	q := store.NewQueue(s, store.QueueOptions{})
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			q.Event(benchEvent)
			if n++; n%(store.DefaultQueueSize/4) == 0 {
				q.Flush()
			}
		}
	})
	q.Close()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if st := q.Stats(); st.Dropped > 0 || st.Failed > 0 {
		b.Errorf("stats %+v: the figure counts dropped events", st)
	}
}

// BenchmarkClusterStoreAddReports: batches of 64 reports over 16
// aggregates, counted by one script call each.
func BenchmarkClusterStoreAddReports(b *testing.B) {
	s := benchStore(b)
	batch := make([]store.Report, 64)
	for i := range batch {
		batch[i] = store.Report{Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "inline",
			Document: fmt.Sprintf("/page/%d", i%16), Disposition: "enforce", Sample: "alert(1)"}
	}
	start := time.Now()
	for b.Loop() {
		if err := s.AddReports(batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/time.Since(start).Seconds(), "reports/s")
}
