package store

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/events"
)

// Defaults of QueueOptions.
const (
	DefaultQueueSize = 4096
	DefaultBatch     = 512
)

// QueueOptions configure a Queue. The zero QueueOptions are the defaults.
type QueueOptions struct {
	// Size is how many events and reports may wait to be written;
	// default DefaultQueueSize. What does not fit is dropped.
	Size int
	// Batch is the most events (and, apart, reports) written in one
	// transaction; default DefaultBatch.
	Batch int
	// OnError receives write errors; default: logged with log/slog.
	OnError func(error)
}

// QueueStats count what went through a Queue.
type QueueStats struct {
	// Written counts events and reports the Writer accepted.
	Written uint64
	// Failed counts those lost to a write error.
	Failed uint64
	// Dropped counts those never queued: the queue was full or closed,
	// or an event's severity was invalid.
	Dropped uint64
}

// ErrQueueFull is returned by Queue.AddEvents and Queue.AddReports when
// something was dropped because the queue was full.
var ErrQueueFull = errors.New("store: queue full")

// Queue writes events and reports to a Writer (a Store) from one
// goroutine, without ever blocking its callers: they go into a bounded
// queue, and the goroutine writes whatever has accumulated in one
// transaction (one fsync) per kind, so a burst costs a few fsyncs rather
// than one each. What does not fit is dropped and counted. Its Event
// method is an events.Sink, and its AddReports serves the reports
// handler.
type Queue struct {
	w       Writer
	batch   int
	onError func(error)

	mu     sync.RWMutex // held shared to send, exclusively to close ch
	closed bool
	ch     chan entry
	done   chan struct{}

	written, failed, dropped atomic.Uint64
}

// entry is one queued item: an event, a report, or a flush marker.
type entry struct {
	report bool
	e      events.Event
	r      Report
	flush  chan struct{}
}

var _ Writer = (*Queue)(nil)

// NewQueue starts a Queue writing to w. Close it to write what is queued
// and stop; it does not close w.
func NewQueue(w Writer, o QueueOptions) *Queue {
	if o.Size <= 0 {
		o.Size = DefaultQueueSize
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Warn("store: write failed", "error", err) }
	}
	q := &Queue{w: w, batch: o.Batch, onError: o.OnError, ch: make(chan entry, o.Size), done: make(chan struct{})}
	go q.run()
	return q
}

// send queues x without blocking; false when it was dropped.
func (q *Queue) send(x entry) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if !q.closed {
		select {
		case q.ch <- x:
			return true
		default:
		}
	}
	q.dropped.Add(1)
	return false
}

// Event queues e; it is an events.Sink (bus.Subscribe(q.Event)). A zero
// Time is set to now.
func (q *Queue) Event(e events.Event) {
	if e.Severity < events.Info || e.Severity > events.Critical {
		q.dropped.Add(1) // it could not be stored (its JSON fails)
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	q.send(entry{e: e})
}

// AddEvents queues events; ErrQueueFull if any was dropped.
func (q *Queue) AddEvents(es ...events.Event) error {
	before := q.dropped.Load()
	for _, e := range es {
		q.Event(e)
	}
	if q.dropped.Load() != before {
		return ErrQueueFull
	}
	return nil
}

// AddReports queues reports; ErrQueueFull if any was dropped. A zero
// Time is set to now.
func (q *Queue) AddReports(rs ...Report) error {
	var err error
	for _, r := range rs {
		if r.Time.IsZero() {
			r.Time = time.Now()
		}
		if !q.send(entry{report: true, r: r}) {
			err = ErrQueueFull
		}
	}
	return err
}

// Flush waits until everything queued before it has been written (or
// failed). It returns at once on a closed Queue.
func (q *Queue) Flush() {
	c := make(chan struct{})
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return
	}
	q.ch <- entry{flush: c} // blocks while the queue is full: it drains
	q.mu.RUnlock()
	<-c
}

// Stats returns the counts so far.
func (q *Queue) Stats() QueueStats {
	return QueueStats{Written: q.written.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load()}
}

// Close writes what is queued and stops the Queue; later events and
// reports are dropped. It does not close the Writer.
func (q *Queue) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	<-q.done
	return nil
}

func (q *Queue) run() {
	defer close(q.done)
	var (
		evs     []events.Event
		reps    []Report
		flushes []chan struct{}
	)
	add := func(x entry) {
		switch {
		case x.flush != nil:
			flushes = append(flushes, x.flush)
		case x.report:
			reps = append(reps, x.r)
		default:
			evs = append(evs, x.e)
		}
	}
	write := func() {
		for i := 0; i < len(evs); i += q.batch {
			part := evs[i:min(i+q.batch, len(evs))]
			q.count(q.w.AddEvents(part...), len(part))
		}
		for i := 0; i < len(reps); i += q.batch {
			part := reps[i:min(i+q.batch, len(reps))]
			q.count(q.w.AddReports(part...), len(part))
		}
		for _, c := range flushes {
			close(c)
		}
		evs, reps, flushes = evs[:0], reps[:0], flushes[:0]
	}
	for x := range q.ch {
		add(x)
	drain:
		for len(evs) < q.batch && len(reps) < q.batch {
			select {
			case x, ok := <-q.ch:
				if !ok {
					break drain
				}
				add(x)
			default:
				break drain
			}
		}
		write()
	}
}

func (q *Queue) count(err error, n int) {
	if err != nil {
		q.failed.Add(uint64(n))
		q.onError(err)
		return
	}
	q.written.Add(uint64(n))
}
