package demo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/demo"
	"github.com/portcullis/portcullis/internal/testutil"
)

// clock is the settable test clock.
type clock = testutil.Clock

func newClock() *clock { return testutil.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// proxyHeaders adds what a reverse proxy in front of the app would add,
// and records every Set-Cookie line the app sends.
type proxyHeaders struct {
	set     http.Header
	mu      sync.Mutex
	cookies []string
}

func (p *proxyHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range p.set {
		r.Header[k] = vs
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		p.mu.Lock()
		p.cookies = append(p.cookies, resp.Header.Values("Set-Cookie")...)
		p.mu.Unlock()
	}
	return resp, err
}

// browser is a client with a cookie jar that does not follow redirects, so
// tests see the 303s.
type browser struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	jar  *cookiejar.Jar
	tr   *proxyHeaders
	base *url.URL
}

func newServer(t *testing.T, o demo.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(demo.Handler(o))
	t.Cleanup(srv.Close)
	return srv
}

func newBrowser(t *testing.T, srv *httptest.Server, hdr http.Header) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.URL)
	tr := &proxyHeaders{set: hdr}
	return &browser{t: t, srv: srv, jar: jar, tr: tr, base: base, c: &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) cookie(name string) string {
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// login loads the form (which sets csrftoken) and signs in.
func (b *browser) login(user, pass string) page {
	b.t.Helper()
	if p := b.get("/"); p.status != http.StatusOK {
		b.t.Fatalf("GET /: %d", p.status)
	}
	return b.post("/login", url.Values{"csrf_token": {b.cookie(demo.CSRFCookie)}, "username": {user}, "password": {pass}})
}

func wantStatus(t *testing.T, what string, p page, want int) {
	t.Helper()
	if p.status != want {
		t.Fatalf("%s: status %d, want %d; body %.300q", what, p.status, want, p.body)
	}
}

func TestLoginFlow(t *testing.T) {
	srv := newServer(t, demo.Options{})
	fwd := http.Header{
		"X-Forwarded-Proto": {"https"},
		"X-Forwarded-Host":  {"app.example.test:8443"},
		"X-Forwarded-For":   {"198.51.100.1, 203.0.113.7"},
		"Forwarded":         {`for=203.0.113.7;proto=https;host="app.example.test:8443"`},
	}
	b := newBrowser(t, srv, fwd)

	p := b.get("/")
	wantStatus(t, "GET /", p, http.StatusOK)
	token := b.cookie(demo.CSRFCookie)
	if token == "" || !strings.Contains(p.body, `name="csrf_token" value="`+token+`"`) {
		t.Fatalf("login form lacks the csrftoken cookie's value %q as its token:\n%s", token, p.body)
	}
	for _, want := range []string{`<form method="post" action="/login">`, `name="username"`, `name="password"`, "<code>demo</code> / <code>portcullis</code>"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}

	p = b.post("/login", url.Values{"csrf_token": {token}, "username": {"demo"}, "password": {"portcullis"}})
	wantStatus(t, "POST /login", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/account" {
		t.Errorf("Location %q, want /account", loc)
	}
	if b.cookie(demo.SessionCookie) == "" {
		t.Fatal("no session cookie after login")
	}
	if nt := b.cookie(demo.CSRFCookie); nt == token || nt == "" {
		t.Errorf("CSRF token not rotated at login: %q → %q", token, nt)
	}

	p = b.get("/account")
	wantStatus(t, "GET /account", p, http.StatusOK)
	for _, want := range []string{
		"Signed in as demo",
		"<td><code>https</code></td><td>from X-Forwarded-Proto",
		"<code>app.example.test:8443</code></td><td>from X-Forwarded-Host",
		"<code>203.0.113.7</code></td><td>rightmost X-Forwarded-For",
		"<code>198.51.100.1, 203.0.113.7</code>",
		"<code>for=203.0.113.7;proto=https;host=&#34;app.example.test:8443&#34;</code>",
		"TLS, browser → portcullis</th><td>yes",
		"TLS, portcullis → app</th><td>no",
		"<code>csrftoken</code>, <code>portcullis_session</code>",
		`action="/logout"`,
		`value="` + b.cookie(demo.CSRFCookie) + `"`,
		`data-header="content-security-policy"`,
		`<script src="/static/app.js" defer></script>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "<style") || strings.Contains(p.body, "style=") {
		t.Error("account page has inline script or style, which a strict CSP would block")
	}

	// Signed in, the login page sends you to the account.
	p = b.get("/")
	wantStatus(t, "GET / signed in", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/account" {
		t.Errorf("signed-in GET / Location %q", loc)
	}

	// The point of the demo: every cookie the app set carries no flags.
	if len(b.tr.cookies) < 3 {
		t.Fatalf("only %d Set-Cookie lines seen: %q", len(b.tr.cookies), b.tr.cookies)
	}
	assertNoFlags(t, b.tr.cookies)
}

// assertNoFlags checks that the app left Secure, HttpOnly and SameSite to
// portcullis.
func assertNoFlags(t *testing.T, lines []string) {
	t.Helper()
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Errorf("Set-Cookie %q: %v", line, err)
			continue
		}
		low := strings.ToLower(line)
		if c.Secure || c.HttpOnly || c.SameSite != 0 || strings.Contains(low, "secure") || strings.Contains(low, "httponly") || strings.Contains(low, "samesite") {
			t.Errorf("the demo app set a cookie flag itself: %q", line)
		}
		if c.Path != "/" {
			t.Errorf("Set-Cookie %q: Path %q, want /", line, c.Path)
		}
	}
}

func TestLoginRefused(t *testing.T) {
	srv := newServer(t, demo.Options{Username: "alice", Password: "s3cret"})
	valid := "ABCDEFGHIJKLMNOPQRSTUVWXYZ" // the form of a token
	tests := []struct {
		name     string
		cookie   string // csrftoken cookie; "-" for none
		form     url.Values
		ctype    string
		query    string // appended to /login
		body     string // raw body instead of form
		status   int
		contains string
	}{
		{"wrong password", valid, url.Values{"csrf_token": {valid}, "username": {"alice"}, "password": {"demo"}}, "", "", "", 401, "Wrong username or password."},
		{"wrong username", valid, url.Values{"csrf_token": {valid}, "username": {"demo"}, "password": {"s3cret"}}, "", "", "", 401, "Wrong username or password."},
		{"default credentials replaced", valid, url.Values{"csrf_token": {valid}, "username": {"demo"}, "password": {"portcullis"}}, "", "", "", 401, "Wrong username or password."},
		{"empty credentials", valid, url.Values{"csrf_token": {valid}}, "", "", "", 401, "Wrong username or password."},
		{"reflected username escaped", valid, url.Values{"csrf_token": {valid}, "username": {`"><script>x()</script>`}, "password": {"x"}}, "", "", "", 401, `value="&#34;&gt;&lt;script&gt;x()&lt;/script&gt;"`},
		{"no CSRF cookie", "-", url.Values{"csrf_token": {valid}, "username": {"alice"}, "password": {"s3cret"}}, "", "", "", 403, "csrftoken cookie is missing"},
		{"no CSRF field", valid, url.Values{"username": {"alice"}, "password": {"s3cret"}}, "", "", "", 403, "no csrf_token field"},
		{"CSRF mismatch", valid, url.Values{"csrf_token": {"ZZZZZZZZZZZZZZZZZZZZZZZZZZ"}, "username": {"alice"}, "password": {"s3cret"}}, "", "", "", 403, "does not match the csrftoken cookie"},
		{"CSRF equal but malformed", "x", url.Values{"csrf_token": {"x"}, "username": {"alice"}, "password": {"s3cret"}}, "", "", "", 403, "cookie is malformed"},
		{"CSRF token only in query", valid, nil, "", "?csrf_token=" + valid, "username=alice&password=s3cret", 403, "no csrf_token field"},
		{"not a form", valid, nil, "application/json", "", `{"csrf_token":"` + valid + `"}`, 403, "no csrf_token field"},
		{"bad form encoding", valid, nil, "", "", "csrf_token=%zz", 400, "form could not be read"},
		{"body too large", valid, nil, "", "", "csrf_token=" + valid + "&username=" + strings.Repeat("a", 70<<10), 413, "larger than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.form != nil {
				body = tt.form.Encode()
			}
			req, _ := http.NewRequest("POST", srv.URL+"/login"+tt.query, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.cookie != "-" {
				req.Header.Set("Cookie", demo.CSRFCookie+"="+tt.cookie)
			}
			b := newBrowser(t, srv, nil)
			p := b.do(req)
			wantStatus(t, tt.name, p, tt.status)
			if !strings.Contains(p.body, tt.contains) {
				t.Errorf("body lacks %q:\n%s", tt.contains, p.body)
			}
			if strings.Contains(p.body, "<script>x()") {
				t.Error("reflected input not escaped")
			}
			for _, l := range p.header.Values("Set-Cookie") {
				if strings.HasPrefix(l, demo.SessionCookie+"=") {
					t.Errorf("refused login set a session: %q", l)
				}
			}
			if tt.status == 401 && !strings.Contains(p.body, `action="/login"`) {
				t.Error("401 does not show the form again")
			}
		})
	}
}

func TestLogout(t *testing.T) {
	srv := newServer(t, demo.Options{})
	b := newBrowser(t, srv, nil)
	wantStatus(t, "login", b.login("demo", "portcullis"), http.StatusSeeOther)
	sid := b.cookie(demo.SessionCookie)

	p := b.post("/logout", url.Values{"csrf_token": {"ZZZZZZZZZZZZZZZZZZZZZZZZZZ"}})
	wantStatus(t, "logout with a wrong token", p, http.StatusForbidden)
	wantStatus(t, "account after refused logout", b.get("/account"), http.StatusOK)

	p = b.post("/logout", url.Values{"csrf_token": {b.cookie(demo.CSRFCookie)}})
	wantStatus(t, "logout", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/" {
		t.Errorf("logout Location %q", loc)
	}
	if !slices.ContainsFunc(p.header.Values("Set-Cookie"), func(l string) bool {
		return strings.HasPrefix(l, demo.SessionCookie+"=;") && strings.Contains(l, "Max-Age=0")
	}) {
		t.Errorf("logout does not clear the session cookie: %q", p.header.Values("Set-Cookie"))
	}
	if b.cookie(demo.SessionCookie) != "" {
		t.Error("session cookie still in the jar")
	}
	wantStatus(t, "account after logout", b.get("/account"), http.StatusSeeOther)

	// The old id is dead on the server, not just forgotten by the browser.
	req, _ := http.NewRequest("GET", srv.URL+"/account", nil)
	req.Header.Set("Cookie", demo.SessionCookie+"="+sid)
	wantStatus(t, "replayed session id", newBrowser(t, srv, nil).do(req), http.StatusSeeOther)
	assertNoFlags(t, b.tr.cookies)
}

func TestSessionExpiry(t *testing.T) {
	clk := newClock()
	srv := newServer(t, demo.Options{Now: clk.Now})
	b := newBrowser(t, srv, nil)
	wantStatus(t, "login", b.login("demo", "portcullis"), http.StatusSeeOther)
	p := b.get("/account")
	wantStatus(t, "fresh session", p, http.StatusOK)
	if !strings.Contains(p.body, "session ends at 04:04:05 UTC") {
		t.Errorf("account page does not show the expiry one hour ahead:\n%s", p.body)
	}
	clk.Advance(time.Hour - time.Second)
	wantStatus(t, "session at 59:59", b.get("/account"), http.StatusOK)
	clk.Advance(time.Second)
	p = b.get("/account")
	wantStatus(t, "session at 1h", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/" {
		t.Errorf("expired session Location %q", loc)
	}
	if b.cookie(demo.SessionCookie) != "" {
		t.Error("expired session cookie not cleared")
	}
	// A new login works and gives a new session.
	wantStatus(t, "login again", b.login("demo", "portcullis"), http.StatusSeeOther)
	wantStatus(t, "new session", b.get("/account"), http.StatusOK)
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	srv := newServer(t, demo.Options{Now: clk.Now})
	attacker := newBrowser(t, srv, http.Header{"X-Forwarded-For": {"192.0.2.66"}})
	for i := range 10 {
		wantStatus(t, "failure "+strconv.Itoa(i+1), attacker.login("demo", "guess"), http.StatusUnauthorized)
	}
	p := attacker.login("demo", "portcullis")
	wantStatus(t, "11th attempt, right password", p, http.StatusTooManyRequests)
	if ra := p.header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	if !strings.Contains(p.body, "Too many failed sign-ins from 192.0.2.66") {
		t.Errorf("429 page does not say why:\n%s", p.body)
	}
	// Another client is not affected; the limit follows X-Forwarded-For.
	other := newBrowser(t, srv, http.Header{"X-Forwarded-For": {"192.0.2.66, 198.51.100.9"}})
	wantStatus(t, "other client", other.login("demo", "portcullis"), http.StatusSeeOther)

	clk.Advance(30 * time.Second)
	p = attacker.login("demo", "portcullis")
	wantStatus(t, "after 30s", p, http.StatusTooManyRequests)
	if ra := p.header.Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After %q after 30 s, want 30", ra)
	}
	clk.Advance(30 * time.Second)
	wantStatus(t, "after the window", attacker.login("demo", "portcullis"), http.StatusSeeOther)
}

func TestEcho(t *testing.T) {
	srv := newServer(t, demo.Options{})
	b := newBrowser(t, srv, http.Header{
		"X-Forwarded-Proto": {"https"},
		"X-Forwarded-For":   {"203.0.113.7"},
		"Authorization":     {"Bearer topsecret-auth"},
		"Cookie":            {"portcullis_session=topsecret-session; csrftoken=topsecret-csrf; theme=dark"},
		"X-Custom":          {`<b>"quoted"</b>`},
	})
	p := b.get("/__demo/echo?q=1")
	wantStatus(t, "echo", p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Contains(p.body, "topsecret") {
		t.Fatalf("echo leaks a secret value:\n%s", p.body)
	}
	var e struct {
		Method, Path, Scheme, Client string
		Headers                      map[string][]string
		Cookies                      []string
	}
	if err := json.Unmarshal([]byte(p.body), &e); err != nil {
		t.Fatalf("echo is not JSON: %v\n%s", err, p.body)
	}
	want := []string{demo.CSRFCookie, demo.SessionCookie, "theme"}
	if e.Method != "GET" || e.Path != "/__demo/echo" || e.Scheme != "https" || e.Client != "203.0.113.7" {
		t.Errorf("echo = %+v", e)
	}
	if !slices.Equal(e.Cookies, want) || !slices.Equal(e.Headers["Cookie"], want) {
		t.Errorf("cookie names %q / header %q, want %q", e.Cookies, e.Headers["Cookie"], want)
	}
	if got := e.Headers["Authorization"]; !slices.Equal(got, []string{"(hidden)"}) {
		t.Errorf("Authorization echoed as %q", got)
	}
	if got := e.Headers["X-Custom"]; !slices.Equal(got, []string{`<b>"quoted"</b>`}) {
		t.Errorf("X-Custom echoed as %q", got)
	}

	// No cookies: an empty list, not null, for the page's script.
	p = newBrowser(t, srv, nil).get("/__demo/echo")
	if !strings.Contains(p.body, `"cookies": []`) || !strings.Contains(p.body, `"client": "127.0.0.1"`) {
		t.Errorf("echo without cookies or proxy:\n%s", p.body)
	}
}

func TestStatic(t *testing.T) {
	srv := newServer(t, demo.Options{})
	b := newBrowser(t, srv, nil)
	tests := []struct{ path, ctype, contains string }{
		{"/static/app.js", "text/javascript; charset=utf-8", `fetch("/__demo/echo"`},
		{"/static/app.css", "text/css; charset=utf-8", "body {"},
		{"/static/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := b.get(tt.path)
			wantStatus(t, tt.path, p, http.StatusOK)
			if ct := p.header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if !strings.Contains(p.body, tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			etag := p.header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			req.Header.Set("If-None-Match", etag)
			wantStatus(t, "revalidation", b.do(req), http.StatusNotModified)
			req, _ = http.NewRequest("HEAD", srv.URL+tt.path, nil)
			if p := b.do(req); p.status != 200 || p.body != "" || p.header.Get("Content-Type") != tt.ctype {
				t.Errorf("HEAD: %d %q %q", p.status, p.header.Get("Content-Type"), p.body)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	srv := newServer(t, demo.Options{})
	b := newBrowser(t, srv, nil)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/index.html", 404, ""},
		{"GET", "/static/", 404, ""},
		{"GET", "/static/missing.js", 404, ""},
		{"GET", "/__demo/echo/extra", 404, ""},
		{"GET", "/login", 405, "POST"},
		{"PUT", "/logout", 405, "POST"},
		{"POST", "/", 405, "GET, HEAD"},
		{"DELETE", "/account", 405, "GET, HEAD"},
		{"POST", "/__demo/echo", 405, "GET, HEAD"},
		{"POST", "/static/app.js", 405, "GET, HEAD"},
		{"HEAD", "/", 200, ""},
		{"GET", "/account", 303, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			p := b.do(req)
			wantStatus(t, tt.method+" "+tt.path, p, tt.status)
			if got := p.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

// TestHostileHeadersEscaped: whatever the proxy forwards is shown, escaped.
// A hostile Host header cannot reach the app over real HTTP (net/http
// refuses it), so that case calls the handler directly.
func TestHostileHeadersEscaped(t *testing.T) {
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	const escaped = `&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;`
	h := demo.Handler(demo.Options{})
	// Sign in directly against h to get a session.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var csrf string
	for _, c := range rec.Result().Cookies() {
		if c.Name == demo.CSRFCookie {
			csrf = c.Value
		}
	}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf_token": {csrf}, "username": {"demo"}, "password": {"portcullis"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", demo.CSRFCookie+"="+csrf)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", rec.Code)
	}
	cookies := demo.CSRFCookie + "=" + csrf
	for _, c := range rec.Result().Cookies() {
		cookies += "; " + c.Name + "=" + c.Value
	}

	for _, header := range []string{"Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "Forwarded"} {
		t.Run(header, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/account", nil)
			req.Header.Set("Cookie", cookies)
			if header == "Host" {
				req.Host = evil
			} else {
				req.Header.Set(header, evil)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") {
				t.Errorf("%s reflected unescaped", header)
			}
			if !strings.Contains(body, escaped) {
				t.Errorf("%s not shown (escaped) on the page", header)
			}
		})
	}
	// Over real HTTP, via X-Forwarded-Host as a proxy would pass it.
	srv := newServer(t, demo.Options{})
	hb := newBrowser(t, srv, http.Header{"X-Forwarded-Host": {evil}})
	wantStatus(t, "login", hb.login("demo", "portcullis"), http.StatusSeeOther)
	p := hb.get("/account")
	if strings.Contains(p.body, "<script>alert") || !strings.Contains(p.body, escaped) {
		t.Errorf("X-Forwarded-Host over HTTP not escaped:\n%s", p.body)
	}
}
