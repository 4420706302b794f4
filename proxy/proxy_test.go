package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/shield"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string // "" for success
		want    string // canonical upstream on success
	}{
		{"http", Options{Upstream: "http://127.0.0.1:8000"}, "", "http://127.0.0.1:8000"},
		{"https", Options{Upstream: "https://App.Internal:8443"}, "", "https://app.internal:8443"},
		{"no port", Options{Upstream: "http://localhost"}, "", "http://localhost"},
		{"trailing slash dropped", Options{Upstream: "http://localhost:80/"}, "", "http://localhost:80"},
		{"base path", Options{Upstream: "http://127.0.0.1:8000/app"}, "", "http://127.0.0.1:8000/app"},
		{"ipv6", Options{Upstream: "http://[::1]:8000"}, "", "http://[::1]:8000"},
		{"upper-case scheme", Options{Upstream: "HTTP://127.0.0.1:8000"}, "", "http://127.0.0.1:8000"},
		{"unix", Options{Upstream: "unix:/run/app.sock"}, "", "unix:/run/app.sock"},
		{"unix triple slash", Options{Upstream: "unix:///run/app.sock"}, "", "unix:/run/app.sock"},
		{"unix path cleaned", Options{Upstream: "uniX:////run//./app.sock"}, "", "unix:/run/app.sock"},
		{"https with TLS config", Options{Upstream: "https://127.0.0.1:8443", TLSClientConfig: &tls.Config{}}, "", "https://127.0.0.1:8443"},

		{"empty", Options{}, "upstream is empty", ""},
		{"no scheme", Options{Upstream: "127.0.0.1:8000"}, "no scheme", ""},
		{"no scheme name", Options{Upstream: "localhost:8000"}, "no scheme", ""},
		{"ftp", Options{Upstream: "ftp://127.0.0.1"}, `scheme "ftp" is not supported`, ""},
		{"no host", Options{Upstream: "http://:8000"}, "no host", ""},
		{"port zero", Options{Upstream: "http://127.0.0.1:0"}, `port "0" is not between 1 and 65535`, ""},
		{"port too big", Options{Upstream: "http://127.0.0.1:65536"}, `port "65536"`, ""},
		{"empty port", Options{Upstream: "http://127.0.0.1:"}, "empty port", ""},
		{"bad port", Options{Upstream: "http://127.0.0.1:80a"}, "invalid port", ""},
		{"credentials", Options{Upstream: "http://user:pw@127.0.0.1"}, "credentials", ""},
		{"query", Options{Upstream: "http://127.0.0.1/?a=1"}, "query", ""},
		{"empty query", Options{Upstream: "http://127.0.0.1/?"}, "query", ""},
		{"fragment", Options{Upstream: "http://127.0.0.1/#x"}, "fragment", ""},
		{"space", Options{Upstream: "http://127.0.0.1 :80"}, "a space at offset 16", ""},
		{"newline", Options{Upstream: "http://127.0.0.1\n"}, "byte 0x0a at offset 16", ""},
		{"non-ASCII", Options{Upstream: "http://bücher.example"}, "byte 0xc3 at offset 8", ""},
		{"unix empty", Options{Upstream: "unix:"}, "no socket path", ""},
		{"unix relative", Options{Upstream: "unix:app.sock"}, "not absolute", ""},
		{"unix host", Options{Upstream: "unix://host/app.sock"}, "no host", ""},
		{"negative body", Options{Upstream: "http://127.0.0.1", MaxBodyBytes: -1}, "MaxBodyBytes is negative", ""},
		{"negative dial", Options{Upstream: "http://127.0.0.1", DialTimeout: -time.Second}, "DialTimeout is negative", ""},
		{"negative header", Options{Upstream: "http://127.0.0.1", ResponseHeaderTimeout: -1}, "ResponseHeaderTimeout is negative", ""},
		{"negative idle", Options{Upstream: "http://127.0.0.1", MaxIdleConnsPerHost: -1}, "MaxIdleConnsPerHost is negative", ""},
		{"TLS config for http", Options{Upstream: "http://127.0.0.1", TLSClientConfig: &tls.Config{}}, "is not https", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.o)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("New(%q) succeeded, want error containing %q", tt.o.Upstream, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "proxy: ") {
					t.Fatalf("New(%q) error = %q, want it to contain %q", tt.o.Upstream, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.o.Upstream, err)
			}
			defer p.Close()
			if got := p.Upstream(); got != tt.want {
				t.Errorf("Upstream() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTransportSettings(t *testing.T) {
	tests := []struct {
		o                      Options
		perHost, maxIdle       int
		headerTimeout          time.Duration
		http2, hasTLS, hasUnix bool
	}{
		{Options{Upstream: "http://127.0.0.1:1"}, 256, 1024, 60 * time.Second, false, false, false},
		{Options{Upstream: "https://127.0.0.1:1", TLSClientConfig: &tls.Config{ServerName: "x"}}, 256, 1024, 60 * time.Second, true, true, false},
		{Options{Upstream: "http://127.0.0.1:1", MaxIdleConnsPerHost: 2048, ResponseHeaderTimeout: time.Second}, 2048, 2048, time.Second, false, false, false},
		{Options{Upstream: "unix:/tmp/x.sock"}, 256, 1024, 60 * time.Second, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.o.Upstream, func(t *testing.T) {
			p, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			tr := p.transport
			if tr.MaxIdleConnsPerHost != tt.perHost || tr.MaxIdleConns != tt.maxIdle {
				t.Errorf("idle conns: per host %d, total %d; want %d, %d", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tt.perHost, tt.maxIdle)
			}
			if tr.ResponseHeaderTimeout != tt.headerTimeout || tr.IdleConnTimeout != 90*time.Second {
				t.Errorf("timeouts: header %v, idle %v", tr.ResponseHeaderTimeout, tr.IdleConnTimeout)
			}
			if !tr.DisableCompression || tr.Proxy != nil || tr.ForceAttemptHTTP2 != tt.http2 {
				t.Errorf("DisableCompression %t, Proxy set %t, ForceAttemptHTTP2 %t", tr.DisableCompression, tr.Proxy != nil, tr.ForceAttemptHTTP2)
			}
			if (tr.TLSClientConfig != nil) != tt.hasTLS || (tt.hasTLS && tr.TLSClientConfig == tt.o.TLSClientConfig) {
				t.Errorf("TLSClientConfig %p, want a clone of %p", tr.TLSClientConfig, tt.o.TLSClientConfig)
			}
			if (p.up.socket != "") != tt.hasUnix {
				t.Errorf("socket %q", p.up.socket)
			}
		})
	}
}

// trustingShield is shield in front of the proxy, trusting 127.0.0.1 as a
// proxy, as when portcullis runs behind a load balancer.
func trustingShield(t *testing.T) func(http.Handler) http.Handler {
	t.Helper()
	s, err := shield.New(shield.Options{
		Hosts:          []string{"app.example", "127.0.0.1"},
		TrustedProxies: []string{"127.0.0.1", "::1"},
		Redirect:       shield.Redirect{Disable: true},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.Wrap
}

func TestForwardingHeaders(t *testing.T) {
	up := newUpstream(t, nil)
	direct, _, _ := newFront(t, Options{Upstream: up.URL}, nil)
	shielded, _, _ := newFront(t, Options{Upstream: up.URL}, trustingShield(t))
	spoofs := map[string]string{
		"X-Forwarded-For":      "6.6.6.6",
		"Forwarded":            "for=6.6.6.6;proto=https;host=evil.example",
		"X-Real-Ip":            "6.6.6.6",
		"X-Forwarded-Proto":    "https",
		"X-Forwarded-Host":     "evil.example",
		"X-Forwarded-Port":     "1",
		"X-Forwarded-Ssl":      "on",
		"X-Forwarded-Protocol": "ssl",
		"True-Client-Ip":       "6.6.6.6",
	}
	tests := []struct {
		name   string
		front  *httptest.Server
		host   string
		header map[string]string
		want   map[string]string // "" means absent
	}{
		{
			name: "spoofed headers from an untrusted client are replaced", front: direct, host: "app.example", header: spoofs,
			want: map[string]string{
				"X-Forwarded-For": "127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Proto": "http",
				"X-Forwarded-Host": "app.example", "Forwarded": "for=127.0.0.1;proto=http;host=app.example",
				"X-Forwarded-Port": "", "X-Forwarded-Ssl": "", "X-Forwarded-Protocol": "", "True-Client-Ip": "",
			},
		},
		{
			name: "spoofed headers through shield without trusted values", front: shielded, host: "app.example",
			header: map[string]string{"X-Forwarded-Port": "1", "X-Client-Ip": "6.6.6.6"},
			want: map[string]string{
				"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1;proto=http;host=app.example",
				"X-Forwarded-Port": "", "X-Client-Ip": "",
			},
		},
		{
			name: "trusted proxy chain: only the client is sent", front: shielded, host: "127.0.0.1",
			header: map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example"},
			want: map[string]string{
				"X-Forwarded-For": "198.51.100.7", "X-Real-Ip": "198.51.100.7", "X-Forwarded-Proto": "https",
				"X-Forwarded-Host": "app.example", "Forwarded": "for=198.51.100.7;proto=https;host=app.example",
			},
		},
		{
			name: "trusted Forwarded with IPv6 client and host port", front: shielded, host: "127.0.0.1",
			header: map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https;host="app.example:8443"`},
			want: map[string]string{
				"X-Forwarded-For": "2001:db8::7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example:8443",
				"Forwarded": `for="[2001:db8::7]";proto=https;host="app.example:8443"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.front.URL+"/path?q=1", nil)
			req.Host = tt.host
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := tt.front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeSeen(t, resp)
			if got.Host != tt.host {
				t.Errorf("upstream Host = %q, want the original %q", got.Host, tt.host)
			}
			if got.Path != "/path" || got.Query != "q=1" {
				t.Errorf("upstream path %q query %q", got.Path, got.Query)
			}
			for k, want := range tt.want {
				if vals := got.Header.Values(k); want == "" && len(vals) > 0 {
					t.Errorf("%s = %q, want it removed", k, vals)
				} else if want != "" && (len(vals) != 1 || vals[0] != want) {
					t.Errorf("%s = %q, want [%q]", k, vals, want)
				}
			}
		})
	}
}

func TestSetForwarding(t *testing.T) {
	tests := []struct {
		name string
		info shield.Info
		want map[string]string // "" means absent
	}{
		{"unknown client", shield.Info{Scheme: "https", Host: "a.example"},
			map[string]string{"Forwarded": "for=unknown;proto=https;host=a.example", "X-Forwarded-For": "", "X-Real-Ip": "", "X-Forwarded-Proto": "https"}},
		{"IPv4-mapped unmapped", shield.Info{Scheme: "http", Host: "a", ClientIP: netip.MustParseAddr("::ffff:192.0.2.1")},
			map[string]string{"Forwarded": "for=192.0.2.1;proto=http;host=a", "X-Forwarded-For": "192.0.2.1"}},
		{"zone dropped", shield.Info{Scheme: "http", Host: "a", ClientIP: netip.MustParseAddr(`fe80::1%eth"0`)},
			map[string]string{"Forwarded": `for="[fe80::1]";proto=http;host=a`, "X-Forwarded-For": "fe80::1"}},
		{"host with CR is not passed on", shield.Info{Scheme: "http", Host: "a\r\nX: y", ClientIP: netip.MustParseAddr("192.0.2.1")},
			map[string]string{"Forwarded": "for=192.0.2.1;proto=http", "X-Forwarded-Host": ""}},
		{"host needing escapes", shield.Info{Scheme: "http", Host: `a"b\c`, ClientIP: netip.MustParseAddr("192.0.2.1")},
			map[string]string{"Forwarded": `for=192.0.2.1;proto=http;host="a\"b\\c"`, "X-Forwarded-Host": `a"b\c`}},
		{"odd scheme becomes http", shield.Info{Scheme: "gopher", Host: "a"},
			map[string]string{"Forwarded": "for=unknown;proto=http;host=a", "X-Forwarded-Proto": "http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"X-Forwarded-For": {"6.6.6.6"}, "X-Real-Ip": {"6.6.6.6"}, "X-Forwarded-Host": {"evil"}, "X-Forwarded-Port": {"1"}}
			setForwarding(h, tt.info)
			for k, want := range tt.want {
				if vals := h[k]; want == "" && len(vals) > 0 {
					t.Errorf("%s = %q, want it removed", k, vals)
				} else if want != "" && !slices.Equal(vals, []string{want}) {
					t.Errorf("%s = %q, want [%q]", k, vals, want)
				}
			}
			if _, ok := h["X-Forwarded-Port"]; ok {
				t.Error("X-Forwarded-Port kept")
			}
			// Values share one array; adding to one must not touch another.
			h.Add("Forwarded", "for=x")
			if got := h.Get("X-Forwarded-Proto"); got != tt.info.Scheme && got != "http" {
				t.Errorf("X-Forwarded-Proto changed to %q by an Add to Forwarded", got)
			}
		})
	}
}

// rawRoundTrip sends a raw HTTP/1.1 request and reads the response.
func rawRoundTrip(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func TestHopByHopHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Bar")
		w.Header().Set("X-Bar", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-End-To-End", "kept")
		echoUpstream(w, r)
	})
	// The upstream really sends its hop-by-hop headers.
	direct, _ := rawRoundTrip(t, up.Listener.Addr().String(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if direct.Header.Get("X-Bar") != "hop" {
		t.Fatalf("the upstream does not send X-Bar: %v", direct.Header)
	}
	front, _, _ := newFront(t, Options{Upstream: up.URL}, nil)
	resp, body := rawRoundTrip(t, front.Listener.Addr().String(),
		"GET / HTTP/1.1\r\nHost: app.example\r\nConnection: X-Foo, keep-alive\r\nX-Foo: secret\r\n"+
			"Keep-Alive: 300\r\nProxy-Connection: keep-alive\r\nTe: trailers, deflate\r\nX-Kept: yes\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	got := decodeSeen(t, &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))})
	for _, k := range []string{"X-Foo", "Keep-Alive", "Proxy-Connection"} {
		if v := got.Header.Values(k); len(v) > 0 {
			t.Errorf("upstream received hop-by-hop %s: %q", k, v)
		}
	}
	if v := got.Header.Get("Connection"); v != "" {
		t.Errorf("upstream received Connection: %q", v)
	}
	if v := got.Header.Get("Te"); v != "trailers" {
		t.Errorf("upstream Te = %q, want only trailers", v)
	}
	if v := got.Header.Get("X-Kept"); v != "yes" {
		t.Errorf("end-to-end request header lost: X-Kept = %q", v)
	}
	for _, k := range []string{"X-Bar", "Keep-Alive"} {
		if v := resp.Header.Values(k); len(v) > 0 {
			t.Errorf("client received hop-by-hop %s: %q", k, v)
		}
	}
	if v := resp.Header.Get("X-End-To-End"); v != "kept" {
		t.Errorf("end-to-end response header lost: %q", v)
	}
}

// chunked hides a reader's length so the client sends it chunked.
type chunked struct{ io.Reader }

func TestRequestBodies(t *testing.T) {
	// Hits are counted per path: a request of an earlier case may still
	// reach the upstream while the next case runs.
	var mu sync.Mutex
	hits := map[string]int32{}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		echoUpstream(w, r)
	})
	const limit = 1024
	front, _, logs := newFront(t, Options{Upstream: up.URL, MaxBodyBytes: limit}, nil)
	tests := []struct {
		name      string
		body      string
		chunked   bool
		method    string
		want      int
		wantHits  int32 // -1: not checked (the upstream may have seen the headers)
		wantLog   string
		wantEmpty bool
	}{
		{"no body", "", false, "POST", 200, 1, "", false},
		{"small", "hello", false, "POST", 200, 1, "", false},
		{"exactly the limit", strings.Repeat("a", limit), false, "PUT", 200, 1, "", false},
		{"chunked under the limit", strings.Repeat("b", limit), true, "POST", 200, 1, "", false},
		{"Content-Length over the limit", strings.Repeat("c", limit+1), false, "POST", 413, 0, "Content-Length 1025 exceeds the limit of 1024 bytes", false},
		{"chunked over the limit", strings.Repeat("d", 4*limit), true, "POST", 413, -1, "body of unannounced length exceeds the limit of 1024 bytes", false},
		{"HEAD over the limit has no body", strings.Repeat("e", limit+1), false, "HEAD", 413, 0, "exceeds the limit", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/upload/" + strings.ReplaceAll(tt.name, " ", "-")
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = chunked{body}
			}
			req, _ := http.NewRequest(tt.method, front.URL+path, body)
			if tt.chunked {
				req.ContentLength = -1
			}
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := readBody(t, resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tt.want, got)
			}
			if tt.want == 200 && !strings.Contains(got, fmt.Sprintf("%q", tt.body)) {
				t.Errorf("upstream did not receive the body intact: %.100s", got)
			}
			if tt.want == 413 {
				if want := "413 Request Entity Too Large\n"; !tt.wantEmpty && got != want {
					t.Errorf("body %q, want %q", got, want)
				}
				if tt.wantEmpty && got != "" {
					t.Errorf("HEAD body %q", got)
				}
				if !resp.Close {
					t.Error("413 does not close the connection")
				}
				if !strings.Contains(logs.String(), tt.wantLog) {
					t.Errorf("log lacks %q:\n%s", tt.wantLog, logs)
				}
			}
			mu.Lock()
			n := hits[path]
			mu.Unlock()
			if tt.wantHits >= 0 && n != tt.wantHits {
				t.Errorf("upstream hit %d times, want %d", n, tt.wantHits)
			}
		})
	}
}

// TestMalformedBodies: a request body the client got wrong is the
// client's fault: 400, logged at Info, never a 502 blamed on the upstream.
func TestMalformedBodies(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // read until the client's bad chunk ends it
		echoUpstream(w, r)
	})
	addr := ""
	var logs *testutil.Buffer
	head := "POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
	for _, tt := range []struct{ name, body string }{
		{"bare LF in chunk line", "5\nhello\r\n0\r\n\r\n"},
		{"overflowing chunk size", "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"},
		{"chunk size not hex", "zz\r\nhello\r\n0\r\n\r\n"},
		{"chunk without CRLF after data", "5\r\nhelloXX0\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var front *httptest.Server
			front, _, logs = newFront(t, Options{Upstream: up.URL}, nil)
			addr = strings.TrimPrefix(front.URL, "http://")
			resp, body := rawRoundTrip(t, addr, head+tt.body)
			if resp.StatusCode != http.StatusBadRequest || body != "400 Bad Request\n" {
				t.Fatalf("status %d %q, want 400", resp.StatusCode, body)
			}
			if l := logs.String(); strings.Contains(l, "level=ERROR") || !strings.Contains(l, "client sent a malformed request body") {
				t.Errorf("log:\n%s", l)
			}
		})
	}
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestUpstreamErrors(t *testing.T) {
	release := make(chan struct{})
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	dead := closedAddr(t)
	sock := filepath.Join(t.TempDir(), "missing.sock")
	tests := []struct {
		name     string
		o        Options
		method   string
		want     int
		wantBody string
		wantLog  []string
		secrets  []string // must not appear in the body
	}{
		{"refused", Options{Upstream: "http://" + dead}, "GET", 502, "502 Bad Gateway\n",
			[]string{"level=ERROR", "method=GET", "host=app.example", "path=/secret/path", "upstream=http://" + dead, "status=502", "connection refused"},
			[]string{dead, "dial", "refused", "/secret/path"}},
		{"refused HEAD", Options{Upstream: "http://" + dead}, "HEAD", 502, "", []string{"status=502"}, nil},
		{"missing unix socket", Options{Upstream: "unix:" + sock}, "GET", 502, "502 Bad Gateway\n",
			[]string{"upstream=unix:" + sock, "status=502"}, []string{sock, "dial", "unix"}},
		{"slow", Options{Upstream: slow.URL, ResponseHeaderTimeout: 50 * time.Millisecond}, "POST", 504, "504 Gateway Timeout\n",
			[]string{"method=POST", "upstream=" + slow.URL, "status=504", "timeout awaiting response headers"},
			[]string{strings.TrimPrefix(slow.URL, "http://"), "timeout awaiting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			front, _, logs := newFront(t, tt.o, nil)
			req, _ := http.NewRequest(tt.method, front.URL+"/secret/path?token=x", nil)
			req.Host = "app.example"
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.want || body != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tt.want, tt.wantBody)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, s := range tt.secrets {
				if strings.Contains(body, s) || strings.Contains(fmt.Sprint(resp.Header), s) {
					t.Errorf("response reveals %q: %v %q", s, resp.Header, body)
				}
			}
			for _, s := range tt.wantLog {
				if !strings.Contains(logs.String(), s) {
					t.Errorf("log lacks %q:\n%s", s, logs)
				}
			}
			if strings.Contains(logs.String(), "token=x") {
				t.Errorf("log contains the query:\n%s", logs)
			}
		})
	}
}

// TestOnUpstreamError: with the hook set, 502 and 504 go to it, typed,
// instead of the log; the client gets the same fixed pages, and other
// errors (a body over the limit) are still logged.
func TestOnUpstreamError(t *testing.T) {
	release := make(chan struct{})
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	dead := closedAddr(t)
	for _, tt := range []struct {
		name     string
		upstream string
		status   int
		timeout  bool
	}{
		{"refused", "http://" + dead, 502, false},
		{"slow", slow.URL, 504, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			type call struct {
				method, host, path string
				err                *UpstreamError
			}
			calls := make(chan call, 4)
			front, _, logs := newFront(t, Options{Upstream: tt.upstream, ResponseHeaderTimeout: 50 * time.Millisecond, MaxBodyBytes: 64,
				OnUpstreamError: func(r *http.Request, err *UpstreamError) { calls <- call{r.Method, r.Host, r.URL.Path, err} }}, nil)
			req, _ := http.NewRequest("POST", front.URL+"/login", strings.NewReader("password=hunter2"))
			req.Host = "app.example"
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if body := readBody(t, resp); resp.StatusCode != tt.status || body != errorPages[tt.status] {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			c := <-calls
			if c.method != "POST" || c.host != "app.example" || c.path != "/login" || c.err.Status != tt.status ||
				c.err.Timeout != tt.timeout || c.err.Upstream != tt.upstream || c.err.Err == nil {
				t.Errorf("hook got %+v %+v", c, *c.err)
			}
			if msg := c.err.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, tt.upstream) {
				t.Errorf("error %q", msg)
			}
			if logs.String() != "" {
				t.Errorf("logged although the hook is set:\n%s", logs)
			}

			req, _ = http.NewRequest("POST", front.URL+"/upload", strings.NewReader(strings.Repeat("x", 100)))
			resp, err = front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || len(calls) != 0 || !strings.Contains(logs.String(), "request body too large") {
				t.Errorf("body over the limit: %d, %d hook calls, log:\n%s", resp.StatusCode, len(calls), logs)
			}
		})
	}
}

func TestClientCanceled(t *testing.T) {
	arrived := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	access := &testutil.Buffer{}
	front, _, logs := newFront(t, Options{Upstream: up.URL}, func(h http.Handler) http.Handler {
		return AccessLog(h, AccessLogOptions{Format: "common", Out: access})
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", front.URL+"/wait", nil)
	go func() { <-arrived; cancel() }()
	if _, err := front.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do: %v, want context.Canceled", err)
	}
	testutil.Eventually(t, 5*time.Second, "the access log line", func() bool { return access.String() != "" })
	if l := access.String(); !strings.Contains(l, `"GET /wait HTTP/1.1" 499 -`) {
		t.Errorf("access log %q, want status 499", l)
	}
	testutil.Eventually(t, 5*time.Second, "the debug log", func() bool { return strings.Contains(logs.String(), "client went away") })
	if l := logs.String(); !strings.Contains(l, "level=DEBUG") || strings.Contains(l, "level=ERROR") {
		t.Errorf("log:\n%s", l)
	}
}

func TestStreaming(t *testing.T) {
	tests := []struct {
		name, contentType string
	}{
		{"server-sent events", "text/event-stream"},
		{"chunked without Content-Length", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			// Deferred calls run before the servers' cleanups, so a failure
			// cannot leave the upstream handler blocked.
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, "data: one\n\n")
				w.(http.Flusher).Flush()
				<-release
				io.WriteString(w, "data: two\n\n")
			})
			front, _, _ := newFront(t, Options{Upstream: up.URL}, func(h http.Handler) http.Handler {
				return AccessLog(h, AccessLogOptions{Out: io.Discard})
			})
			// The deadline turns a response that is not flushed (the
			// headers or first event held back) into a failure, not a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", front.URL+"/events", nil)
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatalf("the response did not start while the upstream was still streaming: %v", err)
			}
			defer resp.Body.Close()
			first := make(chan string, 1)
			br := bufio.NewReader(resp.Body)
			go func() {
				l, _ := br.ReadString('\n')
				first <- l
			}()
			select {
			case l := <-first:
				if l != "data: one\n" {
					t.Errorf("first line %q", l)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the first event did not arrive while the upstream was still streaming")
			}
			releaseOnce()
			rest, _ := io.ReadAll(br)
			if string(rest) != "\ndata: two\n\n" {
				t.Errorf("rest %q", rest)
			}
		})
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.EqualFold(r.Header.Get("Connection"), "Upgrade") {
			http.Error(w, "not an upgrade", http.StatusBadRequest)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Forwarded-Seen: " + r.Header.Get("X-Forwarded-For") + "\r\n\r\n")
		brw.Flush()
		io.Copy(c, brw) // echo until the client closes
	})
	access := &testutil.Buffer{}
	front, _, _ := newFront(t, Options{Upstream: up.URL}, func(h http.Handler) http.Handler {
		return AccessLog(trustingShield(t)(h), AccessLogOptions{Format: "common", Out: access})
	})
	c, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: app.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Forwarded-Proto: https\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	if got := resp.Header.Get("X-Forwarded-Seen"); got != "127.0.0.1" {
		t.Errorf("upstream saw X-Forwarded-For %q", got)
	}
	for _, msg := range []string{"hello", "second message\x00\xff"} {
		io.WriteString(c, msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo %q: got %q, %v", msg, buf, err)
		}
	}
	c.Close()
	testutil.Eventually(t, 5*time.Second, "the access log line", func() bool { return access.String() != "" })
	if l := access.String(); !strings.Contains(l, `"GET /ws HTTP/1.1" 101 -`) {
		t.Errorf("access log %q", l)
	}
}

func TestUnixSocketUpstream(t *testing.T) {
	dir, err := os.MkdirTemp("", "px") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "up.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	up := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(echoUpstream)}}
	up.Start()
	t.Cleanup(up.Close)
	front, _, _ := newFront(t, Options{Upstream: "unix://" + sock}, nil)
	req, _ := http.NewRequest("POST", front.URL+"/over/unix", strings.NewReader("body"))
	req.Host = "app.example"
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeSeen(t, resp)
	if got.Host != "app.example" || got.Path != "/over/unix" || got.Body != "body" || got.Header.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("upstream saw %+v", got)
	}
}

func TestHTTPSUpstream(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(echoUpstream))
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	up.EnableHTTP2 = true
	up.StartTLS()
	t.Cleanup(up.Close)
	roots := x509.NewCertPool()
	roots.AddCert(up.Certificate())
	front, _, _ := newFront(t, Options{Upstream: up.URL, TLSClientConfig: &tls.Config{RootCAs: roots}}, nil)
	req, _ := http.NewRequest("GET", front.URL+"/tls", nil)
	req.Host = "app.example"
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeSeen(t, resp)
	if got.Proto != "HTTP/2.0" || got.Host != "app.example" {
		t.Errorf("upstream saw proto %q host %q, want HTTP/2.0 and the original host", got.Proto, got.Host)
	}

	// Without the root, the certificate is refused: 502, detail in the log only.
	front2, _, logs := newFront(t, Options{Upstream: up.URL}, nil)
	resp, err = front2.Client().Get(front2.URL)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != 502 || strings.Contains(body, "certificate") {
		t.Errorf("untrusted upstream: %d %q", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "certificate") {
		t.Errorf("log lacks the certificate error:\n%s", logs)
	}
}

func TestConnectionReuse(t *testing.T) {
	var newConns atomic.Int32
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1024))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	front, _, _ := newFront(t, Options{Upstream: up.URL}, nil)
	for i := range 50 {
		resp, err := front.Client().Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); len(body) != 1024 {
			t.Fatalf("request %d: %d bytes", i, len(body))
		}
	}
	if n := newConns.Load(); n < 1 || n > 2 {
		t.Errorf("50 sequential requests opened %d upstream connections, want 1-2", n)
	}
}

// timeoutErr is a net.Error that timed out, as a dial timeout is.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestHandleError covers the mapping of every kind of error, including
// those hard to provoke over loopback (a dial timeout).
func TestHandleError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		err      error
		ctx      context.Context
		hijacked bool
		want     int // 0: nothing written
		wantLog  string
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, nil, false, 502, "level=ERROR"},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, nil, false, 504, "level=ERROR"},
		{"deadline", fmt.Errorf("wrapped: %w", context.DeadlineExceeded), nil, false, 504, "level=ERROR"},
		{"body too large", fmt.Errorf("write: %w", &http.MaxBytesError{Limit: 10}), nil, false, 413, "level=INFO"},
		{"client canceled", context.Canceled, canceled, false, 0, "level=DEBUG"},
		{"after the upgrade", errors.New("response write: broken pipe"), nil, true, 0, "upgraded connection failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &testutil.Buffer{}
			p, err := New(Options{Upstream: "http://127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://app.example/x", nil)
			if tt.ctx != nil {
				r = r.WithContext(tt.ctx)
			}
			rec := httptest.NewRecorder()
			var w http.ResponseWriter = rec
			if tt.hijacked {
				w = &exchange{ResponseWriter: rec, hijacked: true}
			}
			p.handleError(w, r, tt.err)
			if tt.want == 0 {
				if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
					t.Errorf("wrote %d %v %q, want nothing", rec.Code, rec.Header(), rec.Body)
				}
			} else if rec.Code != tt.want || rec.Body.String() != errorPages[tt.want] {
				t.Errorf("got %d %q, want %d", rec.Code, rec.Body, tt.want)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs)
			}
		})
	}
}
