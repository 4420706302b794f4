package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/events"
)

// Defaults of QueueOptions.
const (
	DefaultQueueSize  = 4096
	DefaultBatch      = 512
	DefaultBacklog    = 65536
	DefaultBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// QueueOptions configure a Queue. The zero QueueOptions are the defaults.
type QueueOptions struct {
	// Size is how many events and reports may wait to be written;
	// default DefaultQueueSize. What does not fit is dropped.
	Size int
	// Batch is the most events (and, apart, reports) written in one
	// transaction; default DefaultBatch.
	Batch int
	// OnError receives write errors: each failed write, and for an
	// outage (an error matching ErrUnavailable) its first failure only;
	// default: logged with log/slog.
	OnError func(error)

	// Backlog bounds the events and reports held while the Writer is
	// unavailable (its error matches ErrUnavailable: a shared store that
	// is down); default DefaultBacklog. What arrives while it is full is
	// dropped and counted.
	Backlog int
	// Backoff is the delay before the first retry of an unavailable
	// Writer, doubled at each further one (with jitter: each delay is
	// between half and all of it), at most MaxBackoff; defaults
	// DefaultBackoff and DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// After is the retries' clock; default time.After.
	After func(time.Duration) <-chan time.Time
	// OnRecover is called when the Writer takes writes again after an
	// outage, with how many records were held and how many retries it
	// took; default: logged with log/slog.
	OnRecover func(held int, retries int)
}

// QueueStats count what went through a Queue.
type QueueStats struct {
	// Written counts events and reports the Writer accepted.
	Written uint64
	// Failed counts those lost to a write error (or still held when the
	// Queue was closed during an outage).
	Failed uint64
	// Dropped counts those never queued: the queue or the backlog was
	// full, the Queue closed, or an event's severity was invalid.
	Dropped uint64
	// Held is how many are held now, waiting for an unavailable Writer.
	Held uint64
	// Retries counts the attempts to write again to an unavailable
	// Writer.
	Retries uint64
}

// ErrQueueFull is returned by Queue.AddEvents, Queue.AddReports and
// Queue.AddAudit when something was dropped because the queue was full.
var ErrQueueFull = errors.New("store: queue full")

// ErrNoAudits is returned by Queue.AddAudit when the Queue's Writer keeps
// no audits (it has no AddAudit method).
var ErrNoAudits = errors.New("store: the queue's writer keeps no audits")

// AuditWriter is a Writer that keeps audits too, as every Store does.
// A Queue in front of one queues audits with the rest.
type AuditWriter interface {
	AddAudit(a AuditRecord) error
}

// Queue writes events and reports (and audits, when the Writer keeps
// them: AuditWriter) to a Writer (a Store) from one
// goroutine, without ever blocking its callers: they go into a bounded
// queue, and the goroutine writes whatever has accumulated in one
// transaction (one fsync) per kind, so a burst costs a few fsyncs rather
// than one each. What does not fit is dropped and counted. Its Event
// method is an events.Sink, and its AddReports serves the reports
// handler.
//
// When a write fails with an error matching ErrUnavailable (a shared
// store that is down), the Queue keeps the records, in order, in a
// backlog of at most Backlog, keeps taking new ones into it (dropping
// and counting what does not fit), and tries again after Backoff,
// doubled at each failure up to MaxBackoff; the first write that
// succeeds writes the whole backlog. Any other error loses the batch
// (counted as Failed).
type Queue struct {
	w       Writer
	aw      AuditWriter // w, when it keeps audits; nil otherwise
	batch   int
	onError func(error)

	backlog             int
	backoff, maxBackoff time.Duration
	after               func(time.Duration) <-chan time.Time
	onRecover           func(held, retries int)

	mu     sync.RWMutex // held shared to send, exclusively to close ch
	closed bool
	ch     chan entry
	done   chan struct{}

	written, failed, dropped, held, retries atomic.Uint64
	closeErr                                error // set by run before done closes
}

// entry is one queued item: an event, a report, an audit, or a flush
// marker.
type entry struct {
	report bool
	e      events.Event
	r      Report
	audit  *AuditRecord
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
	if o.Backlog <= 0 {
		o.Backlog = DefaultBacklog
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.OnRecover == nil {
		o.OnRecover = func(held, retries int) {
			slog.Info("store: writing again after an outage", "held", held, "retries", retries)
		}
	}
	q := &Queue{w: w, batch: o.Batch, onError: o.OnError, ch: make(chan entry, o.Size), done: make(chan struct{}),
		backlog: o.Backlog, backoff: o.Backoff, maxBackoff: o.MaxBackoff, after: o.After, onRecover: o.OnRecover}
	q.aw, _ = w.(AuditWriter)
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

// AddAudit queues a's result; ErrQueueFull if it was dropped, ErrNoAudits
// if the Writer keeps none. An audit written while the Writer is
// unavailable is held and written with the rest when it returns.
func (q *Queue) AddAudit(a AuditRecord) error {
	if q.aw == nil {
		return ErrNoAudits
	}
	if !q.send(entry{audit: &a}) {
		return ErrQueueFull
	}
	return nil
}

// Flush waits until everything queued before it has been written,
// failed, or — the Writer unavailable — is held in the backlog. It
// returns at once on a closed Queue.
func (q *Queue) Flush() { q.FlushContext(context.Background()) }

// FlushContext is Flush, given up when ctx ends (a shutdown need not wait
// for a slow store); it returns ctx's error then.
func (q *Queue) FlushContext(ctx context.Context) error {
	c := make(chan struct{})
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return nil
	}
	select {
	case q.ch <- entry{flush: c}: // waits while the queue is full: it drains
	case <-ctx.Done():
		q.mu.RUnlock()
		return ctx.Err()
	}
	q.mu.RUnlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counts so far.
func (q *Queue) Stats() QueueStats {
	return QueueStats{Written: q.written.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load(),
		Held: q.held.Load(), Retries: q.retries.Load()}
}

// Close writes what is queued and stops the Queue; later events and
// reports are dropped. It does not close the Writer. When the Writer is
// unavailable, Close tries once more and counts what it could not write
// as Failed; its error says how many.
func (q *Queue) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	<-q.done
	return q.closeErr
}

// run is the writing goroutine. While the Writer is up, it takes what
// has accumulated (up to a batch of each kind) and writes it; while it
// is unavailable (down), it holds what arrives in the backlog and tries
// again when the backoff's timer fires.
func (q *Queue) run() {
	defer close(q.done)
	var (
		evs     []events.Event
		reps    []Report
		auds    []AuditRecord
		flushes []chan struct{}
		down    bool
		retries int
		lastErr error
		retry   <-chan time.Time
	)
	held := func() int { return len(evs) + len(reps) + len(auds) }
	add := func(x entry) {
		switch {
		case x.flush != nil:
			flushes = append(flushes, x.flush)
		case down && held() >= q.backlog && x.audit == nil:
			q.dropped.Add(1)
		case down && held() >= q.backlog:
			// An audit (one per site and run) takes the place of the
			// oldest event or report held rather than being dropped
			// (of the oldest audit when only audits are held).
			switch {
			case len(evs) > 0:
				evs = evs[1:]
			case len(reps) > 0:
				reps = reps[1:]
			default:
				auds = auds[1:]
			}
			q.dropped.Add(1)
			auds = append(auds, *x.audit)
		case x.report:
			reps = append(reps, x.r)
		case x.audit != nil:
			auds = append(auds, *x.audit)
		default:
			evs = append(evs, x.e)
		}
	}
	// write writes what is held, a batch at a time; it stops at the first
	// write that finds the Writer unavailable, keeping the rest.
	write := func() {
		before, ok := held(), true
		for ok && len(evs) > 0 {
			part := evs[:min(q.batch, len(evs))]
			if ok, lastErr = q.try(q.w.AddEvents(part...), len(part)); ok {
				evs = evs[len(part):]
			}
		}
		for ok && len(reps) > 0 {
			part := reps[:min(q.batch, len(reps))]
			if ok, lastErr = q.try(q.w.AddReports(part...), len(part)); ok {
				reps = reps[len(part):]
			}
		}
		for ok && len(auds) > 0 {
			if ok, lastErr = q.try(q.aw.AddAudit(auds[0]), 1); ok {
				auds = auds[1:]
			}
		}
		switch {
		case ok && down:
			q.onRecover(before, retries)
			down, retries, retry = false, 0, nil
		case !ok:
			if !down {
				q.onError(lastErr) // once per outage: the retries are silent
			}
			down = true
			// Taken in one go before the failure, more than the backlog
			// holds: the newest go, audits (one per site and run) last.
			for held() > q.backlog {
				switch {
				case len(reps) > 0:
					reps = reps[:len(reps)-1]
				case len(evs) > 0:
					evs = evs[:len(evs)-1]
				default:
					auds = auds[:len(auds)-1]
				}
				q.dropped.Add(1)
			}
			retries++
			retry = q.after(q.delay(retries))
		}
		if len(evs) == 0 {
			evs = nil // a drained backlog's array is not kept
		}
		if len(reps) == 0 {
			reps = nil
		}
		if len(auds) == 0 {
			auds = nil
		}
		q.held.Store(uint64(held()))
		for _, c := range flushes {
			close(c)
		}
		flushes = flushes[:0]
	}
	for {
		var x entry
		var open bool
		if down {
			select {
			case x, open = <-q.ch:
			case <-retry:
				q.retries.Add(1)
				write()
				continue
			}
		} else {
			x, open = <-q.ch
		}
		if !open {
			break
		}
		add(x)
	drain:
		for n := 0; n < cap(q.ch) && (down || (len(evs) < q.batch && len(reps) < q.batch)); n++ {
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
		if down {
			q.held.Store(uint64(held()))
			for _, c := range flushes {
				close(c)
			}
			flushes = flushes[:0]
			continue
		}
		write()
	}
	// Closed: what is held gets one more try.
	if held() > 0 {
		write()
	}
	if n := held(); n > 0 {
		q.failed.Add(uint64(n))
		q.held.Store(0)
		q.closeErr = fmt.Errorf("store: %d events, reports and audits not written at close: %w", n, lastErr)
		q.onError(q.closeErr)
	}
}

// delay is the backoff before retry n (1, 2…): Backoff doubled n-1
// times, at most MaxBackoff, then a random point between half of it and
// all of it, so that instances that lost the same store do not retry in
// step.
func (q *Queue) delay(n int) time.Duration {
	d := q.maxBackoff
	if n < 31 {
		d = min(q.backoff<<(n-1), q.maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// try counts the outcome of writing n records: written, or lost to a
// write error. It returns false, counting nothing, when the Writer was
// unavailable: the records are kept for a retry.
func (q *Queue) try(err error, n int) (bool, error) {
	if errors.Is(err, ErrUnavailable) {
		return false, err
	}
	q.count(err, n)
	return true, err
}
func (q *Queue) count(err error, n int) {
	if err != nil {
		q.failed.Add(uint64(n))
		q.onError(err)
		return
	}
	q.written.Add(uint64(n))
}
