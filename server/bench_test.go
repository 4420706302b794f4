package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	acmeapi "github.com/mholt/acmez/v3/acme"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/pebbletest"
)

// storedSites is how many sites, each with one stored ACME certificate,
// BenchmarkStartStored1000 starts with.
const storedSites = 1000

// BenchmarkStartStored1000 measures starting a server whose 1,000 sites
// all have their ACME certificate in storage already (a restart): from
// server.New to the moment every certificate is served (Certificates
// lists all 1,000, which certmagic loads asynchronously, and real TLS
// handshakes for sample names succeed). It reports that time (ms/op), the
// configuration parse time (outside the timer), and the heap in use and
// the process's resident set once ready. No ACME order may be placed.
//
// The certificates are signed by a CA of the benchmark, stored as
// certmagic stores what it obtains, with the metadata certmagic writes
// (renewal information included), under the issuer key of an in-process
// Pebble whose directory URL is the configured CA. Two variants:
//
//   - ari-fresh: the renewal information was refreshed recently (its
//     retry-after time is in the future): a restart. Nothing asks the CA.
//   - ari-due: its retry-after time has passed (a restart after some
//     downtime, or a restored backup): certmagic asks the CA for renewal
//     information for every certificate, in the background while loading.
//     Pebble does not know these certificates and answers 404, so the
//     updated information is never written back; the requests are made.
func BenchmarkStartStored1000(b *testing.B) {
	ca := pebbletest.Start(b, pebbletest.Options{})
	// No challenge is ever validated (every certificate is stored), so
	// the validation ports are never used; Validate makes the CA answer.
	ca.Validate(1, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	b.Cleanup(upstream.Close)

	dir := b.TempDir()
	root := filepath.Join(dir, "acme-api-root.pem")
	if err := os.WriteFile(root, ca.ClientRootPEM(), 0o644); err != nil {
		b.Fatal(err)
	}
	var cfgText strings.Builder
	fmt.Fprintf(&cfgText, `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "off"

[access_log]
format = "off"

[acme]
ca = %q
ca_root = %q
email = "ops@example.com"
`, ca.DirectoryURL(), root)
	names := make([]string, storedSites)
	for i := range names {
		names[i] = fmt.Sprintf("site%04d.bench.test", i)
		fmt.Fprintf(&cfgText, "\n[[site]]\nname = \"site%04d\"\nhosts = [%q]\nupstream = %q\n[site.cert]\nsource = \"acme\"\n",
			i, names[i], upstream.URL)
	}
	pki := newBenchPKI(b)
	issuerKey := (&certmagic.ACMEIssuer{CA: ca.DirectoryURL()}).IssuerKey()
	for _, v := range []struct {
		name     string
		ariFresh bool
	}{{"ari-fresh", true}, {"ari-due", false}} {
		data := filepath.Join(dir, v.name)
		pki.store(b, filepath.Join(data, "acme"), issuerKey, ca.DirectoryURL(), names, v.ariFresh)
		b.Run(v.name, func(b *testing.B) {
			benchStart(b, ca, filepath.Join(dir, "portcullis.toml"), cfgText.String(), data, names, pki.roots)
		})
	}
}

// benchStart is one variant of BenchmarkStartStored1000.
func benchStart(b *testing.B, ca *pebbletest.CA, path, cfgText, data string, names []string, roots *x509.CertPool) {
	orders := ca.Orders()
	var parse, build, ready time.Duration
	var heap, rss float64
	for range b.N {
		b.StopTimer()
		start := time.Now()
		cfg, err := config.Parse(path, []byte(cfgText))
		if err != nil {
			b.Fatal(err)
		}
		parse += time.Since(start)
		logs := &headWriter{max: 16 << 10}
		goruntime.GC()
		b.StartTimer()

		start = time.Now()
		s, err := New(cfg, Options{DataDir: data, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			b.Fatal(err)
		}
		build += time.Since(start)
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		waitServed(b, s, names, roots, logs)
		ready += time.Since(start)
		b.StopTimer()

		goruntime.GC()
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		heap += float64(ms.HeapInuse) / (1 << 20)
		rss += vmRSS() / (1 << 20)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.Shutdown(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	if n := ca.Orders() - orders; n != 0 {
		b.Fatalf("%d ACME orders placed for stored certificates", n)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ready.Microseconds())/1000/n, "ms/op")
	b.ReportMetric(float64(build.Microseconds())/1000/n, "new-ms")
	b.ReportMetric(float64(parse.Microseconds())/1000/n, "parse-ms")
	b.ReportMetric(heap/n, "heap-MiB")
	if rss > 0 {
		b.ReportMetric(rss/n, "rss-MiB")
	}
}

// waitServed waits until s serves a certificate for every name: all are
// listed by Certificates, and real TLS handshakes for a few of them, over
// the HTTPS listener, verify against roots.
func waitServed(b *testing.B, s *Server, names []string, roots *x509.CertPool, logs *headWriter) {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := s.Certificates()
		if len(got) == len(names) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d certificates served after 60s; log:\n%s", len(got), len(names), logs)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, i := range []int{0, len(names) / 2, len(names) - 1} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.HTTPSAddr(),
			&tls.Config{ServerName: names[i], RootCAs: roots})
		if err != nil {
			b.Fatalf("handshake for %s: %v; log:\n%s", names[i], err, logs)
		}
		conn.Close()
	}
}

// vmRSS returns the process's resident set size in bytes, or 0 where
// /proc/self/status cannot tell.
func vmRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// headWriter keeps the first max bytes written to it (the log shown when
// the benchmark fails) and drops the rest, so the log does not grow the
// heap being measured.
type headWriter struct {
	mu      sync.Mutex
	max     int
	buf     bytes.Buffer
	dropped int
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(max(w.max-w.buf.Len(), 0), len(p))
	w.buf.Write(p[:n])
	w.dropped += len(p) - n
	return len(p), nil
}

func (w *headWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("%s\n(%d more bytes)", w.buf.String(), w.dropped)
}

// benchPKI is a root and an intermediate CA, ECDSA P-256, as a public
// ACME CA has.
type benchPKI struct {
	roots    *x509.CertPool
	inter    *x509.Certificate
	interKey *ecdsa.PrivateKey
}

func newBenchPKI(b *testing.B) *benchPKI {
	b.Helper()
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		b.Fatal(err)
	}
	root, _ := x509.ParseCertificate(der)
	p := &benchPKI{roots: x509.NewCertPool()}
	p.roots.AddCert(root)
	p.interKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bench intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign,
	}
	if der, err = x509.CreateCertificate(rand.Reader, interTmpl, root, &p.interKey.PublicKey, rootKey); err != nil {
		b.Fatal(err)
	}
	p.inter, _ = x509.ParseCertificate(der)
	return p
}

// store writes, under the certmagic storage directory dir, a certificate
// for each name as certmagic stores one it obtained from the CA whose
// directory URL is caURL (issuer key issuerKey): NAME.crt (leaf and
// intermediate), NAME.key (PKCS #8, 0600) and NAME.json (the names and the
// issuer data, renewal information included). The certificates are 90-day
// ones issued ten days ago. With ariFresh, the renewal information is
// next due in six hours; otherwise it was due a week ago.
func (p *benchPKI) store(b *testing.B, dir, issuerKey, caURL string, names []string, ariFresh bool) {
	b.Helper()
	now := time.Now()
	notBefore := now.Add(-10 * 24 * time.Hour).Truncate(time.Second)
	interPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.inter.Raw})
	for i, name := range names {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		tmpl := &x509.Certificate{
			SerialNumber: serial, DNSNames: []string{name},
			NotBefore: notBefore, NotAfter: notBefore.Add(90 * 24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, p.inter, &key.PublicKey, p.interKey)
		if err != nil {
			b.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(der)
		kder, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			b.Fatal(err)
		}
		ari := acmeapi.RenewalInfo{SelectedTime: notBefore.Add(60 * 24 * time.Hour)}
		ari.SuggestedWindow.Start = notBefore.Add(59 * 24 * time.Hour)
		ari.SuggestedWindow.End = notBefore.Add(61 * 24 * time.Hour)
		if ari.UniqueIdentifier, err = acmeapi.ARIUniqueIdentifier(leaf); err != nil {
			b.Fatal(err)
		}
		retry := now.Add(6 * time.Hour)
		if !ariFresh {
			retry = now.Add(-7 * 24 * time.Hour)
		}
		ari.RetryAfter = &retry
		issuerData, err := json.Marshal(acmeapi.Certificate{
			URL:         fmt.Sprintf("%s/cert/%d", strings.TrimSuffix(caURL, "/dir"), i),
			CA:          caURL,
			Account:     strings.TrimSuffix(caURL, "/dir") + "/my-account/1",
			RenewalInfo: &ari,
		})
		if err != nil {
			b.Fatal(err)
		}
		meta, err := json.MarshalIndent(certmagic.CertificateResource{SANs: []string{name}, IssuerData: issuerData}, "", "\t")
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []struct {
			key  string
			data []byte
		}{
			{certmagic.StorageKeys.SitePrivateKey(issuerKey, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})},
			{certmagic.StorageKeys.SiteCert(issuerKey, name), append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), interPEM...)},
			{certmagic.StorageKeys.SiteMeta(issuerKey, name), meta},
		} {
			file := filepath.Join(dir, filepath.FromSlash(f.key))
			if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(file, f.data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
}
