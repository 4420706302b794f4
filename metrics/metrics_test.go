package metrics

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portcullis/portcullis/events"
)

var methods = []string{"GET", "HEAD", "POST"}

// TestRequests: each request is counted under its site, status and
// method (the allowed ones, else "other"), with the status rules of the
// access log, and observed in the histogram unless upgraded.
func TestRequests(t *testing.T) {
	m := New()
	app := m.Site("app", methods)
	none := m.Site("", methods)
	serve := func(s *Site, method string, h http.HandlerFunc) {
		t.Helper()
		req := httptest.NewRequest(method, "https://app.example/x", nil)
		s.Wrap(h).ServeHTTP(httptest.NewRecorder(), req)
	}
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	serve(app, "GET", ok)
	serve(app, "GET", ok)
	serve(app, "POST", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	serve(app, "PROPFIND", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) })
	serve(app, "HEAD", func(w http.ResponseWriter, r *http.Request) {}) // silent: 200
	serve(app, "GET", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // informational: not the status
		w.WriteHeader(http.StatusBadGateway)
	})
	serve(none, "GET", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) })

	want := `
# HELP portcullis_http_requests_total HTTP requests answered, by site ("" when no site serves the Host), status code and method (the site's allowed methods, else "other").
# TYPE portcullis_http_requests_total counter
portcullis_http_requests_total{code="200",method="GET",site="app"} 2
portcullis_http_requests_total{code="201",method="POST",site="app"} 1
portcullis_http_requests_total{code="405",method="other",site="app"} 1
portcullis_http_requests_total{code="200",method="HEAD",site="app"} 1
portcullis_http_requests_total{code="502",method="GET",site="app"} 1
portcullis_http_requests_total{code="400",method="GET",site=""} 1
`
	if err := promtest.CollectAndCompare(m, strings.NewReader(want), "portcullis_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := histogramCount(t, m, "app"); n != 6 {
		t.Errorf("app's duration histogram has %d observations, want 6", n)
	}
}

// TestRequestsGoneAndHijacked: a client gone before anything was sent
// counts as 499; a hijacked connection as 101, outside the histogram.
func TestRequestsGoneAndHijacked(t *testing.T) {
	m := New()
	s := m.Site("app", methods)
	req := httptest.NewRequest("GET", "https://app.example/", nil)
	ctx, cancel := contextCanceled(req)
	defer cancel()
	s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))

	returned := make(chan struct{}) // after the count: Close does not wait for hijacked connections
	var counted http.Handler
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counted.ServeHTTP(w, r)
		close(returned)
	}))
	counted = s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
		brw.Flush()
		c.Close()
	}))
	defer front.Close()
	conn, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "HTTP/1.1 101") {
		t.Fatalf("got %q", line)
	}
	<-returned

	want := `
# HELP portcullis_http_requests_total HTTP requests answered, by site ("" when no site serves the Host), status code and method (the site's allowed methods, else "other").
# TYPE portcullis_http_requests_total counter
portcullis_http_requests_total{code="499",method="GET",site="app"} 1
portcullis_http_requests_total{code="101",method="GET",site="app"} 1
`
	if err := promtest.CollectAndCompare(m, strings.NewReader(want), "portcullis_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := histogramCount(t, m, "app"); n != 1 {
		t.Errorf("histogram has %d observations, want 1 (the upgrade is not observed)", n)
	}
}

// TestObserve: events become the right counters with bounded labels.
func TestObserve(t *testing.T) {
	m := New()
	for _, e := range []events.Event{
		{Type: events.HostRejected, Severity: events.Low, Host: "evil.example"},
		{Type: events.HostRejected, Severity: events.Low, Host: "other.example"},
		{Type: events.CrossOriginBlocked, Severity: events.Medium, Site: "app"},
		{Type: events.UpstreamFailed, Severity: events.Medium, Site: "app"},
		{Type: events.UpstreamTimeout, Severity: events.Medium, Site: "app"},
		{Type: events.UpstreamTimeout, Severity: events.Medium, Site: "app"},
		{Type: events.ReportReceived, Site: "app", Reason: "csp-violation", Rule: "script-src-elem"},
		{Type: events.ReportReceived, Site: "app", Reason: "csp-violation", Rule: "Script-Src 'self' https://cdn.example"},
		{Type: events.ReportReceived, Site: "app", Reason: "csp-violation", Rule: "made-up-directive-" + strings.Repeat("x", 50)},
		{Type: events.ReportReceived, Site: "app", Reason: "deprecation"}, // not CSP
		{Type: events.ConfigReloaded},
		{Type: events.ConfigReloadFailed},
		{Type: events.ConfigReloadFailed},
		{Type: events.BackupDone},
		{Type: events.CertRenewed, Site: "app"}, // package expiry's
	} {
		m.Observe(e)
	}
	want := `
# HELP portcullis_backups_total Scheduled backups of the certificate state, by result (ok, failed).
# TYPE portcullis_backups_total counter
portcullis_backups_total{result="failed"} 0
portcullis_backups_total{result="ok"} 1
# HELP portcullis_csp_reports_total CSP violation reports received, by site and violated directive (a CSP directive name, else "other").
# TYPE portcullis_csp_reports_total counter
portcullis_csp_reports_total{directive="other",site="app"} 1
portcullis_csp_reports_total{directive="script-src",site="app"} 1
portcullis_csp_reports_total{directive="script-src-elem",site="app"} 1
# HELP portcullis_reloads_total Configuration reloads, by result (ok, failed: the running configuration stayed in service).
# TYPE portcullis_reloads_total counter
portcullis_reloads_total{result="failed"} 2
portcullis_reloads_total{result="ok"} 1
# HELP portcullis_security_events_total Requests shield refused or responses it could not fully harden, by site, kind (the event type, e.g. host.rejected) and severity.
# TYPE portcullis_security_events_total counter
portcullis_security_events_total{kind="crossorigin.blocked",severity="medium",site="app"} 1
portcullis_security_events_total{kind="host.rejected",severity="low",site=""} 2
# HELP portcullis_upstream_errors_total Requests the upstream did not answer, by site and kind ("failed": unreachable or broke off, 502; "timeout": no response headers in time, 504).
# TYPE portcullis_upstream_errors_total counter
portcullis_upstream_errors_total{kind="failed",site=""} 0
portcullis_upstream_errors_total{kind="failed",site="app"} 1
portcullis_upstream_errors_total{kind="timeout",site=""} 0
portcullis_upstream_errors_total{kind="timeout",site="app"} 2
`
	if err := promtest.CollectAndCompare(m, strings.NewReader(want), "portcullis_backups_total", "portcullis_csp_reports_total",
		"portcullis_reloads_total", "portcullis_security_events_total", "portcullis_upstream_errors_total"); err != nil {
		t.Error(err)
	}
}

// TestHandshake: every version and result has a series from the start;
// unknown versions and results fall in "other".
func TestHandshake(t *testing.T) {
	m := New()
	m.Handshake(tls.VersionTLS13, HandshakeOK)
	m.Handshake(tls.VersionTLS13, HandshakeOK)
	m.Handshake(tls.VersionTLS10, HandshakeProtocol)
	m.Handshake(0x7f17, HandshakeNoALPN)
	m.Handshake(tls.VersionTLS12, "something new")
	if n := promtest.CollectAndCount(m, "portcullis_tls_handshakes_total"); n != 6*6 {
		t.Errorf("%d handshake series, want 36", n)
	}
	for _, c := range []struct {
		version, result string
		want            float64
	}{
		{"TLS 1.3", "ok", 2}, {"TLS 1.0", "protocol", 1}, {"other", "no-alpn", 1}, {"TLS 1.2", "other", 1}, {"TLS 1.2", "ok", 0},
	} {
		if got := promtest.ToFloat64(m.handshakes.WithLabelValues(c.version, c.result)); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.version, c.result, got, c.want)
		}
	}
}

// TestRetain: a site no longer configured loses its series; the others
// and site "" keep theirs.
func TestRetain(t *testing.T) {
	m := New()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, name := range []string{"", "old", "kept"} {
		m.Site(name, methods).Wrap(ok).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		m.Observe(events.Event{Type: events.HostRejected, Severity: events.Low, Site: name})
	}
	m.Retain([]string{"kept", "new"})
	for _, name := range []string{"portcullis_http_requests_total", "portcullis_security_events_total", "portcullis_http_request_duration_seconds"} {
		if n := promtest.CollectAndCount(m, name); n != 2 {
			t.Errorf("%s: %d series after Retain, want 2", name, n)
		}
	}
	if n := promtest.CollectAndCount(m, "portcullis_upstream_errors_total"); n != 4 {
		t.Errorf("upstream errors: %d series after Retain, want 4 (site \"\" and kept)", n)
	}
}

// TestLint: the exposition passes client_golang's linter (promtool's
// rules), and the metric names are the documented ones.
func TestLint(t *testing.T) {
	m := New()
	m.Site("app", methods).Wrap(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	m.Observe(events.Event{Type: events.ReportReceived, Site: "app", Rule: "img-src"})
	m.Observe(events.Event{Type: events.HostRejected, Severity: events.Low})
	m.CountDropped("log.ratelimit", func() uint64 { return 3 })
	problems, err := promtest.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}

func TestDirective(t *testing.T) {
	for in, want := range map[string]string{
		"script-src-elem":          "script-src-elem",
		"STYLE-SRC":                "style-src",
		"img-src 'self' data:":     "img-src",
		" frame-ancestors\t'none'": "frame-ancestors",
		"":                         "other",
		"inline":                   "other",
		"eval":                     "other",
		"script-src\x00":           "other",
	} {
		if got := Directive(in); got != want {
			t.Errorf("Directive(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCountAllocs: counting a request of a method and status already
// seen allocates nothing.
func TestCountAllocs(t *testing.T) {
	s := New().Site("app", methods)
	s.count("GET", 200)
	s.count("DELETE", 404)
	if n := testing.AllocsPerRun(100, func() { s.count("GET", 200); s.count("DELETE", 404) }); n != 0 {
		t.Errorf("%v allocations per counted request", n)
	}
}

// contextCanceled returns r's context, canceled: the client went away.
func contextCanceled(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	return ctx, cancel
}

func histogramCount(t *testing.T, m *Metrics, site string) uint64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "portcullis_http_request_duration_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "site" && l.GetValue() == site {
					return mt.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestAudited: a site's audit gauges hold its latest audit; a site
// removed by a reload loses them.
func TestAudited(t *testing.T) {
	m := New()
	at := time.Date(2026, 3, 1, 12, 0, 0, 500e6, time.UTC)
	m.Audited(Audit{Site: "app", Letter: "A+", Score: 100, Findings: [5]int{2, 0, 0, 0, 0}, Time: at.Add(-time.Hour)})
	m.Audited(Audit{Site: "app", Letter: "B", Score: 86, Findings: [5]int{2, 1, 1, 0, 0}, Time: at})
	m.Audited(Audit{Site: "old", Time: at})
	want := `
# HELP portcullis_audit_grade_letter The letter of the latest self-audit of each site as a number: 6 A+, 5 A, 4 B, 3 C, 2 D, 1 F, 0 not audited.
# TYPE portcullis_audit_grade_letter gauge
portcullis_audit_grade_letter{site="app"} 4
portcullis_audit_grade_letter{site="old"} 0
# HELP portcullis_audit_last_timestamp_seconds When the latest self-audit of each site ended, Unix seconds.
# TYPE portcullis_audit_last_timestamp_seconds gauge
portcullis_audit_last_timestamp_seconds{site="app"} 1.7723664005e+09
portcullis_audit_last_timestamp_seconds{site="old"} 1.7723664005e+09
`
	if err := promtest.CollectAndCompare(m, strings.NewReader(want), "portcullis_audit_grade_letter", "portcullis_audit_last_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.auditGrade.WithLabelValues("app"), 86},
		{m.auditGrade.WithLabelValues("old"), -1},
		{m.auditFindings.WithLabelValues("app", "medium"), 1},
		{m.auditFindings.WithLabelValues("app", "info"), 2},
		{m.auditFindings.WithLabelValues("app", "critical"), 0},
	} {
		if got := promtest.ToFloat64(tc.c); got != tc.want {
			t.Errorf("got %v, want %v", got, tc.want)
		}
	}
	if n := promtest.CollectAndCount(m, "portcullis_audit_findings"); n != 10 {
		t.Errorf("%d findings series, want every severity of both sites", n)
	}
	m.Retain([]string{"app"})
	for _, name := range []string{"portcullis_audit_grade", "portcullis_audit_grade_letter", "portcullis_audit_last_timestamp_seconds"} {
		if n := promtest.CollectAndCount(m, name); n != 1 {
			t.Errorf("%s: %d series after Retain, want app's", name, n)
		}
	}
	if problems, err := promtest.CollectAndLint(m); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}
