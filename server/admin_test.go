package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/testutil"
)

// adminTOML is a server with the admin listener on a loopback port and
// one site, which the tests never reach; %s is more [listen] keys.
const adminTOML = `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"
%s

[[site]]
name = "app"
hosts = ["app.example.com"]
upstream = "http://127.0.0.1:9"
`

// startAdmin runs a server whose [listen] has the extra keys, logging to
// the returned buffer.
func startAdmin(t *testing.T, listen string) (*Server, *testutil.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, adminTOML, listen))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	srv, err := New(cfg, Options{DataDir: filepath.Join(dir, "data"), AccessLog: io.Discard,
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
	return srv, logs
}

// adminGet asks the admin listener for path with the Host header host
// and, when set, an Authorization header.
func adminGet(t *testing.T, srv *Server, host, path, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+srv.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

const refusedHost = "421 Misdirected Request: this host name is not answered here\n"

// TestAdminHost: the admin listener answers localhost, IP literals and
// listen.admin_hosts, with any port, and refuses every other Host (DNS
// rebinding) with 421, a fixed body and a warning in the log.
func TestAdminHost(t *testing.T) {
	t.Parallel()
	srv, logs := startAdmin(t, `admin_hosts = ["metrics.internal"]`)
	port := portOf(srv.AdminAddr())
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"localhost", true},
		{"localhost:" + port, true},
		{"LocalHost.:1", true},
		{"127.0.0.1", true},
		{"127.0.0.1:" + port, true},
		{"127.8.9.10:9180", true},
		{"[::1]", true},
		{"[::1]:" + port, true},
		{"10.0.0.5:80", true},
		{"[2001:db8::1]:9180", true},
		{"metrics.internal:" + port, true},
		{"Metrics.Internal.", true},
		{"evil.com", false},
		{"evil.com:" + port, false},
		{"localhost.evil.com", false},
		{"127.0.0.1.nip.io", false},
		{"other.internal", false},
		{"2130706433", false}, // 127.0.0.1 written as a number: browsers send the dotted form
	} {
		for _, path := range []string{MetricsPath, HealthPath} {
			resp, body := adminGet(t, srv, tc.host, path, "")
			switch {
			case tc.ok && resp.StatusCode != http.StatusOK:
				t.Errorf("Host %q %s: %d %q, want 200", tc.host, path, resp.StatusCode, body)
			case !tc.ok && (resp.StatusCode != http.StatusMisdirectedRequest || body != refusedHost ||
				resp.Header.Get("Content-Type") != "text/plain; charset=utf-8"):
				t.Errorf("Host %q %s: %d %q (%s), want 421 %q", tc.host, path, resp.StatusCode, body, resp.Header.Get("Content-Type"), refusedHost)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Host %q %s: headers %v", tc.host, path, resp.Header)
			}
		}
	}
	// A request without Host (HTTP/1.0) is refused too.
	conn, err := net.Dial("tcp", srv.AdminAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /metrics HTTP/1.0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("no Host: %d, want 421", resp.StatusCode)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN msg=\"admin listener: request refused: Host is not localhost") ||
		!strings.Contains(l, "host=evil.com:"+port) {
		t.Errorf("no warning naming the refused Host in the log:\n%s", l)
	}
}

// TestAdminToken: with listen.admin_token, every admin request but
// /healthz needs "Authorization: Bearer <token>" (401 and
// WWW-Authenticate otherwise); the token never reaches the log.
func TestAdminToken(t *testing.T) {
	const token = "s3cr3t-admin-token-0123456789abcdef"
	t.Setenv("PORTCULLIS_TEST_ADMIN_TOKEN", token)
	srv, logs := startAdmin(t, `admin_token = "${PORTCULLIS_TEST_ADMIN_TOKEN}"`)
	for _, tc := range []struct {
		name, host, path, auth string
		code                   int
	}{
		{"no token", "127.0.0.1", MetricsPath, "", http.StatusUnauthorized},
		{"wrong token", "127.0.0.1", MetricsPath, "Bearer wrong-token-0123456789abcdef", http.StatusUnauthorized},
		{"token prefix", "127.0.0.1", MetricsPath, "Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"token and more", "127.0.0.1", MetricsPath, "Bearer " + token + "x", http.StatusUnauthorized},
		{"basic scheme", "127.0.0.1", MetricsPath, "Basic " + token, http.StatusUnauthorized},
		{"token without scheme", "127.0.0.1", MetricsPath, token, http.StatusUnauthorized},
		{"unknown path", "127.0.0.1", "/debug/pprof/", "", http.StatusUnauthorized},
		{"health path trick", "127.0.0.1", HealthPath + "/../metrics", "", http.StatusUnauthorized},
		{"right token", "127.0.0.1", MetricsPath, "Bearer " + token, http.StatusOK},
		{"scheme in any case", "localhost", MetricsPath, "bearer " + token, http.StatusOK},
		{"health without token", "localhost", HealthPath, "", http.StatusOK},
		{"right token, foreign Host", "evil.com", MetricsPath, "Bearer " + token, http.StatusMisdirectedRequest},
	} {
		resp, body := adminGet(t, srv, tc.host, tc.path, tc.auth)
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d %.80q, want %d", tc.name, resp.StatusCode, body, tc.code)
			continue
		}
		switch tc.code {
		case http.StatusUnauthorized:
			if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" || body != "401 Unauthorized: a bearer token is required\n" {
				t.Errorf("%s: WWW-Authenticate %q, body %q", tc.name, got, body)
			}
		case http.StatusOK:
			if tc.path == MetricsPath && !strings.Contains(body, "go_goroutines") {
				t.Errorf("%s: no metrics in %.200q", tc.name, body)
			}
		}
	}
	l := logs.String()
	if strings.Contains(l, "s3cr3t") {
		t.Errorf("the log shows the token:\n%s", l)
	}
	for _, want := range []string{"admin listener: request refused: no bearer token", "admin listener: request refused: wrong bearer token"} {
		if !strings.Contains(l, "level=WARN msg=\""+want) {
			t.Errorf("no %q warning in the log:\n%s", want, l)
		}
	}
}

// TestAdminBeyondLoopbackNeedsToken: an admin address beyond loopback
// without a token is refused by New too (serve --admin replaces the
// address after the file was validated): fail closed.
func TestAdminBeyondLoopbackNeedsToken(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "metrics.example.com:0"} {
		dir := t.TempDir()
		cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, adminTOML, ""))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listen.Admin = addr
		srv, err := New(cfg, Options{DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler), AccessLog: io.Discard})
		if err == nil {
			srv.Shutdown(context.Background())
			t.Errorf("admin %q without a token: New succeeded", addr)
			continue
		}
		if !strings.Contains(err.Error(), "listen.admin_token") {
			t.Errorf("admin %q without a token: %v", addr, err)
		}
	}
}
