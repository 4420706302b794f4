package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/testutil"
)

// noALPN is what a Go client reports when the server answers its
// ClientHello with the no_application_protocol alert (RFC 7301 section
// 3.2): none of the protocols it offered is offered by the server.
const noALPN = "remote error: tls: no application protocol"

// isNoALPN reports whether err is that alert, received from the server.
func isNoALPN(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error" && op.Err.Error() == "tls: no application protocol"
}

// dialALPN completes a handshake offering protos and reads the server's
// byte, so that a session ticket lands in the client's cache.
func dialALPN(addr string, c *tls.Config, protos ...string) (tls.ConnectionState, error) {
	c = c.Clone()
	c.NextProtos = protos
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, c)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
		return tls.ConnectionState{}, err
	}
	return conn.ConnectionState(), nil
}

// TestOfferACME: "acme-tls/1" is negotiated only while offerACME's switch
// is on, with TLS 1.2 and 1.3; browsers' protocols are negotiated either
// way; and a session resumes across the two configs, both ways.
func TestOfferACME(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	leaf := pki.Leaf(t, []string{"app.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	c, err := TLSConfig(ProfileIntermediate, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &leaf, nil })
	if err != nil {
		t.Fatal(err)
	}
	var acmeOn atomic.Bool
	offerACME(c, acmeOn.Load)
	addr := testutil.TLSByteServer(t, c)

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range []struct {
			acme   bool
			offer  []string
			want   string // negotiated protocol; "" with fail
			refuse bool   // the handshake fails with no_application_protocol
		}{
			{false, []string{"acme-tls/1"}, "", true},
			{false, []string{"h2", "http/1.1"}, "h2", false},
			{false, []string{"http/1.1"}, "http/1.1", false},
			{false, []string{"http/1.1", "acme-tls/1"}, "http/1.1", false},
			{false, nil, "", false},
			{true, []string{"acme-tls/1"}, "acme-tls/1", false},
			{true, []string{"h2", "http/1.1"}, "h2", false},
			{true, []string{"http/1.1", "acme-tls/1"}, "http/1.1", false},
		} {
			name := fmt.Sprintf("%s/acme=%v/%q", tls.VersionName(version), tc.acme, tc.offer)
			acmeOn.Store(tc.acme)
			cs, err := dialALPN(addr, &tls.Config{RootCAs: pki.pool, ServerName: "app.example.com", MaxVersion: version}, tc.offer...)
			switch {
			case tc.refuse && !isNoALPN(err):
				t.Errorf("%s: handshake error %v, want %q", name, err, noALPN)
			case !tc.refuse && err != nil:
				t.Errorf("%s: %v", name, err)
			case !tc.refuse && cs.NegotiatedProtocol != tc.want:
				t.Errorf("%s: negotiated %q, want %q", name, cs.NegotiatedProtocol, tc.want)
			}
		}
	}

	// A session from a handshake on the ACME config resumes on the
	// plain one and the other way round: both use the listener's ticket
	// keys.
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, first := range []bool{true, false} {
			name := fmt.Sprintf("%s/first acme=%v", tls.VersionName(version), first)
			client := &tls.Config{RootCAs: pki.pool, ServerName: "app.example.com", MaxVersion: version,
				ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			acmeOn.Store(first)
			if cs, err := dialALPN(addr, client, "http/1.1", "acme-tls/1"); err != nil || cs.DidResume {
				t.Fatalf("%s: first handshake: resumed %v, %v", name, cs.DidResume, err)
			}
			acmeOn.Store(!first)
			cs, err := dialALPN(addr, client, "http/1.1", "acme-tls/1")
			if err != nil || !cs.DidResume || cs.NegotiatedProtocol != "http/1.1" {
				t.Errorf("%s: second handshake: resumed %v, protocol %q, %v; want a resumed http/1.1 session", name, cs.DidResume, cs.NegotiatedProtocol, err)
			}
		}
	}
}

// TestServeNoACMEALPN: a server none of whose sites uses ACME refuses a
// client that offers only "acme-tls/1", negotiates h2 and HTTP/1.1, and
// resumes TLS sessions across a reload (the tls.Config and its ticket
// keys outlive generations).
func TestServeNoACMEALPN(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	client := func() *tls.Config {
		return &tls.Config{RootCAs: f.pki.pool, ServerName: "app.example.com", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range []struct {
			offer []string
			want  string
		}{
			{[]string{"acme-tls/1"}, ""},
			{[]string{"h2", "http/1.1"}, "h2"},
			{[]string{"http/1.1"}, "http/1.1"},
		} {
			c := client()
			c.MaxVersion = version
			c.NextProtos = tc.offer
			conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), c)
			name := fmt.Sprintf("%s/%q", tls.VersionName(version), tc.offer)
			if tc.want == "" {
				if !isNoALPN(err) {
					t.Errorf("%s: handshake error %v, want %q", name, err, noALPN)
				}
				if err == nil {
					conn.Close()
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if got := conn.ConnectionState().NegotiatedProtocol; got != tc.want {
				t.Errorf("%s: negotiated %q, want %q", name, got, tc.want)
			}
			conn.Close()
		}
	}

	// Resumption across a reload, over real requests (the client reads
	// a response, so TLS 1.3 tickets arrive).
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c := client()
		c.MaxVersion = version
		get := func() *tls.ConnectionState {
			t.Helper()
			hc := f.newClient()
			tr := hc.Transport.(*http.Transport)
			tr.TLSClientConfig = c
			resp, err := hc.Get(f.url(true, "/resume"))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			return resp.TLS
		}
		if cs := get(); cs.DidResume {
			t.Fatalf("%s: first connection resumed", tls.VersionName(version))
		}
		cfg, err := config.Parse(filepath.Join(filepath.Dir(f.cfg.Path), "portcullis.toml"),
			[]byte(f.cfgText+"[site.policy.headers]\nframe_options = \"SAMEORIGIN\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.srv.Reload(cfg); err != nil {
			t.Fatal(err)
		}
		if cs := get(); !cs.DidResume {
			t.Errorf("%s: the session did not resume after a reload", tls.VersionName(version))
		}
	}
}
