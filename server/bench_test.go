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
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// server.New to the moment every certificate is served (every site's
// source serves it, certmagic loading them asynchronously, and real TLS
// handshakes for sample names succeed; Server.Certificates then lists all
// 1,000, checked outside the timer). It reports that time (ms/op), the
// part of it spent in New (new-ms), the configuration parse time (outside
// the timer), memory once ready, after a collection: the heap in use
// (heap-MiB: spans in use, so it includes fragmentation left by earlier
// allocations) and the live heap (live-MiB, to compare with
// live-base-MiB, the benchmark's own live heap before any server
// started), and the resident set of the whole test process (rss-MiB). No
// ACME order may be placed.
//
// The certificates are signed by a CA of the benchmark and stored as
// certmagic stores what it obtains, with the metadata it writes (renewal
// information included), under the issuer key of the configured CA: an
// in-process Pebble. Two variants:
//
//   - ari-fresh: the renewal information was refreshed recently (its
//     retry-after time is in the future), as after a quick restart.
//     Nothing asks the CA anything.
//   - ari-due: its retry-after time has passed (a restart after some
//     downtime, or a restored backup). Handing every name to certmagic's
//     ManageAsync made it ask the CA for every certificate at once while
//     they loaded (2.5 s to ready); acme.Source now loads stored
//     certificates itself and leaves the refresh to the renewal loop.
//     This variant reports the renewal-information requests made before
//     ready (ari-at-ready) and the connections opened to the CA
//     (ca-conns).
//
// Pebble only answers renewal information for certificates it issued, and
// retries of its refusals would take seconds, so the CA's API is served
// through a front that answers renewal-information requests itself, as
// the issuing CA would (a window around day 60 of 90), and hands every
// other request to Pebble. The front speaks HTTP/2, as public ACME CAs do.
func BenchmarkStartStored1000(b *testing.B) {
	env := newStoredEnv(b, "")
	ca, front, dir, caURL, names, notBefore := env.ca, env.front, env.dir, env.caURL, env.names, env.notBefore
	cfgText := env.cfgText
	pki := newBenchPKI(b)
	issuerKey := (&certmagic.ACMEIssuer{CA: caURL}).IssuerKey()
	// Measured once, before any server starts: certmagic's process-wide
	// job queue keeps the jobs of the last server started reachable
	// until the next one submits its own.
	var ms goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&ms)
	liveBase := float64(ms.HeapAlloc) / (1 << 20)
	for _, v := range []struct {
		name     string
		ariFresh bool
	}{{"ari-fresh", true}, {"ari-due", false}} {
		st := storedData{
			data:     filepath.Join(dir, v.name),
			pristine: filepath.Join(dir, v.name+"-metadata"),
		}
		pki.store(b, st, issuerKey, caURL, names, notBefore, v.ariFresh)
		b.Run(v.name, func(b *testing.B) {
			orders, ari := ca.Orders(), front.requests.Load()
			benchStart(b, filepath.Join(dir, "portcullis.toml"), cfgText, st, names, pki.roots, front, !v.ariFresh)
			b.ReportMetric(liveBase, "live-base-MiB")
			if n := ca.Orders() - orders; n != 0 {
				b.Fatalf("%d ACME orders placed for stored certificates", n)
			}
			if n := front.requests.Load() - ari; v.ariFresh && n != 0 {
				b.Fatalf("%d renewal-information requests, none due", n)
			}
		})
	}
}

// storedEnv is what the benchmarks starting with storedSites stored
// certificates share: an in-process Pebble behind an ariFront, an
// upstream, and the configuration of storedSites ACME sites.
type storedEnv struct {
	ca        *pebbletest.CA
	front     *ariFront
	dir       string    // the benchmark's temporary directory
	caURL     string    // the ACME directory, through the front
	notBefore time.Time // of every stored certificate
	names     []string  // one host name per site
	cfgText   string    // the configuration
}

// newStoredEnv starts the CA, its front and the upstream, and writes the
// configuration: listeners on loopback, no admin listener, no access
// log, extra (more sections), [acme] and the sites.
func newStoredEnv(b *testing.B, extra string) *storedEnv {
	ca := pebbletest.Start(b, pebbletest.Options{})
	// No challenge is ever validated (every certificate is stored), so
	// the validation ports are never used; Validate makes the CA answer.
	ca.Validate(1, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	b.Cleanup(upstream.Close)

	env := &storedEnv{ca: ca, dir: b.TempDir(), notBefore: time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second)}
	env.front = newARIFront(b, ca, env.notBefore)
	root := filepath.Join(env.dir, "acme-api-root.pem")
	if err := os.WriteFile(root, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: env.front.srv.Certificate().Raw}), 0o644); err != nil {
		b.Fatal(err)
	}
	env.caURL = env.front.srv.URL + "/dir"
	var cfgText strings.Builder
	fmt.Fprintf(&cfgText, `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "off"

[access_log]
format = "off"
%s
[acme]
ca = %q
ca_root = %q
email = "ops@example.com"
`, extra, env.caURL, root)
	env.names = make([]string, storedSites)
	for i := range env.names {
		env.names[i] = fmt.Sprintf("site%04d.bench.test", i)
		fmt.Fprintf(&cfgText, "\n[[site]]\nname = \"site%04d\"\nhosts = [%q]\nupstream = %q\n[site.cert]\nsource = \"acme\"\n",
			i, env.names[i], upstream.URL)
	}
	env.cfgText = cfgText.String()
	return env
}

// ariFront serves a pebbletest CA's API, answering renewal-information
// requests itself.
type ariFront struct {
	srv      *httptest.Server
	requests atomic.Int64 // renewal-information requests answered
	conns    atomic.Int64 // connections accepted
}

// newARIFront starts a front for ca. Every certificate's suggested
// renewal window is days 59 to 61 after notBefore, for another 6 hours.
func newARIFront(b *testing.B, ca *pebbletest.CA, notBefore time.Time) *ariFront {
	// The renewal-information path, from Pebble's own directory.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "https://ca.test/dir", nil)
	req.Header.Set("User-Agent", "portcullis-bench")
	ca.ServeHTTP(rec, req)
	var dir struct {
		RenewalInfo string `json:"renewalInfo"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &dir); err != nil || dir.RenewalInfo == "" {
		b.Fatalf("Pebble's directory names no renewalInfo (%v): %s", err, rec.Body)
	}
	u, err := url.Parse(dir.RenewalInfo)
	if err != nil {
		b.Fatal(err)
	}
	var window acmeapi.RenewalInfo
	window.SuggestedWindow.Start = notBefore.Add(59 * 24 * time.Hour)
	window.SuggestedWindow.End = notBefore.Add(61 * 24 * time.Hour)
	answer, err := json.Marshal(window)
	if err != nil {
		b.Fatal(err)
	}
	f := &ariFront{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, u.Path+"/") {
			f.requests.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "21600")
			w.Write(answer)
			return
		}
		ca.ServeHTTP(w, r)
	}))
	f.srv.EnableHTTP2 = true
	// certmagic never closes its idle connections to the CA; a public CA
	// closes them after a while, and so does the front, so that the
	// goroutines serving them end between starts.
	f.srv.Config.IdleTimeout = time.Second
	f.srv.Config.ConnState = func(_ net.Conn, cs http.ConnState) {
		if cs == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.StartTLS()
	b.Cleanup(f.srv.Close)
	return f
}

// storedData is a data directory holding stored certificates, and a copy
// of their metadata files as first written (certmagic rewrites them when
// it refreshes renewal information).
type storedData struct {
	data, pristine string
}

// restore puts the metadata files back as first written.
func (st storedData) restore(b *testing.B) {
	err := filepath.WalkDir(st.pristine, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(st.pristine, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(st.data, "acme", rel), data, 0o600)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchStart runs one variant of BenchmarkStartStored1000. With ariDue,
// after each start it also counts the renewal-information requests made
// before the server was ready (certificates whose information is due are
// refreshed by the renewal loop, one at a time, not all at start-up).
func benchStart(b *testing.B, path, cfgText string, st storedData, names []string, roots *x509.CertPool, front *ariFront, ariDue bool) {
	goruntime.GC()
	goroutines := goruntime.NumGoroutine()
	conns := front.conns.Load()
	var parse, build, ready time.Duration
	var ariAtReady int64
	var heap, live, rss float64
	var ms goruntime.MemStats
	for range b.N {
		b.StopTimer()
		st.restore(b)
		start := time.Now()
		cfg, err := config.Parse(path, []byte(cfgText))
		if err != nil {
			b.Fatal(err)
		}
		parse += time.Since(start)
		logs := &headWriter{max: 16 << 10}
		base := front.requests.Load()
		goruntime.GC()
		b.StartTimer()

		start = time.Now()
		s, err := New(cfg, Options{DataDir: st.data, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			b.Fatal(err)
		}
		build += time.Since(start)
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		waitServed(b, s, names, roots, logs)
		ready += time.Since(start)
		ariAtReady += front.requests.Load() - base
		b.StopTimer()

		checkServed(b, s, names)
		goruntime.GC()
		goruntime.ReadMemStats(&ms)
		heap += float64(ms.HeapInuse) / (1 << 20)
		live += float64(ms.HeapAlloc) / (1 << 20)
		rss += vmRSS() / (1 << 20)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.Shutdown(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		settle(b, goroutines)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ready.Microseconds())/1000/n, "ms/op")
	b.ReportMetric(float64(build.Microseconds())/1000/n, "new-ms")
	b.ReportMetric(float64(parse.Microseconds())/1000/n, "parse-ms")
	if ariDue {
		b.ReportMetric(float64(ariAtReady)/n, "ari-at-ready")
		b.ReportMetric(float64(front.conns.Load()-conns)/n, "ca-conns")
	}
	b.ReportMetric(heap/n, "heap-MiB")
	b.ReportMetric(live/n, "live-MiB")
	if rss > 0 {
		b.ReportMetric(rss/n, "rss-MiB")
	}
}

// waitServed waits until s serves a certificate for every name (site i
// serves names[i]) and real TLS handshakes over the HTTPS listener, for a
// few of them, verify against roots.
//
// Server.Certificates asks every site's source in turn, and each source
// takes certmagic's cache lock, which the loading and the renewal
// information updates take for writing: a call can take a second during
// the start. So the sites are polled one by one, each until it serves
// its certificate; checkServed then confirms with Certificates, outside
// the timer.
func waitServed(b *testing.B, s *Server, names []string, roots *x509.CertPool, logs *headWriter) {
	b.Helper()
	served := s.cur.Load().served
	if len(served) != len(names) {
		b.Fatalf("%d sites, want %d", len(served), len(names))
	}
	pending := make([]int, len(names))
	for i := range pending {
		pending[i] = i
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 {
		left := pending[:0]
		for _, i := range pending {
			if got := served[i].src.Certificates(); len(got) != 1 || !slices.Equal(got[0].Names, names[i:i+1]) {
				left = append(left, i)
			}
		}
		if pending = left; len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d certificates not served after 60s; log:\n%s", len(pending), len(names), logs)
		}
		time.Sleep(5 * time.Millisecond)
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

// checkServed fails unless s.Certificates lists exactly one certificate
// for each site, site%04d naming names[i].
func checkServed(b *testing.B, s *Server, names []string) {
	b.Helper()
	got := s.Certificates()
	if len(got) != len(names) {
		b.Fatalf("Certificates() lists %d certificates, want %d", len(got), len(names))
	}
	for _, c := range got {
		i, err := strconv.Atoi(strings.TrimPrefix(c.Site, "site"))
		if err != nil || i < 0 || i >= len(names) || !slices.Equal(c.Names, names[i:i+1]) || c.Source != "acme" {
			b.Fatalf("Certificates() lists %v from %q for site %q", c.Names, c.Source, c.Site)
		}
	}
}

// settle waits, outside the timer, until the goroutines a stopped server
// leaves behind have ended (certmagic's lock-refresh goroutines notice a
// released lock up to 5 s later), so that each start begins as quietly
// as a new process would, and fails if they do not end.
func settle(b *testing.B, before int) {
	b.Helper()
	const slack = 20
	deadline := time.Now().Add(15 * time.Second)
	for goruntime.NumGoroutine() > before+slack {
		if time.Now().After(deadline) {
			b.Fatalf("%d goroutines 15s after Shutdown, %d before New", goruntime.NumGoroutine(), before)
		}
		time.Sleep(100 * time.Millisecond)
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

// store writes, in st's data directory, a certificate for each name as
// certmagic stores one it obtained from the CA whose directory URL is
// caURL (issuer key issuerKey): NAME.crt (leaf and intermediate),
// NAME.key (PKCS #8, 0600) and NAME.json (the names and the issuer data,
// renewal information included), and a copy of each NAME.json in
// st.pristine. The certificates are 90-day ones from notBefore. With
// ariFresh, the renewal information is next due in six hours; otherwise
// it was due a week ago.
func (p *benchPKI) store(b *testing.B, st storedData, issuerKey, caURL string, names []string, notBefore time.Time, ariFresh bool) {
	b.Helper()
	interPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.inter.Raw})
	retry := time.Now().Add(6 * time.Hour)
	if !ariFresh {
		retry = time.Now().Add(-7 * 24 * time.Hour)
	}
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
		// What certmagic stores after issuance: the window, when to ask
		// again, and the renewal time it picked in the window.
		ari := acmeapi.RenewalInfo{SelectedTime: notBefore.Add(60 * 24 * time.Hour), RetryAfter: &retry}
		ari.SuggestedWindow.Start = notBefore.Add(59 * 24 * time.Hour)
		ari.SuggestedWindow.End = notBefore.Add(61 * 24 * time.Hour)
		if ari.UniqueIdentifier, err = acmeapi.ARIUniqueIdentifier(leaf); err != nil {
			b.Fatal(err)
		}
		base := strings.TrimSuffix(caURL, "/dir")
		issuerData, err := json.Marshal(acmeapi.Certificate{
			URL:         fmt.Sprintf("%s/certZ/%d", base, i),
			CA:          caURL,
			Account:     base + "/my-account/1",
			RenewalInfo: &ari,
		})
		if err != nil {
			b.Fatal(err)
		}
		meta, err := json.MarshalIndent(certmagic.CertificateResource{SANs: []string{name}, IssuerData: issuerData}, "", "\t")
		if err != nil {
			b.Fatal(err)
		}
		storage := filepath.Join(st.data, "acme")
		at := func(root, key string) string { return filepath.Join(root, filepath.FromSlash(key)) }
		metaKey := certmagic.StorageKeys.SiteMeta(issuerKey, name)
		for _, f := range []struct {
			file string
			data []byte
		}{
			{at(storage, certmagic.StorageKeys.SitePrivateKey(issuerKey, name)), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})},
			{at(storage, certmagic.StorageKeys.SiteCert(issuerKey, name)), append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), interPEM...)},
			{at(storage, metaKey), meta},
			{at(st.pristine, metaKey), meta},
		} {
			if err := os.MkdirAll(filepath.Dir(f.file), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(f.file, f.data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
}
