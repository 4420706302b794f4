package monitoring

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
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/server"
)

const (
	dashboardFile = "grafana-dashboard.json"
	rulesFile     = "prometheus-rules.yml"
	rulesTestFile = "prometheus-rules.test.yml"
	promtoolHint  = "Debian's prometheus package has it: apt-get install prometheus (scripts/setup.sh)"
)

// promtool runs promtool with args (and stdin), failing the test with its
// output when it fails.
func promtool(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(e2e.Need(t, "promtool", promtoolHint), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRules: the rules file is valid, and its unit tests (synthetic series
// for the certificate, upstream, TLS, security, reload and scrape alerts)
// pass.
func TestRules(t *testing.T) {
	t.Parallel()
	promtool(t, nil, "check", "rules", rulesFile)
	promtool(t, nil, "test", "rules", rulesTestFile)
}

// TestRulesTested: every alert of the rules file is either unit-tested or
// listed here as untested, so a new alert gets a test or a decision.
func TestRulesTested(t *testing.T) {
	untested := []string{"PortcullisCertificateRenewalFailing", "PortcullisBackupFailed", "PortcullisAlertsDropped", "PortcullisAbsent"}
	rules, tests := read(t, rulesFile), read(t, rulesTestFile)
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: (\S+)`).FindAllStringSubmatch(rules, -1) {
		if !strings.Contains(tests, "alertname: "+m[1]+"\n") && !slices.Contains(untested, m[1]) {
			t.Errorf("alert %s has no unit test in %s", m[1], rulesTestFile)
		}
	}
}

// dashboard is the part of Grafana's dashboard model the tests read.
type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos struct {
			X, Y, W, H int
		} `json:"gridPos"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(read(t, dashboardFile)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// TestDashboard: the dashboard is well-formed: unique panel ids, every
// panel on the 24-column grid with a query on the data source variable,
// and the panels the monitoring docs promise.
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q", d.UID, d.Title)
	}
	ids := map[int]bool{}
	var titles []string
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
			t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		titles = append(titles, p.Title)
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %q, %d targets", p.Title, p.Datasource.UID, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" {
				t.Errorf("panel %q: target %+v", p.Title, tg)
			}
		}
	}
	for _, want := range []string{"Requests by site and status", "Latency percentiles", "Upstream errors", "TLS handshakes by result",
		"Security events by kind", "CSP reports by directive", "Certificate days left", "Reloads", "Backups"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no panel %q", want)
		}
	}
}

// metricNames are the portcullis_* names in s.
var metricNames = regexp.MustCompile(`\bportcullis_[a-zA-Z0-9_]+`)

// usedNames returns the portcullis_* metric names the dashboard's queries
// and the rules file use, each with where it is used.
func usedNames(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	d := readDashboard(t)
	for _, v := range d.Templating.List {
		for _, n := range metricNames.FindAllString(v.Definition, -1) {
			used[n] = dashboardFile + ": variable " + v.Name
		}
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, n := range metricNames.FindAllString(tg.Expr, -1) {
				used[n] = dashboardFile + ": panel " + p.Title
			}
		}
	}
	for _, n := range metricNames.FindAllString(read(t, rulesFile), -1) {
		used[n] = rulesFile
	}
	return used
}

// TestScrape runs a real server, makes a normal request, one for a Host no
// site serves, one its upstream fails, a TLS handshake it refuses and a
// CSP report to its collector, scrapes the admin listener, lints the
// scrape with promtool check metrics, and checks that every metric name
// the dashboard and the rules use is in it, with the values those
// requests made.
func TestScrape(t *testing.T) {
	t.Parallel()
	need := e2e.Need(t, "promtool", promtoolHint)
	srv := startServer(t)
	client := httpsClient(srv)
	const report = `{"csp-report": {"document-uri": "https://app.localhost/", "effective-directive": "script-src-elem",
		"violated-directive": "script-src-elem", "blocked-uri": "inline", "disposition": "enforce"}}`
	for _, c := range []struct {
		method, host, path string
		want               int
	}{
		{"GET", "app.localhost", "/", http.StatusOK},
		{"GET", "nowhere.example", "/", http.StatusBadRequest},
		{"GET", "down.localhost", "/", http.StatusBadGateway},
		{"POST", "app.localhost", "/_portcullis/reports", http.StatusNoContent},
	} {
		req, _ := http.NewRequest(c.method, "https://"+srv.HTTPSAddr()+c.path, strings.NewReader(report))
		req.Host = c.host
		req.Header.Set("Content-Type", "application/csp-report")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("%s %s%s: %d, want %d", c.method, c.host, c.path, resp.StatusCode, c.want)
		}
	}
	if conn, err := tls.Dial("tcp", srv.HTTPSAddr(), &tls.Config{ServerName: "app.localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	var scrape string
	want := []string{
		`portcullis_http_requests_total{code="200",method="GET",site="app"} 1`,
		`portcullis_http_requests_total{code="204",method="POST",site="app"} 1`,
		`portcullis_http_requests_total{code="400",method="GET",site=""} 1`,
		`portcullis_http_requests_total{code="502",method="GET",site="down"} 1`,
		`portcullis_upstream_errors_total{kind="failed",site="down"} 1`,
		`portcullis_security_events_total{kind="host.rejected",severity="low",site=""} 1`,
		`portcullis_tls_handshakes_total{result="protocol",version="TLS 1.1"} 1`,
		`portcullis_tls_handshakes_total{result="ok",version="TLS 1.3"} 1`,
		`portcullis_csp_reports_total{directive="script-src-elem",site="app"} 1`,
		`portcullis_http_request_duration_seconds_count{site="app"} 2`,
		`portcullis_cluster_up 1`,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		scrape = get(t, "http://"+srv.AdminAddr()+server.MetricsPath)
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(scrape, w+"\n") })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scrape lacks %q:\n%s", missing, scrape)
		}
		time.Sleep(20 * time.Millisecond)
	}

	cmd := exec.Command(need, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	exposed := map[string]bool{}
	for _, line := range strings.Split(scrape, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		exposed[line[:strings.IndexAny(line, "{ ")]] = true
	}
	used := usedNames(t)
	if len(used) < 10 {
		t.Fatalf("only %d metric names found in the dashboard and rules: %v", len(used), used)
	}
	for name, where := range used {
		if !exposed[name] {
			t.Errorf("%s uses %s, which the server does not expose", where, name)
		}
	}
}

// startServer runs a server in cluster mode (a redis-server of its own)
// with two sites on the local CA: "app" in
// front of a working upstream, "down" in front of a closed port.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(up.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "127.0.0.1:0"

[audit]            # the counts below are this test's requests only
enabled = false

[cluster]          # so that the cluster's metrics are in the scrape too
redis = %q
key = "monitoring-test-cluster-key-of-32-bytes-at-least"

[[site]]
name = "app"
hosts = ["app.localhost"]
upstream = %q

[[site]]
name = "down"
hosts = ["down.localhost"]
upstream = "http://%s"
`, redistest.Start(t).URL(), up.URL, closed))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Options{DataDir: filepath.Join(dir, "data"), AccessLog: io.Discard,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	return srv
}

// httpsClient trusts the server's local CA and names app.localhost in
// every handshake; the requests' Host headers choose the site.
func httpsClient(srv *server.Server) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: srv.LocalCA().RootPool(), ServerName: "app.localhost"},
		ForceAttemptHTTP2: true,
	}}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
