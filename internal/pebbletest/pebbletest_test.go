package pebbletest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// client configures a certmagic client of ca.
type client struct {
	httpPort, tlsPort int  // where certmagic's solvers listen
	noHTTP, noTLSALPN bool // challenge types to disable
}

// config returns a certmagic config using ca as its only issuer, storing
// in a fresh temporary directory.
func (cl client) config(t testing.TB, ca *CA) *certmagic.Config {
	t.Helper()
	var cfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
	})
	t.Cleanup(cache.Stop)
	cfg = certmagic.New(cache, certmagic.Config{Storage: &certmagic.FileStorage{Path: t.TempDir()}})
	cfg.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
		CA:                      ca.DirectoryURL(),
		TrustedRoots:            ca.ClientRoots(),
		Email:                   "test@example.com",
		Agreed:                  true,
		ListenHost:              "127.0.0.1",
		AltHTTPPort:             cl.httpPort,
		AltTLSALPNPort:          cl.tlsPort,
		DisableHTTPChallenge:    cl.noHTTP,
		DisableTLSALPNChallenge: cl.noTLSALPN,
	})}
	return cfg
}

// newPair starts a CA with o, validating on fresh ports, and a certmagic
// config whose solvers listen on those ports.
func newPair(t testing.TB, o Options, cl client) (*CA, *certmagic.Config) {
	t.Helper()
	cl.httpPort, cl.tlsPort = freePort(t), freePort(t)
	ca := Start(t, o)
	ca.Validate(cl.httpPort, cl.tlsPort)
	return ca, cl.config(t, ca)
}

// obtain obtains a certificate for name and returns it from certmagic's
// cache.
func obtain(t testing.TB, cfg *certmagic.Config, name string) certmagic.Certificate {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cfg.ObtainCertSync(ctx, name); err != nil {
		t.Fatalf("obtaining a certificate for %s: %v", name, err)
	}
	cert, err := cfg.CacheManagedCertificate(ctx, name)
	if err != nil {
		t.Fatalf("loading the certificate for %s: %v", name, err)
	}
	return cert
}

// verifyChain checks cert's chain against ca's issuer roots for name.
func verifyChain(t testing.TB, ca *CA, cert certmagic.Certificate, name string) {
	t.Helper()
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		inter.AddCert(c)
	}
	_, err := cert.Leaf.Verify(x509.VerifyOptions{
		DNSName:       name,
		Roots:         ca.IssuerRoots(t),
		Intermediates: inter,
	})
	if err != nil {
		t.Fatalf("the chain for %s does not verify against IssuerRoots: %v", name, err)
	}
}

// counts is a snapshot of a CA's counters.
type counts struct{ orders, created, issued int }

func countsOf(ca *CA) counts { return counts{ca.Orders(), ca.OrdersCreated(), ca.Issued()} }

func TestObtainAndServe(t *testing.T) {
	t.Parallel()
	// Each test of the package obtains its own names: see the package
	// documentation on certmagic's process-wide challenge map.
	tests := []struct {
		name       string
		client     client
		identifier string
	}{
		{"http-01", client{noTLSALPN: true}, "localhost"},
		{"http-01 any name", client{noTLSALPN: true}, "site-a.example.test"},
		{"tls-alpn-01", client{noHTTP: true}, "tls-alpn.test"},
		{"tls-alpn-01 IP", client{noHTTP: true}, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca, cfg := newPair(t, Options{}, tt.client)
			cert := obtain(t, cfg, tt.identifier)
			verifyChain(t, ca, cert, tt.identifier)
			if got, want := countsOf(ca), (counts{1, 1, 1}); got != want {
				t.Errorf("counters %+v, want %+v", got, want)
			}
			if got, want := cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore), defaultValidity-time.Second; got != want {
				t.Errorf("default lifetime %v, want %v", got, want)
			}

			// A real TLS handshake: certmagic serves the certificate and a
			// client trusting only IssuerRoots accepts it.
			ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg.TLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				conn.(*tls.Conn).Handshake()
			}()
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
				ServerName: tt.identifier,
				RootCAs:    ca.IssuerRoots(t),
			})
			if err != nil {
				t.Fatalf("TLS handshake with the issued certificate: %v", err)
			}
			conn.Close()
		})
	}
}

func TestValidationIsReal(t *testing.T) {
	t.Parallel()
	// The solver listens on another port than Pebble validates on, or the
	// name does not resolve: real validation fails, AlwaysValid does not
	// look.
	tests := []struct {
		identifier  string
		alwaysValid bool
		wantErr     string // "" means success
	}{
		{"wrong-port.test", false, "connection refused"},
		{"wrong-port-always-valid.test", true, ""},
		{"nxdomain.invalid", false, "could not resolve"},
		{"nxdomain-always-valid.invalid", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.identifier, func(t *testing.T) {
			t.Parallel()
			ca := Start(t, Options{AlwaysValid: tt.alwaysValid})
			ca.Validate(freePort(t), freePort(t))
			cfg := client{httpPort: freePort(t), noTLSALPN: true}.config(t, ca)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := cfg.ObtainCertSync(ctx, tt.identifier)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("obtaining: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("obtaining: %v, want an error mentioning %q", err, tt.wantErr)
			}
			want := counts{1, 1, 1}
			if tt.wantErr != "" {
				want.issued = 0
			}
			if got := countsOf(ca); got != want {
				t.Errorf("counters %+v, want %+v", got, want)
			}
		})
	}
}

func TestValidity(t *testing.T) {
	t.Parallel()
	ca, cfg := newPair(t, Options{Validity: 30 * time.Second}, client{noTLSALPN: true})
	cert := obtain(t, cfg, "validity.test")
	verifyChain(t, ca, cert, "validity.test")
	if got := cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore); got != 29*time.Second {
		t.Errorf("NotAfter-NotBefore = %v, want 29s (Pebble: Validity - 1s)", got)
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	ca, cfg := newPair(t, Options{}, client{noTLSALPN: true})
	ca.SetDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cfg.ObtainCertSync(ctx, "down.test")
	if err == nil {
		t.Fatal("obtained a certificate from a CA that is down")
	}
	if errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "the CA is down") {
		t.Fatalf("obtaining while down: %v, want the outage's problem document", err)
	}
	if got := countsOf(ca); got != (counts{}) {
		t.Errorf("counters while down %+v, want none", got)
	}

	ca.SetDown(false)
	cert := obtain(t, cfg, "down.test")
	verifyChain(t, ca, cert, "down.test")
	if got, want := countsOf(ca), (counts{1, 1, 1}); got != want {
		t.Errorf("counters after the outage %+v, want %+v", got, want)
	}

	// Down again once the client has an account and the directory: the
	// outage now hits its POSTs.
	ca.SetDown(true)
	err = cfg.ObtainCertSync(ctx, "down-again.test")
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("obtaining during the second outage: %v, want an HTTP 503 error", err)
	}
	if got, want := countsOf(ca), (counts{1, 1, 1}); got != want {
		t.Errorf("counters after the second outage %+v, want %+v", got, want)
	}
}

func TestNonceReject(t *testing.T) {
	t.Parallel()
	// Every POST rejected, by Pebble's dice at 100% or deterministically:
	// the first POST fails after acmez's retries, and no order reaches
	// Pebble.
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"100", Options{NonceReject: 100}, "badNonce"},
		{"every-1", Options{NonceRejectEvery: 1}, "nonce rejected by NonceRejectEvery 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ca, cfg := newPair(t, tc.opts, client{noTLSALPN: true})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := cfg.ObtainCertSync(ctx, "nonce-"+tc.name+".test")
			if err == nil || !strings.Contains(err.Error(), "badNonce") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("obtaining with every nonce rejected: %v, want a badNonce error with %q", err, tc.wantErr)
			}
			if ca.BadNonces() < 2 || ca.Orders() != 0 {
				t.Errorf("BadNonces() = %d, Orders() = %d; want retries and no order reaching Pebble", ca.BadNonces(), ca.Orders())
			}
		})
	}
	t.Run("50", func(t *testing.T) {
		t.Parallel()
		ca, cfg := newPair(t, Options{NonceReject: 50}, client{noTLSALPN: true})
		// acmez retries a rejected POST 9 times, so an issuance of about ten
		// POSTs fails with probability ~1%; like a real client, try again.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		for range 3 {
			if err = cfg.ObtainCertSync(ctx, "nonce-50.test"); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("obtaining with half the nonces rejected: %v", err)
		}
		if ca.Issued() < 1 {
			t.Errorf("Issued() = %d, want at least 1", ca.Issued())
		}
		t.Logf("%d badNonce rejections", ca.BadNonces())
	})
	// Every other POST rejected, deterministically: issuance always
	// succeeds, with every retried POST accounted for.
	t.Run("every-2", func(t *testing.T) {
		t.Parallel()
		ca, cfg := newPair(t, Options{NonceRejectEvery: 2}, client{noTLSALPN: true})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := cfg.ObtainCertSync(ctx, "nonce-every-2.test"); err != nil {
			t.Fatalf("obtaining with every other nonce rejected: %v", err)
		}
		ca.mu.Lock()
		posts := ca.posts
		ca.mu.Unlock()
		if want := (posts + 1) / 2; ca.BadNonces() != want || ca.Issued() != 1 || ca.Orders() != 1 {
			t.Errorf("BadNonces() = %d of %d POSTs (want %d), Issued() = %d, Orders() = %d (want 1, 1)", ca.BadNonces(), posts, want, ca.Issued(), ca.Orders())
		}
	})
}

func TestServing(t *testing.T) {
	t.Parallel()
	ca := Start(t, Options{})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.ClientRoots()}}}
	t.Cleanup(hc.CloseIdleConnections)
	get := func(wantStatus int, wantBody string) []byte {
		t.Helper()
		resp, err := hc.Get(ca.DirectoryURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != wantStatus || !strings.Contains(string(body), wantBody) {
			t.Fatalf("GET directory: %d %s, want %d and %q", resp.StatusCode, body, wantStatus, wantBody)
		}
		return body
	}

	if !strings.HasPrefix(ca.DirectoryURL(), "https://127.0.0.1:") {
		t.Errorf("DirectoryURL() = %q, want https on 127.0.0.1", ca.DirectoryURL())
	}
	get(http.StatusServiceUnavailable, "Validate has not been called")

	ca.Validate(1, 2)
	var dir map[string]any
	if err := json.Unmarshal(get(http.StatusOK, "newOrder"), &dir); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(ca.DirectoryURL(), "/dir")
	if dir["newOrder"] != base+newOrderPath {
		t.Errorf("directory newOrder = %v, want %s (the path Orders counts)", dir["newOrder"], base+newOrderPath)
	}

	ca.SetDown(true)
	get(http.StatusServiceUnavailable, "urn:ietf:params:acme:error:serverInternal")
	resp, err := hc.Head(base + "/nonce-plz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "" {
		t.Errorf("HEAD nonce while down: %d, Content-Type %q; want 503 and none", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ca.SetDown(false)
	get(http.StatusOK, "newOrder")
}

// fatalRecorder is a testing.TB whose Fatal* record the message and end
// the goroutine, as the real ones do.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalRecorder) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// fatalOf runs fn in its own goroutine and returns the message it failed
// the test with, or "".
func (f *fatalRecorder) fatalOf(fn func()) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.msg
}

func TestMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		use  func(tb testing.TB)
		want string // in the failure message; "" means no failure
	}{
		{"zero options", func(tb testing.TB) { Start(tb, Options{}) }, ""},
		{"negative validity", func(tb testing.TB) { Start(tb, Options{Validity: -time.Second}) }, "Validity -1s is negative"},
		{"fractional validity", func(tb testing.TB) { Start(tb, Options{Validity: 1500 * time.Millisecond}) }, "whole number of seconds"},
		{"nonce reject 101", func(tb testing.TB) { Start(tb, Options{NonceReject: 101}) }, "NonceReject 101"},
		{"nonce reject -1", func(tb testing.TB) { Start(tb, Options{NonceReject: -1}) }, "NonceReject -1"},
		{"nonce reject every -1", func(tb testing.TB) { Start(tb, Options{NonceRejectEvery: -1}) }, "NonceRejectEvery -1"},
		{"authz reuse 101", func(tb testing.TB) { Start(tb, Options{AuthzReuse: 101}) }, "AuthzReuse 101"},
		{"http port 0", func(tb testing.TB) { Start(tb, Options{}).Validate(0, 443) }, "httpPort 0"},
		{"tls port 65536", func(tb testing.TB) { Start(tb, Options{}).Validate(80, 65536) }, "tlsPort 65536"},
		{"validate twice", func(tb testing.TB) {
			ca := Start(tb, Options{})
			ca.Validate(80, 443)
			ca.Validate(80, 443)
		}, "Validate called twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fatalRecorder{TB: t}
			got := f.fatalOf(func() { tt.use(f) })
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("failure %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvironmentRestored(t *testing.T) {
	// Not parallel: it changes the process environment.
	old := map[string]string{
		"PEBBLE_WFE_NONCEREJECT": "77",
		"PEBBLE_VA_SLEEPTIME":    "3",
		"PEBBLE_VA_NOSLEEP":      "0",
	}
	for k, v := range old {
		t.Setenv(k, v)
	}
	const unset = "PEBBLE_AUTHZREUSE"
	t.Setenv(unset, "")
	os.Unsetenv(unset)

	Start(t, Options{}).Validate(80, 443)
	for k, want := range old {
		if got := os.Getenv(k); got != want {
			t.Errorf("after Validate %s = %q, want %q restored", k, got, want)
		}
	}
	if v, set := os.LookupEnv(unset); set {
		t.Errorf("after Validate %s = %q, want it unset again", unset, v)
	}
}

func TestLogRing(t *testing.T) {
	t.Parallel()
	l := &logRing{max: 2}
	for _, w := range []string{"a\n", "b\nc\n", "d"} {
		if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if got := l.String(); got != "c\nd" {
		t.Errorf("kept %q, want the last two lines", got)
	}
}
