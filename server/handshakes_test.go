package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// TestHandshakeAccounting: every handshake on a real listener counts
// exactly once, under the result crypto/tls really produced: completed
// (full and resumed, TLS 1.2 and 1.3), refused for the version, the TLS
// 1.2 suites, the application protocol or the server name, and failed
// otherwise (a client rejecting the certificate after the server's
// flight). A connection that sends no hello counts as nothing. Each
// refusal is reported once, with its reason.
func TestHandshakeAccounting(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t, "handshake CA")
	leaf := ca.Leaf(t, []string{"app.example"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	c, err := TLSConfig(ProfileIntermediate, func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName != "app.example" {
			return nil, fmt.Errorf("certs: no certificate for server name %q", h.ServerName)
		}
		return &leaf, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	counts := map[string]int{}
	var refusals []string
	h := newHandshakes(func(v uint16, result string) {
		mu.Lock()
		counts[versionName(v)+" "+result]++
		mu.Unlock()
	}, func(hello *tls.ClientHelloInfo, v uint16, reason, why string) {
		mu.Lock()
		refusals = append(refusals, reason+": "+why)
		mu.Unlock()
	})
	h.install(c, func() bool { return false })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		TLSConfig: c, ConnState: h.connState, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	get := func(cc *tls.Config) error {
		if cc.NextProtos != nil { // http.Transport would offer its own
			conn, err := tls.Dial("tcp", addr, cc)
			if err == nil {
				conn.Close()
			}
			return err
		}
		tr := &http.Transport{TLSClientConfig: cc, DisableKeepAlives: true, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	client := func(mod func(*tls.Config)) *tls.Config {
		cc := &tls.Config{RootCAs: ca.Pool(), ServerName: "app.example"}
		if mod != nil {
			mod(cc)
		}
		return cc
	}
	want := map[string]int{}
	total := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	expect := func(key string) {
		t.Helper()
		want[key]++
		testutil.Eventually(t, 10*time.Second, key, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return total(counts) >= total(want)
		})
	}

	for _, tc := range []struct {
		name string
		mod  func(*tls.Config)
		ok   bool
		want string
	}{
		{"TLS 1.3", nil, true, "TLS 1.3 ok"},
		{"TLS 1.2", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }, true, "TLS 1.2 ok"},
		{"TLS 1.1 only", func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }, false, "TLS 1.1 protocol"},
		{"RSA key exchange only", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
		}, false, "TLS 1.2 cipher"},
		{"acme-tls/1 without ACME", func(c *tls.Config) { c.NextProtos = []string{acmeTLS1} }, false, "TLS 1.3 no-alpn"},
		{"unknown server name", func(c *tls.Config) { c.ServerName = "other.example" }, false, "TLS 1.3 unknown-sni"},
		{"TLS 1.2, unknown server name", func(c *tls.Config) { c.ServerName, c.MaxVersion = "other.example", tls.VersionTLS12 }, false, "TLS 1.2 unknown-sni"},
		{"client rejects the certificate", func(c *tls.Config) { c.RootCAs = x509.NewCertPool() }, false, "TLS 1.3 other"},
		{"TLS 1.2, client rejects the certificate", func(c *tls.Config) { c.RootCAs, c.MaxVersion = x509.NewCertPool(), tls.VersionTLS12 }, false, "TLS 1.2 other"},
	} {
		err := get(client(tc.mod))
		if (err == nil) != tc.ok {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expect(tc.want)
	}

	// Resumption, TLS 1.3 and 1.2: each handshake counts.
	for _, max := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cc := client(func(c *tls.Config) { c.MaxVersion, c.ClientSessionCache = max, tls.NewLRUClientSessionCache(4) })
		var resumed bool
		cc.VerifyConnection = func(cs tls.ConnectionState) error { resumed = cs.DidResume; return nil }
		for range 2 {
			if err := get(cc); err != nil {
				t.Fatal(err)
			}
			expect(versionName(max) + " ok")
		}
		if !resumed {
			t.Errorf("%s: the second handshake did not resume", versionName(max))
		}
	}

	// A port probe: no hello, nothing counted.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	// A last handshake, so that the probe's close has been handled.
	if err := get(client(nil)); err != nil {
		t.Fatal(err)
	}
	expect("TLS 1.3 ok")

	time.Sleep(50 * time.Millisecond) // a late double count would show here
	mu.Lock()
	defer mu.Unlock()
	if !maps.Equal(counts, want) {
		t.Errorf("counted %v\nwant    %v", counts, want)
	}
	if len(refusals) != 5 {
		t.Errorf("%d refusals reported, want 5: %q", len(refusals), refusals)
	}
	for _, r := range refusals {
		t.Log(r)
	}
	h.mu.Lock()
	if n := len(h.pending); n != 0 {
		t.Errorf("%d handshakes still pending after every connection closed", n)
	}
	h.mu.Unlock()
}

// TestJudge: the prediction of crypto/tls's refusals from a ClientHello,
// GREASE and draft versions ignored.
func TestJudge(t *testing.T) {
	c, err := TLSConfig(ProfileIntermediate, nil)
	if err != nil {
		t.Fatal(err)
	}
	modern, err := TLSConfig(ProfileModern, nil)
	if err != nil {
		t.Fatal(err)
	}
	const grease = 0x0a0a
	for _, tc := range []struct {
		name    string
		c       *tls.Config
		hello   tls.ClientHelloInfo
		version uint16
		reason  string
	}{
		{"TLS 1.3 browser", c, tls.ClientHelloInfo{SupportedVersions: []uint16{grease, tls.VersionTLS13, tls.VersionTLS12}, SupportedProtos: []string{"h2", "http/1.1"}}, tls.VersionTLS13, ""},
		{"draft version", c, tls.ClientHelloInfo{SupportedVersions: []uint16{0x7f17, tls.VersionTLS12}, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}, tls.VersionTLS12, ""},
		{"TLS 1.0", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS10, 0x0300}}, tls.VersionTLS10, "protocol"},
		{"TLS 1.2 on modern", modern, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS12}}, tls.VersionTLS12, "protocol"},
		{"nothing known", c, tls.ClientHelloInfo{SupportedVersions: []uint16{grease}}, 0, "protocol"},
		{"TLS 1.2 CBC only", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS12}, CipherSuites: []uint16{grease, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}, tls.VersionTLS12, "cipher"},
		{"TLS 1.3 ignores 1.2 suites", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12}, CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}}, tls.VersionTLS13, ""},
		{"http/1.1 only", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS13}, SupportedProtos: []string{"http/1.1"}}, tls.VersionTLS13, ""},
		{"unknown protocols", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS13}, SupportedProtos: []string{"spdy/3", acmeTLS1}}, tls.VersionTLS13, "no-alpn"},
		{"version before protocol", c, tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS11}, SupportedProtos: []string{acmeTLS1}}, tls.VersionTLS11, "protocol"},
	} {
		v, reason, why := judge(&tc.hello, tc.c)
		if v != tc.version || reason != tc.reason || (reason == "") != (why == "") {
			t.Errorf("%s: judge = %s, %q, %q; want %s, %q", tc.name, versionName(v), reason, why, versionName(tc.version), tc.reason)
		}
	}
}
