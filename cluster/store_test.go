package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/storetest"
)

// storeHarness opens event stores on srv, each under a prefix of its own
// starting with base (Another: on the same prefix, through another
// Client), with the client options o.
func storeHarness(srv *redistest.Server, o Options, base string) storetest.Harness {
	var n atomic.Int64
	prefixes := map[storetest.Store]string{}
	var mu = make(chan struct{}, 1)
	openOn := func(t *testing.T, prefix string, so store.Options) storetest.Store {
		co := o
		co.Prefix = prefix
		s := open(t, srv, co).EventStore(so)
		t.Cleanup(func() { s.Close() })
		mu <- struct{}{}
		prefixes[s] = prefix
		<-mu
		return s
	}
	return storetest.Harness{
		Open: func(t *testing.T, so store.Options) storetest.Store {
			return openOn(t, fmt.Sprintf("%s%d", base, n.Add(1)), so)
		},
		Another: func(t *testing.T, s storetest.Store, so store.Options) storetest.Store {
			mu <- struct{}{}
			p := prefixes[s]
			<-mu
			return openOn(t, p, so)
		},
	}
}

// TestClusterStoreConformance runs the store conformance suite against
// the Redis store (store.Bolt runs it in package store).
func TestClusterStoreConformance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	storetest.Run(t, storeHarness(srv, Options{}, "st"))
}

// TestClusterStoreSealed: nothing a client sent — its address, a path,
// a document, a finding's message — is in Redis in the clear; another
// cluster key cannot read the records; an altered record fails to open.
func TestClusterStoreSealed(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := open(t, srv, Options{}).EventStore(store.Options{SweepInterval: -1})
	defer s.Close()
	const ip, path, doc, finding = "203.0.113.77", "/secret-admin-path", "/private/document", "a finding's words"
	e := events.Event{Type: events.HostRejected, Severity: events.Low, Site: "app", Client: ip, Path: path, Message: "refused"}
	if err := s.AddEvents(e); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReports(store.Report{Site: "app", Type: "csp-violation", Directive: "img-src", Document: doc, Blocked: "https://tracker.example"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAudit(store.AuditRecord{Site: "app", Grade: "B", Findings: []store.AuditFinding{{Rule: "csp.missing", Message: finding}}}); err != nil {
		t.Fatal(err)
	}
	dump, err := redistest.Dump(t.Context(), srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range dump {
		for _, secret := range []string{ip, path, doc, "tracker.example", finding, "host.rejected"} {
			if strings.Contains(k+v, secret) {
				t.Errorf("%s holds %q in the clear", k, secret)
			}
		}
	}
	other := open(t, srv, Options{Key: strings.Repeat("another cluster key ", 2)}).EventStore(store.Options{SweepInterval: -1})
	defer other.Close()
	for name, err := range map[string]error{
		"Events":  second(other.Events(store.Query{})),
		"Reports": second(other.Reports(store.ReportQuery{})),
		"Audits":  second(other.Audits(store.AuditQuery{})),
	} {
		if !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s under another cluster key: %v, want ErrWrongKey", name, err)
		}
	}
	// Altered: one byte of the sealed event flipped.
	rdb := srv.Client(t)
	ms := rdb.ZRange(t.Context(), "portcullis:store:events", 0, -1).Val()
	b := []byte(ms[0])
	b[len(b)-1] ^= 1
	rdb.ZRem(t.Context(), "portcullis:store:events", ms[0])
	rdb.ZAdd(t.Context(), "portcullis:store:events", redisZ(1, string(b)))
	if _, err := s.Events(store.Query{}); !errors.Is(err, ErrTampered) {
		t.Errorf("Events of an altered record: %v, want ErrTampered", err)
	}
	if !bytes.Contains([]byte(ms[0][:memberHead]), []byte("0")) {
		t.Errorf("member head %q", ms[0][:memberHead])
	}
}

func second[T any](_ T, err error) error { return err }

// TestClusterStoreRedisDown: with Redis down every call fails with an
// error matching both cluster.ErrUnavailable and store.ErrUnavailable,
// at once; a Queue in front holds the events and writes them when Redis
// is back (restarted empty), counting what went beyond its backlog.
func TestClusterStoreRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := open(t, srv, Options{}).EventStore(store.Options{SweepInterval: -1})
	defer s.Close()
	q := store.NewQueue(s, store.QueueOptions{Backlog: 100, Backoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OnError: func(error) {}, OnRecover: func(int, int) {}})
	defer q.Close()
	q.Event(events.Event{Type: "before", Severity: events.Info})
	q.Flush()
	srv.Stop()
	start := time.Now()
	err := s.AddEvents(events.Event{Type: "direct"})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("AddEvents with Redis down: %v", err)
	}
	if _, err := s.Events(store.Query{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Events with Redis down: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %v", d)
	}
	for i := range 130 {
		q.Event(events.Event{Type: "during", Severity: events.Info, Message: fmt.Sprint(i)})
	}
	q.Flush()
	testutil.Eventually(t, 10*time.Second, "retries while Redis is down", func() bool { return q.Stats().Retries >= 2 })
	if st := q.Stats(); st.Held != 100 || st.Dropped != 30 {
		t.Errorf("during the outage: %+v, want 100 held, 30 dropped", st)
	}
	srv.Restart()
	testutil.Eventually(t, 10*time.Second, "the backlog written", func() bool { return q.Stats().Written == 101 })
	got, err := s.Events(store.Query{Type: "during", Limit: store.MaxLimit})
	if err != nil || len(got) != 100 || got[0].Message != "99" || got[99].Message != "0" {
		t.Errorf("after the restart: %d events (%v)", len(got), err)
	}
}

// TestClusterStoreRedisHung: a Redis that accepts connections but answers
// nothing (SIGSTOP) makes each call run out of its bound; that, too, is
// "unavailable", so a Queue in front holds its events and an audit
// instead of dropping them as failed, and writes them after SIGCONT.
func TestClusterStoreRedisHung(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := open(t, srv, Options{CallTimeout: 300 * time.Millisecond}).EventStore(store.Options{SweepInterval: -1})
	defer s.Close()
	q := store.NewQueue(s, store.QueueOptions{Backoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OnError: func(error) {}, OnRecover: func(int, int) {}})
	defer q.Close()
	srv.Pause()
	if err := s.AddEvents(events.Event{Type: "direct"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("AddEvents with Redis hung: %v, want store.ErrUnavailable", err)
	}
	for i := range 3 {
		q.Event(events.Event{Type: "during", Severity: events.Info, Message: fmt.Sprint(i)})
	}
	if err := q.AddAudit(store.AuditRecord{Site: "app", Grade: "A"}); err != nil {
		t.Fatal(err)
	}
	q.Flush()
	if st := q.Stats(); st.Held != 4 || st.Failed != 0 {
		t.Errorf("during the hang: %+v, want the 3 events and the audit held, none failed", st)
	}
	srv.Resume()
	testutil.Eventually(t, 10*time.Second, "the backlog written", func() bool { return q.Stats().Written == 4 })
	if got, err := s.Audits(store.AuditQuery{Site: "app"}); err != nil || len(got) != 1 {
		t.Errorf("the audit held through the hang: %+v, %v", got, err)
	}
}

// TestClusterStoreSweepBackground: writes that pass nine tenths of
// MaxBytes start a sweep at once; the bytes counted come back within the
// bound, and Redis's count agrees with a recount.
func TestClusterStoreSweepBackground(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const max = 1 << 20
	s := open(t, srv, Options{}).EventStore(store.Options{MaxBytes: max, SweepInterval: time.Hour, Retention: -1})
	defer s.Close()
	msg := strings.Repeat("y", 500)
	for i := range 40 {
		batch := make([]events.Event, 100)
		for j := range batch {
			batch[j] = events.Event{Type: "e", Time: time.Unix(int64(i*100+j), 0), Message: msg}
		}
		if err := s.AddEvents(batch...); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the sweep bringing the store under MaxBytes", func() bool {
		n, err := s.Bytes()
		return err == nil && n <= max*9/10
	})
	ms := srv.Client(t).ZRange(t.Context(), "portcullis:store:events", 0, -1).Val()
	var recount int64
	for _, m := range ms {
		recount += int64(len(m)) + recordOverhead
	}
	if n, _ := s.Bytes(); n != recount {
		t.Errorf("bytes counted %d, recounted %d", n, recount)
	}
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

// TestClusterStoreDocsListChecks: docs/cluster.md's table lists every
// check of the store conformance suite.
func TestClusterStoreDocsListChecks(t *testing.T) {
	doc := docsFile(t)
	for _, c := range storetest.Checks {
		if !strings.Contains(doc, "| "+c.Name+" |") {
			t.Errorf("docs/cluster.md does not list the store check %s", c.Name)
		}
	}
}
