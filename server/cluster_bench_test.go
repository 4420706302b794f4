package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/redistest"
)

// BenchmarkClusterJoin1000 measures an instance joining a cluster whose
// Redis holds 1,000 certificates (issue 16's target: ready, serving all of
// them, in 2 s or less): a new data directory (nothing mirrored yet),
// 1,000 ACME sites as in BenchmarkStartStored1000, the certificates,
// keys and metadata stored in Redis (sealed) as certmagic stores them.
// Timed: server.New + Start until every site serves its certificate and
// TLS handshakes for three names verify. Pebble must see no order.
//
//   - "empty-dir": a new instance, its data directory empty: every value
//     read from Redis (and mirrored to the directory in the background).
//   - "mirrored-dir": an instance restarted, its directory already
//     holding the mirror: the same reads, no copy to write.
func BenchmarkClusterJoin1000(b *testing.B) {
	rs := redistest.Start(b)
	env := newStoredEnv(b, fmt.Sprintf(`
[audit]
enabled = false

[cluster]
redis = %q
key = %q
`, rs.URL(), testClusterKey))
	ca, dir, caURL, names, notBefore := env.ca, env.dir, env.caURL, env.names, env.notBefore
	// The certificates as certmagic stores them, written to a staging
	// directory, then into Redis.
	pki := newBenchPKI(b)
	issuerKey := (&certmagic.ACMEIssuer{CA: caURL}).IssuerKey()
	staged := storedData{data: filepath.Join(dir, "staged"), pristine: filepath.Join(dir, "staged-metadata")}
	pki.store(b, staged, issuerKey, caURL, names, notBefore, true)
	c, err := cluster.Open(cluster.Options{URL: rs.URL(), Key: testClusterKey})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	values := 0
	acmeDir := filepath.Join(staged.data, "acme")
	err = filepath.WalkDir(acmeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(acmeDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		values++
		return c.Storage().Store(ctx, filepath.ToSlash(rel), data)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Storage().Store(ctx, clusterMarker, []byte("bench")); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d values in Redis", values)

	for _, v := range []string{"empty-dir", "mirrored-dir"} {
		b.Run(v, func(b *testing.B) {
			orders := ca.Orders()
			benchJoin(b, filepath.Join(dir, "portcullis.toml"), env.cfgText, filepath.Join(dir, v), names, pki.roots, v == "empty-dir")
			if n := ca.Orders() - orders; n != 0 {
				b.Fatalf("%d ACME orders placed for certificates Redis holds", n)
			}
		})
	}
}

// benchJoin runs one variant of BenchmarkClusterJoin1000 in data (emptied
// before each start with empty; otherwise mirrored once, untimed, first).
func benchJoin(b *testing.B, path, cfgText, data string, names []string, roots *x509.CertPool, empty bool) {
	cfg, err := config.Parse(path, []byte(cfgText))
	if err != nil {
		b.Fatal(err)
	}
	start := func() *Server {
		logs := &headWriter{max: 16 << 10}
		s, err := New(cfg, Options{DataDir: data, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		waitServed(b, s, names, roots, logs)
		return s
	}
	stop := func(s *Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if !empty { // mirror once, and let the copies finish
		s := start()
		mirrored := func() int {
			n := 0
			filepath.WalkDir(filepath.Join(data, "acme"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".prev") {
					n++
				}
				return nil
			})
			return n
		}
		deadline := time.Now().Add(60 * time.Second)
		for mirrored() < 3*len(names) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := mirrored(); n < 3*len(names) {
			b.Fatalf("%d values mirrored in the data directory, want %d", n, 3*len(names))
		}
		stop(s)
	}
	goruntime.GC()
	goroutines := goruntime.NumGoroutine()
	var ready time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if empty {
			if err := os.RemoveAll(data); err != nil {
				b.Fatal(err)
			}
		}
		goruntime.GC()
		b.StartTimer()
		t0 := time.Now()
		s := start()
		ready += time.Since(t0)
		b.StopTimer()
		checkServed(b, s, names)
		stop(s)
		settle(b, goroutines)
	}
	b.ReportMetric(float64(ready.Microseconds())/1000/float64(b.N), "ms/op")
}
