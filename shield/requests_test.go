package shield

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// seen records the request headers a handler received.
func seen(got *http.Header) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = r.Header.Clone()
		okHandler.ServeHTTP(w, r)
	})
}

func TestMethods(t *testing.T) {
	tests := []struct {
		name    string
		methods []string
		method  string
		want    int
		allow   string
	}{
		{"GET", nil, "GET", 200, ""},
		{"DELETE", nil, "DELETE", 200, ""},
		{"OPTIONS", nil, "OPTIONS", 200, ""},
		{"TRACE", nil, "TRACE", 405, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
		{"TRACK", nil, "TRACK", 405, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
		{"CONNECT", nil, "CONNECT", 405, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
		{"unknown", nil, "PROPFIND", 405, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
		{"lower case is another method", nil, "get", 405, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
		{"listed", []string{"GET", "PROPFIND"}, "PROPFIND", 200, ""},
		{"not in the list", []string{"GET", "PROPFIND"}, "POST", 405, "GET, PROPFIND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ev := mustNew(t, Options{Requests: Requests{Methods: tt.methods}})
			var got http.Header
			rec := serve(s, seen(&got), req(tt.method, "/", "localhost", true))
			if rec.Code != tt.want {
				t.Fatalf("%s: status %d, want %d", tt.method, rec.Code, tt.want)
			}
			if a := rec.Header().Get("Allow"); a != tt.allow {
				t.Errorf("Allow %q, want %q", a, tt.allow)
			}
			if tt.want == 405 {
				if got != nil {
					t.Error("the handler saw a refused method")
				}
				if k := ev.kinds(); !slices.Equal(k, []string{EventMethodRefused}) {
					t.Errorf("events %v", k)
				}
				if rec.Header().Get("X-Frame-Options") != "DENY" {
					t.Error("refusal without the security headers")
				}
			}
		})
	}
}

func TestUpgrades(t *testing.T) {
	tests := []struct {
		name     string
		allowed  []string
		upgrade  []string
		settings bool
		want     int
		upstream string // the Upgrade header the handler saw
	}{
		{"websocket passes", nil, []string{"websocket"}, false, 200, "websocket"},
		{"any case", nil, []string{"WebSocket"}, false, 200, "WebSocket"},
		{"h2c removed", nil, []string{"h2c"}, true, 200, ""},
		{"h2c removed, any case", nil, []string{"H2C"}, true, 200, ""},
		{"h2c removed from a list", nil, []string{"h2c, websocket"}, false, 200, "websocket"},
		{"h2c removed from two headers", nil, []string{"h2c", "websocket"}, false, 200, "websocket"},
		{"settings alone removed", nil, nil, true, 200, ""},
		{"other refused", nil, []string{"foo/1"}, false, 400, ""},
		{"other among allowed refused", nil, []string{"websocket, foo"}, false, 400, ""},
		{"TLS upgrade refused", nil, []string{"TLS/1.2"}, false, 400, ""},
		{"listed passes", []string{"websocket", "foo"}, []string{"foo/1"}, false, 200, "foo/1"},
		{"none allowed", []string{}, []string{"websocket"}, false, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ev := mustNew(t, Options{Requests: Requests{Upgrades: tt.allowed}})
			r := req("GET", "/", "localhost", true)
			r.Header["Upgrade"] = tt.upgrade
			r.Header.Set("Connection", "Upgrade, HTTP2-Settings")
			if tt.settings {
				r.Header.Set("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")
			}
			var got http.Header
			rec := serve(s, seen(&got), r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want != 200 {
				if got != nil {
					t.Error("the handler saw a refused upgrade")
				}
				if k := ev.kinds(); !slices.Equal(k, []string{EventUpgradeRefused}) {
					t.Errorf("events %v", k)
				}
				return
			}
			if u := strings.Join(got["Upgrade"], ", "); u != tt.upstream {
				t.Errorf("handler saw Upgrade %q, want %q", u, tt.upstream)
			}
			if v, ok := got["Http2-Settings"]; ok {
				t.Errorf("handler saw HTTP2-Settings %q", v)
			}
		})
	}
}

func TestUpgradeOptions(t *testing.T) {
	for _, ups := range [][]string{{"h2c"}, {"H2C/1"}, {"web socket"}, {"a/b/c"}, {""}} {
		if _, err := New(Options{Requests: Requests{Upgrades: ups}}); err == nil {
			t.Errorf("New accepted upgrades %q", ups)
		}
	}
	for _, ms := range [][]string{{}, {"GET", "BAD METHOD"}, {""}} {
		if _, err := New(Options{Requests: Requests{Methods: ms}}); err == nil {
			t.Errorf("New accepted methods %q", ms)
		}
	}
}

func TestUnderscoreHeaders(t *testing.T) {
	for _, allow := range []bool{false, true} {
		s, _ := mustNew(t, Options{Requests: Requests{AllowUnderscoreHeaders: allow}})
		r := req("GET", "/", "localhost", true)
		for _, k := range []string{"X_Forwarded_For", "X_Forwarded_Proto", "X_Forwarded_Host", "X_Real_IP", "x_custom"} {
			r.Header[k] = []string{"6.6.6.6"}
		}
		r.Header.Set("X-Request-Id", "keep")
		var got http.Header
		serve(s, seen(&got), r)
		var under []string
		for k := range got {
			if strings.Contains(k, "_") {
				under = append(under, k)
			}
		}
		if want := map[bool]int{false: 0, true: 5}[allow]; len(under) != want {
			t.Errorf("AllowUnderscoreHeaders %t: handler saw %v, want %d such headers", allow, under, want)
		}
		if got.Get("X-Request-Id") != "keep" {
			t.Errorf("an ordinary header was removed")
		}
	}
}

func TestVersionHeaders(t *testing.T) {
	tests := []struct {
		name, header, value string
		removed             bool
	}{
		{"X-Powered-By", "X-Powered-By", "PHP/5.6.40", true},
		{"X-Powered-By without version", "X-Powered-By", "Express", true},
		{"X-AspNet-Version", "X-AspNet-Version", "4.0.30319", true},
		{"X-AspNetMvc-Version", "X-AspNetMvc-Version", "5.2", true},
		{"X-Runtime", "X-Runtime", "0.012", true},
		{"X-Generator", "X-Generator", "Drupal 10", true},
		{"Server with versions", "Server", "SimpleHTTP/0.6 Python/3.11.7", true},
		{"Server nginx", "Server", "nginx/1.22.1", true},
		{"Server without version", "Server", "gunicorn", false},
		{"unrelated", "X-Request-Id", "42", false},
	}
	for _, tt := range tests {
		for _, keep := range []bool{false, true} {
			s, _ := mustNew(t, Options{Responses: Responses{KeepVersionHeaders: keep}})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(tt.header, tt.value)
				w.Write([]byte("ok"))
			})
			rec := serve(s, h, req("GET", "/", "localhost", true))
			got := rec.Header().Get(tt.header)
			if want := !tt.removed || keep; (got != "") != want {
				t.Errorf("%s, KeepVersionHeaders %t: client got %q", tt.name, keep, got)
			}
		}
	}
}

func TestPlainPath(t *testing.T) {
	tests := []struct {
		target string
		plain  bool
	}{
		{"/public/ok", true},
		{"/public/a.b/..c/.d", true},
		{"/public/a%20b", true},
		{"/public/caf%C3%A9", true},
		{"/public//x", true},
		{"/public/../admin", false},
		{"/public/./admin", false},
		{"/public/%2e%2e/admin", false},
		{"/public/%2E%2E/admin", false},
		{"/public/.%2e/admin", false},
		{"/public/..%2fadmin", false},
		{"/public%2F..%2Fadmin", false},
		{"/public/a%2fb", false},
		{"/public/..;/admin", false},
		{"/public/.;x/admin", false},
		{"/public/..%3b/admin", false},
		{"/public/..%5cadmin", false},
		{`/public/..\admin`, false},
		{"/public/%252e%252e/admin", false},
		{"/public/..", false},
	}
	for _, tt := range tests {
		r := req("GET", "/", "localhost", false)
		u, err := url.ParseRequestURI(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		r.URL = u
		if got := plainPath(r); got != tt.plain {
			t.Errorf("plainPath(%q) = %t, want %t (Path %q, RawPath %q)", tt.target, got, tt.plain, u.Path, u.RawPath)
		}
	}
}

// TestExemptionsNeedPlainPaths: a redirect exemption and a cross-origin
// bypass never apply to a path the upstream may resolve outside them.
func TestExemptionsNeedPlainPaths(t *testing.T) {
	s, _ := mustNew(t, Options{
		Redirect:    Redirect{Exempt: []string{"/public/*", "/healthz"}},
		CrossOrigin: CrossOrigin{Bypass: []string{"POST /webhooks/"}},
	})
	tests := []struct {
		name, method, target string
		https                bool
		want                 int
	}{
		{"exempt", "GET", "/public/ok", false, 200},
		{"exact exempt", "GET", "/healthz", false, 200},
		{"dot segments", "GET", "/public/../admin", false, 308},
		{"encoded dots", "GET", "/public/%2e%2e/admin", false, 308},
		{"encoded slash", "GET", "/public/..%2fadmin", false, 308},
		{"tomcat", "GET", "/public/..;/admin", false, 308},
		{"backslash", "GET", "/public/..%5cadmin", false, 308},
		{"exact with dot", "GET", "/healthz/.", false, 308},
		{"bypassed", "POST", "/webhooks/ok", true, 200},
		{"bypass dot segments", "POST", "/webhooks/../admin", true, 403},
		{"bypass encoded dots", "POST", "/webhooks/%2e%2e/admin", true, 403},
		{"bypass tomcat", "POST", "/webhooks/..;/admin", true, 403},
		{"bypass slash redirect", "POST", "/webhooks", true, 403},
		{"bypass other path", "POST", "/admin", true, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.method, "/", "localhost", tt.https)
			u, err := url.ParseRequestURI(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			r.URL, r.RequestURI = u, tt.target
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://evil.example")
			if tt.method == "GET" {
				r.Header.Del("Origin")
			}
			if rec := serve(s, okHandler, r); rec.Code != tt.want {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.target, rec.Code, tt.want)
			}
		})
	}
}

func TestCookieEvents(t *testing.T) {
	tests := []struct {
		line, want, rule, detail string
	}{
		{"noval", "noval; Secure; SameSite=Lax", "", "no name"},
		{"sp ace=1", "sp ace=1; Secure; SameSite=Lax", "", "not a token"},
		{"a=1; SameSite=Weird", "a=1; SameSite=Weird; Secure; SameSite=Lax", "cookie.samesite-missing", "invalid SameSite"},
		{"a=1; Path=/; Path=/x", "a=1; Path=/; Path=/x; Secure; SameSite=Lax", "", "repeated"},
		{"__Host-a=1; Domain=example.com", "__Host-a=1; Domain=example.com; Secure; SameSite=Lax", "cookie.prefix-invalid", "__Host- prefix"},
		{"a=" + strings.Repeat("x", 5000), "", "", "oversize"},
		{"=", "=", "", "malformed"},
		{"ok=1", "ok=1; Secure; SameSite=Lax", "-", ""},
	}
	for _, tt := range tests {
		s, ev := mustNew(t, Options{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Set-Cookie"] = []string{tt.line}
		})
		rec := serve(s, h, req("GET", "/", "localhost", true))
		if got := rec.Header().Get("Set-Cookie"); tt.want != "" && got != tt.want {
			t.Errorf("%.40q: client got %q, want %q", tt.line, got, tt.want)
		}
		if tt.rule == "-" {
			if len(ev.ev) != 0 {
				t.Errorf("%q: events %+v", tt.line, ev.ev)
			}
			continue
		}
		if len(ev.ev) != 1 || ev.ev[0].Kind != EventCookieViolation || ev.ev[0].Rule != tt.rule || !strings.Contains(ev.ev[0].Detail, tt.detail) {
			t.Errorf("%.40q: events %+v, want one with rule %q and %q", tt.line, ev.ev, tt.rule, tt.detail)
		}
	}
}

// TestChunkedClosesConnection: an HTTP/1 request framed by
// Transfer-Encoding may have carried a Content-Length net/http dropped
// unseen; its connection is closed after the answer (RFC 9112 6.1).
func TestChunkedClosesConnection(t *testing.T) {
	s, _ := mustNew(t, Options{})
	for _, tt := range []struct {
		name  string
		major int
		te    []string
		want  string
	}{
		{"chunked HTTP/1.1", 1, []string{"chunked"}, "close"},
		{"Content-Length HTTP/1.1", 1, nil, ""},
		{"HTTP/2 has no Transfer-Encoding framing", 2, []string{"chunked"}, ""},
	} {
		r := req("POST", "/", "localhost", true)
		r.ProtoMajor, r.TransferEncoding = tt.major, tt.te
		if got := serve(s, okHandler, r).Header().Get("Connection"); got != tt.want {
			t.Errorf("%s: Connection %q, want %q", tt.name, got, tt.want)
		}
	}
}
