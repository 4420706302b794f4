package shield

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCORS(t *testing.T) {
	opt := Options{Hosts: []string{"api.example.com"}, CORS: CORS{
		Origins:       []string{"https://app.example.com", "https://*.partner.example"},
		Methods:       []string{"GET", "POST", "DELETE"},
		Headers:       []string{"Content-Type", "X-Requested-With"},
		ExposeHeaders: []string{"x-request-id"},
		Credentials:   true,
		MaxAge:        time.Hour,
	}}
	s, ev := mustNew(t, opt)
	tests := []struct {
		name       string
		method     string
		origin     string
		reqMethod  string
		reqHeaders string
		code       int
		acao       string
		handlerRan bool
	}{
		{"simple GET allowed", "GET", "https://app.example.com", "", "", 200, "https://app.example.com", true},
		{"origin case-insensitive", "GET", "https://APP.example.com", "", "", 200, "https://APP.example.com", true},
		{"subdomain pattern", "GET", "https://eu.partner.example", "", "", 200, "https://eu.partner.example", true},
		{"deep subdomain pattern", "GET", "https://a.b.partner.example", "", "", 200, "https://a.b.partner.example", true},
		{"pattern excludes apex", "GET", "https://partner.example", "", "", 200, "", true},
		{"pattern scheme must match", "GET", "http://eu.partner.example", "", "", 200, "", true},
		{"suffix trick refused", "GET", "https://evilpartner.example", "", "", 200, "", true},
		{"foreign origin gets no ACAO", "GET", "https://evil.example", "", "", 200, "", true},
		{"no origin", "GET", "", "", "", 200, "", true},
		{"preflight allowed", "OPTIONS", "https://app.example.com", "DELETE", "content-type, x-requested-with", 204, "https://app.example.com", false},
		{"preflight bad method", "OPTIONS", "https://app.example.com", "PUT", "", 403, "", false},
		{"preflight bad header", "OPTIONS", "https://app.example.com", "POST", "x-secret", 403, "", false},
		{"preflight bad origin", "OPTIONS", "https://evil.example", "GET", "", 403, "", false},
		{"plain OPTIONS reaches the app", "OPTIONS", "https://app.example.com", "", "", 200, "https://app.example.com", true},
		{"allowed origin may POST cross-origin", "POST", "https://app.example.com", "", "", 200, "https://app.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })
			r := req(tt.method, "/data", "api.example.com", true)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
				r.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			if tt.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tt.reqMethod)
			}
			if tt.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Headers", tt.reqHeaders)
			}
			rec := serve(s, app, r)
			h := rec.Header()
			if rec.Code != tt.code || h.Get("Access-Control-Allow-Origin") != tt.acao || ran != tt.handlerRan {
				t.Fatalf("%d ACAO %q ran %v; want %d %q %v", rec.Code, h.Get("Access-Control-Allow-Origin"), ran, tt.code, tt.acao, tt.handlerRan)
			}
			if !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Vary %q lacks Origin", h.Values("Vary"))
			}
			if tt.acao != "" {
				if h.Get("Access-Control-Allow-Credentials") != "true" {
					t.Errorf("credentials not allowed")
				}
				if tt.code == 204 {
					if h.Get("Access-Control-Allow-Methods") != "GET, POST, DELETE" || h.Get("Access-Control-Max-Age") != "3600" ||
						h.Get("Access-Control-Allow-Headers") != "Content-Type, X-Requested-With" {
						t.Errorf("preflight headers %v", h)
					}
				} else if h.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
					t.Errorf("Expose-Headers = %q", h.Get("Access-Control-Expose-Headers"))
				}
			}
		})
	}
	if !slices.Contains(ev.kinds(), EventCORSRejected) {
		t.Errorf("no cors.rejected event")
	}
}

func TestCORSWildcard(t *testing.T) {
	s, _ := mustNew(t, Options{Hosts: []string{"api.example.com"}, CORS: CORS{Origins: []string{"*"}}})
	r := req("GET", "/", "api.example.com", true)
	r.Header.Set("Origin", "https://anyone.example")
	rec := serve(s, okHandler, r)
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Fatalf("ACAO = %q, want *", got)
	}
	if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("credentials allowed with wildcard")
	}
}

func TestCORSInvalid(t *testing.T) {
	tests := map[string]CORS{
		"wildcard with credentials": {Origins: []string{"*"}, Credentials: true},
		"null origin":               {Origins: []string{"null"}},
		"path in origin":            {Origins: []string{"https://a.example/path"}},
		"no scheme":                 {Origins: []string{"a.example"}},
		"ftp":                       {Origins: []string{"ftp://a.example"}},
		"bad pattern":               {Origins: []string{"https://a.*.example"}},
		"bad method":                {Origins: []string{"https://a.example"}, Methods: []string{"GE T"}},
		"bad header":                {Origins: []string{"https://a.example"}, Headers: []string{"X:Y"}},
		"credentials, no origins":   {Credentials: true},
		"negative max age":          {Origins: []string{"https://a.example"}, MaxAge: -time.Second},
	}
	for name, c := range tests {
		_, err := New(Options{CORS: c})
		if err == nil {
			t.Errorf("%s: New accepted %+v", name, c)
		} else if oe := (*OptionError)(nil); !errors.As(err, &oe) || !strings.HasPrefix(oe.Field, "CORS.") {
			t.Errorf("%s: error %q is not an *OptionError about CORS", name, err)
		} else if name == "wildcard with credentials" && (oe.Field != "CORS.Credentials" || !strings.Contains(err.Error(), "credentials would let every site read")) {
			t.Errorf("error %q does not say why, at CORS.Credentials", err)
		}
	}
}

func TestCrossOriginProtection(t *testing.T) {
	s, ev := mustNew(t, Options{Hosts: []string{"example.com"}, CrossOrigin: CrossOrigin{
		TrustedOrigins: []string{"https://sso.example.net"},
		Bypass:         []string{"POST /webhooks/"},
	}})
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		want    int
	}{
		{"same-origin POST", "POST", "/login", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"cross-site POST", "POST", "/login", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site POST (another subdomain)", "POST", "/login", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"}, 403},
		{"cross-site GET is fine", "GET", "/", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
		{"old browser, foreign Origin", "POST", "/login", map[string]string{"Origin": "https://evil.example"}, 403},
		{"old browser, own Origin", "POST", "/login", map[string]string{"Origin": "https://example.com"}, 200},
		{"non-browser client", "POST", "/api", nil, 200},
		{"trusted origin", "DELETE", "/x", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://sso.example.net"}, 200},
		{"bypass pattern", "POST", "/webhooks/github", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://github.com"}, 200},
		{"user navigation", "POST", "/x", map[string]string{"Sec-Fetch-Site": "none"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.method, tt.path, "example.com", true)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if rec := serve(s, okHandler, r); rec.Code != tt.want {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.path, rec.Code, tt.want)
			}
		})
	}
	if !slices.Contains(ev.kinds(), EventCrossOriginBlocked) {
		t.Errorf("no crossorigin.blocked event")
	}

	off, _ := mustNew(t, Options{Hosts: []string{"example.com"}, CrossOrigin: CrossOrigin{Disable: true}})
	r := req("POST", "/", "example.com", true)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if rec := serve(off, okHandler, r); rec.Code != 200 {
		t.Errorf("disabled protection still refused: %d", rec.Code)
	}
	for _, bad := range []CrossOrigin{{TrustedOrigins: []string{"not an origin"}}, {Bypass: []string{"BAD PATTERN WITH SPACES x"}}} {
		if _, err := New(Options{CrossOrigin: bad}); err == nil {
			t.Errorf("New accepted %+v", bad)
		}
	}
}
