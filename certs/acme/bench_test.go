package acme

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/pebbletest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// benchNames keeps every name obtained by the benchmark unique within the
// process: certmagic keeps the challenges it is solving in a process-wide
// table keyed by name, and the benchmark function runs more than once.
var benchNames atomic.Int64

// BenchmarkACMEObtain measures obtaining one certificate from an
// in-process Pebble through a Manager: a new order, a real HTTP-01
// validation (Pebble connects to a plain-HTTP listener of the benchmark
// that answers with Manager.HandleHTTPChallenge), finalization, download,
// storage, until the cert.obtained event has arrived and the certificate
// is served by Source.GetCertificate. Each iteration obtains a fresh
// name, one after the other. The first also registers the ACME account;
// it is reported alone as first-ms.
//
// certmagic lets one account place at most 10 orders in any 10 seconds
// (certmagic.RateLimitEvents per RateLimitEventsWindow) and makes the
// others wait: beyond -benchtime 10x, ms/op measures that limit (1,000
// ms per certificate) rather than issuance.
func BenchmarkACMEObtain(b *testing.B) {
	ca := pebbletest.Start(b, pebbletest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	logs := &testutil.Buffer{}
	obtained := make(chan events.Event, 16)
	m, err := NewManager(Options{
		Dir:        filepath.Join(b.TempDir(), "acme"),
		Issuer:     Issuer{CA: ca.DirectoryURL(), Email: "ops@example.com", Roots: ca.ClientRoots()},
		Challenges: []string{HTTP01},
		// The listener holds the HTTP port, so certmagic relies on it.
		// TLS-ALPN-01 is not offered: nothing listens on the HTTPS port.
		HTTPAddr:  ln.Addr().String(),
		HTTPSAddr: "127.0.0.1:1",
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Emit: func(e events.Event) {
			if e.Type == events.CertObtained || e.Type == events.CertObtainFailed {
				select { // never block certmagic; one name at a time is waited for
				case obtained <- e:
				default:
				}
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !m.HandleHTTPChallenge(w, r) {
				http.NotFound(w, r)
			}
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		m.Close()
	})
	ca.Validate(ln.Addr().(*net.TCPAddr).Port, 1)

	conn, peer := net.Pipe() // certmagic dereferences hello.Conn
	defer conn.Close()
	defer peer.Close()
	roots := ca.IssuerRoots(b)
	obtain := func() {
		name := fmt.Sprintf("b%d.bench.test", benchNames.Add(1))
		src, err := m.Source(name, []string{name}, nil)
		if err != nil {
			b.Fatal(err)
		}
		waitObtained(b, obtained, name, logs)
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := src.GetCertificate(&tls.ClientHelloInfo{ServerName: name, Conn: conn})
			if err == nil && servesName(c, name, roots) {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: obtained but not served after 10s (last error: %v); log:\n%s", name, err, logs)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}

	var first time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		obtain()
		if i == 0 {
			first = time.Since(start)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
	if n := ca.Orders(); n < b.N {
		b.Fatalf("%d certificates served after %d ACME orders", b.N, n)
	}
}

// waitObtained waits for the cert.obtained event of name.
func waitObtained(b *testing.B, ch <-chan events.Event, name string, logs *testutil.Buffer) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-ch:
			if !slices.Contains(e.Names, name) {
				continue
			}
			if e.Type != events.CertObtained {
				b.Fatalf("%s: %s: %s; log:\n%s", name, e.Type, e.Error, logs)
			}
			return
		case <-timeout:
			b.Fatalf("%s: no cert.obtained event within 30s; log:\n%s", name, logs)
		}
	}
}

// servesName reports whether c is a certificate chain for name that
// verifies against roots.
func servesName(c *tls.Certificate, name string, roots *x509.CertPool) bool {
	if c == nil || len(c.Certificate) == 0 {
		return false
	}
	chain := make([]*x509.Certificate, len(c.Certificate))
	for i, der := range c.Certificate {
		var err error
		if chain[i], err = x509.ParseCertificate(der); err != nil {
			return false
		}
	}
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
	return err == nil
}
