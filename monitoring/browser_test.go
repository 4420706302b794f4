package monitoring_test

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// TestBrowserReportsCSPViolation: a page behind `portcullis serve` breaks
// its CSP in a real Chromium; the browser reports the violation to the
// collector portcullis points the policy at by default (report-uri,
// report-to and Reporting-Endpoints), and `portcullis reports` and
// /metrics show it, aggregated, with the document path only.
func TestBrowserReportsCSPViolation(t *testing.T) {
	ip := e2e.RandomLoopback()
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>violation</title><h1>hello</h1><img src="https://images.example/pixel.png" alt="">`)
	}), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	site := e2e.NewSite(t, "app.test")
	https, admin := e2e.FreeAddr(t, ip), e2e.FreeAddr(t, netip.MustParseAddr("127.0.0.1"))
	serve := e2e.StartServe(t, fmt.Sprintf(`
[listen]
https = %q
http = %q
admin = %q

[defaults.csp]
policy = "strict"

[[site]]
name = "app"
hosts = ["app.test"]
upstream = "http://%s"
%s`, https, e2e.FreeAddr(t, ip), admin, ln.Addr(), site.CertTOML()))

	b := browsertest.New(t, browsertest.Options{
		Hosts: map[string]netip.Addr{"app.test": ip},
		Roots: []*x509.Certificate{site.CA.Cert},
		// Reporting API uploads are batched for a minute by default.
		Flags: []string{"short-reporting-delay"},
	})
	_, port, _ := net.SplitHostPort(https)
	nav := b.Navigate("https://app.test:" + port + "/page?token=secret")
	if nav.Err != "" || nav.Final().Status != 200 {
		t.Fatalf("navigation:\n%s", nav)
	}
	policy := nav.Final().Header.Get("Content-Security-Policy")
	if !strings.Contains(policy, "report-uri /_portcullis/reports") || !strings.Contains(policy, "report-to ") ||
		!strings.Contains(nav.Final().Header.Get("Reporting-Endpoints"), `"/_portcullis/reports"`) {
		t.Fatalf("the policy does not report to the collector: %q, Reporting-Endpoints %q", policy, nav.Final().Header.Get("Reporting-Endpoints"))
	}

	var aggs []store.Aggregate
	deadline := time.Now().Add(30 * time.Second)
	for len(aggs) == 0 && time.Now().Before(deadline) {
		// Not testutil.Eventually: each poll starts a process, and
		// Eventually polls every 5 ms.
		time.Sleep(250 * time.Millisecond)
		code, out, errs := e2e.Run(t, "reports", "--data", serve.Data, "--format", "json")
		if code != 0 {
			t.Fatalf("portcullis reports: exit %d\n%s", code, errs)
		}
		if err := json.Unmarshal([]byte(out), &aggs); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	if len(aggs) != 1 {
		t.Fatalf("aggregates %+v; the browser said:\n%v", aggs, b.Messages())
	}
	a := aggs[0]
	if a.Site != "app" || a.Type != "csp-violation" || a.Directive != "img-src" || a.Blocked != "https://images.example" ||
		a.Document != "/page" || a.Count < 1 {
		t.Errorf("aggregate %+v", a)
	}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(scrape), `portcullis_csp_reports_total{directive="img-src",site="app"}`) {
		t.Errorf("/metrics has no CSP report for img-src:\n%s", grep(string(scrape), "portcullis_csp_reports_total"))
	}
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
