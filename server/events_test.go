package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
)

// eventsFixture is a running server with two sites on the local CA, "app"
// in front of a working upstream and "down" in front of a closed port,
// and scheduled backups, without self-audits; every event it emits is
// recorded.
type eventsFixture struct {
	srv    *Server
	cfg    *config.Config
	client *http.Client
	logs   *testutil.Buffer
	rec    eventstest.Recorder
}

func newEventsFixture(t *testing.T) *eventsFixture {
	t.Helper()
	f := &eventsFixture{logs: &testutil.Buffer{}}
	up := newUpstream(t)
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	f.cfg, err = config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"

[backup]
dir = %q
recipients = [%q]

[audit]                 # its probes would be events too (audits_test.go)
enabled = false

[[site]]
name = "app"
hosts = ["app.localhost"]
upstream = %q

[[site]]
name = "down"
hosts = ["down.localhost"]
upstream = "http://%s"
`, filepath.Join(dir, "backups"), id.Recipient().String(), up.URL, closedAddr(t)))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.srv, err = New(f.cfg, Options{DataDir: filepath.Join(dir, "data"), AccessLog: io.Discard, Logger: log,
		OnEvent: f.rec.Sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
	})
	f.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: f.srv.LocalCA().RootPool(), ServerName: "app.localhost"},
	}}
	return f
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// do sends a request with the given Host and headers and returns the
// status.
func (f *eventsFixture) do(t *testing.T, method, host, path string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest(method, "https://"+f.srv.HTTPSAddr()+path, strings.NewReader("password=hunter2"))
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor returns the first recorded event of type typ, waiting for it.
func (f *eventsFixture) waitFor(t *testing.T, typ string) events.Event {
	t.Helper()
	var found events.Event
	testutil.Eventually(t, 10*time.Second, "a "+typ+" event", func() bool {
		for _, e := range f.rec.All() {
			if e.Type == typ {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func (f *eventsFixture) count(typ string) int { return f.rec.Count(typ) }

// TestEventsOnBus: what shield refuses on each site, a Host no site
// serves, an upstream failure, a refused handshake, reloads and backups
// all arrive on the one bus, with site, severity, request and client,
// and never the request's body.
func TestEventsOnBus(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t)

	backup := f.waitFor(t, events.BackupDone) // the schedule's first run, at start
	if backup.Severity != events.Info || !strings.Contains(backup.Message, "backup written to ") {
		t.Errorf("backup event %+v", backup)
	}

	for _, c := range []struct {
		method, host, path string
		header             []string
		status             int
		want               events.Event
	}{
		{"GET", "nowhere.example", "/probe", nil, http.StatusBadRequest,
			events.Event{Type: events.HostRejected, Severity: events.Low, Site: "", Host: "nowhere.example", Path: "/probe", Method: "GET"}},
		{"TRACE", "app.localhost", "/", nil, http.StatusMethodNotAllowed,
			events.Event{Type: events.MethodRefused, Severity: events.Low, Site: "app", Host: "app.localhost", Path: "/", Method: "TRACE"}},
		{"POST", "app.localhost", "/transfer", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden,
			events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Site: "app", Host: "app.localhost", Path: "/transfer", Method: "POST"}},
		{"POST", "down.localhost", "/login", nil, http.StatusBadGateway,
			events.Event{Type: events.UpstreamFailed, Severity: events.Medium, Site: "down", Host: "down.localhost", Path: "/login", Method: "POST"}},
	} {
		if got := f.do(t, c.method, c.host, c.path, c.header...); got != c.status {
			t.Fatalf("%s %s%s: %d, want %d", c.method, c.host, c.path, got, c.status)
		}
		e := f.waitFor(t, c.want.Type)
		if e.Severity != c.want.Severity || e.Site != c.want.Site || e.Host != c.want.Host || e.Path != c.want.Path ||
			e.Method != c.want.Method || e.Client != "127.0.0.1" || e.Message == "" || e.Time.IsZero() {
			t.Errorf("%s: got %+v", c.want.Type, e)
		}
		if s := fmt.Sprintf("%+v", e); strings.Contains(s, "hunter2") {
			t.Errorf("%s carries the request body: %s", c.want.Type, s)
		}
	}
	if e := f.waitFor(t, events.UpstreamFailed); !strings.Contains(e.Error, "connection refused") {
		t.Errorf("upstream.failed: error %q", e.Error)
	}

	// acme-tls/1 alone, with no ACME site: refused, reported for the
	// site whose host the server name is.
	if conn, err := tls.Dial("tcp", f.srv.HTTPSAddr(), &tls.Config{ServerName: "app.localhost", NextProtos: []string{acmeTLS1}, InsecureSkipVerify: true}); err == nil {
		conn.Close()
		t.Fatal("an acme-tls/1 handshake succeeded")
	}
	if e := f.waitFor(t, events.TLSRefused); e.Reason != "no-alpn" || e.Site != "app" || e.Host != "app.localhost" || e.Client != "127.0.0.1" || e.Severity != events.Low {
		t.Errorf("tls.refused: %+v", e)
	}

	if err := f.srv.Reload(f.cfg); err != nil {
		t.Fatal(err)
	}
	if e := f.waitFor(t, events.ConfigReloaded); e.Severity != events.Info || e.Message != "configuration reloaded: 2 site(s)" {
		t.Errorf("config.reloaded: %+v", e)
	}
	bad := errors.New("portcullis.toml:7: site.upstream: no scheme")
	if err := f.srv.ReloadWith(func() (*config.Config, error) { return nil, bad }); err != bad {
		t.Errorf("ReloadWith: %v", err)
	}
	if e := f.waitFor(t, events.ConfigReloadFailed); e.Severity != events.High || e.Error != bad.Error() {
		t.Errorf("config.reload_failed: %+v", e)
	}

	// The log: each event once, at its severity's level; no second line
	// from the proxy for the upstream failure; TLS refusals left to
	// net/http's debug log.
	logs := f.logs.String()
	for _, want := range []string{
		"level=WARN msg=\"no site serves this Host\" event=host.rejected severity=low",
		"level=WARN msg=\"method not allowed\" event=method.refused severity=low site=app rule=proxy.unsafe-methods method=TRACE",
		"level=WARN msg=\"upstream request failed: http://",
		"level=INFO msg=\"configuration reloaded: 2 site(s)\" event=config.reloaded",
		"level=ERROR msg=\"reload failed; the running configuration stays in service\" event=config.reload_failed severity=high",
		"event=backup.done",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if n := strings.Count(logs, "upstream request failed"); n != 1 {
		t.Errorf("%d log lines for one upstream failure", n)
	}
	if strings.Contains(logs, "tls.refused") || strings.Contains(logs, "hunter2") {
		t.Errorf("log:\n%s", logs)
	}
}

// TestEventsLogRateLimited: a scanner's burst of refused Hosts reaches the
// metrics in full, the log only logBurst times, and the drops are
// counted.
func TestEventsLogRateLimited(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t)
	const n = 3 * logBurst
	for i := range n {
		if got := f.do(t, "GET", fmt.Sprintf("scan%d.example", i), "/"); got != http.StatusBadRequest {
			t.Fatalf("status %d", got)
		}
	}
	if got := f.count(events.HostRejected); got != n {
		t.Errorf("%d host.rejected events on the bus, want %d", got, n)
	}
	if got := strings.Count(f.logs.String(), "event=host.rejected"); got != logBurst {
		t.Errorf("%d host.rejected lines in the log, want %d", got, logBurst)
	}
	_, scrape := adminGet(t, f.srv, "localhost", MetricsPath, "")
	for _, want := range []string{
		fmt.Sprintf(`portcullis_security_events_total{kind="host.rejected",severity="low",site=""} %d`, n),
		fmt.Sprintf(`portcullis_events_dropped_total{stage="log.ratelimit"} %d`, n-logBurst),
		fmt.Sprintf(`portcullis_http_requests_total{code="400",method="GET",site=""} %d`, n),
	} {
		if !strings.Contains(scrape, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// TestReportsAndStore: every site answers browsers' reports at [reports]
// path, a cross-site POST included (shield's cross-origin protection
// bypasses that one path), as events on the bus; the store keeps the
// events and the report's aggregate.
func TestReportsAndStore(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t)
	const report = `{"csp-report": {"document-uri": "https://app.localhost/checkout?card=4111", "effective-directive": "script-src-elem",
		"blocked-uri": "https://evil.example/x.js", "disposition": "enforce"}}`
	post := func(path string) int {
		req, _ := http.NewRequest("POST", "https://"+f.srv.HTTPSAddr()+path, strings.NewReader(report))
		req.Host = "app.localhost"
		req.Header.Set("Content-Type", "application/csp-report")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://app.localhost.evil.example")
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/_portcullis/reports"); got != http.StatusNoContent {
		t.Fatalf("report: %d, want 204", got)
	}
	if got := post("/_portcullis/reports/"); got != http.StatusForbidden {
		t.Errorf("cross-site POST elsewhere: %d, want shield's 403", got)
	}
	if got := f.do(t, "GET", "app.localhost", "/_portcullis/reports"); got != http.StatusMethodNotAllowed {
		t.Errorf("GET the collector: %d, want 405", got)
	}
	e := f.waitFor(t, events.ReportReceived)
	if e.Site != "app" || e.Rule != "script-src-elem" || e.Reason != "csp-violation" || e.Client != "127.0.0.1" || strings.Contains(e.Path, "4111") {
		t.Errorf("report.received: %+v", e)
	}
	f.waitFor(t, events.ReportRefused)

	f.srv.ops.queue.Flush()
	stored, err := f.srv.ops.store.Events(store.Query{Type: "report."})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 {
		t.Errorf("stored report events: %+v", stored)
	}
	if stored, _ := f.srv.ops.store.Events(store.Query{Type: events.CrossOriginBlocked}); len(stored) != 1 || stored[0].Site != "app" {
		t.Errorf("stored crossorigin.blocked events: %+v", stored)
	}
	aggs, err := f.srv.ops.store.Reports(store.ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(aggs) != 1 || aggs[0].Site != "app" || aggs[0].Directive != "script-src-elem" || aggs[0].Blocked != "https://evil.example" || aggs[0].Count != 1 {
		t.Errorf("aggregates: %+v", aggs)
	}
	_, scrape := adminGet(t, f.srv, "localhost", MetricsPath, "")
	if want := `portcullis_csp_reports_total{directive="script-src-elem",site="app"} 1`; !strings.Contains(scrape, want+"\n") {
		t.Errorf("scrape lacks %q", want)
	}
}
