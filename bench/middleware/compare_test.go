// Package middleware compares shield with unrolled/secure, the most used Go
// security-headers middleware, doing the same job on the same request.
// It is a module of its own so that the portcullis library itself keeps no
// third-party dependency.
//
//	cd bench/middleware && go test -bench . -benchmem
package middleware

import (
	"crypto/tls"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/shield"
	"github.com/unrolled/secure"
)

type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(int)             {}

var (
	html = []string{"text/html; charset=utf-8"}
	body = []byte("<!doctype html><title>ok</title>")
)

func app(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = html
	w.Write(body)
}

func request() *http.Request {
	r := httptest.NewRequest("GET", "https://example.com/account/?tab=security", nil)
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	r.RemoteAddr = "198.51.100.7:51234"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0")
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	r.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

// The same job for both: allowed hosts, SSL redirect check, HSTS one year
// with subdomains and preload, and Django's headers (X-Frame-Options DENY,
// nosniff, Referrer-Policy, COOP). "full" adds what shield sends by
// default besides: X-XSS-Protection 0, Permissions-Policy and a CSP.
func middlewares(b testing.TB, full bool) (sh, un http.Handler) {
	o := shield.Options{Hosts: []string{"example.com"}, HSTS: shield.HSTS{Preload: true}}
	if !full {
		o.CSP.Disable = true
		o.PermissionsPolicy.Disable = true
		o.Headers.XSSProtection.Disable = true
	}
	s, err := shield.New(o)
	if err != nil {
		b.Fatal(err)
	}
	sh = s.Wrap(http.HandlerFunc(app))

	// Ask shield for its exact header values so both send the same bytes.
	probe := &benchWriter{h: http.Header{}}
	sh.ServeHTTP(probe, request())
	so := secure.Options{
		AllowedHosts:            []string{"example.com"},
		SSLRedirect:             true,
		STSSeconds:              31536000,
		STSIncludeSubdomains:    true,
		STSPreload:              true,
		FrameDeny:               true,
		ContentTypeNosniff:      true,
		ReferrerPolicy:          "same-origin",
		CrossOriginOpenerPolicy: "same-origin",
	}
	if full {
		so.CustomBrowserXssValue = "0"
		so.BrowserXssFilter = true
		so.PermissionsPolicy = probe.h.Get("Permissions-Policy")
		so.ContentSecurityPolicy = probe.h.Get("Content-Security-Policy")
	}
	un = secure.New(so).Handler(http.HandlerFunc(app))
	return sh, un
}

// TestSameHeaders makes sure the comparison is fair: both send the same
// header set, value for value.
func TestSameHeaders(t *testing.T) {
	for _, full := range []bool{false, true} {
		sh, un := middlewares(t, full)
		a, b := &benchWriter{h: http.Header{}}, &benchWriter{h: http.Header{}}
		sh.ServeHTTP(a, request())
		un.ServeHTTP(b, request())
		if !maps.EqualFunc(a.h, b.h, slices.Equal) {
			t.Fatalf("full=%v: different headers\nshield  %v\nsecure  %v", full, a.h, b.h)
		}
	}
}

func run(b *testing.B, h http.Handler) {
	w := &benchWriter{h: make(http.Header, 16)}
	r := request()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func BenchmarkDjangoHeaders(b *testing.B) {
	sh, un := middlewares(b, false)
	b.Run("bare", func(b *testing.B) { run(b, http.HandlerFunc(app)) })
	b.Run("shield", func(b *testing.B) { run(b, sh) })
	b.Run("unrolled-secure", func(b *testing.B) { run(b, un) })
}

func BenchmarkFullHeaders(b *testing.B) {
	sh, un := middlewares(b, true)
	b.Run("bare", func(b *testing.B) { run(b, http.HandlerFunc(app)) })
	b.Run("shield", func(b *testing.B) { run(b, sh) })
	b.Run("unrolled-secure", func(b *testing.B) { run(b, un) })
}
