package certs

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

// fake is a Source with a recognizable certificate.
type fake struct {
	id   string
	cert *tls.Certificate
}

func newFake(id string) *fake { return &fake{id: id, cert: &tls.Certificate{}} }

func (f *fake) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return f.cert, nil }
func (f *fake) Certificates() []Info                                          { return []Info{{Names: []string{f.id}}} }

// addrConn is a net.Conn whose only working method is LocalAddr.
type addrConn struct {
	net.Conn
	local net.Addr
}

func (c addrConn) LocalAddr() net.Addr { return c.local }

func hello(sni, local string) *tls.ClientHelloInfo {
	h := &tls.ClientHelloInfo{ServerName: sni}
	if local != "" {
		h.Conn = addrConn{local: &net.TCPAddr{IP: net.ParseIP(local), Port: 443}}
	}
	return h
}

func TestSelectorMatch(t *testing.T) {
	srcs := map[string]*fake{}
	for _, id := range []string{"apex", "wild", "v4", "v6", "mixed", "def"} {
		srcs[id] = newFake(id)
	}
	entries := []Entry{
		{Names: []string{"example.com", "www.example.com"}, Source: srcs["apex"]},
		{Names: []string{"*.example.com"}, Source: srcs["wild"]},
		{Names: []string{"127.0.0.1", "192.0.2.7"}, Source: srcs["v4"]},
		{Names: []string{"[::1]", "2001:db8::7"}, Source: srcs["v6"]},
		{Names: []string{"Mixed.Case.ORG.", "mixed.case.org"}, Source: srcs["mixed"]},
	}
	tests := []struct {
		sni, local string
		want       string // source id; "" for an error
		wantDef    string // with the default source
	}{
		{"example.com", "", "apex", "apex"},
		{"EXAMPLE.com.", "", "apex", "apex"},
		{"www.example.com", "", "apex", "apex"}, // exact beats the wildcard
		{"api.example.com", "", "wild", "wild"},
		{"API.Example.COM", "", "wild", "wild"},
		{"a.b.example.com", "", "", "def"}, // wildcards cover one label
		{".example.com", "", "", "def"},
		{"example.org", "", "", "def"},
		{"mixed.case.org", "", "mixed", "mixed"},
		{"xample.com", "", "", "def"},
		{"com", "", "", "def"},
		{".", "", "", "def"},
		{"", "127.0.0.1", "v4", "v4"},
		{"", "192.0.2.7", "v4", "v4"},
		{"", "::ffff:127.0.0.1", "v4", "v4"},
		{"", "::1", "v6", "v6"},
		{"", "2001:db8::7", "v6", "v6"},
		{"", "10.0.0.1", "", "def"},
		{"", "", "", "def"},                   // no connection to look at
		{"127.0.0.1", "10.0.0.1", "v4", "v4"}, // an IP sent as SNI
		{"example.org", "127.0.0.1", "", "def"},
	}
	plain, err := NewSelector(entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	withDef, err := NewSelector(entries, srcs["def"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		for _, c := range []struct {
			sel  *Selector
			want string
		}{{plain, tt.want}, {withDef, tt.wantDef}} {
			got, err := c.sel.GetCertificate(hello(tt.sni, tt.local))
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "no certificate for") {
					t.Errorf("sni %q local %q: err = %v, want no certificate", tt.sni, tt.local, err)
				}
				continue
			}
			if err != nil || got != srcs[c.want].cert {
				t.Errorf("sni %q local %q: got %p, %v; want %s", tt.sni, tt.local, got, err, c.want)
			}
		}
	}
	if _, err := plain.GetCertificate(nil); err == nil {
		t.Error("nil hello accepted")
	}
	if _, err := plain.GetCertificate(&tls.ClientHelloInfo{Conn: addrConn{local: (*net.TCPAddr)(nil)}}); err == nil {
		t.Error("nil local address matched")
	}
	if _, err := plain.GetCertificate(&tls.ClientHelloInfo{Conn: addrConn{local: &net.UnixAddr{Name: "/x", Net: "unix"}}}); err == nil {
		t.Error("unix local address matched")
	}
}

func TestNewSelectorErrors(t *testing.T) {
	a, b := newFake("a"), newFake("b")
	tests := []struct {
		name    string
		entries []Entry
		wantErr string
	}{
		{"nil source", []Entry{{Names: []string{"a.test"}}}, "entry 1: no certificate source"},
		{"no names", []Entry{{Names: []string{"a.test"}, Source: a}, {Source: b}}, "entry 2: no names"},
		{"bad name", []Entry{{Names: []string{"a..test"}, Source: a}}, `entry 1: name "a..test": label 2`},
		{"duplicate", []Entry{{Names: []string{"a.test"}, Source: a}, {Names: []string{"A.test."}, Source: b}}, `entry 2: name "A.test." is already served by entry 1`},
		{"duplicate wildcard", []Entry{{Names: []string{"*.a.test"}, Source: a}, {Names: []string{"*.A.TEST"}, Source: b}}, "already served by entry 1"},
		{"duplicate IP", []Entry{{Names: []string{"::ffff:10.0.0.1"}, Source: a}, {Names: []string{"10.0.0.1"}, Source: b}}, "already served"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSelector(tt.entries, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	// A name repeated within one entry is fine.
	if _, err := NewSelector([]Entry{{Names: []string{"a.test", "A.TEST"}, Source: a}}, nil); err != nil {
		t.Error(err)
	}
}

func TestSelectorCertificates(t *testing.T) {
	a, b := newFake("a"), newFake("b")
	sel, err := NewSelector([]Entry{
		{Names: []string{"a.test"}, Source: a},
		{Names: []string{"b.test"}, Source: b},
		{Names: []string{"c.test"}, Source: a},
	}, b)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range sel.Certificates() {
		ids = append(ids, i.Names...)
	}
	if got := strings.Join(ids, ","); got != "a,b" {
		t.Errorf("Certificates from %s, want each source once (a,b)", got)
	}
}

// TestSelectorHandshakes picks between a local CA source and a file source
// in real handshakes.
func TestSelectorHandshakes(t *testing.T) {
	clk := newClock()
	ca, _ := openCA(t, t.TempDir(), clk)
	local, err := ca.Source([]string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t, "Files CA")
	_, certFile, keyFile := pair(t, is, t.TempDir(), "*.example.test")
	files, err := NewFileSource(certFile, keyFile, FileSourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := NewSelector([]Entry{
		{Names: []string{"localhost", "127.0.0.1"}, Source: local},
		{Names: []string{"*.example.test"}, Source: files},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, sel.GetCertificate)
	if _, err := handshake(addr, "localhost", ca.RootPool(), clk.Now); err != nil {
		t.Errorf("localhost: %v", err)
	}
	if _, err := handshake(addr, "127.0.0.1", ca.RootPool(), clk.Now); err != nil {
		t.Errorf("127.0.0.1 (no SNI): %v", err)
	}
	if leaf, err := handshake(addr, "app.example.test", is.pool, nil); err != nil || leaf.DNSNames[0] != "*.example.test" {
		t.Errorf("app.example.test: %v", err)
	}
	if _, err := handshake(addr, "unknown.test", is.pool, nil); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("unknown name: err = %v, want a handshake failure", err)
	}
}

func BenchmarkSelector(b *testing.B) {
	var entries []Entry
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		entries = append(entries, Entry{Names: []string{n + ".example.com", "*." + n + ".example.com"}, Source: newFake(n)})
	}
	sel, err := NewSelector(entries, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, sni, local string }{
		{"exact", "d.example.com", ""},
		{"wildcard", "x.d.example.com", ""},
		{"upper-case", "D.Example.COM", ""},
	} {
		h := hello(bc.sni, bc.local)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sel.GetCertificate(h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	ipSel, _ := NewSelector([]Entry{{Names: []string{"127.0.0.1"}, Source: newFake("ip")}}, nil)
	h := hello("", "127.0.0.1")
	b.Run("no-SNI-IP", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ipSel.GetCertificate(h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLocalSource(b *testing.B) {
	ca, err := OpenLocalCA(b.TempDir(), LocalCAOptions{Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	src, err := ca.Source([]string{"localhost"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.GetCertificate(nil); err != nil {
			b.Fatal(err)
		}
	}
}
