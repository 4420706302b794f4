package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/dashboard"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

const dashToken = "dashboard-test-token-0123456789"

// dashTOML is a server with the admin listener at %s and one site,
// app.example.com, with a certificate of its own (%s: [site.cert]) and an
// upstream that is down; no self-audits.
const dashTOML = `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = %q
admin_token = "` + dashToken + `"
admin_hosts = ["app.example.com"]

[audit]
enabled = false

[[site]]
name = "app"
hosts = ["app.example.com"]
upstream = "http://127.0.0.1:9"
%s`

// startDashboard runs a server of dashTOML with its admin listener at
// admin, logging to the returned buffer; ca issued the site's
// certificate.
func startDashboard(t *testing.T, admin string) (srv *Server, ca *testutil.CA, logs *testutil.Buffer) {
	t.Helper()
	dir := t.TempDir()
	ca = testutil.NewCA(t, "dashboard test CA")
	cert, key := ca.WriteLeaf(t, dir, "app", []string{"app.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(40*24*time.Hour))
	site := fmt.Sprintf("[site.cert]\nsource = \"files\"\ncert = %q\nkey = %q\n", cert, key)
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, dashTOML, "127.0.0.1:0", site))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen.Admin = admin // beyond loopback, as serve --admin may set it
	logs = &testutil.Buffer{}
	srv, err = New(cfg, Options{DataDir: filepath.Join(dir, "data"), AccessLog: io.Discard,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, ca, logs
}

// adminDo sends req to the admin listener (base: its URL) with the Host
// header host and the headers given as name, value pairs.
func adminDo(t *testing.T, c *http.Client, method, base, host, path string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestAdminDashboard: on a loopback admin listener with a token, the
// dashboard and its API answer bearers of the token and browsers that
// signed in, to the Hosts DNS rebinding cannot forge only; a browser
// that has not signed in is sent to the sign-in page; /metrics and
// /healthz answer as before; the API shows the event, the report and the
// certificate the server holds.
func TestAdminDashboard(t *testing.T) {
	srv, ca, logs := startDashboard(t, "127.0.0.1:0")
	base := srv.AdminURL()
	if base != "http://"+srv.AdminAddr() {
		t.Fatalf("AdminURL %q", base)
	}
	bearer := []string{"Authorization", "Bearer " + dashToken}

	// An event through the bus, a report through the site's collector.
	srv.Events().Emit(events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Site: "app",
		Method: "POST", Host: "app.example.com", Path: "/login", Client: "203.0.113.9", Message: "cross-origin request blocked"})
	postReport(t, srv, ca, "app.example.com")
	testutil.Eventually(t, 10*time.Second, "the event and the report reach the API", func() bool {
		_, body := adminDo(t, noRedirect, "GET", base, "127.0.0.1", "/api/v1/events?site=app&type=crossorigin.blocked", nil, bearer...)
		_, reps := adminDo(t, noRedirect, "GET", base, "127.0.0.1", "/api/v1/reports", nil, bearer...)
		return strings.Contains(body, `"client": "203.0.113.9"`) && strings.Contains(reps, `"directive": "img-src"`)
	})

	for _, tc := range []struct {
		path, contains string
	}{
		{"/", `href="/sites/app"`},
		{"/sites/app", "No audits yet"},
		{"/certificates", "app.example.com"},
		{"/api/v1/certificates", `"source": "files"`},
		{"/events?severity=medium", "cross-origin request blocked"},
		{"/reports", "https://images.example"},
		{"/sites/app/csp", "img-src &#39;self&#39; https://images.example"},
		{"/api/v1/sites/app/csp", `"enforced": "object-src 'none'; base-uri 'self'; frame-ancestors 'none'`},
		{"/api/v1/audits", `"audits": []`},
		{MetricsPath, "go_goroutines"},
	} {
		resp, body := adminDo(t, noRedirect, "GET", base, "localhost", tc.path, nil, bearer...)
		if resp.StatusCode != 200 || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: %d, no %q\n%.1000s", tc.path, resp.StatusCode, tc.contains, body)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", tc.path, resp.Header)
		}
		if tc.path != MetricsPath && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: CSP %q", tc.path, resp.Header.Get("Content-Security-Policy"))
		}
	}
	if resp, body := adminDo(t, noRedirect, "GET", base, "localhost", "/api/v1/events?limit=-1", nil, bearer...); resp.StatusCode != 400 ||
		!json.Valid([]byte(body)) || !strings.Contains(body, `"error"`) {
		t.Errorf("a bad parameter: %d %s", resp.StatusCode, body)
	}

	// Without the token: 401 for scripts, the sign-in page for browsers;
	// the sign-in page and its stylesheet need nothing.
	for _, tc := range []struct {
		path, accept string
		code         int
		location     string
	}{
		{"/api/v1/events", "application/json", 401, ""},
		{"/api/v1/events", "text/html", 401, ""},
		{"/", "*/*", 401, ""},
		{"/events?site=app", "text/html,application/xhtml+xml", 303, "/signin?next=%2Fevents%3Fsite%3Dapp"},
		{MetricsPath, "text/html", 303, "/signin?next=%2Fmetrics"},
		{dashboard.SignInPath, "text/html", 200, ""},
		{"/assets/../metrics", "*/*", 401, ""},
		{"/assets/", "*/*", 401, ""},
		{"/assets/style.css", "text/css", 200, ""},
		{HealthPath, "", 200, ""},
	} {
		resp, body := adminDo(t, noRedirect, "GET", base, "127.0.0.1", tc.path, nil, "Accept", tc.accept)
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != tc.location {
			t.Errorf("%s (Accept %s) without token: %d %q, want %d %q\n%.300s", tc.path, tc.accept, resp.StatusCode, resp.Header.Get("Location"), tc.code, tc.location, body)
		}
		if tc.code == 401 && (body != "401 Unauthorized: a bearer token is required\n" || resp.Header.Get("WWW-Authenticate") != "Bearer") {
			t.Errorf("%s: 401 %q %v", tc.path, body, resp.Header)
		}
	}

	// Every route keeps the Host check, the public ones and a bearer's
	// too.
	for _, path := range []string{"/", "/sites/app", "/api/v1/events", dashboard.SignInPath, "/assets/style.css", "/nope"} {
		if resp, _ := adminDo(t, noRedirect, "GET", base, "evil.example", path, nil, bearer...); resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("%s for Host evil.example: %d, want 421", path, resp.StatusCode)
		}
	}
	if resp, _ := adminDo(t, noRedirect, "POST", base, "evil.example:80", dashboard.SignInPath, strings.NewReader("token="+dashToken),
		"Content-Type", "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusMisdirectedRequest || len(resp.Cookies()) > 0 {
		t.Errorf("sign-in for Host evil.example: %d", resp.StatusCode)
	}

	// Sign in: a wrong token is refused; the right one sets the cookie,
	// which then opens pages and the API, and sign-out closes them again.
	form := func(tok string) io.Reader {
		return strings.NewReader(url.Values{"token": {tok}, "next": {"/certificates"}}.Encode())
	}
	post := []string{"Content-Type", "application/x-www-form-urlencoded", "Origin", base, "Sec-Fetch-Site", "same-origin"}
	if resp, body := adminDo(t, noRedirect, "POST", base, "127.0.0.1", dashboard.SignInPath, form("wrong"), post...); resp.StatusCode != 401 ||
		!strings.Contains(body, "That is not the admin token") || len(resp.Cookies()) > 0 {
		t.Errorf("wrong token: %d %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ := adminDo(t, noRedirect, "POST", base, "127.0.0.1", dashboard.SignInPath, form(dashToken),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != 403 || len(resp.Cookies()) > 0 {
		t.Errorf("cross-site sign-in: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp, _ := adminDo(t, noRedirect, "POST", base, "127.0.0.1", dashboard.SignInPath, form(dashToken), post...)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/certificates" || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in: %d %v", resp.StatusCode, resp.Header)
	}
	c := resp.Cookies()[0]
	set := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"__Host-portcullis-admin=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=28800"} {
		if !strings.Contains(set, attr) {
			t.Errorf("Set-Cookie %q: no %s", set, attr)
		}
	}
	if strings.Contains(set, dashToken) || strings.Contains(logs.String(), dashToken) {
		t.Error("the token is in the cookie or the log")
	}
	cookie := []string{"Cookie", c.Name + "=" + c.Value}
	for _, path := range []string{"/certificates", "/api/v1/certificates", MetricsPath} {
		if resp, body := adminDo(t, noRedirect, "GET", base, "127.0.0.1", path, nil, cookie...); resp.StatusCode != 200 {
			t.Errorf("%s with the cookie: %d %.200s", path, resp.StatusCode, body)
		}
	}
	if _, body := adminDo(t, noRedirect, "GET", base, "127.0.0.1", "/", nil, cookie...); !strings.Contains(body, `action="/signout"`) {
		t.Error("no sign-out button for a signed-in browser")
	}
	resp, _ = adminDo(t, noRedirect, "POST", base, "127.0.0.1", dashboard.SignOutPath, nil, append(cookie, "Sec-Fetch-Site", "same-origin")...)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != dashboard.SignInPath {
		t.Errorf("sign-out: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := adminDo(t, noRedirect, "GET", base, "127.0.0.1", "/api/v1/events", nil, cookie...); resp.StatusCode != 401 {
		t.Errorf("the cookie after sign-out: %d", resp.StatusCode)
	}
	for _, want := range []string{"sign-in refused: wrong token", "admin listener: signed in", "request refused: signed-out session"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no %q in the log", want)
		}
	}
}

// postReport sends a CSP violation report to the site named host, as a
// browser would.
func postReport(t *testing.T, srv *Server, ca *testutil.CA, host string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: host}}}
	body := []byte(`{"csp-report":{"document-uri":"https://` + host + `/page?q=1","violated-directive":"img-src","effective-directive":"img-src",` +
		`"blocked-uri":"https://images.example/x.png","disposition":"enforce","original-policy":"img-src 'self'"}}`)
	req, _ := http.NewRequest("POST", "https://"+srv.HTTPSAddr()+"/_portcullis/reports", bytes.NewReader(body))
	req.Host = host
	req.Header.Set("Content-Type", "application/csp-report")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report: %d", resp.StatusCode)
	}
}

// TestAdminDashboardTLS: bound beyond loopback, the admin listener speaks
// TLS only, with the sites' certificates and the server's TLS profile;
// plain HTTP gets nothing, and pages get HSTS.
func TestAdminDashboardTLS(t *testing.T) {
	srv, ca, _ := startDashboard(t, "0.0.0.0:0")
	port := portOf(srv.AdminAddr())
	if want := "https://" + srv.AdminAddr(); srv.AdminURL() != want {
		t.Errorf("AdminURL %q, want %q", srv.AdminURL(), want)
	}
	base := "https://127.0.0.1:" + port
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "app.example.com"}}}
	resp, body := adminDo(t, c, "GET", base, "app.example.com:"+port, "/api/v1/certificates", nil, "Authorization", "Bearer "+dashToken)
	if resp.StatusCode != 200 || !strings.Contains(body, `"app.example.com"`) || resp.TLS == nil ||
		resp.TLS.PeerCertificates[0].Subject.CommonName == "" && len(resp.TLS.PeerCertificates[0].DNSNames) == 0 {
		t.Fatalf("over TLS: %d %v\n%s", resp.StatusCode, resp.TLS, body)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS %q", got)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	if resp, _ := adminDo(t, c, "GET", base, "app.example.com", HealthPath, nil); resp.StatusCode != 200 {
		t.Errorf("/healthz over TLS: %d", resp.StatusCode)
	}
	// Without the token, still 401; another Host, still 421.
	if resp, _ := adminDo(t, c, "GET", base, "app.example.com", MetricsPath, nil); resp.StatusCode != 401 {
		t.Errorf("no token over TLS: %d", resp.StatusCode)
	}
	if resp, _ := adminDo(t, c, "GET", base, "evil.example", "/", nil, "Authorization", "Bearer "+dashToken); resp.StatusCode != 421 {
		t.Errorf("Host evil.example over TLS: %d", resp.StatusCode)
	}
	// The server's profile: TLS 1.1 is refused.
	old := &tls.Config{RootCAs: ca.Pool(), ServerName: "app.example.com", MaxVersion: tls.VersionTLS11}
	if conn, err := tls.Dial("tcp", "127.0.0.1:"+port, old); err == nil {
		conn.Close()
		t.Error("TLS 1.1 accepted")
	}
	// Plain HTTP: no token or page crosses in clear.
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", dashToken)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(conn)
	if strings.Contains(string(answer), "go_goroutines") || !strings.Contains(string(answer), "400 Bad Request") {
		t.Errorf("plain HTTP answered %q", answer)
	}
}
