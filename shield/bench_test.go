package shield

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The benchmarks measure shield's own cost: each has a "bare" twin that
// runs the same handler on the same reusable ResponseWriter without
// shield, so "shield" minus "bare" is what shield adds per request.
// Run: go test -run '^$' -bench BenchmarkShield -benchmem ./shield/

// benchWriter is a ResponseWriter that keeps its header map between
// iterations (as net/http keeps none, this isolates shield's work from
// map allocation, which a real server pays with or without shield).
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(int)             {}

// djangoLike is the configuration of a hardened Django deployment:
// allowed hosts, SSL redirect, HSTS one year with subdomains and preload,
// X-Frame-Options DENY, nosniff, referrer policy, COOP, plus shield's
// defaults (Permissions-Policy, baseline CSP, cookie hardening,
// cross-origin protection).
func djangoLike() Options {
	return Options{
		Hosts: []string{"example.com", ".example.com"},
		HSTS:  HSTS{Preload: true},
	}
}

func browserRequest() *http.Request {
	r := httptest.NewRequest("GET", "https://example.com/account/?tab=security", nil)
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	r.RemoteAddr = "198.51.100.7:51234"
	for k, v := range map[string]string{
		"User-Agent":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36",
		"Accept":          "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"Accept-Language": "en-GB,en;q=0.9",
		"Accept-Encoding": "gzip, deflate, br, zstd",
		"Sec-Fetch-Site":  "same-origin",
		"Sec-Fetch-Mode":  "navigate",
		"Sec-Fetch-Dest":  "document",
	} {
		r.Header.Set(k, v)
	}
	return r
}

var (
	textPlain = []string{"text/html; charset=utf-8"}
	bodyBytes = []byte("<!doctype html><title>ok</title>")
)

func staticApp(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = textPlain
	w.Write(bodyBytes)
}

func runBench(b *testing.B, h http.Handler) {
	w := &benchWriter{h: make(http.Header, 16)}
	r := browserRequest()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

// benchPair runs three variants: the bare handler; "precomputed", the
// bare handler plus a blind assignment of the very header values shield
// sends (the floor any header middleware pays: one map write per header,
// no checks); and the handler behind shield.
func benchPair(b *testing.B, o Options, app http.HandlerFunc) {
	s, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	var keys []string
	var vals [][]string
	probe := &benchWriter{h: http.Header{}}
	s.Wrap(http.HandlerFunc(staticApp)).ServeHTTP(probe, browserRequest())
	for k, v := range probe.h {
		if k != "Content-Type" {
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	pre := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for i, k := range keys {
			h[k] = vals[i]
		}
		app(w, r)
	})
	b.Run("bare", func(b *testing.B) { runBench(b, app) })
	b.Run("precomputed", func(b *testing.B) { runBench(b, pre) })
	b.Run("shield", func(b *testing.B) { runBench(b, s.Wrap(app)) })
}

// BenchmarkShieldStatic: an HTTPS GET with no cookies. Target: shield
// minus bare ≤ 150 ns/op and 0 allocs/op.
func BenchmarkShieldStatic(b *testing.B) {
	benchPair(b, djangoLike(), staticApp)
}

// BenchmarkShieldDjangoHeaders: the same request with exactly the header
// set Django's SecurityMiddleware and XFrameOptionsMiddleware send (HSTS,
// X-Frame-Options, nosniff, Referrer-Policy, COOP): the like-for-like
// comparison with Django and unrolled/secure, which send no CSP,
// Permissions-Policy or X-XSS-Protection by default.
func BenchmarkShieldDjangoHeaders(b *testing.B) {
	o := djangoLike()
	o.CSP.Disable = true
	o.PermissionsPolicy.Disable = true
	o.Headers.XSSProtection.Disable = true
	benchPair(b, o, staticApp)
}

// BenchmarkShieldCookie: the same with one Set-Cookie rewritten (Secure,
// HttpOnly and SameSite added). Target: ≤ 2 allocs/op.
func BenchmarkShieldCookie(b *testing.B) {
	var buf []string
	app := func(w http.ResponseWriter, r *http.Request) {
		buf = append(buf[:0], "sessionid=7f3a9c2e41b8d605; Path=/; Max-Age=1209600")
		w.Header()["Set-Cookie"] = buf
		staticApp(w, r)
	}
	benchPair(b, djangoLike(), app)
}

// BenchmarkShieldNonce: a per-request CSP nonce rendered into a strict
// policy and handed to the handler. Target: ≤ 1 µs/op.
func BenchmarkShieldNonce(b *testing.B) {
	o := djangoLike()
	o.CSP.Nonce = true
	app := func(w http.ResponseWriter, r *http.Request) {
		if Nonce(r) == "" && r.Context().Value(ctxKey{}) != nil {
			b.Fatal("no nonce")
		}
		staticApp(w, r)
	}
	benchPair(b, o, app)
}

// BenchmarkShieldRedirect: a plain-HTTP request answered with 308.
func BenchmarkShieldRedirect(b *testing.B) {
	s, err := New(djangoLike())
	if err != nil {
		b.Fatal(err)
	}
	h := s.Wrap(http.HandlerFunc(staticApp))
	w := &benchWriter{h: make(http.Header, 16)}
	r := browserRequest()
	r.TLS = nil
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

var _ io.Writer = (*benchWriter)(nil)
