// Package pebbletest runs a real ACME certificate authority (Let's
// Encrypt's Pebble, github.com/letsencrypt/pebble/v2) inside a Go test
// process, on 127.0.0.1, so that ACME clients can be tested end to end
// without the internet.
//
// Start serves the ACME API at once, so its directory URL can be handed to
// the code under test; Validate then creates Pebble's validation authority
// for the ports that code listens on. HTTP-01 and TLS-ALPN-01 challenges
// are validated for real: Pebble connects to 127.0.0.1 (or to the address
// of an IP identifier) on those ports. Until Validate, every ACME request
// gets 503.
//
//	ca := pebbletest.Start(t, pebbletest.Options{Validity: 30 * time.Second})
//	httpPort, tlsPort := freePort(t), freePort(t)
//	ca.Validate(httpPort, tlsPort)
//	iss := certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
//		CA:             ca.DirectoryURL(),
//		TrustedRoots:   ca.ClientRoots(),
//		Email:          "test@example.com", // empty: certmagic prompts on stdin
//		Agreed:         true,
//		ListenHost:     "127.0.0.1",
//		AltHTTPPort:    httpPort,
//		AltTLSALPNPort: tlsPort,
//	})
//	cfg.Issuers = []certmagic.Issuer{iss}
//	err := cfg.ObtainCertSync(ctx, "site-a.test")
//	// then verify what is served against ca.IssuerRoots(t)
//
// Names: Pebble resolves identifiers through a DNS server of this package,
// in which every name resolves to 127.0.0.1 (A record only), except
// "invalid" and names under it, which do not exist. Tests may therefore
// use any names, and should give each test its own: certmagic keeps the
// challenges being solved in a process-wide map keyed by identifier, so
// two tests of one binary obtaining the same name at the same time (say
// "localhost") overwrite each other's challenge and fail with 404s.
//
// Environment: Pebble takes its tuning from environment variables, which
// it reads only when its validation authority and front end are built
// (never per request). Validate sets them under a package mutex and
// restores them afterwards, so CAs with different Options may be started
// from parallel tests. Code building Pebble components by other means in
// the same process must not do so concurrently.
//
// Other Pebble behaviour (v2.10.1) worth knowing:
//   - An issued certificate's NotAfter is NotBefore + Validity - 1s, and
//     NotBefore is the moment of issuance (no backdating).
//   - Even with AuthzReuse 0, Pebble reuses an account's valid
//     authorization for an identifier about 1% of the time (its dice roll
//     is "0..99 > percent").
//   - Pebble lower-cases the identifiers of an order, and certmagic
//     (acmez) then rejects the order if its CSR spelled a name in another
//     case ("identifiers in Order ... do not match"): obtain lower-case
//     names.
//   - One dispatcher goroutine of Pebble's validator per CA outlives the
//     test; Pebble has no way to stop it.
package pebbletest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Paths of Pebble's ACME API that the counters watch. Pebble keeps them
// unexported; the package tests check them against the directory.
const (
	newOrderPath   = "/order-plz"
	finalizePrefix = "/finalize-order/"
	newNoncePath   = "/nonce-plz"
)

// defaultValidity is Pebble's own default certificate lifetime.
const defaultValidity = 90 * 24 * time.Hour

// envMu serialises the construction of Pebble components, which read their
// settings from the process environment.
var envMu sync.Mutex

// Options tune the CA. The zero value gives a well-behaved CA: 90-day
// certificates, no nonce rejection, real validation without delays.
type Options struct {
	// Validity is the lifetime of issued certificates, in whole seconds
	// (at least 1s); 0 means 90 days. Pebble makes NotAfter one second
	// less than NotBefore + Validity.
	Validity time.Duration
	// NonceReject is the percentage (0-100) of valid nonces the CA rejects
	// with badNonce, as PEBBLE_WFE_NONCEREJECT. 0 (the default here,
	// unlike Pebble's own 5) rejects none; 100 rejects every POST. acmez
	// gives a POST 10 tries, so at 50 about one issuance in a hundred
	// fails, and about one in sixty sees no rejection at all: a test that
	// must exercise rejection, and must not fail by chance, wants
	// NonceRejectEvery.
	NonceReject int
	// NonceRejectEvery rejects the nonce of every Nth POST, the first
	// included (2: the 1st, 3rd, 5th…), deterministically. The request does
	// not reach Pebble; it is answered as Pebble answers a bad nonce: 400,
	// a badNonce problem and a fresh nonce from Pebble in Replay-Nonce
	// (RFC 8555 §6.5). With 2, a client that retries as the RFC says is
	// always exercised and always succeeds. 0 rejects none; 1 rejects
	// every POST.
	NonceRejectEvery int
	// AlwaysValid skips challenge validation (every challenge succeeds
	// without a connection), as PEBBLE_VA_ALWAYS_VALID.
	AlwaysValid bool
	// AuthzReuse is the percentage (0-100) of the time Pebble reuses an
	// account's existing valid authorization for an identifier instead of
	// asking for a new challenge, as PEBBLE_AUTHZREUSE. 0 (the default
	// here, unlike Pebble's own 50) makes almost every order validate
	// afresh; see the package documentation for the 1% exception.
	AuthzReuse int
}

// CA is a Pebble ACME server running in the test process. Its methods are
// safe for concurrent use, except Validate, which must be called from the
// test's goroutine.
type CA struct {
	t     testing.TB
	opts  Options
	logs  *logRing
	log   *log.Logger
	store *db.MemoryStore
	ca    *ca.CAImpl
	srv   *httptest.Server
	dns   *resolver

	mu        sync.Mutex
	validated bool
	api       http.Handler // nil until Validate
	down      bool
	orders    int
	created   int
	issued    int
	badNonces int
	posts     int // POSTs received while serving, for NonceRejectEvery
}

// Start starts a CA serving the ACME API over HTTPS on 127.0.0.1 and
// registers its shutdown with t.Cleanup. Pebble's log is kept in memory and
// written to t only if the test fails. Invalid Options fail the test.
func Start(t testing.TB, o Options) *CA {
	t.Helper()
	if err := o.check(); err != nil {
		t.Fatalf("pebbletest.Start: %v", err)
	}
	if o.Validity == 0 {
		o.Validity = defaultValidity
	}
	c := &CA{t: t, opts: o, logs: &logRing{max: 400}}
	c.log = log.New(c.logs, "pebble ", log.Ltime|log.Lmicroseconds)
	c.store = db.NewMemoryStore()
	c.ca = ca.New(c.log, c.store, "", "ecdsa", 0, 1, map[string]ca.Profile{
		"default": {
			Description:    "pebbletest profile",
			ValidityPeriod: uint64(o.Validity / time.Second),
		},
	})
	dns, err := startResolver(c.log)
	if err != nil {
		t.Fatalf("pebbletest.Start: %v", err)
	}
	c.dns = dns
	c.srv = httptest.NewUnstartedServer(c)
	c.srv.Config.ErrorLog = c.log
	c.srv.StartTLS()
	t.Cleanup(func() {
		c.srv.Close()
		c.dns.close()
		if t.Failed() {
			t.Logf("pebbletest: last lines of Pebble's log:\n%s", c.logs.String())
		}
	})
	return c
}

// check reports what is wrong with o.
func (o Options) check() error {
	switch {
	case o.Validity < 0:
		return fmt.Errorf("Options.Validity %v is negative", o.Validity)
	case o.Validity%time.Second != 0:
		return fmt.Errorf("Options.Validity %v is not a whole number of seconds (Pebble profiles count seconds)", o.Validity)
	case o.NonceReject < 0 || o.NonceReject > 100:
		return fmt.Errorf("Options.NonceReject %d is not a percentage in 0..100", o.NonceReject)
	case o.NonceRejectEvery < 0:
		return fmt.Errorf("Options.NonceRejectEvery %d is negative", o.NonceRejectEvery)
	case o.AuthzReuse < 0 || o.AuthzReuse > 100:
		return fmt.Errorf("Options.AuthzReuse %d is not a percentage in 0..100", o.AuthzReuse)
	}
	return nil
}

// DirectoryURL returns the ACME directory URL (https://127.0.0.1:port/dir).
func (c *CA) DirectoryURL() string { return c.srv.URL + wfe.DirectoryPath }

// ClientRoots returns a pool trusting the ACME API server's own TLS
// certificate, for certmagic's ACMEIssuer.TrustedRoots or an HTTP client.
func (c *CA) ClientRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.srv.Certificate())
	return pool
}

// Validate creates Pebble's validation authority, which validates HTTP-01
// challenges on httpPort and TLS-ALPN-01 challenges on tlsPort (at
// 127.0.0.1 for DNS names, see the package documentation), and the ACME
// front end; ACME requests are served from then on. A second call, or a
// port outside 1..65535, fails the test.
func (c *CA) Validate(httpPort, tlsPort int) {
	c.t.Helper()
	for _, p := range []struct {
		name string
		port int
	}{{"httpPort", httpPort}, {"tlsPort", tlsPort}} {
		if p.port < 1 || p.port > 65535 {
			c.t.Fatalf("pebbletest: Validate: %s %d is not a TCP port (1..65535)", p.name, p.port)
		}
	}
	c.mu.Lock()
	again := c.validated
	c.validated = true
	c.mu.Unlock()
	if again {
		c.t.Fatalf("pebbletest: Validate called twice")
	}

	alwaysValid := "0"
	if c.opts.AlwaysValid {
		alwaysValid = "1"
	}
	env := map[string]string{
		"PEBBLE_VA_NOSLEEP":          "1",
		"PEBBLE_VA_SLEEPTIME":        "",
		"PEBBLE_VA_ALWAYS_VALID":     alwaysValid,
		"PEBBLE_WFE_NONCEREJECT":     strconv.Itoa(c.opts.NonceReject),
		"PEBBLE_AUTHZREUSE":          strconv.Itoa(c.opts.AuthzReuse),
		"PEBBLE_WFE_ORDERS_PER_PAGE": "",
	}
	envMu.Lock()
	restore := setenv(env)
	v := va.New(c.log, httpPort, tlsPort, false, c.dns.addr(), c.store)
	w := wfe.New(c.log, c.store, v, c.ca, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	restore()
	envMu.Unlock()

	api := w.Handler()
	c.mu.Lock()
	c.api = api
	c.mu.Unlock()
}

// setenv sets each variable of env (unsetting those mapped to "") and
// returns a function restoring the previous environment.
func setenv(env map[string]string) (restore func()) {
	type saved struct {
		value string
		set   bool
	}
	old := make(map[string]saved, len(env))
	for k, v := range env {
		value, set := os.LookupEnv(k)
		old[k] = saved{value, set}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, s := range old {
			if s.set {
				os.Setenv(k, s.value)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// IssuerRoots returns a pool holding the Pebble root certificate(s) that
// issued certificates chain to. Pebble generates them anew for every CA.
// Issued chains as downloaded (leaf and intermediate) verify against it.
// The roots are taken from the CA itself, the same certificates Pebble's
// management endpoint serves at wfe.RootCertPath+"0", so this works
// before Validate.
func (c *CA) IssuerRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	n := c.ca.GetNumberOfRootCerts()
	for i := range n {
		root := c.ca.GetRootCert(i)
		if root == nil || root.Cert == nil {
			t.Fatalf("pebbletest: Pebble has no root certificate %d of %d", i, n)
		}
		pool.AddCert(root.Cert)
	}
	return pool
}

// ClientRootPEM is ClientRoots as PEM, for configuration files that name
// a CA root file.
func (c *CA) ClientRootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.srv.Certificate().Raw})
}

// IssuerRootPEM is IssuerRoots as PEM, for files and other processes.
func (c *CA) IssuerRootPEM() []byte {
	var out []byte
	for i := range c.ca.GetNumberOfRootCerts() {
		if root := c.ca.GetRootCert(i); root != nil && root.Cert != nil {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Cert.Raw})...)
		}
	}
	return out
}

// SetDown starts (true) or ends (false) an outage. While down, every ACME
// request is answered 503 with an RFC 7807 problem document of type
// urn:ietf:params:acme:error:serverInternal (HEAD: 503 without a body),
// without reaching Pebble. This is what a CA in maintenance answers, and
// it drives the client's handling of server errors rather than of
// network errors: acmez retries 5xx answers a few times, 250 ms apart,
// then reports the error (certmagic.Config.ObtainCertSync fails in about
// half a second; certmagic's background maintenance backs off and tries
// again later).
func (c *CA) SetDown(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

// Orders returns how many new-order requests reached Pebble (while up and
// after Validate), whatever Pebble answered: a request rejected for its
// nonce counts too.
func (c *CA) Orders() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.orders
}

// OrdersCreated returns how many new-order requests Pebble accepted
// (201 Created).
func (c *CA) OrdersCreated() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created
}

// Issued returns how many finalize requests Pebble accepted (200): each
// one makes Pebble sign a certificate, right after the response.
func (c *CA) Issued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued
}

// BadNonces returns how many requests were rejected with a badNonce
// problem: by Pebble, genuinely or through Options.NonceReject, or by
// Options.NonceRejectEvery.
func (c *CA) BadNonces() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.badNonces
}

// ServeHTTP serves the ACME API, or 503 before Validate and while down.
func (c *CA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	api, down := c.api, c.down
	c.mu.Unlock()
	switch {
	case api == nil:
		unavailable(w, r, "pebbletest: the CA is not serving yet (Validate has not been called)")
		return
	case down:
		unavailable(w, r, "pebbletest: the CA is down (SetDown(true))")
		return
	}
	if c.rejectThisNonce(r) {
		c.rejectNonce(w, api)
		return
	}
	rec := &recorder{ResponseWriter: w}
	api.ServeHTTP(rec, r)
	c.count(r, rec)
}

// rejectThisNonce counts r if it is a POST and reports whether
// Options.NonceRejectEvery picks it for rejection.
func (c *CA) rejectThisNonce(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts++
	every := c.opts.NonceRejectEvery
	if every == 0 || (c.posts-1)%every != 0 {
		return false
	}
	c.badNonces++
	return true
}

// rejectNonce answers a POST as Pebble answers one with a bad nonce,
// handing out a fresh nonce that Pebble itself issued.
func (c *CA) rejectNonce(w http.ResponseWriter, api http.Handler) {
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, c.srv.URL+newNoncePath, nil))
	nonce := rec.Header().Get("Replay-Nonce")
	if nonce == "" { // the client's retry will then fail: say why
		c.log.Printf("pebbletest: Pebble's %s answered %d without a Replay-Nonce", newNoncePath, rec.Code)
	}
	c.log.Printf("pebbletest: rejecting this POST's nonce (NonceRejectEvery %d)", c.opts.NonceRejectEvery)
	w.Header().Set("Replay-Nonce", nonce)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"type":"urn:ietf:params:acme:error:badNonce","detail":"pebbletest: nonce rejected by NonceRejectEvery %d","status":400}`, c.opts.NonceRejectEvery)
}

// count updates the counters after Pebble answered r.
func (c *CA) count(r *http.Request, rec *recorder) {
	if r.Method != http.MethodPost {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	status := rec.statusCode()
	switch {
	case r.URL.Path == newOrderPath:
		c.orders++
		if status == http.StatusCreated {
			c.created++
		}
	case strings.HasPrefix(r.URL.Path, finalizePrefix) && status == http.StatusOK:
		c.issued++
	}
	if rec.badNonce {
		c.badNonces++
	}
}

// unavailable answers 503 with an ACME problem document. A response to
// HEAD (how clients fetch nonces) has no body, hence no problem type:
// announcing one would make acmez fail on decoding the empty body.
func unavailable(w http.ResponseWriter, r *http.Request, detail string) {
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `{"type":"urn:ietf:params:acme:error:serverInternal","detail":%q,"status":503}`, detail)
}

// recorder notes the status of a response and whether it is a badNonce
// problem.
type recorder struct {
	http.ResponseWriter
	status   int
	badNonce bool
}

var badNonceType = []byte("urn:ietf:params:acme:error:badNonce")

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.status == http.StatusBadRequest && bytes.Contains(p, badNonceType) {
		r.badNonce = true
	}
	return r.ResponseWriter.Write(p)
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// logRing keeps the last max lines written to it.
type logRing struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (l *logRing) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		if len(l.lines) == l.max {
			l.lines = l.lines[1:]
		}
		l.lines = append(l.lines, line)
	}
	return len(p), nil
}

func (l *logRing) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
