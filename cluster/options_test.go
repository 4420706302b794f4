package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

func TestOpenRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"no key", Options{URL: "redis://127.0.0.1"}, "fewer than 32"},
		{"short key", Options{URL: "redis://127.0.0.1", Key: "short"}, "fewer than 32"},
		{"no URL", Options{Key: testKey}, "no Redis URL"},
		{"URL and options", Options{URL: "redis://127.0.0.1", Redis: &redis.UniversalOptions{}, Key: testKey}, "give one"},
		{"bad scheme, password kept out", Options{URL: "http://user:hunter2@127.0.0.1", Key: testKey}, "invalid URL scheme"},
		{"bad db, password kept out", Options{URL: "redis://user:hunter2@127.0.0.1/x", Key: testKey}, "invalid database"},
		{"skip_verify", Options{URL: "rediss://127.0.0.1?skip_verify=true", Key: testKey}, "skip_verify"},
		{"TLS without rediss", Options{URL: "redis://127.0.0.1", TLS: &tls.Config{}, Key: testKey}, "use rediss://"},
		{"Cluster without hash tag", Options{Redis: &redis.UniversalOptions{Addrs: []string{"a:1", "b:2"}}, Key: testKey}, "hash tag"},
		{"Cluster mode without hash tag", Options{Redis: &redis.UniversalOptions{Addrs: []string{"a:1"}, IsClusterMode: true}, Prefix: "{}x", Key: testKey}, "hash tag"},
		{"negative lease", Options{URL: "redis://127.0.0.1", Key: testKey, LockLease: -1}, "negative"},
	} {
		_, err := Open(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Open = %v; want an error saying %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", c.name, err)
		}
	}
	for _, o := range []Options{
		{Redis: &redis.UniversalOptions{Addrs: []string{"a:1", "b:2"}}, Prefix: "{portcullis}", Key: testKey},
		{Redis: &redis.UniversalOptions{Addrs: []string{"a:1", "b:2"}, MasterName: "mymaster"}, Key: testKey}, // Sentinel
		{URL: "redis://127.0.0.1:6379/2", Key: testKey},
		{URL: "unix:///run/redis/redis.sock?db=1", Key: NewKey()},
	} {
		c, err := Open(o)
		if err != nil {
			t.Errorf("Open(%+v): %v", o, err)
			continue
		}
		c.Close()
	}
}

func TestNewKey(t *testing.T) {
	a, b := NewKey(), NewKey()
	if len(a) < MinKeyLen || a == b {
		t.Errorf("NewKey: %q, %q", a, b)
	}
}

// TestURLs: each single-node URL form reaches its Redis and database.
func TestURLs(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	srv := redistest.Start(t, "--port", fmt.Sprint(port), "--bind", "127.0.0.1")
	raw := srv.Client(t)
	for i, url := range []string{
		srv.URL(),
		srv.URL() + "?db=3",
		fmt.Sprintf("redis://127.0.0.1:%d", port),
		fmt.Sprintf("redis://127.0.0.1:%d/5?dial_timeout=1s", port),
	} {
		c := open(t, srv, Options{URL: url})
		key := fmt.Sprintf("url-%d", i)
		if err := c.Storage().Store(t.Context(), key, []byte(url)); err != nil {
			t.Errorf("%s: Store: %v", url, err)
			continue
		}
		db := 0
		if _, after, ok := strings.Cut(url, "db="); ok {
			db = int(after[0] - '0')
		} else if strings.HasSuffix(strings.Split(url, "?")[0], "/5") {
			db = 5
		}
		if err := raw.Do(t.Context(), "SELECT", db).Err(); err != nil {
			t.Fatal(err)
		}
		if n := raw.Exists(t.Context(), "portcullis:storage:value:"+key).Val(); n != 1 {
			t.Errorf("%s: the value is not in database %d", url, db)
		}
	}
}

// TestTLS: rediss:// with Options.TLS trusting Redis's CA works; without
// it (the system's roots) the certificate is refused, with an error that
// says so rather than "unavailable".
func TestTLS(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t, "Redis test CA")
	dir := t.TempDir()
	now := time.Now()
	crt, key := ca.WriteLeaf(t, dir, "redis", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	root := ca.WriteRoot(t, dir)
	port := freePort(t)
	srv := redistest.Start(t, "--tls-port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--tls-cert-file", crt, "--tls-key-file", key, "--tls-ca-cert-file", root, "--tls-auth-clients", "no")
	url := fmt.Sprintf("rediss://127.0.0.1:%d", port)

	c := open(t, srv, Options{URL: url, TLS: &tls.Config{RootCAs: ca.Pool()}})
	if err := c.Storage().Store(t.Context(), "over-tls", []byte("v")); err != nil {
		t.Fatalf("Store over TLS: %v", err)
	}
	if v, err := c.Storage().Load(t.Context(), "over-tls"); err != nil || string(v) != "v" {
		t.Fatalf("Load over TLS: %q, %v", v, err)
	}

	untrusted := open(t, srv, Options{URL: url})
	err := untrusted.Ping(t.Context())
	t.Logf("untrusted: %v", err)
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Ping with Redis's CA untrusted = %v; want a certificate error, not ErrUnavailable", err)
	}
}

// TestPrefix: instances with different prefixes on one Redis share
// nothing, and every Redis key starts with the prefix.
func TestPrefix(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := open(t, srv, Options{Prefix: "site-a"})
	b := open(t, srv, Options{Prefix: "site-b"})
	ctx := t.Context()
	if err := a.Storage().Store(ctx, "certificates/x/x.crt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := a.Storage().Lock(ctx, "issue"); err != nil {
		t.Fatal(err)
	}
	lead := a.Leader(ctx, "audit", time.Second)
	testutil.Eventually(t, 5*time.Second, "leading", lead.Leading)
	if _, err := b.Storage().Load(ctx, "certificates/x/x.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("another prefix sees the value: %v", err)
	}
	if ok, err := b.Storage().TryLock(ctx, "issue"); !ok || err != nil {
		t.Errorf("another prefix cannot take the lock: %v, %v", ok, err)
	}
	keys, err := srv.Client(t).Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "site-a:") && !strings.HasPrefix(k, "site-b:") {
			t.Errorf("Redis key %q outside the prefixes", k)
		}
	}
	t.Logf("Redis keys: %q", keys)
}
