package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
)

// TestReports: a CSP report a site received is listed by `portcullis
// reports`, from the running serve through its control socket, and from
// the store itself once the serve has stopped.
func TestReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, data := filepath.Join(dir, "portcullis.toml"), datadir.Dir(filepath.Join(dir, "data"))
	toml := localSiteTOML(t, "localhost")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	serve := startServe(t, "--config", cfg, "--data", data.String(), "--log", "json")

	_, httpsRest, _ := strings.Cut(toml, "https = \"")
	httpsAddr, _, _ := strings.Cut(httpsRest, "\"")
	chain, err := certs.ReadChain(data.Root())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(chain[0])
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 10 * time.Second}
	body := `{"csp-report":{"document-uri":"https://localhost/page?secret=1","violated-directive":"script-src-elem","effective-directive":"script-src-elem","blocked-uri":"https://evil.example/x.js","original-policy":"script-src 'self'","disposition":"enforce","status-code":200}}`
	_, port, _ := strings.Cut(httpsAddr, ":")
	resp, err := client.Post("https://localhost:"+port+"/_portcullis/reports", "application/csp-report", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report: %s", resp.Status)
	}

	check := func(when string) {
		t.Helper()
		var aggs []store.Aggregate
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, out, errs := e2e.Run(t, "reports", "--data", data.String(), "--format", "json")
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", when, code, out, errs)
			}
			if err := json.Unmarshal([]byte(out), &aggs); err != nil {
				t.Fatalf("%s: %v\n%s", when, err, out)
			}
			if len(aggs) > 0 || time.Now().After(deadline) { // the store's queue writes in batches
				break
			}
			// Not testutil.Eventually: each poll starts a process, and
			// Eventually polls every 5 ms.
			time.Sleep(100 * time.Millisecond)
		}
		if len(aggs) != 1 || aggs[0].Count != 1 || aggs[0].Directive != "script-src-elem" || aggs[0].Blocked != "https://evil.example" ||
			aggs[0].Document != "/page" || aggs[0].Type != "csp-violation" {
			t.Errorf("%s: aggregates %+v", when, aggs)
		}
		code, out, _ := e2e.Run(t, "reports", "--data", data.String())
		if code != 0 || !strings.Contains(out, "COUNT") || !strings.Contains(out, "script-src-elem") || strings.Contains(out, "secret") {
			t.Errorf("%s: text listing (exit %d):\n%s", when, code, out)
		}
	}
	check("from the running serve")
	if err := serve.Stop(); err != nil {
		t.Fatal(err)
	}
	check("from the store")
	if code, _, errs := e2e.Run(t, "reports", "--data", data.String(), "--format", "yaml"); code != 2 || !strings.Contains(errs, "--format") {
		t.Errorf("bad format: exit %d, %s", code, errs)
	}
}

// TestCATrustBrowsers: `ca install --skip-system` puts the local CA's root
// in the user's Chromium NSS database (created when absent), and `ca
// uninstall` takes it out again; the system store is left alone (tested
// in a sandbox by package truststore).
func TestCATrustBrowsers(t *testing.T) {
	t.Parallel()
	certutil := e2e.Need(t, "certutil", "apt-get install libnss3-tools")
	home, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(e2e.Portcullis(t), args...)
		cmd.Env = append(os.Environ(), "HOME="+home)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	listed := func() string {
		out, err := exec.Command(certutil, "-L", "-d", "sql:"+filepath.Join(home, ".pki", "nssdb")).CombinedOutput()
		if err != nil {
			t.Fatalf("certutil -L: %v\n%s", err, out)
		}
		return string(out)
	}
	code, out, errs := run("ca", "install", "--skip-system", "--data", data)
	if code != 0 || !strings.Contains(out, "Chromium") || !strings.Contains(out, "added") {
		t.Fatalf("ca install: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(listed(), "portcullis-") {
		t.Errorf("the root is not in the NSS database:\n%s", listed())
	}
	if code, out, _ = run("ca", "install", "--skip-system", "--data", data); code != 0 || !strings.Contains(out, "already") {
		t.Errorf("second install: exit %d\n%s", code, out)
	}
	if code, out, errs = run("ca", "uninstall", "--skip-system", "--data", data); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("ca uninstall: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(listed(), "portcullis-") {
		t.Errorf("the root is still in the NSS database:\n%s", listed())
	}
	if code, _, errs = run("ca", "uninstall", "--skip-system", "--data", filepath.Join(t.TempDir(), "none")); code != 1 || !strings.Contains(errs, "no local CA") {
		t.Errorf("uninstall without a CA: exit %d, %s", code, errs)
	}
}

// TestAuditConfig: with --config, the review's considerations for
// production say what the configuration does (who renews the
// certificates, where alerts go), beside what the audit observed; a bad
// file fails before anything is audited.
func TestAuditConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, data := filepath.Join(dir, "portcullis.toml"), datadir.Dir(filepath.Join(dir, "data"))
	toml := localSiteTOML(t, "localhost")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	startServe(t, "--config", cfg, "--data", data.String())
	_, httpsRest, _ := strings.Cut(toml, "https = \"")
	httpsAddr, _, _ := strings.Cut(httpsRest, "\"")
	_, port, _ := strings.Cut(httpsAddr, ":")
	code, out, errs := e2e.Run(t, "audit", "https://localhost:"+port+"/", "--ca", data.Root(), "--config", cfg, "--format", "markdown", "--progress", "never")
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, errs)
	}
	for _, want := range []string{"Considerations for production", "Configured", "local CA, renewed by portcullis", "has no \\[alerts\\] webhook", "the admin listener is off"} {
		if !strings.Contains(out, want) {
			t.Errorf("the review lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[[site]]\nbogus = 1\n"), 0o644)
	if code, _, errs := e2e.Run(t, "audit", "https://localhost:"+port+"/", "--config", bad); code != 2 || !strings.Contains(errs, "bad.toml:2") {
		t.Errorf("bad --config: exit %d, %s", code, errs)
	}
}

// TestZeroConfigMonitoring is issue 14's "done means": `portcullis serve`
// with no configuration and an admin listener accepts a CSP report and a
// Reporting API report on the demo site, refuses junk and a 2 MB body,
// and /metrics counts the reports, a refused Host and the requests.
func TestZeroConfigMonitoring(t *testing.T) {
	t.Parallel()
	lo := netip.MustParseAddr("127.0.0.1")
	https, plain, admin := e2e.FreeAddr(t, lo), e2e.FreeAddr(t, lo), e2e.FreeAddr(t, lo)
	data := datadir.Dir(filepath.Join(t.TempDir(), "data"))
	startServe(t, "--data", data.String(), "--https", https, "--http", plain, "--admin", admin)
	chain, err := certs.ReadChain(data.Root())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(chain[0])
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 10 * time.Second}
	_, port, _ := strings.Cut(https, ":")
	collector := "https://localhost:" + port + "/_portcullis/reports"
	post := func(ctype, body string) int {
		t.Helper()
		resp, err := client.Post(collector, ctype, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name, ctype, body string
		want              int
	}{
		{"CSP report", "application/csp-report",
			`{"csp-report":{"document-uri":"https://localhost/","violated-directive":"img-src","effective-directive":"img-src","blocked-uri":"https://cdn.example/a.png","original-policy":"img-src 'self'","disposition":"enforce"}}`, 204},
		{"Reporting API report", "application/reports+json",
			`[{"type":"csp-violation","age":1,"url":"https://localhost/login","user_agent":"test","body":{"documentURL":"https://localhost/login","blockedURL":"inline","effectiveDirective":"script-src-elem","originalPolicy":"script-src 'self'","disposition":"enforce","statusCode":200}}]`, 204},
		{"junk", "application/csp-report", "this is not JSON", 400},
		{"2 MB", "application/reports+json", strings.Repeat("[", 2<<20), 413},
	} {
		if got := post(tt.ctype, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	// A Host no site serves.
	req, _ := http.NewRequest("GET", "http://"+plain+"/", nil)
	req.Host = "evil.example"
	if resp, err := http.DefaultTransport.RoundTrip(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	var scrape string
	testutil.Eventually(t, 10*time.Second, "the reports counted on /metrics", func() bool {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		scrape = string(b)
		return strings.Contains(scrape, `portcullis_csp_reports_total{directive="script-src-elem"`)
	})
	for _, want := range []string{
		`portcullis_csp_reports_total{directive="img-src",site="localhost"} 1`,
		`portcullis_csp_reports_total{directive="script-src-elem",site="localhost"} 1`,
		`portcullis_security_events_total{kind="host.rejected",severity="low",site=""}`,
		`portcullis_http_requests_total{code="204",method="POST",site="localhost"} 2`,
	} {
		if !strings.Contains(scrape, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", scrape)
	}
}

// TestZeroConfigDashboard is issue 15's "done means": with no
// configuration and an admin listener, GET / there is the HTML dashboard
// under a Content-Security-Policy, and /api/v1/audits lists a self-audit
// of the demo site within seconds of the start.
func TestZeroConfigDashboard(t *testing.T) {
	t.Parallel()
	lo := netip.MustParseAddr("127.0.0.1")
	https, plain, admin := e2e.FreeAddr(t, lo), e2e.FreeAddr(t, lo), e2e.FreeAddr(t, lo)
	startServe(t, "--data", filepath.Join(t.TempDir(), "data"), "--https", https, "--http", plain, "--admin", admin)

	resp, err := http.Get("http://" + admin + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(string(page), "<html") {
		t.Fatalf("GET / on the admin listener: %s, %q, CSP %q\n%.300s", resp.Status, resp.Header.Get("Content-Type"), csp, page)
	}

	var audits struct {
		Audits []struct {
			Site, Grade string
			Score       int
		}
	}
	testutil.Eventually(t, 20*time.Second, "the demo site's self-audit in /api/v1/audits", func() bool {
		resp, err := http.Get("http://" + admin + "/api/v1/audits")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&audits)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("/api/v1/audits: %s, %v", resp.Status, err)
		}
		return len(audits.Audits) > 0
	})
	if len(audits.Audits) != 1 || audits.Audits[0].Site != "localhost" || audits.Audits[0].Grade == "" {
		t.Fatalf("audits %+v, want the demo site's self-audit", audits.Audits)
	}
	t.Logf("the demo site's self-audit: %s (%d)", audits.Audits[0].Grade, audits.Audits[0].Score)
}
