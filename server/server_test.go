package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/testutil"
)

// testPKI is a throwaway CA for certificates served from files.
type testPKI struct {
	*testutil.CA
	pool *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca := testutil.NewCA(t, "test CA")
	return &testPKI{CA: ca, pool: ca.Pool()}
}

// writeLeaf writes a leaf for names to certFile/keyFile (key 0600) and
// returns its serial.
func (p *testPKI) writeLeaf(t *testing.T, certFile, keyFile string, names ...string) *big.Int {
	t.Helper()
	return p.writeLeafFor(t, certFile, keyFile, time.Now().Add(-time.Hour), time.Now().Add(12*time.Hour), names...)
}

// writeLeafFor is writeLeaf for a leaf valid from notBefore to notAfter.
func (p *testPKI) writeLeafFor(t *testing.T, certFile, keyFile string, notBefore, notAfter time.Time, names ...string) *big.Int {
	t.Helper()
	leaf := p.Leaf(t, names, notBefore, notAfter)
	kder, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	// Write to temp names and rename, as a deploy tool would.
	for _, f := range []struct {
		path, typ string
		der       []byte
		mode      os.FileMode
	}{{keyFile, "PRIVATE KEY", kder, 0o600}, {certFile, "CERTIFICATE", leaf.Certificate[0], 0o644}} {
		tmp := f.path + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
	return leaf.Leaf.SerialNumber
}

// upstream is a real application server on loopback.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, r.Clone(context.Background()))
		u.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "abc", Path: "/"})
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(300 * time.Millisecond):
		}
		fmt.Fprint(w, "data: two\n\n")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
		io.WriteString(w, "slow done")
	})
	mux.HandleFunc("/ws", testutil.EchoUpgrade)
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[len(u.seen)-1]
}

// fixture is a running portcullis serving app.example.com from files.
type fixture struct {
	srv      *Server
	cfg      *config.Config
	pki      *testPKI
	certFile string
	keyFile  string
	cfgText  string
	client   *http.Client
	up       *upstream
	logs     *testutil.Buffer
}

const siteTOML = `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "off"

[[site]]
name = "app"
hosts = ["app.example.com"]
upstream = "%s"
[site.cert]
source = "files"
cert = "%s"
key = "%s"
%s
`

func newFixture(t *testing.T, extra string) *fixture {
	t.Helper()
	f := &fixture{pki: newTestPKI(t), up: newUpstream(t), logs: &testutil.Buffer{}}
	dir := t.TempDir()
	f.certFile, f.keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	f.pki.writeLeaf(t, f.certFile, f.keyFile, "app.example.com")
	f.cfgText = fmt.Sprintf(siteTOML, f.up.URL, f.certFile, f.keyFile, extra)
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), []byte(f.cfgText))
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.srv, err = New(cfg, Options{DataDir: filepath.Join(dir, "data"), Logger: log, AccessLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
	})
	f.client = f.newClient()
	return f
}

// newClient resolves every name to the server's loopback addresses, as
// DNS pointing at it would.
func (f *fixture) newClient() *http.Client {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: f.pki.pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			target := f.srv.HTTPSAddr()
			if port == "80" || port == portOf(f.srv.HTTPAddr()) {
				target = f.srv.HTTPAddr()
			}
			return (&net.Dialer{}).DialContext(ctx, network, target)
		},
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func (f *fixture) url(https bool, path string) string {
	if https {
		return "https://app.example.com:" + portOf(f.srv.HTTPSAddr()) + path
	}
	return "http://app.example.com:" + portOf(f.srv.HTTPAddr()) + path
}

func TestServeRedirectHeadersCookies(t *testing.T) {
	f := newFixture(t, "")
	var hops []int
	f.client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		hops = append(hops, r.Response.StatusCode)
		return nil
	}
	resp, err := f.client.Post(f.url(false, "/login?next=%2F"), "text/plain", strings.NewReader("user=a&pw=b"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "POST /login?next=%2F user=a&pw=b" || len(hops) != 1 || hops[0] != 308 {
		t.Fatalf("body %q after hops %v; want the POST and its body preserved through one 308", body, hops)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	for k, want := range map[string]string{
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Set-Cookie":                "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// The plain-HTTP answer itself never carries HSTS.
	noFollow := f.newClient()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noFollow.Get(f.url(false, "/x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 308 || resp.Header.Get("Strict-Transport-Security") != "" ||
		resp.Header.Get("Location") != f.url(true, "/x") {
		t.Fatalf("http: %d HSTS %q Location %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"), resp.Header.Get("Location"))
	}
}

func TestServeForwardingHeadersReplaced(t *testing.T) {
	f := newFixture(t, "")
	req, _ := http.NewRequest("GET", f.url(true, "/who"), nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("Forwarded", "for=6.6.6.6;host=evil.example")
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := f.up.last()
	if got.Header.Get("X-Forwarded-For") != "127.0.0.1" || got.Header.Get("X-Forwarded-Proto") != "https" ||
		got.Header.Get("X-Forwarded-Host") != "app.example.com:"+portOf(f.srv.HTTPSAddr()) || strings.Contains(got.Header.Get("Forwarded"), "6.6.6.6") {
		t.Fatalf("upstream saw XFF %q XFP %q XFH %q Forwarded %q", got.Header.Get("X-Forwarded-For"), got.Header.Get("X-Forwarded-Proto"),
			got.Header.Get("X-Forwarded-Host"), got.Header.Get("Forwarded"))
	}
	if !strings.HasPrefix(got.Host, "app.example.com") {
		t.Errorf("upstream Host %q, want the original", got.Host)
	}
}

func TestServeBadHostAndHealth(t *testing.T) {
	f := newFixture(t, "")
	for _, base := range []string{"https://" + f.srv.HTTPSAddr(), "http://" + f.srv.HTTPAddr()} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.pki.pool, ServerName: "app.example.com"}}
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Host = "evil.example"
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Errorf("%s with Host evil.example: %d Location %q", base, resp.StatusCode, resp.Header.Get("Location"))
		}
		req, _ = http.NewRequest("GET", base+HealthPath, nil)
		resp, err = tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok\n" {
			t.Errorf("%s%s: %d %q", base, HealthPath, resp.StatusCode, body)
		}
	}
}

func TestServeStreamingAndWebsocket(t *testing.T) {
	// The test's echo protocol is allowed beside websocket.
	f := newFixture(t, "[site.policy.requests]\nupgrades = [\"websocket\", \"echo\"]\n")
	resp, err := f.client.Get(f.url(true, "/events"))
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "data: one\n" {
		t.Fatalf("first SSE event %q, %v", first, err)
	}
	rest, _ := io.ReadAll(br)
	resp.Body.Close()
	if !strings.Contains(string(rest), "data: two") {
		t.Fatalf("rest of stream %q", rest)
	}

	conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{RootCAs: f.pki.pool, ServerName: "app.example.com", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testutil.CheckEchoUpgrade(t, conn, "app.example.com", "/ws")
}

// TestServeReloadUnderLoad reloads the configuration repeatedly while
// clients send requests without pause: not one may fail, and the new
// policy must be in force afterwards. A broken config keeps the old one.
func TestServeReloadUnderLoad(t *testing.T) {
	f := newFixture(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.newClient()
			for ctx.Err() == nil {
				resp, err := c.Get(f.url(true, "/ping"))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 200 {
						ok.Add(1)
						continue
					}
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	frame := []string{"DENY", "SAMEORIGIN"}
	for i := range 10 {
		text := f.cfgText + fmt.Sprintf("[site.policy.headers]\nframe_options = %q\n", frame[i%2])
		cfg, err := config.Parse(f.cfg.Path, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.srv.Reload(cfg); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	// A broken configuration is refused and changes nothing.
	bad, err := config.Parse(f.cfg.Path, []byte(f.cfgText+"[site.policy.headers]\nframe_options = \"DENY\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	bad.Sites[0].Cert.Cert = filepath.Join(t.TempDir(), "missing.pem")
	if err := f.srv.Reload(bad); err == nil {
		t.Errorf("reload of a config whose certificate file is missing succeeded")
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 20 {
		t.Fatalf("during reloads: %d ok, %d failed (first: %v)", ok.Load(), failed.Load(), firstErr.Load())
	}
	resp, err := f.client.Get(f.url(true, "/after"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Fatalf("after the last good reload X-Frame-Options = %q, want SAMEORIGIN", got)
	}
	t.Logf("%d requests during 10 reloads, none failed", ok.Load())
}

func TestServeGracefulShutdown(t *testing.T) {
	f := newFixture(t, "")
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := f.client.Get(f.url(true, "/slow"))
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	// Wait until the upstream has the request, then shut down.
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.up.mu.Lock()
		n := len(f.up.seen)
		f.up.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	r := <-done
	if r.err != nil || r.body != "slow done" {
		t.Fatalf("in-flight request during shutdown: %q %v", r.body, r.err)
	}
	if _, err := net.DialTimeout("tcp", f.srv.HTTPSAddr(), time.Second); err == nil {
		t.Errorf("listener still accepting after shutdown")
	}
}

// TestServeCertHotReload replaces the certificate files on disk: the new
// certificate is served without restart; a broken file keeps the old one.
func TestServeCertHotReload(t *testing.T) {
	f := newFixture(t, "")
	serialNow := func() *big.Int {
		conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{RootCAs: f.pki.pool, ServerName: "app.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber
	}
	before := serialNow()
	want := f.pki.writeLeaf(t, f.certFile, f.keyFile, "app.example.com")
	testutil.Eventually(t, 10*time.Second, "new certificate served", func() bool { return serialNow().Cmp(want) == 0 })
	if before.Cmp(want) == 0 {
		t.Fatal("serials collide")
	}
	// A broken file: the last good certificate stays in service.
	os.WriteFile(f.certFile, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n"), 0o644)
	testutil.Eventually(t, 10*time.Second, "an error logged for the broken file", func() bool { return strings.Contains(f.logs.String(), "level=ERROR") })
	if got := serialNow(); got.Cmp(want) != 0 {
		t.Fatalf("broken file replaced the certificate: serial %v, want %v", got, want)
	}
}

// TestServeZeroConfig runs the embedded default: demo app behind the proxy,
// local CA certificate for localhost, redirect from the HTTP port.
func TestServeZeroConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Listen.HTTPS, cfg.Listen.HTTP, cfg.Listen.Admin = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	srv, err := New(cfg, Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), AccessLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ca := srv.LocalCA()
	if ca == nil {
		t.Fatal("no local CA")
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.RootPool()},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			if port == portOf(srv.HTTPAddr()) {
				return net.Dial(network, srv.HTTPAddr())
			}
			return net.Dial(network, srv.HTTPSAddr())
		},
	}, Timeout: 10 * time.Second}
	resp, err := client.Get("http://localhost:" + portOf(srv.HTTPAddr()) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Scheme != "https" || resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), "<form") {
		t.Fatalf("zero-config: %s %d %.200q", resp.Request.URL, resp.StatusCode, body)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS sent for localhost")
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("demo page lacks the security headers: %v", resp.Header)
	}
	if len(resp.Cookies()) == 0 {
		t.Errorf("the demo login page set no cookie (it sets csrftoken)")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure || c.SameSite == http.SameSiteDefaultMode {
			t.Errorf("demo cookie %s not hardened: %+v", c.Name, c)
		}
	}
	// The leaf also covers the loopback addresses (clients without SNI).
	for _, name := range []string{"127.0.0.1", "::1"} {
		conn, err := tls.Dial("tcp", srv.HTTPSAddr(), &tls.Config{RootCAs: ca.RootPool(), ServerName: name})
		if err != nil {
			t.Errorf("local CA certificate for %s: %v", name, err)
			continue
		}
		conn.Close()
	}
}

// TestServeSlowHeaders: a client that sends its headers byte by byte
// (slowloris) is disconnected once the read-header timeout passes, on
// both listeners.
func TestServeSlowHeaders(t *testing.T) {
	f := newFixture(t, "[limits]\nread_header_timeout = \"300ms\"\n")
	for _, tc := range []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"http", func() (net.Conn, error) { return net.Dial("tcp", f.srv.HTTPAddr()) }},
		{"https", func() (net.Conn, error) {
			return tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{RootCAs: f.pki.pool, ServerName: "app.example.com", NextProtos: []string{"http/1.1"}})
		}},
	} {
		conn, err := tc.dial()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Slow: ")
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		// Keep dribbling; the server must close the connection anyway.
		go func() {
			for range 20 {
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		buf := make([]byte, 512)
		var readErr error
		for readErr == nil {
			_, readErr = conn.Read(buf)
		}
		conn.Close()
		if errors.Is(readErr, os.ErrDeadlineExceeded) {
			t.Fatalf("%s: slow-header connection still open after 10 s", tc.name)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: closed after %v, want about the 300 ms read-header timeout", tc.name, took)
		}
	}
}

// TestServeNoSNI: a client connecting by IP address sends no server name;
// it gets the first site's certificate instead of a failed handshake.
func TestServeNoSNI(t *testing.T) {
	f := newFixture(t, "")
	conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{RootCAs: f.pki.pool, ServerName: "127.0.0.1", InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake without SNI: %v", err)
	}
	defer conn.Close()
	if names := conn.ConnectionState().PeerCertificates[0].DNSNames; len(names) != 1 || names[0] != "app.example.com" {
		t.Fatalf("served %v, want the first site's certificate", names)
	}
}
