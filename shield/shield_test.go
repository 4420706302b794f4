package shield

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/securitytxt"
)

// events collects shield events for assertions.
type events struct {
	mu sync.Mutex
	ev []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }
func (e *events) kinds() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var k []string
	for _, ev := range e.ev {
		k = append(k, ev.Kind)
	}
	return k
}

func mustNew(t testing.TB, o Options) (*Shield, *events) {
	t.Helper()
	ev := &events{}
	if o.OnEvent == nil {
		o.OnEvent = ev.add
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, ev
}

// req builds a request; https sets r.TLS as a TLS listener would.
func req(method, target, host string, https bool) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = host
	r.RemoteAddr = "192.0.2.10:40000"
	if https {
		r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	} else {
		r.TLS = nil
	}
	return r
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
})

func serve(s *Shield, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Wrap(h).ServeHTTP(rec, r)
	return rec
}

func TestHosts(t *testing.T) {
	s, ev := mustNew(t, Options{Hosts: []string{"example.com", ".example.org", "127.0.0.1", "[::1]", "localhost"}})
	long := strings.Repeat("a", 64) + ".example.com"
	tests := []struct {
		host string
		want int
	}{
		{"example.com", 200},
		{"EXAMPLE.com", 200},
		{"example.com:443", 200},
		{"example.com.", 200},
		{"example.org", 200},
		{"www.example.org", 200},
		{"a.b.example.org:8443", 200},
		{"127.0.0.1", 200},
		{"127.0.0.1:8443", 200},
		{"[::1]", 200},
		{"[::1]:8443", 200},
		{"[0:0:0:0:0:0:0:1]:443", 200},
		{"localhost:8443", 200},
		{"www.example.com", 400}, // exact name does not cover subdomains
		{"badexample.org", 400},  // suffix must be a whole label
		{"evil.com", 400},
		{"example.com.evil.com", 400},
		{"", 400},
		{"example.com:", 400},
		{"example.com:99999", 400},
		{"example.com:80:80", 400},
		{"example.com:8x", 400},
		{"exa mple.com", 400},
		{"example.com\r\nX-Evil: 1", 400},
		{"example.com\x00", 400},
		{"[::1", 400},
		{"[::1]x", 400},
		{"[zz::1]", 400},
		{"[127.0.0.1]", 400},
		{"::1", 400}, // IPv6 must be bracketed
		{"-example.com", 400},
		{"example..com", 400},
		{long, 400},
		{strings.Repeat("a.", 200) + "com", 400},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			rec := serve(s, okHandler, req("GET", "/", tt.host, true))
			if rec.Code != tt.want {
				t.Fatalf("Host %q: status %d, want %d", tt.host, rec.Code, tt.want)
			}
			if tt.want == 400 {
				body := rec.Body.String()
				if strings.Contains(body, "evil") || strings.Contains(body, "X-Evil") {
					t.Errorf("refusal page echoes the host: %q", body)
				}
				if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("refusal page lacks the security headers")
				}
			}
		})
	}
	if !slices.Contains(ev.kinds(), EventHostRejected) || !slices.Contains(ev.kinds(), EventMalformed) {
		t.Errorf("events %v: want host.rejected and request.malformed", ev.kinds())
	}
}

func TestDefaultHostsAreLocal(t *testing.T) {
	s, _ := mustNew(t, Options{})
	for host, want := range map[string]int{"localhost:8443": 200, "127.0.0.1": 200, "[::1]:8443": 200, "example.com": 400} {
		if rec := serve(s, okHandler, req("GET", "/", host, true)); rec.Code != want {
			t.Errorf("default hosts: %q → %d, want %d", host, rec.Code, want)
		}
	}
}

func TestBadHostIsNeverRedirected(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}})
	rec := serve(s, okHandler, req("GET", "/login", "evil.com", false))
	if rec.Code != 400 || rec.Header().Get("Location") != "" {
		t.Fatalf("plain-HTTP request for a foreign host: %d Location %q, want 400 and no Location", rec.Code, rec.Header().Get("Location"))
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		name   string
		opt    Redirect
		method string
		target string
		host   string
		code   int
		loc    string
	}{
		{"default 308 keeps path and query", Redirect{}, "GET", "/a/b?x=1&y=%20", "example.com", 308, "https://example.com/a/b?x=1&y=%20"},
		{"POST keeps method via 308", Redirect{}, "POST", "/login", "example.com", 308, "https://example.com/login"},
		{"port stripped", Redirect{}, "GET", "/", "example.com:8080", 308, "https://example.com/"},
		{"host lower-cased", Redirect{}, "GET", "/", "EXAMPLE.COM", 308, "https://example.com/"},
		{"301", Redirect{Code: 301}, "GET", "/", "example.com", 301, "https://example.com/"},
		{"307", Redirect{Code: 307}, "GET", "/", "example.com", 307, "https://example.com/"},
		{"https port", Redirect{Port: 8443}, "GET", "/x", "example.com:8080", 308, "https://example.com:8443/x"},
		{"port 443 omitted", Redirect{Port: 443}, "GET", "/x", "example.com", 308, "https://example.com/x"},
		{"canonical host", Redirect{Host: "www.example.com"}, "GET", "/x", "example.com", 308, "https://www.example.com/x"},
		{"double slash stays on host", Redirect{}, "GET", "//evil.com/x", "example.com", 308, "https://example.com//evil.com/x"},
		{"IPv6 host bracketed", Redirect{}, "GET", "/", "[::1]:8080", 308, "https://[::1]/"},
		{"exempt exact", Redirect{Exempt: []string{"/healthz"}}, "GET", "/healthz", "example.com", 200, ""},
		{"exempt exact only", Redirect{Exempt: []string{"/healthz"}}, "GET", "/healthz/x", "example.com", 308, "https://example.com/healthz/x"},
		{"exempt prefix", Redirect{Exempt: []string{"/.well-known/acme-challenge/*"}}, "GET", "/.well-known/acme-challenge/tok", "example.com", 200, ""},
		{"disabled", Redirect{Disable: true}, "GET", "/", "example.com", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustNew(t, Options{Hosts: []string{"example.com", "www.example.com", "::1"}, Redirect: tt.opt})
			rec := serve(s, okHandler, req(tt.method, tt.target, tt.host, false))
			if rec.Code != tt.code || rec.Header().Get("Location") != tt.loc {
				t.Fatalf("%s %s (Host %s): %d %q, want %d %q", tt.method, tt.target, tt.host, rec.Code, rec.Header().Get("Location"), tt.code, tt.loc)
			}
			if rec.Code == 200 && rec.Header().Get("Strict-Transport-Security") != "" {
				t.Errorf("HSTS sent over plain HTTP")
			}
		})
	}
}

func TestRedirectOptionsInvalid(t *testing.T) {
	for _, r := range []Redirect{
		{Code: 302}, {Code: 200}, {Port: -1}, {Port: 70000}, {Host: "bad host"}, {Host: "example.com:8443"},
		{Exempt: []string{"healthz"}}, {Exempt: []string{"/a*b"}}, {Exempt: []string{"/a*"}},
	} {
		if _, err := New(Options{Redirect: r}); err == nil {
			t.Errorf("New(Redirect %+v) = nil error, want a configuration error", r)
		}
	}
}

func TestHSTS(t *testing.T) {
	tests := []struct {
		name  string
		opt   HSTS
		host  string
		https bool
		want  string
	}{
		{"default", HSTS{}, "example.com", true, "max-age=31536000; includeSubDomains"},
		{"preload", HSTS{Preload: true}, "example.com", true, "max-age=31536000; includeSubDomains; preload"},
		{"two years", HSTS{MaxAge: 2 * oneYear}, "example.com", true, "max-age=63072000; includeSubDomains"},
		{"no subdomains", HSTS{ExcludeSubdomains: true}, "example.com", true, "max-age=31536000"},
		{"short", HSTS{MaxAge: 300 * time.Second}, "example.com", true, "max-age=300; includeSubDomains"},
		{"never over http", HSTS{}, "example.com", false, ""},
		{"never for localhost", HSTS{}, "localhost", true, ""},
		{"never for .localhost", HSTS{}, "app.localhost", true, ""},
		{"never for IPv4", HSTS{}, "127.0.0.1", true, ""},
		{"never for IPv6", HSTS{}, "[::1]", true, ""},
		{"disabled", HSTS{Disable: true}, "example.com", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustNew(t, Options{Hosts: []string{"*"}, HSTS: tt.opt, Redirect: Redirect{Disable: true}})
			rec := serve(s, okHandler, req("GET", "/", tt.host, tt.https))
			if got := rec.Header().Values("Strict-Transport-Security"); strings.Join(got, "|") != tt.want {
				t.Fatalf("HSTS = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHSTSInvalid(t *testing.T) {
	for _, h := range []HSTS{
		{Preload: true, MaxAge: 180 * 24 * time.Hour},
		{Preload: true, ExcludeSubdomains: true},
		{MaxAge: -time.Second},
	} {
		_, err := New(Options{HSTS: h})
		if err == nil {
			t.Errorf("New(HSTS %+v) = nil error", h)
			continue
		}
		var oe *OptionError
		switch {
		case !errors.As(err, &oe):
			t.Errorf("New(HSTS %+v) = %v, not an *OptionError", h, err)
		case h.Preload && (oe.Field != "HSTS.Preload" || !strings.Contains(oe.Err.Error(), "preload requires a MaxAge of at least one year")):
			t.Errorf("error %q does not explain the preload requirement at HSTS.Preload", err)
		case !h.Preload && oe.Field != "HSTS.MaxAge":
			t.Errorf("error %q is not about HSTS.MaxAge", err)
		}
	}
}

func TestHeaderDefaults(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}})
	for _, method := range []string{"GET", "HEAD", "POST"} {
		r := req(method, "/", "example.com", true)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := serve(s, okHandler, r)
		want := map[string]string{
			"X-Frame-Options":            "DENY",
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "same-origin",
			"Cross-Origin-Opener-Policy": "same-origin",
			"X-Xss-Protection":           "0",
			"Content-Security-Policy":    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
			"Strict-Transport-Security":  "max-age=31536000; includeSubDomains",
		}
		for k, v := range want {
			if got := rec.Header().Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s: %s = %q, want exactly %q", method, k, got, v)
			}
		}
		if pp := rec.Header().Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") {
			t.Errorf("%s: Permissions-Policy %q does not deny the camera", method, pp)
		}
		for _, k := range []string{"Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy", "Content-Security-Policy-Report-Only", "Reporting-Endpoints"} {
			if v := rec.Header().Get(k); v != "" {
				t.Errorf("%s: opt-in header %s sent by default: %q", method, k, v)
			}
		}
	}
}

func TestHeaderValuesAndDisable(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, Headers: Headers{
		FrameOptions:              Header{Value: "sameorigin"},
		ReferrerPolicy:            Header{Value: "no-referrer, strict-origin-when-cross-origin"},
		XSSProtection:             Header{Value: "1; mode=block"},
		CrossOriginResourcePolicy: Header{Value: "same-site"},
		CrossOriginOpenerPolicy:   Header{Disable: true},
	}})
	rec := serve(s, okHandler, req("GET", "/", "example.com", true))
	h := rec.Header()
	for k, v := range map[string]string{
		"X-Frame-Options":              "SAMEORIGIN",
		"Referrer-Policy":              "no-referrer, strict-origin-when-cross-origin",
		"X-Xss-Protection":             "1; mode=block",
		"Cross-Origin-Resource-Policy": "same-site",
		"Cross-Origin-Opener-Policy":   "",
		"Content-Security-Policy":      "object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
	} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestHeaderValuesInvalid(t *testing.T) {
	for name, hd := range map[string]Headers{
		"allow-from":       {FrameOptions: Header{Value: "ALLOW-FROM https://a.example"}},
		"sniff":            {ContentTypeOptions: Header{Value: "sniff"}},
		"referrer":         {ReferrerPolicy: Header{Value: "always"}},
		"referrer list":    {ReferrerPolicy: Header{Value: "no-referrer, bogus"}},
		"coop":             {CrossOriginOpenerPolicy: Header{Value: "same"}},
		"xss":              {XSSProtection: Header{Value: "1; mode=report"}},
		"crlf":             {CrossOriginResourcePolicy: Header{Value: "same-site\r\nX: y"}},
		"combine not csp":  {FrameOptions: Header{OnConflict: Combine}},
		"combine not csp2": {ReferrerPolicy: Header{OnConflict: Combine}},
	} {
		if _, err := New(Options{Headers: hd}); err == nil {
			t.Errorf("%s: New accepted %+v", name, hd)
		}
	}
}

func TestHeaderConflicts(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Add("Referrer-Policy", "no-referrer") // Add, as a proxy copying upstream headers does
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.WriteHeader(200)
	})
	tests := []struct {
		name string
		opt  Options
		xfo  []string
		ref  []string
		csp  []string
	}{
		{"keep app (default)", Options{}, []string{"SAMEORIGIN"}, []string{"no-referrer"}, []string{"default-src 'self'"}},
		{"override", Options{
			Headers: Headers{FrameOptions: Header{OnConflict: Override}, ReferrerPolicy: Header{OnConflict: Override}},
			CSP:     CSP{OnConflict: Override},
		}, []string{"DENY"}, []string{"same-origin"}, []string{"object-src 'none'; base-uri 'self'; frame-ancestors 'none'"}},
		{"combine csp", Options{CSP: CSP{OnConflict: Combine}}, []string{"SAMEORIGIN"}, []string{"no-referrer"},
			[]string{"default-src 'self'", "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Hosts = []string{"example.com"}
			s, _ := mustNew(t, tt.opt)
			h := serve(s, app, req("GET", "/", "example.com", true)).Header()
			for _, c := range []struct {
				k    string
				want []string
			}{{"X-Frame-Options", tt.xfo}, {"Referrer-Policy", tt.ref}, {"Content-Security-Policy", tt.csp}} {
				if got := h.Values(c.k); !slices.Equal(got, c.want) {
					t.Errorf("%s = %q, want %q", c.k, got, c.want)
				}
			}
		})
	}
}

func TestCSPOptions(t *testing.T) {
	strict := csp.Strict()
	ro := csp.Policy{}
	ro.Set("default-src", "'none'")
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, CSP: CSP{
		Policy:                  &strict,
		ReportOnly:              &ro,
		ReportURI:               "https://example.com/csp-report",
		UpgradeInsecureRequests: true,
	}})
	h := serve(s, okHandler, req("GET", "/", "example.com", true)).Header()
	enforced := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "upgrade-insecure-requests", "report-uri https://example.com/csp-report", "report-to csp-endpoint"} {
		if !strings.Contains(enforced, want) {
			t.Errorf("CSP %q lacks %q", enforced, want)
		}
	}
	if got := h.Get("Content-Security-Policy-Report-Only"); !strings.HasPrefix(got, "default-src 'none'") || !strings.Contains(got, "report-to csp-endpoint") {
		t.Errorf("report-only CSP = %q", got)
	}
	if got := h.Get("Reporting-Endpoints"); got != `csp-endpoint="https://example.com/csp-report"` {
		t.Errorf("Reporting-Endpoints = %q", got)
	}
	if strict.Has("upgrade-insecure-requests") {
		t.Errorf("New modified the caller's policy")
	}
	bad := csp.Policy{}
	bad.Set("script-src", "'none'", "'self'")
	if _, err := New(Options{CSP: CSP{Policy: &bad}}); err == nil {
		t.Errorf("New accepted an invalid CSP")
	}
	if _, err := New(Options{CSP: CSP{ReportURI: "https://x.example/\" ; a"}}); err == nil {
		t.Errorf("New accepted a report URI that breaks the header")
	}
}

func TestCSPNonce(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, CSP: CSP{Nonce: true}})
	var seen []string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, Nonce(r))
		io.WriteString(w, `<script nonce="`+Nonce(r)+`"></script>`)
	})
	var headers []string
	for range 3 {
		headers = append(headers, serve(s, app, req("GET", "/", "example.com", true)).Header().Get("Content-Security-Policy"))
	}
	for i, n := range seen {
		if len(n) < 22 {
			t.Fatalf("nonce %q is shorter than 128 bits in base64", n)
		}
		p, err := csp.Parse(headers[i])
		if err != nil {
			t.Fatalf("CSP %q does not parse: %v", headers[i], err)
		}
		for _, d := range []string{"script-src", "style-src"} {
			if srcs, _ := p.Get(d); !slices.Contains(srcs, csp.NonceSource(n)) {
				t.Errorf("CSP %q: %s lacks the handler's nonce %q", headers[i], d, n)
			}
		}
		if i > 0 && n == seen[i-1] {
			t.Errorf("nonce repeated across requests")
		}
	}
	only := csp.Policy{}
	only.Set("img-src", "'self'")
	if _, err := New(Options{CSP: CSP{Nonce: true, Policy: &only}}); err == nil {
		t.Errorf("New accepted a nonce with no directive to carry it")
	}
	if Nonce(httptest.NewRequest("GET", "/", nil)) != "" {
		t.Errorf("Nonce outside shield is not empty")
	}
}

func TestSecurityTxt(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, Now: clock, SecurityTxt: &SecurityTxt{
		File:      securitytxt.File{Contact: []string{"mailto:security@example.com"}, PreferredLanguages: []string{"en"}},
		ExpiresIn: 90 * 24 * time.Hour,
	}})
	rec := serve(s, okHandler, req("GET", "/.well-known/security.txt", "example.com", true))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("security.txt: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(body, "Contact: mailto:security@example.com") || !strings.Contains(body, "Expires: 2027-02-22T00:00:00Z") {
		t.Fatalf("security.txt body:\n%s", body)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security.txt response lacks the security headers")
	}
	_, problems := securitytxt.Check([]byte(body), securitytxt.ValidateOptions{URL: "https://example.com/.well-known/security.txt", Now: now})
	for _, p := range problems {
		if p.Severity > securitytxt.Info {
			t.Errorf("served security.txt: %v", p)
		}
	}
	// Plain HTTP is redirected like everything else.
	if rec := serve(s, okHandler, req("GET", "/.well-known/security.txt", "example.com", false)); rec.Code != 308 {
		t.Errorf("security.txt over HTTP: %d, want 308", rec.Code)
	}
	if _, err := New(Options{SecurityTxt: &SecurityTxt{File: securitytxt.File{}}}); err == nil {
		t.Errorf("New accepted a security.txt without Contact or Expires")
	}
}

func TestEmptyHandlerStillGetsHeaders(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}})
	rec := serve(s, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), req("GET", "/", "example.com", true))
	if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("Strict-Transport-Security") == "" {
		t.Fatalf("a handler that writes nothing got no security headers: %v", rec.Header())
	}
}

func TestInformationalResponses(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com"}})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "v"})
		w.WriteHeader(200)
	})
	rec := serve(s, app, req("GET", "/", "example.com", true))
	if got := rec.Header().Get("Set-Cookie"); got != "sessionid=v; Secure; HttpOnly; SameSite=Lax" {
		t.Fatalf("cookie set after a 103 was not hardened: %q", got)
	}
}

func TestAllowsHost(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"example.com", ".example.org"}})
	for host, want := range map[string]bool{"example.com:8443": true, "A.EXAMPLE.ORG": true, "evil.com": false, "example.com\r\n": false, "": false} {
		if got := s.AllowsHost(host); got != want {
			t.Errorf("AllowsHost(%q) = %v, want %v", host, got, want)
		}
	}
}
