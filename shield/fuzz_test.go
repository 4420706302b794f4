package shield

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

var hostSeeds = []string{
	"example.com", "EXAMPLE.COM:443", "example.com.", "www.example.org:8443", "[::1]:8443", "[::1]",
	"127.0.0.1", "[0:0:0:0:0:0:0:1]", "[fe80::1%25eth0]", "", ":80", "example.com:", "a..b", "-a.com",
	"example.com\r\n", "exa\x00mple.com", "[::1", "::1", "xn--bcher-kva.example", "a_b.example.com",
	strings.Repeat("a", 64) + ".com", "1.2.3.4.5", "999.1.1.1", "[::ffff:127.0.0.1]:1",
}

// FuzzSplitHost checks the Host parser against net/url: whatever shield
// accepts, net/url parses to the same host name, and matching is
// case-insensitive.
func FuzzSplitHost(f *testing.F) {
	for _, s := range hostSeeds {
		f.Add(s)
	}
	m, err := newHostMatcher([]string{"example.com", ".example.org", "127.0.0.1", "::1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, err := splitHost(host)
		if err != nil {
			if m.match(host) && strings.ContainsAny(host, "\r\n\x00 ") {
				t.Fatalf("matcher accepts raw %q", host)
			}
			return
		}
		if strings.ContainsAny(name, "\r\n\x00 /?#@[]") {
			t.Fatalf("splitHost(%q) = %q: unsafe characters", host, name)
		}
		u, err := url.Parse("http://" + host + "/")
		if err != nil {
			t.Fatalf("splitHost accepted %q but net/url rejects it: %v", host, err)
		}
		if got := strings.TrimSuffix(u.Hostname(), "."); !strings.EqualFold(got, name) {
			t.Fatalf("splitHost(%q) = %q, net/url says %q", host, name, got)
		}
		if m.match(name) != m.match(strings.ToUpper(name)) {
			t.Fatalf("match(%q) depends on case", name)
		}
	})
}

// FuzzShieldRequest drives the whole middleware with arbitrary Host
// headers, paths and forwarding headers from a trusted proxy. It must never
// panic or fail with 5xx, and every redirect must stay on an allowed host
// over HTTPS: no open redirect, no host-header poisoning.
func FuzzShieldRequest(f *testing.F) {
	for _, h := range hostSeeds {
		f.Add(h, "/login", "", "")
	}
	f.Add("example.com", "//evil.com/x", "http", "")
	f.Add("example.com", "/a/../../b?x=%0d%0a", "https", "for=1.2.3.4;host=evil.com")
	f.Add("www.example.org", `/\evil.com`, "", `for="[::1]";proto=http;host="example.com"`)
	s, err := New(Options{
		Hosts:          []string{"example.com", ".example.org", "127.0.0.1", "::1"},
		TrustedProxies: []string{"10.0.0.0/8"},
		OnEvent:        func(Event) {},
	})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Wrap(okHandler)
	f.Fuzz(func(t *testing.T, host, path, xfp, fwd string) {
		u, err := url.ParseRequestURI(path)
		if err != nil {
			return
		}
		r := &http.Request{Method: "GET", URL: u, Host: host, Header: http.Header{}, RemoteAddr: "10.1.2.3:4000", RequestURI: path}
		if xfp != "" {
			r.Header.Set("X-Forwarded-Proto", xfp)
			r.Header.Set("X-Forwarded-Host", host)
		}
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		rec := &recorder{h: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.code >= 500 {
			t.Fatalf("status %d", rec.code)
		}
		if rec.code >= 300 && rec.code < 400 {
			loc, err := url.Parse(rec.h.Get("Location"))
			if err != nil || loc.Scheme != "https" {
				t.Fatalf("redirect to %q", rec.h.Get("Location"))
			}
			if !s.hosts.match(loc.Hostname()) {
				t.Fatalf("Host %q path %q: redirect leaves the allowed hosts: %q", host, path, rec.h.Get("Location"))
			}
		}
	})
}

// recorder is a minimal ResponseWriter for fuzzing (httptest's recorder
// panics on some invalid header values, which is not what is under test).
type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
}

// FuzzParseForwarded: the RFC 7239 parser never panics and never lets a
// control character through.
func FuzzParseForwarded(f *testing.F) {
	for _, s := range []string{
		`for=192.0.2.60;proto=http;by=203.0.113.43`, `For="[2001:db8:cafe::17]:4711"`,
		`for=192.0.2.43, for=198.51.100.17`, `for="a\"b"`, `for=1.2.3.4 ; proto=https`, `for="open`, `;;,,`, `a=b;c`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		elems, ok := parseForwarded(v)
		if !ok {
			return
		}
		for _, e := range elems {
			for _, s := range []string{e.forNode, e.proto, e.host} {
				if strings.ContainsAny(s, "\r\n\x00") {
					t.Fatalf("parseForwarded(%q) let a control character through: %+v", v, e)
				}
			}
		}
	})
}
