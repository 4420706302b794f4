package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// openMirror returns a mirror of Redis at url (user and password in it,
// if any) in a new data directory, the health check saying Redis is up.
func openMirror(t *testing.T, url string, local certmagic.Storage) (*mirrorStorage, *cluster.Client) {
	t.Helper()
	c, err := cluster.Open(cluster.Options{URL: url, Key: testClusterKey})
	if err != nil {
		t.Fatal(err)
	}
	if local == nil {
		if local, err = acme.OpenStorage(t.TempDir(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	m := newMirrorStorage(c.Storage(), local, func() bool { return false }, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { m.close(); c.Close() })
	return m, c
}

// heldLoads is a data directory whose next Load, once armed, waits until
// release is closed, after saying so on entered.
type heldLoads struct {
	certmagic.Storage
	mu      sync.Mutex
	armed   bool
	entered chan string
	release chan struct{}
}

func (h *heldLoads) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed, h.entered, h.release = true, make(chan string, 1), make(chan struct{})
}

func (h *heldLoads) Load(ctx context.Context, key string) ([]byte, error) {
	h.mu.Lock()
	armed, entered, release := h.armed, h.entered, h.release
	h.armed = false
	h.mu.Unlock()
	if armed {
		entered <- key
		<-release
	}
	return h.Storage.Load(ctx, key)
}

// TestClusterMirrorCopyAfterStore: a value read from Redis and queued for
// the data directory is not copied there once the key was stored again
// (or deleted) meanwhile: the data directory keeps the newer state, not
// an old certificate beside a new key.
func TestClusterMirrorCopyAfterStore(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	const key = "certificates/ca/example.com/example.com.crt"
	for _, tc := range []struct {
		name   string
		change func(m *mirrorStorage) error
		want   string // in the data directory afterwards; "" for none
	}{
		{"store", func(m *mirrorStorage) error { return m.Store(context.Background(), key, []byte("v2")) }, "v2"},
		{"delete", func(m *mirrorStorage) error { return m.Delete(context.Background(), key) }, ""},
		{"delete the directory", func(m *mirrorStorage) error { return m.Delete(context.Background(), "certificates/ca") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			files, err := acme.OpenStorage(t.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			local := &heldLoads{Storage: files}
			m, _ := openMirror(t, rs.URL(), local)
			if err := m.Store(ctx, key, []byte("v1")); err != nil {
				t.Fatal(err)
			}
			// The copy of v1 compares with the data directory's value
			// (local.Load) and waits there while the key changes.
			local.arm()
			if v, err := m.Load(ctx, key); err != nil || string(v) != "v1" {
				t.Fatalf("Load = %q, %v", v, err)
			}
			<-local.entered
			if err := tc.change(m); err != nil {
				t.Fatal(err)
			}
			close(local.release)
			m.close() // returns once the copy is done
			v, err := files.Load(ctx, key)
			switch {
			case tc.want == "" && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("the data directory holds %q, %v after the %s; want nothing", v, err, tc.name)
			case tc.want != "" && string(v) != tc.want:
				t.Errorf("the data directory holds %q, %v after the %s; want %q", v, err, tc.name, tc.want)
			}
		})
	}
}

// TestClusterMirrorRedisEmptied: Redis emptied while it keeps answering
// (a restart faster than the health check, FLUSHALL, a failover to an
// empty replica): before the health check notices, what Redis lacks and
// the data directory holds is still found — not missing, to be ordered
// again. Once the marker is back, Redis is authoritative again.
func TestClusterMirrorRedisEmptied(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ctx := context.Background()
	m, c := openMirror(t, rs.URL(), nil)
	const key = "certificates/ca/example.com/example.com.crt"
	for k, v := range map[string]string{clusterMarker: "now", key: "cert"} {
		if err := m.Store(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.Client(t).FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Load(ctx, key); err != nil || string(v) != "cert" {
		t.Errorf("Load after Redis was emptied = %q, %v; want the mirror's value", v, err)
	}
	if !m.Exists(ctx, key) {
		t.Error("Exists after Redis was emptied = false; want the mirror's answer")
	}
	if ki, err := m.Stat(ctx, key); err != nil || !ki.IsTerminal {
		t.Errorf("Stat after Redis was emptied = %+v, %v; want the mirror's answer", ki, err)
	}
	if keys, err := m.List(ctx, "certificates", true); err != nil || !slices.Contains(keys, key) {
		t.Errorf("List after Redis was emptied = %q, %v; want the mirror's keys", keys, err)
	}

	// The marker back (the mirror published back, and key deleted since
	// by another instance): Redis is authoritative.
	if err := c.Storage().Store(ctx, clusterMarker, []byte("now")); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Load(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a value Redis lacks, with the marker present = %q, %v; want fs.ErrNotExist", v, err)
	}
	if m.Exists(ctx, key) {
		t.Error("Exists of a value Redis lacks, with the marker present = true")
	}
}

// TestClusterRedisEmptiedWhilePingAnswers: an instance finding the
// marker gone answers what Redis lacks from its data directory until it
// has published its mirror back (held here by another instance holding
// the republish lock), then publishes it.
func TestClusterRedisEmptiedWhilePingAnswers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ctx := context.Background()
	n := startNode(t, "", clusterTOML(rs.URL(), anyListen, "", localSite))
	m := n.srv.clusterMode.store
	raw := rs.Client(t)
	testutil.Eventually(t, 5*time.Second, "the marker in Redis", func() bool {
		k, _ := raw.Exists(ctx, "portcullis:storage:value:"+clusterMarker).Result()
		return k == 1
	})
	const key = "certificates/ca/example.com/example.com.crt"
	if err := m.Store(ctx, key, []byte("cert")); err != nil {
		t.Fatal(err)
	}

	// Another instance holds the republish lock; Redis loses everything
	// else.
	other, err := cluster.Open(cluster.Options{URL: rs.URL(), Key: testClusterKey})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Storage().Lock(ctx, republishLock); err != nil {
		t.Fatal(err)
	}
	const noticed = "Redis holds no marker"
	before := strings.Count(n.logs.String(), noticed) // 1: the cluster was new
	keys, err := raw.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "portcullis:lock:"+republishLock })
	if err := raw.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "the instance to find Redis emptied", func() bool {
		return strings.Count(n.logs.String(), noticed) > before
	})
	if v, err := m.Load(ctx, key); err != nil || string(v) != "cert" {
		t.Errorf("Load while the mirror is not published back = %q, %v; want the data directory's value", v, err)
	}
	// What Redis holds (stored since by another instance) is listed with
	// what it lacks.
	const since = "certificates/ca/new.example/new.example.crt"
	if err := other.Storage().Store(ctx, since, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if keys, err := m.List(ctx, "certificates", true); err != nil || !slices.Contains(keys, key) || !slices.Contains(keys, since) {
		t.Errorf("List while the mirror is not published back = %q, %v; want %s and %s", keys, err, key, since)
	}
	if err := other.Storage().Unlock(ctx, republishLock); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the mirror published back", func() bool {
		v, err := other.Storage().Load(ctx, key)
		return err == nil && string(v) == "cert" && !m.lost.Load()
	})
}

// TestClusterRepublishKeepsNewer: a directory Redis cannot be asked about
// during a republish (here: the ACL refuses the index's range query) is
// skipped, not overwritten with this instance's older copy — Redis may
// hold a certificate another instance renewed — and the republish fails,
// so that the marker is not stored and it is tried again.
func TestClusterRepublishKeepsNewer(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ctx := context.Background()
	if err := rs.Client(t).Do(ctx, "ACL", "SETUSER", "norange", "on", ">pw", "~*", "+@all", "-zrangebylex").Err(); err != nil {
		t.Fatal(err)
	}
	limited, err := withUser(rs.URL(), "norange", "pw")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := openMirror(t, limited, nil)
	_, admin := openMirror(t, rs.URL(), nil)
	const key = "certificates/ca/example.com/example.com.crt"
	if err := m.local.Store(ctx, key, []byte("older")); err != nil {
		t.Fatal(err)
	}
	if err := admin.Storage().Store(ctx, key, []byte("renewed")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.publish(ctx); err == nil {
		t.Error("publish succeeded though Redis could not say whether it held a directory")
	}
	if v, err := admin.Storage().Load(ctx, key); err != nil || string(v) != "renewed" {
		t.Errorf("after publish Redis holds %q, %v; want the renewed value kept", v, err)
	}
}

// TestClusterBackoffDocumented: the health check backs off as
// docs/cluster.md says.
func TestClusterBackoffDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/cluster.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Checks back off: 1 s, 2 s, 4 s… up to 15 s") {
		t.Fatal("docs/cluster.md no longer states the backoff this test checks")
	}
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}
	for failures, w := range want {
		if got := clusterBackoff(defaultClusterCheck, failures); got != w {
			t.Errorf("after %d failed checks, the next in %v; want %v", failures, got, w)
		}
	}
	if got := clusterBackoff(time.Minute, 3); got != time.Minute {
		t.Errorf("with a check interval above the backoff's limit: %v; want the interval", got)
	}
}
