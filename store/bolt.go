package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
)

// Defaults of Options.
const (
	DefaultRetention     = 30 * 24 * time.Hour
	DefaultMaxBytes      = 256 << 20
	DefaultSweepInterval = 10 * time.Minute
)

// Options configure a Bolt store. The zero Options are the defaults.
type Options struct {
	// Retention is how long events, audits and aggregates (by their last
	// report) are kept. Default DefaultRetention (30 days); negative keeps them
	// until the size bound needs the room.
	Retention time.Duration
	// MaxBytes bounds the file: when the pages in use pass nine tenths
	// of it, the oldest events and aggregates are deleted down to three
	// quarters, and a file grown past it is compacted. Default
	// DefaultMaxBytes (256 MiB); negative means no bound.
	MaxBytes int64
	// SweepInterval is how often retention and the size bound are
	// applied in the background (writes that fill the file start a sweep
	// sooner). Default DefaultSweepInterval; negative: no background
	// sweep (call Sweep).
	SweepInterval time.Duration
	// Now is the clock retention is measured with; default time.Now.
	Now func() time.Time
	// OnError receives the errors of background sweeps; default: logged
	// with log/slog.
	OnError func(error)
}

func (o Options) withDefaults() Options {
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Warn("store: sweep failed", "error", err) }
	}
	return o
}

// Bolt is a Store in one bbolt file: a B+tree with copy-on-write pages
// and two alternating meta pages, so that a crash at any point leaves the
// last committed transaction intact. Every write is one transaction,
// fsynced before it returns; Queue batches many events into one.
type Bolt struct {
	path string
	o    Options

	// mu is held shared by every operation and exclusively to swap the
	// file (Compact) or close it.
	mu          sync.RWMutex
	db          *bolt.DB
	lastCompact int64 // file size after the last compaction

	sweepMu sync.Mutex // one Sweep at a time
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

var _ Store = (*Bolt)(nil)

// compactSuffix names the file a compaction writes before renaming it
// over the store.
const compactSuffix = ".compact"

// Open opens (creating it and the directory if needed) the store of the
// data directory d, at d.Store().
func Open(d datadir.Dir, o Options) (*Bolt, error) {
	if err := os.MkdirAll(d.String(), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return OpenFile(d.Store(), o)
}

// OpenFile opens (creating it if needed) the store in the file at path.
// Only one process may have it open; another waits a few seconds, then
// fails.
func OpenFile(path string, o Options) (*Bolt, error) {
	o = o.withDefaults()
	// A compaction a crash interrupted: the store itself is intact.
	if err := os.Remove(path + compactSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := openDB(path, o)
	if err != nil {
		return nil, err
	}
	b := &Bolt{path: path, o: o, db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if o.SweepInterval > 0 && (o.Retention > 0 || o.MaxBytes > 0) {
		b.kick <- struct{}{} // a first sweep at once: time passed while the store was closed
		go b.sweeper()
	} else {
		close(b.done)
	}
	return b, nil
}

func openDB(path string, o Options) (*bolt.DB, error) {
	// No bbolt MaxSize: a file at that limit cannot even delete (deleting
	// writes pages too). Writes that fill the file start a sweep instead.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch v := meta.Get(keyVersion); {
		case v == nil:
			if err := meta.Put(keyVersion, []byte{formatVersion}); err != nil {
				return err
			}
		case len(v) != 1 || v[0] > formatVersion:
			return fmt.Errorf("format %v is newer than this portcullis reads (%d)", v, formatVersion)
		}
		for _, name := range [][]byte{bucketEvents, bucketReports, bucketLast, bucketAudits} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return db, nil
}

// Path is the store's file.
func (b *Bolt) Path() string { return b.path }

// view and update run fn on the open database.
func (b *Bolt) view(fn func(*bolt.Tx) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.db == nil {
		return ErrClosed
	}
	return b.db.View(fn)
}

func (b *Bolt) update(fn func(*bolt.Tx) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.db == nil {
		return ErrClosed
	}
	var size int64
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		size = tx.Size()
		return nil
	})
	// Past nine tenths of MaxBytes in the file's high-water mark, the
	// sweep decides: it deletes when the pages in use are too many, and
	// compacts a file grown past MaxBytes. Writes during a sweep can grow
	// the file while the pages in use stay low, and nothing else would
	// shrink it before the next tick. A kick already pending is enough.
	if err == nil && b.o.MaxBytes > 0 && size > b.o.MaxBytes*9/10 {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return err
}

// AddEvents stores events in one transaction, durable when it returns.
func (b *Bolt) AddEvents(es ...events.Event) error {
	if len(es) == 0 {
		return nil
	}
	now := b.o.Now()
	vals := make([][]byte, len(es))
	times := make([]time.Time, len(es))
	for i, e := range es {
		if e.Time.IsZero() {
			e.Time = now
		}
		v, err := encodeEvent(e)
		if err != nil {
			return fmt.Errorf("store: event %d (%s): %w", i+1, e.Type, err)
		}
		vals[i], times[i] = v, e.Time
	}
	return b.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEvents)
		bk.FillPercent = 0.9 // keys mostly arrive in order: pack the pages
		for i, v := range vals {
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			if err := bk.Put(eventKey(times[i], seq), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Events returns the events matching q, newest first.
func (b *Bolt) Events(q Query) ([]events.Event, error) {
	n := EffectiveLimit(q.Limit)
	var out []events.Event
	err := b.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		k, v := newestBefore(c, q.Until)
		since := nanos(q.Since)
		for ; k != nil && len(out) < n; k, v = c.Prev() {
			if len(k) != 16 {
				return errCorrupt
			}
			if binary.BigEndian.Uint64(k) < since {
				break
			}
			sev, typ, site, js, err := eventHeader(v)
			if err != nil {
				return err
			}
			if sev < q.MinSeverity || (q.Site != "" && site != q.Site) || !q.matchType(typ) {
				continue
			}
			var e events.Event
			if err := json.Unmarshal(js, &e); err != nil {
				return fmt.Errorf("store: event %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// newestBefore positions c, on a bucket keyed by time, at the newest key
// before until (the last key when until is zero).
func newestBefore(c *bolt.Cursor, until time.Time) (k, v []byte) {
	if until.IsZero() {
		return c.Last()
	}
	if k, _ = c.Seek(timeKey(until)); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// AddAudit stores an audit's result, clipped by Normalize, durable when
// it returns.
func (b *Bolt) AddAudit(a AuditRecord) error {
	a = a.Normalize(b.o.Now())
	v, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("store: audit of %q: %w", a.Site, err)
	}
	return b.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketAudits)
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		return bk.Put(eventKey(a.Time, seq), v)
	})
}

// Audits returns the audits matching q, newest first.
func (b *Bolt) Audits(q AuditQuery) ([]AuditRecord, error) {
	n := EffectiveLimit(q.Limit)
	var out []AuditRecord
	err := b.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudits).Cursor()
		since := nanos(q.Since)
		for k, v := newestBefore(c, q.Until); k != nil && len(out) < n; k, v = c.Prev() {
			if len(k) != 16 {
				return errCorrupt
			}
			if binary.BigEndian.Uint64(k) < since {
				break
			}
			site, js, err := auditHeader(v)
			if err != nil {
				return err
			}
			if q.Site != "" && site != q.Site {
				continue
			}
			var a AuditRecord
			if err := json.Unmarshal(js, &a); err != nil {
				return fmt.Errorf("store: audit %x: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// AddReports counts reports into their aggregates, in one transaction.
func (b *Bolt) AddReports(rs ...Report) error {
	if len(rs) == 0 {
		return nil
	}
	now := b.o.Now()
	return b.update(func(tx *bolt.Tx) error {
		reports, last := tx.Bucket(bucketReports), tx.Bucket(bucketLast)
		for _, r := range rs {
			r = r.Normalize(now)
			k, t := aggKey(r), nanos(r.Time)
			var a aggValue
			if v := reports.Get(k); v != nil {
				if err := json.Unmarshal(v, &a); err != nil {
					return fmt.Errorf("store: aggregate %q: %w", k, err)
				}
				if err := last.Delete(lastKey(a.Last, k)); err != nil {
					return err
				}
			} else {
				a.First, a.Last = t, t
			}
			if a.Count < ^uint64(0) {
				a.Count++
			}
			a.First = min(a.First, t)
			if t >= a.Last {
				a.Last, a.Disposition, a.Sample, a.Source = t, r.Disposition, r.Sample, r.Source
			}
			v, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if err := reports.Put(k, v); err != nil {
				return err
			}
			if err := last.Put(lastKey(a.Last, k), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func lastKey(t uint64, k []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(k)), t), k...)
}

// Reports returns the aggregates matching q, most recently seen first.
func (b *Bolt) Reports(q ReportQuery) ([]Aggregate, error) {
	n := EffectiveLimit(q.Limit)
	var out []Aggregate
	err := b.view(func(tx *bolt.Tx) error {
		reports := tx.Bucket(bucketReports)
		c := tx.Bucket(bucketLast).Cursor()
		since := nanos(q.Since)
		for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
			if len(k) < 8 {
				return errCorrupt
			}
			if binary.BigEndian.Uint64(k) < since {
				break
			}
			var a Aggregate
			if !parseAggKey(k[8:], &a) {
				return errCorrupt
			}
			if (q.Site != "" && a.Site != q.Site) || (q.Type != "" && a.Type != q.Type) {
				continue
			}
			var v aggValue
			if err := json.Unmarshal(reports.Get(k[8:]), &v); err != nil {
				return fmt.Errorf("store: aggregate %q: %w", k[8:], err)
			}
			a.Count, a.First, a.Last = v.Count, fromNanos(v.First), fromNanos(v.Last)
			a.Disposition, a.Sample, a.Source = v.Disposition, v.Sample, v.Source
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// sweepChunk bounds the deletions of one transaction, so that a sweep
// never holds the writer long.
const sweepChunk = 20000

// Sweep applies retention and the size bound now: events, audits and
// aggregates older than Retention are deleted; when the pages in use pass
// nine tenths of MaxBytes, the oldest of them (merged by time) are
// deleted down to three quarters; a file grown past MaxBytes is then
// compacted. The background sweep calls it every SweepInterval.
func (b *Bolt) Sweep() error {
	b.sweepMu.Lock()
	defer b.sweepMu.Unlock()
	if b.o.Retention > 0 {
		cutoff := nanos(b.o.Now().Add(-b.o.Retention))
		for {
			n, err := b.evict(func(t uint64, _ int64) bool { return t < cutoff })
			if err != nil {
				return err
			}
			if n < sweepChunk {
				break
			}
		}
	}
	if b.o.MaxBytes <= 0 {
		return nil
	}
	used, file, err := b.Usage()
	if err != nil {
		return err
	}
	if used > b.o.MaxBytes*9/10 {
		low := b.o.MaxBytes * 3 / 4
		for round := 0; used > low && round < 64; round++ {
			// Records take more room in pages than their bytes (headers,
			// half-full pages), so deleting the excess in record bytes
			// would overshoot: delete half of it, measure, repeat.
			excess := (used - low) / 2
			n, err := b.evict(func(_ uint64, freed int64) bool { return freed < excess })
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			if used, file, err = b.Usage(); err != nil {
				return err
			}
		}
	}
	b.mu.RLock()
	last := b.lastCompact
	b.mu.RUnlock()
	// Only when compacting can help: a file that compacted to more than
	// MaxBytes (bbolt rounds small files up to a power of two) is not
	// compacted again until it grows.
	if file > b.o.MaxBytes && file > last {
		return b.Compact()
	}
	return nil
}

// elementOverhead approximates what bbolt adds to each key/value pair in
// a leaf page.
const elementOverhead = 16

// evict deletes, oldest first and merging events, audits and aggregates
// (by their last report), while more(time, bytes freed so far) holds, at
// most sweepChunk records in one transaction. It returns how many it
// deleted.
func (b *Bolt) evict(more func(t uint64, freed int64) bool) (int, error) {
	n := 0
	err := b.update(func(tx *bolt.Tx) error {
		n = 0
		reports := tx.Bucket(bucketReports)
		// The buckets keyed by time, each walked oldest first; size is
		// what deleting a record frees.
		type walk struct {
			bk   *bolt.Bucket
			c    *bolt.Cursor
			k, v []byte
			del  [][]byte
			size func(k, v []byte) int64
		}
		record := func(k, v []byte) int64 { return int64(len(k) + len(v) + elementOverhead) }
		walks := []*walk{
			{bk: tx.Bucket(bucketEvents), size: record},
			{bk: tx.Bucket(bucketAudits), size: record},
			{bk: tx.Bucket(bucketLast), size: func(k, _ []byte) int64 {
				return int64(2*len(k) + len(reports.Get(k[8:])) + 2*elementOverhead)
			}},
		}
		for _, w := range walks {
			w.c = w.bk.Cursor()
			w.k, w.v = w.c.First()
		}
		var freed int64
		for deleted := 0; deleted < sweepChunk; deleted++ {
			var oldest *walk
			for _, w := range walks {
				if w.k == nil {
					continue
				}
				if len(w.k) < 8 {
					return errCorrupt
				}
				if oldest == nil || bytes.Compare(w.k[:8], oldest.k[:8]) < 0 {
					oldest = w
				}
			}
			if oldest == nil || !more(binary.BigEndian.Uint64(oldest.k), freed) {
				break
			}
			oldest.del = append(oldest.del, bytes.Clone(oldest.k))
			freed += oldest.size(oldest.k, oldest.v)
			oldest.k, oldest.v = oldest.c.Next()
		}
		// Deleted after the walk: deleting under a cursor can skip keys.
		for i, w := range walks {
			for _, k := range w.del {
				if i == len(walks)-1 { // reports.last: the aggregate too
					if err := reports.Delete(k[8:]); err != nil {
						return err
					}
				}
				if err := w.bk.Delete(k); err != nil {
					return err
				}
			}
			n += len(w.del)
		}
		return nil
	})
	return n, err
}

// Usage returns the bytes of the pages in use and the file's size. The
// pages in use include bbolt's own (meta, freelist, branches); freed pages
// are reused before the file grows.
func (b *Bolt) Usage() (used, file int64, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.db == nil {
		return 0, 0, ErrClosed
	}
	var hw int64
	if err := b.db.View(func(tx *bolt.Tx) error { hw = tx.Size(); return nil }); err != nil {
		return 0, 0, err
	}
	fi, err := os.Stat(b.path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: %w", err)
	}
	return hw - int64(b.db.Stats().FreeAlloc), fi.Size(), nil
}

// Compact rewrites the store into a new file with full pages and no free
// ones, fsyncs it and renames it over the old one: bbolt files never
// shrink by deletion. A crash before the rename leaves the old file, and
// OpenFile removes the partial one. Operations wait while it runs.
func (b *Bolt) Compact() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == nil {
		return ErrClosed
	}
	tmp := b.path + compactSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: compact: %w", err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true})
	if err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}
	err = bolt.Compact(dst, b.db, 8<<20)
	if err == nil {
		err = dst.Sync() // NoSync above: one fsync for the whole copy
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	if err := b.db.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	b.db = nil
	renameErr := os.Rename(tmp, b.path)
	if renameErr != nil {
		os.Remove(tmp)
	} else {
		syncDir(filepath.Dir(b.path))
	}
	db, err := openDB(b.path, b.o)
	if err != nil {
		return err // the store stays closed: every call fails with ErrClosed
	}
	b.db = db
	if renameErr != nil {
		return fmt.Errorf("store: compact: %w", renameErr)
	}
	if fi, err := os.Stat(b.path); err == nil {
		b.lastCompact = fi.Size()
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Check runs bbolt's consistency check (every page reachable or free,
// none twice, keys in order) and returns what it found.
func (b *Bolt) Check() error {
	return b.view(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func (b *Bolt) sweeper() {
	defer close(b.done)
	t := time.NewTicker(b.o.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		if err := b.Sweep(); err != nil && !errors.Is(err, ErrClosed) {
			b.o.OnError(err)
		}
	}
}

// Close stops the background sweep and closes the file.
func (b *Bolt) Close() error {
	b.mu.Lock()
	if b.db == nil {
		b.mu.Unlock()
		return ErrClosed
	}
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.mu.Unlock()
	<-b.done // a sweep in progress finishes first
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == nil {
		return ErrClosed
	}
	err := b.db.Close()
	b.db = nil
	return err
}
