package django

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// TestDjango runs the example project under gunicorn behind `portcullis
// serve` and checks, through the front door, what a client and Django
// each see. The parts share one stack and run in order.
func TestDjango(t *testing.T) {
	t.Parallel()
	eachDjango(t, true, testStack)
}

func testStack(t *testing.T, r runtime) {
	s := startStack(t, r)
	for _, part := range []struct {
		name string
		test func(*testing.T, *stack)
	}{
		{"redirect-and-hosts", testRedirectAndHosts},
		{"login-and-csrf", testLoginAndCSRF},
		{"cookies-and-headers", testCookiesAndHeaders},
		{"client-address", testClientAddress},
		{"audit", testAudit},
	} {
		t.Run(part.name, func(t *testing.T) { part.test(t, s) })
	}
}

// do sends req with c and returns the response with its body read.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

// get GETs u with c.
func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// postForm POSTs form to u with c and the headers hdr.
func postForm(t *testing.T, c *http.Client, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, c, req)
}

// sameOrigin are the headers a browser sends with a form posted from one
// of the site's own pages, page.
func (s *stack) sameOrigin(page string) map[string]string {
	return map[string]string{"Origin": "https://" + s.Name, "Referer": s.url(page), "Sec-Fetch-Site": "same-origin"}
}

var tokenRE = regexp.MustCompile(`<input type="hidden" name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)">`)

// csrfToken returns the csrfmiddlewaretoken of the first form in page.
func csrfToken(t *testing.T, page string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrfmiddlewaretoken in the page:\n%s", page)
	}
	return m[1]
}

// login logs s.User in with c as a browser does: GET the form, POST it
// back with its token. It returns the POST's response.
func (s *stack) login(t *testing.T, c *http.Client) *http.Response {
	t.Helper()
	resp, page := get(t, c, s.url("/accounts/login/?next=/account/"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the login form: %d\n%s", resp.StatusCode, page)
	}
	form := url.Values{"username": {s.User}, "password": {s.Password}, "next": {"/account/"}, "csrfmiddlewaretoken": {csrfToken(t, page)}}
	resp, body := postForm(t, c, s.url("/accounts/login/"), form, s.sameOrigin("/accounts/login/?next=/account/"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/account/" {
		t.Fatalf("POST the login form: %d, Location %q, want 302 to /account/\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return resp
}

// testRedirectAndHosts: portcullis answers plain HTTP with a permanent
// redirect to the same URL over HTTPS, and a Host the site does not serve
// with 400 (Django's ALLOWED_HOSTS, enforced at the edge), both before
// Django sees the request.
func testRedirectAndHosts(t *testing.T, s *stack) {
	c := s.client(t)
	mark := len(s.Gunicorn.Log.String())
	for _, tc := range []struct {
		method, url, host string
		code              int
		location, body    string
	}{
		{method: "GET", url: "http://app.test/accounts/login/", code: 308, location: "https://app.test/accounts/login/"},
		{method: "GET", url: "http://app.test/account/?next=%2F&x=1", code: 308, location: "https://app.test/account/?next=%2F&x=1"},
		{method: "POST", url: "http://app.test/accounts/login/", code: 308, location: "https://app.test/accounts/login/"}, // 308 keeps the method and body
		{method: "HEAD", url: "http://app.test/whoami.json", code: 308, location: "https://app.test/whoami.json"},
		{method: "GET", url: "http://app.test/accounts/login/", host: "evil.example", code: 400, body: "400 Bad Request: host not served here\n"},
		{method: "GET", url: "https://app.test/accounts/login/", host: "evil.example", code: 400, body: "400 Bad Request: host not served here\n"},
	} {
		req, err := http.NewRequest(tc.method, tc.url, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, body := do(t, c, req)
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != tc.location || (tc.body != "" && body != tc.body) {
			t.Errorf("%s %s (Host %q): %d to %q, body %q; want %d to %q, body %q",
				tc.method, tc.url, tc.host, resp.StatusCode, resp.Header.Get("Location"), body, tc.code, tc.location, tc.body)
		}
		if h := resp.Header.Get("Strict-Transport-Security"); strings.HasPrefix(tc.url, "http:") && h != "" {
			t.Errorf("%s %s: HSTS over plain HTTP: %q", tc.method, tc.url, h)
		}
	}
	// Nothing above reached Django: its access log has only this request
	// since the test began.
	if resp, _ := get(t, c, s.url("/whoami.json?after=redirects")); resp.StatusCode != http.StatusOK {
		t.Fatalf("whoami.json: %d", resp.StatusCode)
	}
	s.waitLog(t, `"GET /whoami.json?after=redirects HTTP/1.1" 200`)
	if got := s.requests(mark); !slices.Equal(got, []string{"GET /whoami.json?after=redirects 200"}) {
		t.Errorf("gunicorn's access log: %q, want only the last request", got)
	}
}

// waitLog waits until gunicorn's log contains text (gunicorn writes the
// access log line after the response).
func (s *stack) waitLog(t *testing.T, text string) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, "gunicorn logs "+text, func() bool {
		return strings.Contains(s.Gunicorn.Log.String(), text)
	})
}

// testLoginAndCSRF logs in over HTTPS through portcullis, changes the
// session with the account page's form, then sends forged POSTs: each is
// refused with 403, by portcullis's cross-origin protection (a plain-text
// page; Django never sees the request) or by Django's CSRF middleware (its
// HTML page; the reason in Django's log), and the session is unchanged.
func testLoginAndCSRF(t *testing.T, s *stack) {
	c := s.client(t)

	resp, _ := get(t, c, s.url("/account/"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/accounts/login/?next=/account/" {
		t.Fatalf("GET /account/ before login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	s.login(t, c)
	resp, page := get(t, c, s.url("/account/"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<p id="user">Signed in as `+s.User+`</p>`) || !strings.Contains(page, `<p id="theme">Theme: light</p>`) {
		t.Fatalf("GET /account/ after login: %d\n%s", resp.StatusCode, page)
	}
	token := csrfToken(t, page)
	resp, body := postForm(t, c, s.url("/account/"), url.Values{"theme": {"dark"}, "csrfmiddlewaretoken": {token}}, s.sameOrigin("/account/"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/account/" {
		t.Fatalf("POST /account/ theme=dark: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	theme := func() string {
		t.Helper()
		resp, page := get(t, c, s.url("/account/"))
		m := regexp.MustCompile(`<p id="theme">Theme: (\w+)</p>`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("GET /account/: %d\n%s", resp.StatusCode, page)
		}
		return m[1]
	}
	if got := theme(); got != "dark" {
		t.Fatalf("theme after the POST: %q, want dark", got)
	}

	const (
		portcullis = "portcullis"
		django     = "django"
	)
	for _, tc := range []struct {
		name  string
		token string
		hdr   map[string]string
		layer string
		// reason is what Django logs for a request it refuses, in
		// Django 3.2's words; reason4 in 4.x's where they differ (4.0
		// split the token reason in two).
		reason, reason4 string
	}{
		{name: "no-token", hdr: s.sameOrigin("/account/"), layer: django,
			reason: "CSRF token missing or incorrect.", reason4: "CSRF token missing."},
		{name: "wrong-token", token: strings.Repeat("x", 64), hdr: s.sameOrigin("/account/"), layer: django,
			reason: "CSRF token missing or incorrect.", reason4: "CSRF token from POST incorrect."},
		{name: "foreign-origin", token: token, layer: portcullis,
			hdr: map[string]string{"Origin": "https://evil.example", "Referer": "https://evil.example/"}},
		{name: "foreign-origin-same-referer", token: token, layer: portcullis,
			hdr: map[string]string{"Origin": "https://evil.example", "Referer": s.url("/account/")}},
		{name: "sec-fetch-cross-site", token: token, layer: portcullis,
			hdr: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{name: "sec-fetch-same-site", token: token, layer: portcullis,
			hdr: map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://blog.app.test", "Referer": "https://blog.app.test/"}},
		// Without Origin and Sec-Fetch-Site (no browser sends such a
		// POST, but curl does) portcullis cannot tell; Django's strict
		// Referer check for HTTPS, which works because portcullis's
		// X-Forwarded-Proto makes request.is_secure() true, refuses it.
		{name: "foreign-referer", token: token, layer: django,
			hdr:    map[string]string{"Referer": "https://evil.example/page"},
			reason: "Referer checking failed - https://evil.example/page does not match any trusted origins."},
		{name: "no-referer", token: token, layer: django,
			reason: "Referer checking failed - no Referer."},
		{name: "http-referer", token: token, layer: django,
			hdr:    map[string]string{"Referer": "http://app.test/account/"},
			reason: "Referer checking failed - Referer is insecure while host is secure."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"theme": {"light"}}
			if tc.token != "" {
				form.Set("csrfmiddlewaretoken", tc.token)
			}
			reason := tc.reason
			if s.Django.Major >= 4 && tc.reason4 != "" {
				reason = tc.reason4
			}
			logLine := "Forbidden (" + reason + "): /account/"
			before := strings.Count(s.Gunicorn.Log.String(), logLine)
			resp, body := postForm(t, c, s.url("/account/?case="+tc.name), form, tc.hdr)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%d, want 403\n%s", resp.StatusCode, body)
			}
			switch tc.layer {
			case portcullis:
				// shield's fixed page; Django's would be HTML.
				if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || body != "403 Forbidden: cross-origin request refused\n" {
					t.Errorf("not portcullis's refusal: %s %q", ct, body)
				}
				// Django never saw it: the next request's log line is
				// there and this one's is not.
				get(t, c, s.url("/whoami.json?after="+tc.name))
				s.waitLog(t, "GET /whoami.json?after="+tc.name+" ")
				if strings.Contains(s.Gunicorn.Log.String(), "?case="+tc.name+" ") {
					t.Errorf("the refused request reached Django:\n%s", s.Gunicorn.Log.String())
				}
			case django:
				if ct := resp.Header.Get("Content-Type"); ct != s.djangoHTML() || !strings.Contains(body, "<p>CSRF verification failed. Request aborted.</p>") {
					t.Errorf("not Django's CSRF refusal: %s\n%s", ct, body)
				}
				s.waitLog(t, `"POST /account/?case=`+tc.name+` HTTP/1.1" 403`)
				if after := strings.Count(s.Gunicorn.Log.String(), logLine); after != before+1 {
					t.Errorf("Django logged %q %d times, want once:\n%s", logLine, after-before, s.Gunicorn.Log.String())
				}
			}
		})
	}
	if got := theme(); got != "dark" {
		t.Errorf("theme after the forged POSTs: %q, want dark (unchanged)", got)
	}

	// Django alone: the foreign-Origin POST, sent straight to gunicorn with
	// the session and a same-site Referer, is accepted by Django 3.2,
	// whose CSRF check ignores Origin (4.0 added an Origin check): on 3.2
	// portcullis is the only layer that refuses it, on 4.x Django refuses
	// it too.
	want, wantTheme := http.StatusFound, "light"
	if s.Django.Major >= 4 {
		want, wantTheme = http.StatusForbidden, "dark"
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.Upstream+"/account/?case=direct-foreign-origin",
		strings.NewReader(url.Values{"theme": {"light"}, "csrfmiddlewaretoken": {token}}.Encode()))
	req.Host = s.Name
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Referer", s.url("/account/"))
	for _, ck := range c.Jar.Cookies(&url.URL{Scheme: "https", Host: s.Name, Path: "/account/"}) {
		req.AddCookie(ck)
	}
	if resp, body := do(t, s.direct(t, netip.Addr{}), req); resp.StatusCode != want {
		t.Errorf("Django %s alone, foreign Origin: %d, want %d\n%s", s.Django.Version, resp.StatusCode, want, body)
	}
	if got := theme(); got != wantTheme {
		t.Errorf("theme after the direct POST: %q, want %q", got, wantTheme)
	}
	if s.Django.Major >= 4 {
		s.waitLog(t, "Forbidden (Origin checking failed - https://evil.example does not match any trusted origins.): /account/")
	} else if strings.Contains(s.Gunicorn.Log.String(), "Origin checking failed") {
		t.Errorf("Django %s checked Origin:\n%s", s.Django.Version, s.Gunicorn.Log.String())
	}

	// Log out (a POST, as Django 5 requires): the session is gone.
	_, page = get(t, c, s.url("/account/"))
	resp, body = postForm(t, c, s.url("/accounts/logout/"), url.Values{"csrfmiddlewaretoken": {csrfToken(t, page)}}, s.sameOrigin("/account/"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/accounts/login/" {
		t.Fatalf("logout: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := get(t, c, s.url("/account/")); resp.StatusCode != http.StatusFound {
		t.Errorf("GET /account/ after logout: %d, want 302 to the login page", resp.StatusCode)
	}
}

// setCookie returns the Set-Cookie line of resp for the cookie name, and
// the cookie parsed.
func setCookie(t *testing.T, resp *http.Response, name string) (string, *http.Cookie) {
	t.Helper()
	for _, line := range resp.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == name {
			return line, c
		}
	}
	t.Fatalf("no %s cookie set; Set-Cookie: %q", name, resp.Header.Values("Set-Cookie"))
	return "", nil
}

// testCookiesAndHeaders: Django's settings leave cookies and security
// headers at their defaults (seen on a request straight to gunicorn); the
// same responses through portcullis have Secure cookies, HSTS with
// preload, a CSP, Permissions-Policy and COOP, each header once.
func testCookiesAndHeaders(t *testing.T, s *stack) {
	// Straight to gunicorn, as if it were reached without portcullis.
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.Upstream+"/accounts/login/", nil)
	req.Host = s.Name
	req.Header.Set("X-Forwarded-Proto", "https")
	direct, _ := do(t, s.direct(t, netip.Addr{}), req)
	if _, ck := setCookie(t, direct, "csrftoken"); ck.Secure {
		t.Errorf("Django itself set a Secure csrftoken: the settings were meant to leave CSRF_COOKIE_SECURE off")
	}
	notByDjango := []string{"Strict-Transport-Security", "Content-Security-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy"}
	if s.Django.Major >= 4 {
		// SECURE_CROSS_ORIGIN_OPENER_POLICY, new in 4.0, defaults to
		// same-origin: through portcullis it must still appear once.
		if v := direct.Header.Values("Cross-Origin-Opener-Policy"); !slices.Equal(v, []string{"same-origin"}) {
			t.Errorf("Django %s itself sent Cross-Origin-Opener-Policy %q, want its default same-origin", s.Django.Version, v)
		}
		notByDjango = notByDjango[:3]
	}
	for _, h := range notByDjango {
		if v := direct.Header.Get(h); v != "" {
			t.Errorf("Django itself sent %s: %q", h, v)
		}
	}

	c := s.client(t)
	loginPage, _ := get(t, c, s.url("/accounts/login/"))
	line, ck := setCookie(t, loginPage, "csrftoken")
	if !ck.Secure || ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 31449600 {
		t.Errorf("csrftoken from the login page: %q, want Secure, SameSite=Lax, not HttpOnly (Django's JavaScript reads it)", line)
	}
	loggedIn := s.login(t, c)
	for _, name := range []string{"sessionid", "csrftoken"} { // login rotates the CSRF token
		line, ck := setCookie(t, loggedIn, name)
		wantHTTPOnly := name == "sessionid"
		if !ck.Secure || ck.HttpOnly != wantHTTPOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Errorf("%s from the login POST: %q, want Secure, SameSite=Lax, HttpOnly %t", name, line, wantHTTPOnly)
		}
		if n := strings.Count(strings.ToLower(line), "; secure"); n != 1 {
			t.Errorf("%s: Secure appears %d times: %q", name, n, line)
		}
	}
	account, _ := get(t, c, s.url("/account/"))
	whoami, _ := get(t, c, s.url("/whoami.json"))

	want := map[string]string{
		"Strict-Transport-Security":  "max-age=31536000; includeSubDomains; preload",
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		// The strict policy, reporting to portcullis's own collector
		// (the default while [reports] is on).
		"Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; " +
			"report-uri /_portcullis/reports; report-to csp-endpoint",
		"Reporting-Endpoints": `csp-endpoint="/_portcullis/reports"`,
		"Permissions-Policy":  permissions.Default().String(),
	}
	if got := csp.Strict().String() + "; report-uri /_portcullis/reports; report-to csp-endpoint"; got != want["Content-Security-Policy"] {
		t.Fatalf("csp.Strict() is %q: update the expected policy", got)
	}
	for _, tc := range []struct {
		name string
		resp *http.Response
		code int
	}{
		{"GET /accounts/login/", loginPage, http.StatusOK},
		{"POST /accounts/login/", loggedIn, http.StatusFound},
		{"GET /account/", account, http.StatusOK},
		{"GET /whoami.json", whoami, http.StatusOK},
	} {
		if tc.resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, tc.resp.StatusCode, tc.code)
		}
		for h, v := range want {
			if got := tc.resp.Header.Values(h); !slices.Equal(got, []string{v}) {
				t.Errorf("%s: %s is %q, want exactly [%q]", tc.name, h, got, v)
			}
		}
	}
}

// whoami is what mysite's /whoami.json reports.
type whoami struct {
	User       *string `json:"user"`
	IsSecure   bool    `json:"is_secure"`
	Scheme     string  `json:"scheme"`
	Host       string  `json:"host"`
	PeerAddr   string  `json:"peer_addr"`
	RemoteAddr string  `json:"remote_addr"`
	ClientIP   string  `json:"client_ip"`
}

// testClientAddress: Django behind portcullis sees HTTPS, the site's
// host, the TCP peer 127.0.0.1 (portcullis) in REMOTE_ADDR as gunicorn
// sets it, and the client's real address from mysite's trusted-proxy
// middleware, whatever forwarding headers the client forges.
func testClientAddress(t *testing.T, s *stack) {
	client := e2e.RandomLoopback(s.IP, s.FrontProxy)
	spoofed := map[string]string{
		"X-Forwarded-For":   "203.0.113.9",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "evil.example",
		"X-Real-Ip":         "203.0.113.9",
		"Forwarded":         "for=203.0.113.9;proto=http;host=evil.example",
	}
	for _, tc := range []struct {
		name   string
		from   netip.Addr
		direct bool // straight to gunicorn, bypassing portcullis
		hdr    map[string]string
		want   whoami
	}{
		{name: "client-no-forwarding-headers", from: client,
			want: whoami{IsSecure: true, Scheme: "https", Host: "app.test", PeerAddr: "127.0.0.1", RemoteAddr: client.String(), ClientIP: client.String()}},
		{name: "client-forging-forwarding-headers", from: client, hdr: spoofed,
			want: whoami{IsSecure: true, Scheme: "https", Host: "app.test", PeerAddr: "127.0.0.1", RemoteAddr: client.String(), ClientIP: client.String()}},
		// A proxy in the site's trusted_proxies (a CDN) forwards its
		// client's address; portcullis passes on the rightmost address
		// that is not a trusted proxy.
		{name: "trusted-front-proxy", from: s.FrontProxy,
			hdr:  map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"},
			want: whoami{IsSecure: true, Scheme: "https", Host: "app.test", PeerAddr: "127.0.0.1", RemoteAddr: "203.0.113.9", ClientIP: "203.0.113.9"}},
		// Reaching gunicorn directly: the middleware ignores the forged
		// X-Forwarded-For of a peer that is not a trusted proxy, but
		// SECURE_PROXY_SSL_HEADER believes X-Forwarded-Proto from anyone,
		// which is why gunicorn must listen where only portcullis can
		// reach it (127.0.0.1 or a Unix socket).
		{name: "bypassing-portcullis", from: client, direct: true,
			hdr:  map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
			want: whoami{IsSecure: true, Scheme: "https", Host: "app.test", PeerAddr: client.String(), RemoteAddr: client.String(), ClientIP: client.String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, c := s.url("/whoami.json"), s.clientFrom(t, tc.from)
			if tc.direct {
				u = "http://" + s.Upstream + "/whoami.json"
				c = s.direct(t, tc.from)
			}
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Host = s.Name
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, body := do(t, c, req)
			var got whoami
			if err := json.Unmarshal([]byte(body), &got); resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("%d, %v:\n%s", resp.StatusCode, err, body)
			}
			if got != tc.want {
				t.Errorf("Django saw %+v\nwant         %+v", got, tc.want)
			}
		})
	}
}

// testAudit: `portcullis audit` of the Django site behind portcullis, its
// login page included, grades A+ with nothing above informational.
func testAudit(t *testing.T, s *stack) {
	code, out, errs := e2e.Run(t, "audit", "--ca", s.Site.CAFile,
		"--resolve", "app.test:443:"+s.IP.String(), "--resolve", "app.test:80:"+s.IP.String(),
		"--paths", "/accounts/login/", "--format", "json", "--fail-under", "A+", "https://app.test/")
	var doc report.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Schema != report.Schema || len(doc.Targets) != 1 {
		t.Fatalf("audit (exit %d): %v\n%s\n%s", code, err, out, errs)
	}
	r := doc.Targets[0]
	for _, f := range r.Findings {
		if f.Severity > rules.Info {
			t.Errorf("finding above informational: %s (%s): %s [%s]", f.Rule, f.Severity, f.Message, f.Evidence)
		}
	}
	if code != 0 || r.Grade.Letter != "A+" || r.Grade.Score != 100 || !r.Audited || len(r.Errors) != 0 || r.Certificate == nil || !r.Certificate.Trusted {
		t.Errorf("exit %d, grade %+v, audited %t, errors %q, certificate %+v\n%s", code, r.Grade, r.Audited, r.Errors, r.Certificate, errs)
	}
}

// TestDeployConfig: the portcullis.toml a user deploys passes `portcullis
// check --deploy --strict`, with only the two operational suggestions
// (alerts, backups) left as information.
func TestDeployConfig(t *testing.T) {
	t.Parallel()
	code, out, errs := e2e.Run(t, "check", "--deploy", "--strict", "--format", "json", "portcullis.toml")
	var rep check.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check (exit %d): %v\n%s\n%s", code, err, out, errs)
	}
	var infos []string
	for _, f := range rep.Findings {
		infos = append(infos, f.Rule)
	}
	if code != 0 || rep.Errors != 0 || rep.Warnings != 0 || !slices.Equal(infos, []string{"alerts.missing", "backup.missing"}) {
		t.Errorf("exit %d, %d errors, %d warnings, findings %q\n%s", code, rep.Errors, rep.Warnings, infos, out)
	}
}

// TestDjangoCheckDeploy: Django's own `manage.py check --deploy` on these
// settings warns exactly about what portcullis does instead (HSTS, the
// HTTPS redirect, Secure cookies), and about nothing else.
func TestDjangoCheckDeploy(t *testing.T) {
	t.Parallel()
	eachDjango(t, true, testCheckDeploy)
}

func testCheckDeploy(t *testing.T, r runtime) {
	dir := t.TempDir()
	env := r.env(dir, "DJANGO_SECRET_KEY="+randomString(t, 48), "DJANGO_ALLOWED_HOSTS=app.test", "DJANGO_DB_PATH="+dir+"/db.sqlite3")
	out := manage(t, projectDir(t), env, "check", "--deploy")
	got := regexp.MustCompile(`\(([a-z_]+\.[EW]\d+)\)`).FindAllStringSubmatch(out, -1)
	var ids []string
	for _, m := range got {
		ids = append(ids, m[1])
	}
	want := []string{"security.W004", "security.W008", "security.W012", "security.W016"}
	if !slices.Equal(ids, want) {
		t.Errorf("manage.py check --deploy: %q, want %q\n%s", ids, want, out)
	}

	// Without the secret key the site refuses to start.
	out2, err := manageOutput(projectDir(t), r.env(dir, "DJANGO_ALLOWED_HOSTS=app.test", "DJANGO_DB_PATH="+dir+"/db.sqlite3"), "check")
	if err == nil || !strings.Contains(out2, "ImproperlyConfigured: the environment variable DJANGO_SECRET_KEY is not set") {
		t.Errorf("manage.py check without DJANGO_SECRET_KEY: %v\n%s", err, out2)
	}
}

// TestCSRFTrustedOrigins: DJANGO_CSRF_TRUSTED_ORIGINS takes either
// spelling, host names (Django 3.2) or origins (4.0+), and settings.py
// hands Django the one its version understands.
func TestCSRFTrustedOrigins(t *testing.T) {
	t.Parallel()
	eachDjango(t, true, testCSRFTrustedOrigins)
}

func testCSRFTrustedOrigins(t *testing.T, r runtime) {
	dir := t.TempDir()
	env := r.env(dir, "DJANGO_SECRET_KEY=x", "DJANGO_ALLOWED_HOSTS=app.test", "DJANGO_DB_PATH="+dir+"/db.sqlite3",
		"DJANGO_CSRF_TRUSTED_ORIGINS=sso.example.com, https://pay.example.com,.example.org,https://*.example.net,http://legacy.example:8080")
	out := manage(t, projectDir(t), env, "shell", "-c", "import json; from django.conf import settings; print(json.dumps(settings.CSRF_TRUSTED_ORIGINS))")
	var got []string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	want := []string{"sso.example.com", "pay.example.com", ".example.org", ".example.net", "legacy.example:8080"}
	if r.Major >= 4 {
		want = []string{"https://sso.example.com", "https://pay.example.com", "https://*.example.org", "https://*.example.net", "http://legacy.example:8080"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Django %s: CSRF_TRUSTED_ORIGINS = %q, want %q", r.Version, got, want)
	}
}
