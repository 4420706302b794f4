package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/store"
)

// EventStore is a store.Store on Redis, shared by every instance of the
// cluster: the events, browser report aggregates and self-audits that
// package store keeps in one bbolt file, queried the same way (the
// conformance suite store/storetest runs against both), with the same
// retention by age and a size bound. Get it with Client.EventStore.
//
// Redis keys, under the prefix P:
//
//	P:store:events         sorted set: one member per event, scored by its time (µs)
//	P:store:audits         sorted set: one member per audit, the same way
//	P:store:reports        sorted set: one member per aggregate (its name), scored by its last report (µs)
//	P:store:report:data    hash: name → the aggregate's fields and latest details, sealed
//	P:store:report:count   hash: name → reports counted (HINCRBY: instances add up)
//	P:store:report:first   hash: name → first report, Unix ns (19 digits)
//	P:store:report:last    hash: name → latest report, Unix ns (19 digits)
//	P:store:bytes          the bytes the records hold, as the size bound counts them
//
// An event or audit member is its time (Unix ns, 19 digits), a unique
// suffix, and the record's JSON sealed under the cluster key, so that
// members sort by time to the nanosecond and a Redis dump holds no client
// address, path or finding in the clear. An aggregate's name is a keyed
// hash (HMAC) of its site, type, directive, blocked origin and document,
// so that every instance counts a report into the same aggregate without
// Redis learning the document path. What remains in the clear: times,
// sizes and counts.
type EventStore struct {
	c     *Client
	o     store.Options
	id    string // this instance's part of member suffixes
	seq   atomic.Uint64
	names [8]string // Redis keys: see the key* constants

	mu     sync.RWMutex
	closed bool

	sweepMu sync.Mutex // one Sweep at a time in this process
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// Indexes of EventStore.names, in the order the sweep script takes them.
const (
	keyEvents = iota
	keyAudits
	keyReports
	keyReportData
	keyReportCount
	keyReportFirst
	keyReportLast
	keyBytes
)

// Size accounting: what a record costs against MaxBytes, beyond the bytes
// of its member or sealed value (Redis's own overhead per sorted-set
// member or hash field, approximately).
const (
	recordOverhead    = 64
	aggregateOverhead = 4 * recordOverhead // a member and three hash fields besides the data
)

// sweepChunk bounds what one sweep script deletes, so that no call holds
// Redis long; Sweep calls it until it is done.
const sweepChunk = 1000

var _ store.Store = (*EventStore)(nil)

// EventStore returns the event store on this client's Redis, with o's
// retention, size bound and sweep interval (store.Options; the defaults
// are package store's). Every instance that sweeps deletes the same
// records, so each may; with SweepInterval negative, none runs in the
// background (call Sweep). Close it before the Client.
func (c *Client) EventStore(o store.Options) *EventStore {
	if o.Retention == 0 {
		o.Retention = store.DefaultRetention
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = store.DefaultMaxBytes
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = store.DefaultSweepInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnError == nil {
		o.OnError = func(err error) { c.log.Warn("cluster: store sweep failed", "error", err) }
	}
	var id [4]byte
	rand.Read(id[:])
	s := &EventStore{c: c, o: o, id: fmt.Sprintf("%08x", binary.BigEndian.Uint32(id[:])),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	for i, n := range [...]string{"events", "audits", "reports", "report:data", "report:count", "report:first", "report:last", "bytes"} {
		s.names[i] = c.key("store", n)
	}
	if o.SweepInterval > 0 && (o.Retention > 0 || o.MaxBytes > 0) {
		s.kick <- struct{}{}
		go s.sweeper()
	} else {
		close(s.done)
	}
	return s
}

// begin returns a context for one call, or store.ErrClosed.
func (s *EventStore) begin() (context.Context, context.CancelFunc, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, nil, store.ErrClosed
	}
	ctx, cancel := s.c.bound(context.Background())
	return ctx, cancel, nil
}

// fail turns err into the package's errors as Client.fail does. The
// store's calls have no caller's context: only their own bound ends them,
// and a call that runs out of it found Redis unavailable (hung, paused,
// partitioned), which store.Queue must see as ErrUnavailable to hold its
// records and retry, rather than drop them as failed.
func (s *EventStore) fail(op string, err error) error {
	return s.c.fail(context.Background(), op, "", err)
}

// nanos is t in Unix nanoseconds, times before 1970 at 0 (as store.Bolt
// keeps them).
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Unix() < 0:
		return 0
	case t.Unix() >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// stamp is the 19-digit form of a time, which sorts as the time does.
func stamp(ns int64) string { return fmt.Sprintf("%019d", ns) }

// score is a sorted set score for ns: microseconds, exact in a float64.
func score(ns int64) float64 { return float64(ns / 1000) }

// scoreArg is the score bound for ns in a range query ("(" for
// exclusive).
func scoreArg(ns int64, exclusive bool) string {
	s := strconv.FormatInt(ns/1000, 10)
	if exclusive {
		return "(" + s
	}
	return s
}

// member seals value as a member of the sorted set kind, at time ns:
// stamp, a unique suffix, then the sealed value, bound to both.
func (s *EventStore) member(kind string, ns int64, value []byte) string {
	head := stamp(ns) + s.id + fmt.Sprintf("%08x", s.seq.Add(1)&0xffffffff)
	return head + string(s.c.seal.seal(kind+":"+head, value))
}

// memberHead is the length of a member's stamp and suffix.
const memberHead = 19 + 16

// openMember returns a member's time and opened value.
func (s *EventStore) openMember(kind, m string) (int64, []byte, error) {
	if len(m) < memberHead {
		return 0, nil, fmt.Errorf("cluster: store: malformed %s member", kind)
	}
	ns, err := strconv.ParseInt(m[:19], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: store: malformed %s member", kind)
	}
	v, err := s.c.seal.open(kind+":"+m[:memberHead], []byte(m[memberHead:]))
	return ns, v, err
}

// add writes members to the sorted set k and counts their bytes, in one
// transaction; it starts a sweep when the bytes pass nine tenths of
// MaxBytes.
func (s *EventStore) add(op string, k int, zs []redis.Z) error {
	ctx, cancel, err := s.begin()
	if err != nil {
		return err
	}
	defer cancel()
	var size int64
	for _, z := range zs {
		size += int64(len(z.Member.(string))) + recordOverhead
	}
	var total *redis.IntCmd
	_, err = s.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, s.names[k], zs...)
		total = p.IncrBy(ctx, s.names[keyBytes], size)
		return nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	s.filled(total.Val())
	return nil
}

// filled starts a background sweep when bytes pass nine tenths of
// MaxBytes.
func (s *EventStore) filled(bytes int64) {
	if s.o.MaxBytes > 0 && bytes > s.o.MaxBytes*9/10 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// AddEvents stores events, all or none. A zero Time is set to the
// store's clock.
func (s *EventStore) AddEvents(es ...events.Event) error {
	if len(es) == 0 {
		return nil
	}
	now := s.o.Now()
	zs := make([]redis.Z, len(es))
	for i, e := range es {
		if e.Time.IsZero() {
			e.Time = now
		}
		js, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("cluster: store: event %d (%s): %w", i+1, e.Type, err)
		}
		ns := nanos(e.Time)
		zs[i] = redis.Z{Score: score(ns), Member: s.member("store:events", ns, js)}
	}
	return s.add("add events", keyEvents, zs)
}

// AddAudit stores an audit's result, clipped by store.AuditRecord's
// Normalize.
func (s *EventStore) AddAudit(a store.AuditRecord) error {
	a = a.Normalize(s.o.Now())
	js, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("cluster: store: audit of %q: %w", a.Site, err)
	}
	ns := nanos(a.Time)
	return s.add("add audit", keyAudits, []redis.Z{{Score: score(ns), Member: s.member("store:audits", ns, js)}})
}

// scan walks the sorted set k newest first, from until (exclusive; zero:
// the newest) down to since (inclusive; zero: the oldest), a page of
// size members at a time, giving each member's time and opened value to
// fn until fn returns false.
func (s *EventStore) scan(op string, k int, since, until time.Time, page int, fn func(ns int64, v []byte) (bool, error)) error {
	ctx, cancel, err := s.begin()
	if err != nil {
		return err
	}
	defer cancel()
	kind := "store:" + [...]string{keyEvents: "events", keyAudits: "audits"}[k]
	lo, hi := "-inf", "+inf"
	var sinceNs, untilNs int64 = 0, math.MaxInt64
	if !since.IsZero() {
		sinceNs = nanos(since)
		lo = scoreArg(sinceNs, false)
	}
	if !until.IsZero() {
		untilNs = nanos(until)
		hi = scoreArg(untilNs, false)
	}
	last := "" // the oldest member seen: the next page starts at its score, skipping it and newer
	for {
		ms, err := s.c.rdb.ZRevRangeByScore(ctx, s.names[k], &redis.ZRangeBy{Min: lo, Max: hi, Count: int64(page)}).Result()
		if err != nil {
			return s.fail(op, err)
		}
		fresh := 0
		for _, m := range ms {
			if last != "" && m >= last {
				continue // seen: members sort by their stamp, as by time
			}
			fresh++
			last = m
			ns, v, err := s.openMember(kind, m)
			if err != nil {
				return err
			}
			if ns < sinceNs {
				return nil
			}
			if ns >= untilNs {
				continue
			}
			if more, err := fn(ns, v); err != nil || !more {
				return err
			}
		}
		if len(ms) < page {
			return nil
		}
		ns, _ := strconv.ParseInt(last[:19], 10, 64)
		// More than a page of members in one microsecond: step past it.
		hi = scoreArg(ns, fresh == 0)
	}
}

// eventsPage and auditsPage are how many members a query reads at once:
// audits can be large (a report of up to 512 KiB).
const (
	eventsPage = 500
	auditsPage = 16
)

// Events returns the events matching q, newest first.
func (s *EventStore) Events(q store.Query) ([]events.Event, error) {
	n := store.EffectiveLimit(q.Limit)
	var out []events.Event
	err := s.scan("events", keyEvents, q.Since, q.Until, min(eventsPage, max(n, 100)), func(_ int64, v []byte) (bool, error) {
		var e events.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return false, fmt.Errorf("cluster: store: event: %w", err)
		}
		if q.Match(e) {
			out = append(out, e)
		}
		return len(out) < n, nil
	})
	return out, err
}

// Audits returns the audits matching q, newest first.
func (s *EventStore) Audits(q store.AuditQuery) ([]store.AuditRecord, error) {
	n := store.EffectiveLimit(q.Limit)
	var out []store.AuditRecord
	err := s.scan("audits", keyAudits, q.Since, q.Until, auditsPage, func(_ int64, v []byte) (bool, error) {
		var a store.AuditRecord
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("cluster: store: audit: %w", err)
		}
		if q.Match(a) {
			out = append(out, a)
		}
		return len(out) < n, nil
	})
	return out, err
}

// aggregateData is what an aggregate's sealed data holds: its identity
// and the latest report's details.
type aggregateData struct {
	Site        string `json:"site"`
	Type        string `json:"type"`
	Directive   string `json:"directive,omitempty"`
	Blocked     string `json:"blocked,omitempty"`
	Document    string `json:"document,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	Sample      string `json:"sample,omitempty"`
	Source      string `json:"source,omitempty"`
}

// addReportsScript counts reports into their aggregates, atomically, so
// that instances counting the same aggregate at once add up. KEYS are
// the store's keys (EventStore.names); ARGV is, per report, its
// aggregate's name, its time (19 digits), its score and the sealed data.
// The data and the last time are replaced when the report is the latest
// (as store.Bolt does: at or after the last). It returns the bytes
// counted after the change.
var addReportsScript = redis.NewScript(`
local added = 0
for i = 1, #ARGV, 4 do
  local id, t, sc, data = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  redis.call('HINCRBY', KEYS[5], id, 1)
  local first = redis.call('HGET', KEYS[6], id)
  if not first or t < first then redis.call('HSET', KEYS[6], id, t) end
  local last = redis.call('HGET', KEYS[7], id)
  if not last or t >= last then
    local old = redis.call('HGET', KEYS[4], id)
    if old then added = added - #old else added = added + ` + strconv.Itoa(aggregateOverhead) + ` end
    added = added + #data
    redis.call('HSET', KEYS[4], id, data)
    redis.call('HSET', KEYS[7], id, t)
    redis.call('ZADD', KEYS[3], sc, id)
  end
end
return redis.call('INCRBY', KEYS[8], added)
`)

// AddReports counts reports into their aggregates, all or none.
func (s *EventStore) AddReports(rs ...store.Report) error {
	if len(rs) == 0 {
		return nil
	}
	now := s.o.Now()
	args := make([]any, 0, 4*len(rs))
	for _, r := range rs {
		r = r.Normalize(now)
		id := s.c.seal.name(r.AggregateKey())
		js, err := json.Marshal(aggregateData{Site: r.Site, Type: r.Type, Directive: r.Directive, Blocked: r.Blocked,
			Document: r.Document, Disposition: r.Disposition, Sample: r.Sample, Source: r.Source})
		if err != nil {
			return fmt.Errorf("cluster: store: report: %w", err)
		}
		ns := nanos(r.Time)
		args = append(args, id, stamp(ns), score(ns), s.c.seal.seal("store:report:"+id, js))
	}
	ctx, cancel, err := s.begin()
	if err != nil {
		return err
	}
	defer cancel()
	total, err := addReportsScript.Run(ctx, s.c.rdb, s.names[:], args...).Int64()
	if err != nil {
		return s.fail("add reports", err)
	}
	s.filled(total)
	return nil
}

// reportsPage is how many aggregates a query reads at once.
const reportsPage = 200

// Reports returns the aggregates matching q, most recently seen first.
func (s *EventStore) Reports(q store.ReportQuery) ([]store.Aggregate, error) {
	ctx, cancel, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer cancel()
	n := store.EffectiveLimit(q.Limit)
	lo := "-inf"
	if !q.Since.IsZero() {
		lo = scoreArg(nanos(q.Since), false)
	}
	var out []store.Aggregate
	for off := int64(0); len(out) < n; off += reportsPage {
		ids, err := s.c.rdb.ZRevRangeByScore(ctx, s.names[keyReports], &redis.ZRangeBy{Min: lo, Max: "+inf", Offset: off, Count: reportsPage}).Result()
		if err != nil {
			return nil, s.fail("reports", err)
		}
		if len(ids) == 0 {
			break
		}
		var cmds [4]*redis.SliceCmd
		_, err = s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range [...]int{keyReportData, keyReportCount, keyReportFirst, keyReportLast} {
				cmds[i] = p.HMGet(ctx, s.names[k], ids...)
			}
			return nil
		})
		if err != nil {
			return nil, s.fail("reports", err)
		}
		data, count, first, last := cmds[0].Val(), cmds[1].Val(), cmds[2].Val(), cmds[3].Val()
		for i, id := range ids {
			d, ok1 := data[i].(string)
			c, ok2 := count[i].(string)
			f, ok3 := first[i].(string)
			l, ok4 := last[i].(string)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				continue // swept between the two reads
			}
			a, err := s.aggregate(id, d, c, f, l)
			if err != nil {
				return nil, err
			}
			if q.Match(a) {
				out = append(out, a)
				if len(out) == n {
					break
				}
			}
		}
		if len(ids) < reportsPage {
			break
		}
	}
	return out, nil
}

// aggregate assembles an aggregate from what Redis holds for it.
func (s *EventStore) aggregate(id, data, count, first, last string) (store.Aggregate, error) {
	js, err := s.c.seal.open("store:report:"+id, []byte(data))
	if err != nil {
		return store.Aggregate{}, err
	}
	var d aggregateData
	if err := json.Unmarshal(js, &d); err != nil {
		return store.Aggregate{}, fmt.Errorf("cluster: store: aggregate: %w", err)
	}
	n, err1 := strconv.ParseUint(count, 10, 64)
	f, err2 := strconv.ParseInt(first, 10, 64)
	l, err3 := strconv.ParseInt(last, 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return store.Aggregate{}, fmt.Errorf("cluster: store: malformed aggregate: %w", err)
	}
	return store.Aggregate{Site: d.Site, Type: d.Type, Directive: d.Directive, Blocked: d.Blocked, Document: d.Document,
		Count: n, First: time.Unix(0, f).UTC(), Last: time.Unix(0, l).UTC(),
		Disposition: d.Disposition, Sample: d.Sample, Source: d.Source}, nil
}

// sweepScript deletes records, counting the bytes freed against the
// store's total. With ARGV[1] "age" it deletes the events, audits and
// aggregates (by last report) scored below ARGV[2], at most ARGV[3] of
// each kind; with "size" it deletes the oldest records whatever their
// kind, merged by time, while the total is above ARGV[2], at most ARGV[3]
// in all. It returns how many it deleted.
var sweepScript = redis.NewScript(`
local rec, agg, chunk = ` + strconv.Itoa(recordOverhead) + `, ` + strconv.Itoa(aggregateOverhead) + `, tonumber(ARGV[3])
local freed, removed = 0, 0
local function dropAggregate(id)
  local d = redis.call('HGET', KEYS[4], id)
  if d then freed = freed + #d + agg end
  redis.call('ZREM', KEYS[3], id)
  for k = 4, 7 do redis.call('HDEL', KEYS[k], id) end
  removed = removed + 1
end
if ARGV[1] == 'age' then
  for k = 1, 2 do
    local ms = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', '(' .. ARGV[2], 'LIMIT', 0, chunk)
    for _, m in ipairs(ms) do
      freed = freed + #m + rec
      redis.call('ZREM', KEYS[k], m)
    end
    removed = removed + #ms
  end
  local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[2], 'LIMIT', 0, chunk)
  for _, id in ipairs(ids) do dropAggregate(id) end
else
  local target = tonumber(ARGV[2])
  local total = tonumber(redis.call('GET', KEYS[8]) or '0')
  while total - freed > target and removed < chunk do
    local best, bestScore
    for k = 1, 3 do
      local z = redis.call('ZRANGE', KEYS[k], 0, 0, 'WITHSCORES')
      if z[1] and (not bestScore or tonumber(z[2]) < bestScore) then
        best, bestScore = k, tonumber(z[2])
      end
    end
    if not best then
      freed = total -- nothing left: the count starts again from zero
      break
    end
    local m = redis.call('ZRANGE', KEYS[best], 0, 0)[1]
    if best == 3 then
      dropAggregate(m)
    else
      freed = freed + #m + rec
      redis.call('ZREM', KEYS[best], m)
      removed = removed + 1
    end
  end
end
if freed > 0 then
  if redis.call('DECRBY', KEYS[8], freed) < 0 then redis.call('SET', KEYS[8], 0) end
end
return removed
`)

// Sweep applies retention and the size bound now: events, audits and
// aggregates older than Retention are deleted; when the bytes counted
// pass nine tenths of MaxBytes, the oldest records, whatever their kind,
// are deleted down to three quarters. The background sweep calls it
// every SweepInterval, and sooner when writes fill the store.
func (s *EventStore) Sweep() error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	run := func(mode string, bound int64) (int64, error) {
		ctx, cancel, err := s.begin()
		if err != nil {
			return 0, err
		}
		defer cancel()
		n, err := sweepScript.Run(ctx, s.c.rdb, s.names[:], mode, bound, sweepChunk).Int64()
		return n, s.fail("sweep", err)
	}
	if s.o.Retention > 0 {
		cutoff := nanos(s.o.Now().Add(-s.o.Retention)) / 1000
		for {
			n, err := run("age", cutoff)
			if err != nil {
				return err
			}
			if n < sweepChunk {
				break
			}
		}
	}
	if s.o.MaxBytes <= 0 {
		return nil
	}
	used, err := s.Bytes()
	if err != nil || used <= s.o.MaxBytes*9/10 {
		return err
	}
	for {
		n, err := run("size", s.o.MaxBytes*3/4)
		if err != nil || n < sweepChunk {
			return err
		}
	}
}

// Bytes returns the bytes the store counts against MaxBytes: the sealed
// records' and their members', plus a fixed overhead per record. Redis's
// own memory use for them is larger (its per-entry structures); see
// docs/cluster.md.
func (s *EventStore) Bytes() (int64, error) {
	ctx, cancel, err := s.begin()
	if err != nil {
		return 0, err
	}
	defer cancel()
	n, err := s.c.rdb.Get(ctx, s.names[keyBytes]).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, s.fail("bytes", err)
}

func (s *EventStore) sweeper() {
	defer close(s.done)
	t := time.NewTicker(s.o.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.Sweep(); err != nil && !errors.Is(err, store.ErrClosed) {
			s.o.OnError(err)
		}
	}
}

// Close stops the background sweep; later calls fail with
// store.ErrClosed. It leaves the Client open, and the records in Redis.
func (s *EventStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	<-s.done
	return nil
}
