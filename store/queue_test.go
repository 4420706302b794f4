package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// recorder is a Writer that records its calls; while gate is non-nil,
// each call waits for it.
type recorder struct {
	mu      sync.Mutex
	batches []int // sizes of the calls, events and reports alike
	events  []events.Event
	reports []Report
	gate    chan struct{}
	fail    error
	calls   atomic.Int32 // calls entered, before the gate
}

func (r *recorder) wait() {
	r.calls.Add(1)
	r.mu.Lock()
	g := r.gate
	r.mu.Unlock()
	if g != nil {
		<-g
	}
}

func (r *recorder) AddEvents(es ...events.Event) error {
	r.wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, len(es))
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, es...)
	return nil
}

func (r *recorder) AddReports(rs ...Report) error {
	r.wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, len(rs))
	r.reports = append(r.reports, rs...)
	return nil
}

// TestQueueBatches: what accumulates while the writer is busy is written
// in one call per kind, at most Batch at a time, in order.
func TestQueueBatches(t *testing.T) {
	w := &recorder{gate: make(chan struct{})}
	q := NewQueue(w, QueueOptions{Size: 100, Batch: 8})
	q.Event(events.Event{Type: "first", Severity: events.Info}) // taken at once; its write waits for the gate
	for i := range 20 {
		q.Event(events.Event{Type: "e", Severity: events.Low, Message: string(rune('a' + i))})
	}
	if err := q.AddReports(Report{Type: "r1"}, Report{Type: "r2"}); err != nil {
		t.Fatal(err)
	}
	close(w.gate)
	q.Flush()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if len(w.events) != 21 || len(w.reports) != 2 || w.events[1].Message != "a" || w.events[20].Message != "t" {
		t.Fatalf("written %d events, %d reports: %+v", len(w.events), len(w.reports), w.events)
	}
	for _, n := range w.batches {
		if n > 8 {
			t.Errorf("a batch of %d, over Batch", n)
		}
	}
	if len(w.batches) > 6 {
		t.Errorf("%d writes for 23 records: %v; want them batched", len(w.batches), w.batches)
	}
	if w.events[0].Time.IsZero() || w.reports[0].Time.IsZero() {
		t.Error("zero time not set")
	}
	if s := q.Stats(); s != (QueueStats{Written: 23}) {
		t.Errorf("Stats = %+v", s)
	}
}

// TestQueueFull: a full queue drops and counts, never blocks.
func TestQueueFull(t *testing.T) {
	w := &recorder{gate: make(chan struct{})}
	q := NewQueue(w, QueueOptions{Size: 4})
	q.Event(events.Event{Type: "e"})
	testutil.Eventually(t, 10*time.Second, "the writer busy", func() bool { return w.calls.Load() == 1 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 49 {
			q.Event(events.Event{Type: "e"})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Event blocked on a full queue")
	}
	if err := q.AddReports(Report{}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("AddReports on a full queue: %v", err)
	}
	if err := q.AddEvents(events.Event{}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("AddEvents on a full queue: %v", err)
	}
	close(w.gate)
	q.Close()
	s := q.Stats()
	if s != (QueueStats{Written: 5, Dropped: 47}) {
		t.Errorf("Stats = %+v, want 5 written (one, then the queue's 4), 47 dropped", s)
	}
}

// TestQueueErrors: a failed write is counted and reported; an event that
// cannot be stored is dropped at once; after Close everything is dropped.
func TestQueueErrors(t *testing.T) {
	w := &recorder{fail: errors.New("disk full")}
	var got []error
	var mu sync.Mutex
	q := NewQueue(w, QueueOptions{OnError: func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() }})
	q.Event(events.Event{Type: "e"})
	q.Event(events.Event{Type: "bad", Severity: events.Severity(-1)})
	q.Flush()
	q.Close()
	q.Event(events.Event{Type: "late"})
	if err := q.AddReports(Report{}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("AddReports after Close: %v", err)
	}
	q.Flush() // returns at once
	if s := q.Stats(); s != (QueueStats{Failed: 1, Dropped: 3}) {
		t.Errorf("Stats = %+v, want 1 failed, 3 dropped", s)
	}
	if len(got) != 1 || got[0].Error() != "disk full" {
		t.Errorf("OnError got %v", got)
	}
}

// TestQueueConcurrent: many goroutines, a real store (run with -race).
func TestQueueConcurrent(t *testing.T) {
	b := open(t, Options{})
	q := NewQueue(b, QueueOptions{Size: 10000})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				q.Event(events.Event{Type: "e", Severity: events.Info})
			}
			q.AddReports(Report{Site: "s", Type: "t"})
		})
	}
	wg.Wait()
	q.Close()
	got, _ := b.Events(Query{Limit: MaxLimit})
	aggs, _ := b.Reports(ReportQuery{})
	if len(got) != 1600 || len(aggs) != 1 || aggs[0].Count != 8 || q.Stats().Written != 1608 {
		t.Errorf("%d events, %+v, stats %+v; want 1600 events, 8 reports", len(got), aggs, q.Stats())
	}
}

// flaky is a Writer that is unavailable while down is set.
type flaky struct {
	mu     sync.Mutex
	down   bool
	events []events.Event
	tries  int
}

func (f *flaky) AddEvents(es ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if f.down {
		return fmt.Errorf("backend: %w", ErrUnavailable)
	}
	f.events = append(f.events, es...)
	return nil
}

func (f *flaky) AddReports(...Report) error { return nil }

func (f *flaky) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// TestQueueOutage: while the Writer is unavailable the Queue holds what
// arrives, up to Backlog, counting what it drops beyond; it retries
// after a backoff that doubles, jittered and capped; the first retry
// that succeeds writes everything held, in order; a store that stays
// down at Close loses what is held, counted as failed.
func TestQueueOutage(t *testing.T) {
	w := &flaky{down: true}
	var (
		mu      sync.Mutex
		delays  []time.Duration
		timers  []chan time.Time
		errs    []error
		resumed []int
	)
	after := func(d time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		mu.Lock()
		delays, timers = append(delays, d), append(timers, c)
		mu.Unlock()
		return c
	}
	fire := func() { // the latest retry's timer
		mu.Lock()
		c := timers[len(timers)-1]
		mu.Unlock()
		c <- time.Time{}
	}
	nTimers := func() int { mu.Lock(); defer mu.Unlock(); return len(timers) }
	q := NewQueue(w, QueueOptions{Backlog: 10, Backoff: time.Second, MaxBackoff: 4 * time.Second, After: after,
		OnError:   func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
		OnRecover: func(held, _ int) { mu.Lock(); resumed = append(resumed, held); mu.Unlock() }})
	for i := range 15 {
		q.Event(events.Event{Type: "e", Message: fmt.Sprint(i)})
		q.Flush() // one at a time: the first fails alone, the rest are held
	}
	if s := q.Stats(); s.Held != 10 || s.Dropped != 5 || s.Written != 0 || s.Failed != 0 {
		t.Fatalf("during the outage: %+v, want 10 held, 5 dropped", s)
	}
	for range 4 {
		n := nTimers()
		fire()
		testutil.Eventually(t, 10*time.Second, "the next retry scheduled", func() bool { return nTimers() > n })
	}
	mu.Lock()
	for i, d := range delays {
		want := min(time.Second<<i, 4*time.Second)
		if d < want/2 || d > want {
			t.Errorf("retry %d after %v, want between %v and %v", i+1, d, want/2, want)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrUnavailable) {
		t.Errorf("OnError got %v, want the outage's first failure only", errs)
	}
	mu.Unlock()
	w.set(false)
	fire()
	testutil.Eventually(t, 10*time.Second, "the backlog written", func() bool { return q.Stats().Written == 10 })
	q.Event(events.Event{Type: "e", Message: "after"})
	q.Flush()
	w.mu.Lock()
	var got []string
	for _, e := range w.events {
		got = append(got, e.Message)
	}
	w.mu.Unlock()
	if want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "after"}; !slices.Equal(got, want) {
		t.Errorf("written %v, want %v", got, want)
	}
	if s := q.Stats(); s.Held != 0 || s.Retries != 5 || s.Written != 11 {
		t.Errorf("after the outage: %+v", s)
	}
	mu.Lock()
	if !slices.Equal(resumed, []int{10}) {
		t.Errorf("OnRecover got %v, want [10]", resumed)
	}
	mu.Unlock()

	// Down again, and closed while down: one more try, the rest failed.
	w.set(true)
	q.Event(events.Event{Type: "e"})
	q.Event(events.Event{Type: "e"})
	q.Flush()
	err := q.Close()
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "2 events, reports and audits") {
		t.Errorf("Close during an outage: %v", err)
	}
	if s := q.Stats(); s.Failed != 2 || s.Held != 0 {
		t.Errorf("after Close: %+v, want the 2 held failed", s)
	}
}

// auditing is a flaky Writer that keeps audits too.
type auditing struct {
	flaky
	audits []AuditRecord
}

func (a *auditing) AddAudit(r AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		return fmt.Errorf("backend: %w", ErrUnavailable)
	}
	a.audits = append(a.audits, r)
	return nil
}

// TestQueueAudits: an audit goes through the queue like an event: held
// while the Writer is unavailable and written, after the events held
// before it, when it returns; a Writer that keeps no audits is refused.
func TestQueueAudits(t *testing.T) {
	if err := NewQueue(&flaky{}, QueueOptions{}).AddAudit(AuditRecord{Site: "a"}); !errors.Is(err, ErrNoAudits) {
		t.Errorf("AddAudit to a Writer without audits: %v, want ErrNoAudits", err)
	}
	w := &auditing{flaky: flaky{down: true}}
	retry := make(chan time.Time, 1)
	q := NewQueue(w, QueueOptions{After: func(time.Duration) <-chan time.Time { return retry }, OnError: func(error) {}})
	defer q.Close()
	q.Event(events.Event{Type: "e", Message: "before"})
	if err := q.AddAudit(AuditRecord{Site: "a", Grade: "A+"}); err != nil {
		t.Fatal(err)
	}
	q.Flush()
	if s := q.Stats(); s.Held != 2 || s.Written != 0 {
		t.Fatalf("during the outage: %+v, want the event and the audit held", s)
	}
	w.set(false)
	retry <- time.Time{}
	testutil.Eventually(t, 10*time.Second, "the audit written", func() bool { return q.Stats().Written == 2 })
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.events) != 1 || len(w.audits) != 1 || w.audits[0].Grade != "A+" {
		t.Errorf("written: events %v, audits %+v", w.events, w.audits)
	}
}

// blocked is a Writer whose writes wait until release is closed.
type blocked struct{ release chan struct{} }

func (b blocked) AddEvents(...events.Event) error { <-b.release; return nil }
func (b blocked) AddReports(...Report) error      { <-b.release; return nil }

// TestQueueFlushContext: a flush waiting behind a write that does not
// return gives up when its context ends, with the context's error.
func TestQueueFlushContext(t *testing.T) {
	w := blocked{release: make(chan struct{})}
	q := NewQueue(w, QueueOptions{})
	defer q.Close()
	defer close(w.release)
	q.Event(events.Event{Type: "e"})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := q.FlushContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FlushContext behind a stuck write: %v, want DeadlineExceeded", err)
	}
}

// TestQueueAuditsAtBacklog: while the backlog is full, an audit takes the
// place of the oldest event held instead of being dropped.
func TestQueueAuditsAtBacklog(t *testing.T) {
	w := &auditing{flaky: flaky{down: true}}
	retry := make(chan time.Time, 1)
	q := NewQueue(w, QueueOptions{Backlog: 3, After: func(time.Duration) <-chan time.Time { return retry }, OnError: func(error) {}})
	defer q.Close()
	for i := range 3 {
		q.Event(events.Event{Type: "e", Message: fmt.Sprint(i)})
		q.Flush()
	}
	if err := q.AddAudit(AuditRecord{Site: "a"}); err != nil {
		t.Fatal(err)
	}
	q.Flush()
	if s := q.Stats(); s.Held != 3 || s.Dropped != 1 {
		t.Fatalf("at the bound: %+v, want 3 held, 1 dropped", s)
	}
	w.set(false)
	retry <- time.Time{}
	testutil.Eventually(t, 10*time.Second, "the backlog written", func() bool { return q.Stats().Written == 3 })
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.audits) != 1 || len(w.events) != 2 || w.events[0].Message != "1" {
		t.Errorf("written: events %v, audits %v; want events 1 and 2, and the audit", w.events, w.audits)
	}
}
