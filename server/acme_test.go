package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/backup"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/pebbletest"
	"github.com/portcullis/portcullis/internal/testutil"

	"filippo.io/age"
)

// acmeFixture is a running portcullis whose site "localhost" gets its
// certificate from an in-process Pebble, validated for real against
// portcullis's own listeners.
type acmeFixture struct {
	t       *testing.T
	ca      *pebbletest.CA
	srv     *Server
	dir     string // holds the config file and the data directory
	name    string // the site's host name
	logs    *testutil.Buffer
	rec     eventstest.Recorder
	cfgText string
}

type acmeOpts struct {
	pebble     pebbletest.Options
	challenges string // TOML array, e.g. `["http-01"]`
	extra      string // more [acme] keys
	dir        string // reuse this directory (restart)
	name       string // the site's name; default: one of its own
	hosts      string // the site's hosts (TOML array); default: [name]
	cert       string // more [site.cert] keys
	sites      string // more sites
}

// acmeNames makes each test's name unique: certmagic keeps the challenges
// it is solving in a process-wide table keyed by name, and pebbletest
// resolves every name to 127.0.0.1.
var acmeNames atomic.Int64

func startACME(t *testing.T, o acmeOpts, ca *pebbletest.CA) *acmeFixture {
	t.Helper()
	if o.name == "" {
		o.name = fmt.Sprintf("site%d.portcullis.test", acmeNames.Add(1))
	}
	f := &acmeFixture{t: t, ca: ca, name: o.name, logs: &testutil.Buffer{}, dir: o.dir}
	if f.ca == nil {
		f.ca = pebbletest.Start(t, o.pebble)
	}
	if f.dir == "" {
		f.dir = t.TempDir()
	}
	root := filepath.Join(f.dir, "acme-api-root.pem")
	if err := os.WriteFile(root, f.ca.ClientRootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if o.hosts == "" {
		o.hosts = fmt.Sprintf("[%q]", o.name)
	}
	if o.challenges == "" {
		o.challenges = `["http-01", "tls-alpn-01"]`
	}
	f.cfgText = fmt.Sprintf(`
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"

[acme]
ca = %[2]q
ca_root = "acme-api-root.pem"
email = "ops@example.com"
challenges = %[3]s
renew_check_interval = "1s"
%[4]s

[[site]]
name = "local"
hosts = %[5]s
upstream = "demo"
[site.cert]
source = "acme"
%[6]s
%[7]s
`, f.name, f.ca.DirectoryURL(), o.challenges, o.extra, o.hosts, o.cert, o.sites)
	cfg, err := config.Parse(filepath.Join(f.dir, "portcullis.toml"), []byte(f.cfgText))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.srv, err = New(cfg, Options{
		DataDir: filepath.Join(f.dir, "data"), Logger: log, AccessLog: io.Discard,
		OnEvent: f.rec.Sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.dir == "" { // a restart reuses the CA, whose validator is already set
		f.ca.Validate(port(t, f.srv.HTTPAddr()), port(t, f.srv.HTTPSAddr()))
	}
	if err := f.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.stop() })
	return f
}

func (f *acmeFixture) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.srv.Shutdown(ctx)
}

func port(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// count returns how many events of type typ arrived.
func (f *acmeFixture) count(typ string) int { return f.rec.Count(typ) }

func (f *acmeFixture) waitEvent(typ string, n int, within time.Duration) {
	f.t.Helper()
	testutil.Eventually(f.t, within, fmt.Sprintf("%d %s event(s); log:\n%s", n, typ, f.logs), func() bool { return f.count(typ) >= n })
}

// handshake connects to the HTTPS listener as a client of the site
// trusting Pebble's roots, verifies the chain and returns the leaf.
func (f *acmeFixture) handshake() (*x509.Certificate, error) {
	return f.handshakeFor(f.name, f.ca.IssuerRoots(f.t))
}

// handshakeFor connects as a client of name, trusting roots.
func (f *acmeFixture) handshakeFor(name string, roots *x509.CertPool) (*x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, "tcp", f.srv.HTTPSAddr(), &tls.Config{
		ServerName: name,
		RootCAs:    roots,
	})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// served waits for the certificate to be served after cert.obtained
// (certmagic emits the event before it caches the certificate) and
// returns its leaf.
func (f *acmeFixture) served() *x509.Certificate {
	f.t.Helper()
	f.waitEvent(events.CertObtained, 1, 30*time.Second)
	var leaf *x509.Certificate
	var err error
	testutil.Eventually(f.t, 10*time.Second, "the obtained certificate served", func() bool {
		leaf, err = f.handshake()
		return err == nil
	})
	return leaf
}

// waitNewSerial waits for a certificate other than old to be served
// (certmagic emits cert_obtained before it swaps the cached certificate).
func (f *acmeFixture) waitNewSerial(old *x509.Certificate) {
	f.t.Helper()
	testutil.Eventually(f.t, 10*time.Second, "the renewed certificate served", func() bool {
		leaf, err := f.handshake()
		return err == nil && leaf.SerialNumber.Cmp(old.SerialNumber) != 0
	})
}

// client is an HTTPS client trusting Pebble's roots, dialing the server
// for the site's name.
func (f *acmeFixture) client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: f.ca.IssuerRoots(f.t)},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, f.srv.HTTPSAddr())
		},
	}}
}

func (f *acmeFixture) url(path string) string {
	return "https://" + f.name + ":" + strconv.Itoa(port(f.t, f.srv.HTTPSAddr())) + path
}

// TestACMEIssuance obtains a certificate through the running server for
// each challenge type, the answer coming from portcullis's own listener,
// then verifies the served chain with a real TLS client. With every other
// nonce rejected, issuance still succeeds.
func TestACMEIssuance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, challenges, served string
		nonceRejectEvery         int
	}{
		{"http-01", `["http-01"]`, `challenge=http-01`, 0},
		{"tls-alpn-01", `["tls-alpn-01"]`, `challenge=tls-alpn-01`, 0},
		{"nonce-reject-every-2", `["http-01", "tls-alpn-01"]`, `served key authentication`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := startACME(t, acmeOpts{challenges: tc.challenges, pebble: pebbletest.Options{NonceRejectEvery: tc.nonceRejectEvery}}, nil)
			leaf := f.served()
			if !strings.Contains(leaf.Issuer.CommonName, "Pebble") || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != f.name {
				t.Errorf("served %v issued by %q", leaf.DNSNames, leaf.Issuer.CommonName)
			}
			// The challenge was answered by the server's own listener:
			// certmagic logs each key authentication it serves.
			if logs := f.logs.String(); !strings.Contains(logs, tc.served) || !strings.Contains(logs, "served key authentication") {
				t.Errorf("no %q in the log:\n%s", tc.served, logs)
			}
			if tc.nonceRejectEvery > 0 && f.ca.BadNonces() == 0 {
				t.Errorf("no nonce was rejected; the fault was not exercised")
			}
			resp, err := f.client().Get(f.url("/"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
				t.Errorf("GET / = %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
			}
			got := f.srv.Certificates()
			if len(got) != 1 || got[0].Site != "local" || got[0].Source != "acme" || got[0].RenewAt.IsZero() {
				t.Errorf("Certificates() = %+v", got)
			}
		})
	}
}

// TestACMERenewalWhileServing lets a 30-second certificate renew itself
// while a client keeps making requests: none may fail, and the served
// certificate changes.
func TestACMERenewalWhileServing(t *testing.T) {
	t.Parallel()
	f := startACME(t, acmeOpts{pebble: pebbletest.Options{Validity: 30 * time.Second}}, nil)
	first := f.served()
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := f.client()
				c.Transport.(*http.Transport).DisableKeepAlives = true // a handshake per request
				resp, err := c.Get(f.url("/"))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					lastErr.Store(err.Error())
				} else {
					ok.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	f.waitEvent(events.CertRenewed, 1, 40*time.Second)
	f.waitNewSerial(first)
	time.Sleep(300 * time.Millisecond) // requests on the renewed certificate
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || ok.Load() == 0 {
		t.Errorf("%d requests failed (last: %v), %d succeeded", failed.Load(), lastErr.Load(), ok.Load())
	}
	t.Logf("%d requests during the renewal, none failed", ok.Load())
}

// TestACMEOutage takes the CA down before the first renewal: the renewal
// fails (cert.renewal_failed), the old certificate stays in service, and
// once the CA is back the retry renews it. certmagic retries a failed
// renewal a minute later, so the certificate must outlive that: 90 s,
// renewed when three quarters of its life remain.
func TestACMEOutage(t *testing.T) {
	t.Parallel()
	f := startACME(t, acmeOpts{pebble: pebbletest.Options{Validity: 90 * time.Second}, extra: "renewal_window = 0.75"}, nil)
	first := f.served()
	f.ca.SetDown(true)
	f.waitEvent(events.CertRenewalFailed, 1, 40*time.Second)
	during, err := f.handshake()
	if err != nil {
		t.Fatalf("handshake during the outage: %v", err)
	}
	if during.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatalf("serial changed during the outage")
	}
	f.ca.SetDown(false)
	f.waitEvent(events.CertRenewed, 1, 75*time.Second)
	f.waitNewSerial(first)
}

// TestACMEBackupRestore backs up the data directory of a server that
// obtained a certificate, wipes it, restores it and starts again: the
// same certificate is served and no ACME order is placed.
func TestACMEBackupRestore(t *testing.T) {
	t.Parallel()
	f := startACME(t, acmeOpts{}, nil)
	before := f.served()
	f.stop()
	orders := f.ca.Orders()

	data := filepath.Join(f.dir, "data")
	r, err := age.NewScryptRecipient("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var archive strings.Builder
	if _, err := backup.Create(&archive, data, BackupOptions([]age.Recipient{r}, nil)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	id, _ := age.NewScryptIdentity("correct horse battery staple")
	if _, err := backup.Restore(strings.NewReader(archive.String()), data, backup.RestoreOptions{Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}

	g := startACME(t, acmeOpts{dir: f.dir, name: f.name}, f.ca)
	var after *x509.Certificate
	testutil.Eventually(t, 10*time.Second, "the restored certificate served", func() bool {
		after, err = g.handshake()
		return err == nil
	})
	if after.SerialNumber.Cmp(before.SerialNumber) != 0 {
		t.Errorf("served serial %x after restore, want %x", after.SerialNumber, before.SerialNumber)
	}
	if n := f.ca.Orders(); n != orders {
		t.Errorf("%d ACME orders placed after the restore", n-orders)
	}
	if g.count(events.CertObtained) != 0 {
		t.Errorf("a certificate was obtained after the restore")
	}
}

// TestACMEMetrics scrapes the admin listener: the served certificate's
// expiry is exported with its site, name and source.
func TestACMEMetrics(t *testing.T) {
	t.Parallel()
	f := startACME(t, acmeOpts{}, nil)
	leaf := f.served()
	resp, err := http.Get("http://" + f.srv.AdminAddr() + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	series := `portcullis_certificate_expiry_timestamp_seconds{name="` + f.name + `",site="local",source="acme"} `
	line := grep(string(body), series)
	v, err := strconv.ParseFloat(strings.TrimPrefix(line, series), 64)
	if err != nil || int64(v) != leaf.NotAfter.Unix() {
		t.Errorf("expiry series %q, want %d:\n%s", line, leaf.NotAfter.Unix(), grep(string(body), "portcullis_"))
	}
	if !strings.Contains(string(body), `portcullis_certificate_events_total{type="cert.obtained"} 1`) {
		t.Errorf("metrics lack the obtained event:\n%s", grep(string(body), "portcullis_"))
	}
}

func grep(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestACMEOnDemand serves a catch-all site whose certificates are
// obtained during the first handshake for each name, guarded by an ask
// endpoint: an approved name gets a certificate from the CA, a refused
// one gets none and no order is placed for it.
func TestACMEOnDemand(t *testing.T) {
	t.Parallel()
	prefix := fmt.Sprintf("od%d-", acmeNames.Add(1))
	var asked sync.Map
	ask := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := r.URL.Query().Get("domain")
		asked.Store(d, true)
		if !strings.HasPrefix(d, prefix+"yes") {
			http.Error(w, "not ours", http.StatusForbidden)
		}
	}))
	defer ask.Close()
	f := startACME(t, acmeOpts{hosts: `["*"]`, cert: fmt.Sprintf("on_demand = true\nask = %q", ask.URL+"/allowed")}, nil)
	yes, no := prefix+"yes.portcullis.test", prefix+"no.portcullis.test"

	leaf, err := f.handshakeFor(yes, f.ca.IssuerRoots(t))
	if err != nil {
		t.Fatalf("handshake for an approved name: %v\nlog:\n%s", err, f.logs)
	}
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != yes || !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
		t.Errorf("served %v from %q", leaf.DNSNames, leaf.Issuer.CommonName)
	}
	orders := f.ca.Orders()
	if _, err := f.handshakeFor(no, f.ca.IssuerRoots(t)); err == nil {
		t.Errorf("a refused name got a certificate")
	}
	if _, ok := asked.Load(no); !ok {
		t.Errorf("the ask endpoint was not asked about %s", no)
	}
	if n := f.ca.Orders(); n != orders {
		t.Errorf("%d orders placed for a refused name", n-orders)
	}
	f.waitEvent(events.CertObtained, 1, 10*time.Second)
	if got := f.srv.Certificates(); len(got) != 1 || got[0].Names[0] != yes {
		t.Errorf("Certificates() = %+v", got)
	}
}

// TestMixedSources serves three sites from one server, each with its own
// certificate source: ACME, the local CA and files.
func TestMixedSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pki := newTestPKI(t)
	certFile, keyFile := filepath.Join(dir, "files.pem"), filepath.Join(dir, "files-key.pem")
	pki.writeLeaf(t, certFile, keyFile, "files.example.com")
	f := startACME(t, acmeOpts{dir: "", sites: fmt.Sprintf(`
[[site]]
name = "dev"
hosts = ["localhost"]
upstream = "demo"

[[site]]
name = "files"
hosts = ["files.example.com"]
upstream = "demo"
[site.cert]
source = "files"
cert = %q
key = %q
`, certFile, keyFile)}, nil)
	f.served()
	caRoot, err := os.ReadFile(f.srv.LocalCA().RootPath())
	if err != nil {
		t.Fatal(err)
	}
	local := x509.NewCertPool()
	local.AppendCertsFromPEM(caRoot)
	for _, c := range []struct {
		name  string
		roots *x509.CertPool
	}{{f.name, f.ca.IssuerRoots(t)}, {"localhost", local}, {"files.example.com", pki.pool}} {
		if _, err := f.handshakeFor(c.name, c.roots); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	sources := map[string]string{}
	for _, c := range f.srv.Certificates() {
		sources[c.Site] = c.Source
	}
	if want := map[string]string{"local": "acme", "dev": "local", "files": "files"}; !reflect.DeepEqual(sources, want) {
		t.Errorf("Certificates() sources %v, want %v", sources, want)
	}
	// The same, read from disk by Inventory (certs list).
	inv := map[string]string{}
	for _, st := range Inventory(f.srv.Config(), filepath.Join(f.dir, "data")) {
		if st.Err != nil {
			t.Errorf("Inventory: site %s: %v", st.Site, st.Err)
		}
		inv[st.Site] = st.Info.Source
	}
	if !reflect.DeepEqual(inv, sources) {
		t.Errorf("Inventory sources %v, want %v", inv, sources)
	}
}

// TestACMEReloadRetains reloads a configuration without the ACME site:
// its certificate leaves the cache, so it is no longer renewed.
func TestACMEReloadRetains(t *testing.T) {
	t.Parallel()
	f := startACME(t, acmeOpts{}, nil)
	f.served()
	m := f.srv.acme.Load()
	if !m.Cached(f.name) {
		t.Fatalf("%s not cached after issuance", f.name)
	}
	// "acme-tls/1" is offered while a site uses ACME (with no challenge
	// pending, certmagic then fails the handshake on its own), and no
	// longer once the reload removed it.
	acmeOnly := func() error {
		conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{ServerName: f.name, NextProtos: []string{"acme-tls/1"}, InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
		}
		return err
	}
	if err := acmeOnly(); isNoALPN(err) {
		t.Errorf("with an ACME site, a client offering acme-tls/1: %v", err)
	}
	next := strings.Replace(f.cfgText, fmt.Sprintf("hosts = [%q]", f.name), `hosts = ["localhost"]`, 1)
	next = strings.Replace(next, `source = "acme"`, `source = "local"`, 1)
	cfg, err := config.Parse(filepath.Join(f.dir, "portcullis.toml"), []byte(next))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if m.Cached(f.name) {
		t.Errorf("%s still managed after the reload removed its site", f.name)
	}
	if err := acmeOnly(); !isNoALPN(err) {
		t.Errorf("without an ACME site, a client offering only acme-tls/1: %v, want %q", err, noALPN)
	}
}
