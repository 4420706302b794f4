package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/dashboard"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
)

// This file tests cluster mode's monitoring half: events, reports and
// audits in Redis (one store for the cluster), alerts delivered once per
// cluster, and the store's queue through a Redis outage.

// opsInstance is one instance of a test cluster: a Server on shared
// certificate files, [cluster] on one redis-server, [alerts] to one
// receiver.
type opsInstance struct {
	srv  *Server
	logs *testutil.Buffer
}

// opsCluster starts n instances on the same configuration (the same
// site, certificate files and webhook), each with its own data
// directory, on clock.
func opsCluster(t *testing.T, n int, rs *redistest.Server, hook string, clock *testutil.Clock, q *store.QueueOptions) []*opsInstance {
	t.Helper()
	dir := t.TempDir()
	pki := newTestPKI(t)
	notAfter := clock.Now().Add(40 * 24 * time.Hour).Truncate(time.Second)
	// A 90-day certificate: the monitor announces only thresholds under
	// half a certificate's lifetime.
	pki.writeLeafFor(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), notAfter.Add(-90*24*time.Hour), notAfter, "app.example.com")
	text := fmt.Sprintf(`
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"

[cluster]
redis = %q
key = "portcullis-cluster-test-key-0123456789"
lock_lease = "2s"

[audit]
enabled = false

[monitor]
interval = "24h" # the test drives the checks

[alerts]
webhook = %q

[[site]]
name = "app"
hosts = ["app.example.com"]
upstream = "demo"
[site.cert]
source = "files"
cert = "cert.pem"
key = "key.pem"
`, rs.URL(), hook)
	if err := os.WriteFile(filepath.Join(dir, "portcullis.toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out := make([]*opsInstance, n)
	for i := range out {
		cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		in := &opsInstance{logs: &testutil.Buffer{}}
		in.srv, err = New(cfg, Options{DataDir: filepath.Join(dir, fmt.Sprint("data", i)), Now: clock.Now, AccessLog: io.Discard,
			Logger: slog.New(slog.NewTextHandler(in.logs, nil)), ClusterCheck: 100 * time.Millisecond, StoreQueue: q})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			in.stop()
			if t.Failed() {
				t.Logf("log of instance %d:\n%s", i, in.logs.String())
			}
		})
		out[i] = in
	}
	return out
}

func (in *opsInstance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in.srv.Shutdown(ctx) // a second Shutdown is harmless
}

// apiEvents asks the instance's admin API for events of type typ.
func (in *opsInstance) apiEvents(t *testing.T, typ string) []events.Event {
	t.Helper()
	resp, err := http.Get(in.srv.AdminURL() + "/api/v1/events?limit=1000&type=" + typ)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var er dashboard.EventsResponse
	if err := json.NewDecoder(resp.Body).Decode(&er); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/events: %d, %v", resp.StatusCode, err)
	}
	return er.Events
}

// metric returns the value of the series of name with label (a
// "name=value" pair, or "" for none) on the instance's /metrics registry.
func (in *opsInstance) metric(t *testing.T, name, label string) float64 {
	t.Helper()
	mfs, err := in.srv.ops.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := label == ""
			for _, l := range m.GetLabel() {
				ok = ok || l.GetName()+"="+l.GetValue() == label
			}
			switch {
			case !ok:
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			default:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}

// hookReceiver counts the alerts a webhook receiver gets, by type.
type hookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []events.Event
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e events.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			t.Errorf("webhook payload: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, e)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) count(typ string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.got {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestClusterAlertOnce: three instances serve the same certificate,
// which crosses its 30-day threshold; each instance's expiry monitor
// sees it and raises cert.expiring, and the webhook receives it once:
// the other two left it to the instance that claimed it in Redis. Each
// instance's event is in the one store, and an event emitted on one
// instance is read through another's admin API.
func TestClusterAlertOnce(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	hook := newHookReceiver(t)
	clock := testutil.NewClock(time.Now())
	nodes := opsCluster(t, 3, rs, hook.URL+"/hook", clock, nil)

	clock.Advance(10*24*time.Hour + time.Hour) // 29 days left: past the 30-day threshold
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(n.srv.CheckExpiry) // at once, as three monitors may
	}
	wg.Wait()
	a, b := nodes[0], nodes[1]
	a.srv.Events().Emit(events.Event{Type: events.HostRejected, Severity: events.Low, Site: "", Client: "203.0.113.50",
		Host: "scan.example", Message: "seen by A"})
	testutil.Eventually(t, 10*time.Second, "A's event in B's API", func() bool {
		es := b.apiEvents(t, events.HostRejected)
		return len(es) == 1 && es[0].Message == "seen by A" && es[0].Client == "203.0.113.50"
	})
	testutil.Eventually(t, 10*time.Second, "the three instances' cert.expiring in B's API", func() bool {
		return len(b.apiEvents(t, events.CertExpiring)) == 3
	})
	// Close and count: shutting down delivers what the webhooks queued.
	var claimed uint64
	for _, n := range nodes {
		n.stop()
		claimed += n.srv.ops.alerts.Stats().Webhook.Claimed
	}
	if got := hook.count(events.CertExpiring); got != 1 {
		t.Errorf("the receiver got %d cert.expiring alerts from 3 instances, want 1", got)
	}
	if claimed != 2 {
		t.Errorf("%d alerts left to another instance, want 2", claimed)
	}
}

// TestClusterStoreOutage: with Redis stopped, two instances keep serving
// and keep taking events; A's, fewer than the backlog, are all kept, B's
// beyond the backlog are dropped and counted in
// portcullis_events_dropped_total{stage="store.queue"}; when Redis is
// back (restarted empty), both write what they held, and each instance
// reads the other's.
func TestClusterStoreOutage(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	hook := newHookReceiver(t)
	clock := testutil.NewClock(time.Now())
	const backlog = 60
	nodes := opsCluster(t, 2, rs, hook.URL+"/hook", clock,
		&store.QueueOptions{Backlog: backlog, Backoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	a, b := nodes[0], nodes[1]
	emit := func(n *opsInstance, count int, who string) {
		for i := range count {
			n.srv.Events().Emit(events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Site: "app",
				Client: "198.51.100.7", Path: "/transfer", Message: fmt.Sprint(who, i)})
		}
	}
	emit(a, 5, "before")
	testutil.Eventually(t, 10*time.Second, "the first events stored", func() bool {
		return len(b.apiEvents(t, events.CrossOriginBlocked)) == 5
	})

	rs.Stop()
	emit(a, 40, "a")
	emit(b, 100, "b")
	// A self-audit finished during the outage is held with the events
	// (the scheduler writes through queuedAudits).
	if err := (queuedAudits{a.srv.ops.store, a.srv.ops.queue, t.Context()}).AddAudit(store.AuditRecord{Site: "app", Grade: "A"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "both queues retrying", func() bool {
		return a.srv.ops.queue.Stats().Retries >= 2 && b.srv.ops.queue.Stats().Retries >= 2
	})
	// Still serving: the health check over plain HTTP, the site over TLS
	// (the demo app behind it).
	resp, err := http.Get("http://" + a.srv.lnPlain.Addr().String() + HealthPath)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health check with Redis down: %v %v", resp, err)
	}
	resp.Body.Close()
	bs := b.srv.ops.queue.Stats()
	if bs.Dropped < 100-backlog || bs.Held > backlog {
		t.Errorf("B during the outage: %+v, want at least %d dropped, at most %d held", bs, 100-backlog, backlog)
	}
	if as := a.srv.ops.queue.Stats(); as.Dropped != 0 {
		t.Errorf("A during the outage: %+v, want nothing dropped", as)
	}
	// (Read after the stats: the health check's events may add to both.)
	if got := b.metric(t, "portcullis_events_dropped_total", "stage=store.queue"); got < float64(bs.Dropped+bs.Failed) {
		t.Errorf("B's store.queue drops on /metrics: %v, want at least %d", got, bs.Dropped+bs.Failed)
	}
	if got := b.metric(t, "portcullis_store_backlog", ""); got < float64(bs.Held) || got == 0 {
		t.Errorf("B's portcullis_store_backlog: %v, want at least %d", got, bs.Held)
	}

	rs.Restart() // empty: what was stored before the outage is gone
	byWho := func(es []events.Event) (na, nb int) {
		for _, e := range es {
			switch e.Message[0] {
			case 'a':
				na++
			case 'b':
				nb++
			}
		}
		return
	}
	var na, nb int
	testutil.Eventually(t, 15*time.Second, "both backlogs written", func() bool {
		if a.srv.ops.queue.Stats().Held != 0 || b.srv.ops.queue.Stats().Held != 0 {
			return false // held is set once a write is done: what it wrote is in Redis
		}
		na, nb = byWho(b.apiEvents(t, events.CrossOriginBlocked))
		return na == 40 && nb > 0
	})
	bs = b.srv.ops.queue.Stats()
	if nb > backlog || uint64(nb)+bs.Dropped < 100 || bs.Failed != 0 {
		t.Errorf("B kept %d of its 100 events, dropped %d (failed %d): want at most %d kept, the rest counted", nb, bs.Dropped, bs.Failed, backlog)
	}
	if got, err := b.srv.Audits(store.AuditQuery{Site: "app"}); err != nil || len(got) != 1 || got[0].Grade != "A" {
		t.Errorf("B reads the audit A held through the outage: %+v, %v", got, err)
	}
	if na2, nb2 := byWho(a.apiEvents(t, events.CrossOriginBlocked)); na2 != na || nb2 != nb {
		t.Errorf("A reads %d of A's and %d of B's, B reads %d and %d: want the same", na2, nb2, na, nb)
	}
}
