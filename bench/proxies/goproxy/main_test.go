package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name, in string
		want     []header
		err      string // substring of the error; "" = success
	}{
		{"one", "X-Frame-Options: DENY\n", []header{{"X-Frame-Options", "DENY"}}, ""},
		{"space before colon", "  x-frame-options :  DENY  \n", nil, "not a valid header name"},
		{"lower case name", "x-frame-options: DENY", []header{{"X-Frame-Options", "DENY"}}, ""},
		{"comments and blanks", "# c\n\nA: 1\n  # d\nB: x: y\n", []header{{"A", "1"}, {"B", "x: y"}}, ""},
		{"colon in value", "Content-Security-Policy: img-src https://a.example", []header{{"Content-Security-Policy", "img-src https://a.example"}}, ""},
		{"CRLF", "A: 1\r\nB: 2\r\n", []header{{"A", "1"}, {"B", "2"}}, ""},
		{"empty file", "", nil, "no headers"},
		{"only comments", "# nothing\n", nil, "no headers"},
		{"no colon", "A: 1\nX-Frame-Options DENY\n", nil, "line 2"},
		{"empty name", ": DENY", nil, "line 1: \"\" is not a valid header name"},
		{"space in name", "X Frame: DENY", nil, "not a valid header name"},
		{"empty value", "A: 1\n\nB:   \n", nil, "line 3: header B has an empty value"},
		{"duplicate", "A: 1\na: 2\n", nil, "line 2: header A repeats line 1"},
		{"NUL in value", "A: 1\x002", nil, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeaders(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{
		"X-Frame-Options: DENY\n",
		"# c\n\nA: 1\nB: x: y\n",
		"A: 1\r\nB: 2",
		"A: 1\na: 2\n",
		": x",
		"A:",
		"A: \x00",
		"\xff: \xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		hs, err := parseHeaders(strings.NewReader(in))
		if err != nil {
			return
		}
		// Render and parse again: the same list (a fixed point).
		var b strings.Builder
		for _, h := range hs {
			if !validName(h.name) || h.value == "" || h.value != strings.TrimSpace(h.value) {
				t.Fatalf("accepted bad header %q", h)
			}
			b.WriteString(h.name + ": " + h.value + "\n")
		}
		again, err := parseHeaders(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("rendering %q does not parse again: %v", b.String(), err)
		}
		if !reflect.DeepEqual(hs, again) {
			t.Fatalf("round trip %q -> %q", hs, again)
		}
	})
}

// TestProxy runs the proxy over TLS against a real upstream: every listed
// header is set (replacing an upstream's value), the cookie is untouched,
// the upstream sees the client's Host and X-Forwarded-*, and HTTP/2 is
// negotiated.
func TestProxy(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Set-Cookie", "sessionid=x; Path=/")
		w.Header().Set("X-Seen", r.Host+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("X-Forwarded-For"))
		io.WriteString(w, "ok")
	}))
	defer upstream.Close()
	u, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	hs := []header{{"X-Frame-Options", "DENY"}, {"Content-Security-Policy", "object-src 'none'"}}
	front := httptest.NewUnstartedServer(newProxy(u, hs))
	front.EnableHTTP2 = true
	front.StartTLS()
	defer front.Close()

	req, err := http.NewRequest("GET", front.URL+"/1k", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "bench.local"
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("proto %s, want HTTP/2", resp.Proto)
	}
	for _, h := range hs {
		if got := resp.Header.Values(h.name); len(got) != 1 || got[0] != h.value {
			t.Errorf("%s: %q, want exactly %q", h.name, got, h.value)
		}
	}
	if got := resp.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != "sessionid=x; Path=/" {
		t.Errorf("Set-Cookie %q: the baseline must not rewrite cookies", got)
	}
	if got := resp.Header.Get("X-Seen"); got != "bench.local https 127.0.0.1" {
		t.Errorf("upstream saw %q, want \"bench.local https 127.0.0.1\"", got)
	}
}

func TestTLSConfig(t *testing.T) {
	c := tlsConfig(tls.Certificate{})
	if c.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", c.MinVersion)
	}
	insecure := map[uint16]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.ID] = true
	}
	for _, id := range c.CipherSuites {
		name := tls.CipherSuiteName(id)
		if insecure[id] || !strings.HasPrefix(name, "TLS_ECDHE_") || strings.Contains(name, "CBC") {
			t.Errorf("suite %s is not forward-secret AEAD", name)
		}
	}
}

func TestRunRejects(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/headers.txt"
	if err := os.WriteFile(bad, []byte("no colon here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := writeCert(t, dir)
	good := dir + "/good.txt"
	if err := os.WriteFile(good, []byte("X-Frame-Options: DENY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, listen, to, cert, key, headers, err string }{
		{"relative upstream", "127.0.0.1:0", "127.0.0.1:9000", "c", "k", "h", "want an absolute"},
		{"ftp upstream", "127.0.0.1:0", "ftp://127.0.0.1", "c", "k", "h", "want an absolute"},
		{"missing flags", "127.0.0.1:0", "http://127.0.0.1:9000", "", "k", "h", "required"},
		{"missing cert", "127.0.0.1:0", "http://127.0.0.1:9000", dir + "/c.pem", dir + "/k.pem", bad, "c.pem"},
		{"key for cert", "127.0.0.1:0", "http://127.0.0.1:9000", cert, cert, good, "key"},
		{"bad headers", "127.0.0.1:0", "http://127.0.0.1:9000", cert, key, bad, "headers.txt: line 1"},
		{"missing headers", "127.0.0.1:0", "http://127.0.0.1:9000", cert, key, dir + "/none.txt", "none.txt"},
		{"public listen", "0.0.0.0:0", "http://127.0.0.1:9000", cert, key, good, "loopback"},
		{"name listen", "localhost:0", "http://127.0.0.1:9000", cert, key, good, "loopback"},
		{"no port", "127.0.0.1", "http://127.0.0.1:9000", cert, key, good, "-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.listen, tt.to, tt.cert, tt.key, tt.headers)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// writeCert writes a self-signed P-256 certificate and its key into dir.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		DNSNames:     []string{"bench.local"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = dir+"/cert.pem", dir+"/key.pem"
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
