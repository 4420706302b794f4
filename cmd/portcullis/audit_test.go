package main

import (
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/report"
)

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestAuditServedSite runs `portcullis serve` for a site name with a
// hardened policy, then `portcullis audit` against it through --resolve,
// as one would before DNS points at a new server: A+ and nothing above
// informational.
func TestAuditServedSite(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "Throwaway Test CA")
	certFile, keyFile := ca.WriteLeaf(t, dir, "shop", []string{"shop.test"}, time.Now().Add(-time.Hour), time.Now().Add(80*day))
	caFile := ca.WriteRoot(t, dir)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "x", Path: "/"})
		fmt.Fprint(w, "<!doctype html><title>shop</title>")
	}))
	defer app.Close()
	httpsAddr, httpAddr := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`
[listen]
https = %q
http = %q
admin = "off"

[[site]]
hosts = ["shop.test"]
upstream = %q
[site.cert]
source = "files"
cert = %q
key = %q
[site.policy.hsts]
preload = true
[site.policy.csp]
policy = "strict"
[site.policy.security_txt]
contact = ["mailto:security@shop.test"]
`, httpsAddr, httpAddr, app.URL, certFile, keyFile))
	done := make(chan int, 1)
	var out, errs testutil.Buffer
	go func() {
		done <- run([]string{"serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--log", "json"}, &out, &errs)
	}()
	testutil.Eventually(t, 15*time.Second, "serve up", func() bool { return strings.Contains(out.String(), "health: http://") })
	defer func() {
		signalSelf(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()

	_, httpsPort, _ := net.SplitHostPort(httpsAddr)
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	code, o, e := runCLI(t, "audit", "--ca", caFile, "--format", "json", "--fail-under", "A+", "--paths", "/login",
		"--resolve", "shop.test:"+httpsPort+":127.0.0.1", "--resolve", "shop.test:"+httpPort+":127.0.0.1",
		"--http-port", httpPort, "https://shop.test:"+httpsPort)
	var doc report.Document
	if err := json.Unmarshal([]byte(o), &doc); err != nil || doc.Schema != report.Schema || len(doc.Targets) != 1 {
		t.Fatalf("audit output (exit %d): %v\n%s\n%s", code, err, o, e)
	}
	r := doc.Targets[0]
	for _, f := range r.Findings {
		if f.Severity > 0 {
			t.Errorf("finding above informational: %+v", f)
		}
	}
	if code != 0 || r.Grade.Letter != "A+" || r.Certificate == nil || !r.Certificate.Trusted || !r.Audited {
		t.Errorf("exit %d, grade %+v, cert %+v\n%s", code, r.Grade, r.Certificate, e)
	}
}

func TestAuditUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit"}, "at least one target"},
		{[]string{"audit", "--format", "xml", "example.com"}, "unknown format"},
		{[]string{"audit", "--format", "SARIF", "example.com"}, "use text, json, markdown, html, junit, sarif"},
		{[]string{"audit", "--fail-under", "Z", "example.com"}, "not a grade"},
		{[]string{"audit", "--resolve", "nope", "example.com"}, "NAME:PORT:ADDR"},
		{[]string{"audit", "--pin", "sha1/x", "example.com"}, "sha256/"},
		{[]string{"audit", "--paths", "login", "example.com"}, "does not start with /"},
		{[]string{"audit", "ftp://example.com"}, "not a URL"},
		{[]string{"audit", "--progress", "sometimes", "example.com"}, "use auto, always or never"},
		{[]string{"audit", "--origin", "a:b:c", "example.com"}, "--origin"},
		{[]string{"audit", "--origin", "192.0.2.1:0", "example.com"}, "--origin"},
		{[]string{"audit", "--dns", "127.0.0.1", "example.com"}, "--dns"},
	} {
		code, _, e := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(e, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, e)
		}
	}
}

// TestAuditUnreachable: a target nothing answers for fails the run.
func TestAuditUnreachable(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	code, o, _ := runCLI(t, "audit", "--timeout", "2s", "--http-port", port, "https://127.0.0.1:"+port)
	if code != 1 || !strings.Contains(o, "error:") {
		t.Errorf("exit %d:\n%s", code, o)
	}
}

// tlsSite serves handler over HTTPS on loopback until the test ends, and
// returns the server, a file holding its certificate (for --ca) and a
// free port with nothing on it (for --http-port).
func tlsSite(t *testing.T, handler http.HandlerFunc) (srv *httptest.Server, caFile, httpPort string) {
	t.Helper()
	srv = httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, httpPort, _ = net.SplitHostPort(freeAddr(t))
	return srv, caFile, httpPort
}

// TestAuditFormats audits one loopback TLS server in every format, to
// files with --out: each is well-formed and they agree on the findings.
func TestAuditFormats(t *testing.T) {
	t.Parallel()
	srv, caFile, httpPort := tlsSite(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "x", Path: "/"})
		fmt.Fprint(w, "<!doctype html><title>app</title>")
	})
	dir := t.TempDir()

	out := map[string]string{}
	for _, format := range report.Formats() {
		file := filepath.Join(dir, "report."+format)
		code, o, e := runCLI(t, "audit", "--ca", caFile, "--timeout", "5s", "--http-port", httpPort, "--format", format, "--out", file, srv.URL)
		b, err := os.ReadFile(file)
		if code != 0 || err != nil || o != "" || len(b) == 0 {
			t.Fatalf("%s: exit %d, %v, stdout %q\n%s", format, code, err, o, e)
		}
		out[format] = string(b)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(out["json"]), &doc); err != nil || len(doc.Targets) != 1 || !doc.Targets[0].Audited {
		t.Fatalf("json: %v\n%s", err, out["json"])
	}
	tr := doc.Targets[0]
	hasCookie := false
	for _, f := range tr.Findings {
		hasCookie = hasCookie || f.Rule == "cookie.secure-missing"
	}
	if !hasCookie || tr.Grade.Letter == "A+" {
		t.Errorf("json: grade %s, findings %+v", tr.Grade.Letter, tr.Findings)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out["sarif"]), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 ||
		len(sarif.Runs[0].Results) != len(tr.Findings) {
		t.Errorf("sarif: %v, %+v", err, sarif)
	}
	var junit struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out["junit"]), &junit); err != nil || len(junit.Suites) != 1 || junit.Suites[0].Failures == 0 {
		t.Errorf("junit: %v, %+v", err, junit)
	}
	for format, want := range map[string]string{
		"text":     "grade " + tr.Grade.Letter,
		"markdown": "- [ ] Cookies have the Secure flag",
		"html":     `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
	} {
		if !strings.Contains(out[format], want) {
			t.Errorf("%s lacks %q:\n%s", format, want, out[format])
		}
	}
}

// TestAuditProgress: --progress always writes a line per finished target
// and a summary to standard error (not a terminal here), leaving the
// report on standard output untouched.
func TestAuditProgress(t *testing.T) {
	a, b := freeAddr(t), freeAddr(t)
	_, pa, _ := net.SplitHostPort(a)
	_, pb, _ := net.SplitHostPort(b)
	code, o, e := runCLI(t, "audit", "--progress", "always", "--timeout", "2s", "--format", "json", "https://127.0.0.1:"+pa, "https://127.0.0.1:"+pb)
	if code != 1 || !strings.Contains(e, "[1/2] 127.0.0.1:") || !strings.Contains(e, "[2/2] 127.0.0.1:") ||
		!strings.Contains(e, "audited 2 targets in") || !strings.Contains(e, "2 unreachable") || strings.Contains(e, "\x1b") {
		t.Errorf("exit %d, stderr:\n%s", code, e)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(o), &doc); err != nil || len(doc.Targets) != 2 {
		t.Errorf("stdout is not the JSON report: %v\n%s", err, o)
	}
	// auto, with standard error not a terminal: nothing.
	if _, _, e := runCLI(t, "audit", "--timeout", "2s", "https://127.0.0.1:"+pa, "https://127.0.0.1:"+pb); strings.Contains(e, "[1/2]") {
		t.Errorf("progress shown off a terminal:\n%s", e)
	}
}

// TestAuditProgressTerminal: on a terminal, one status line redrawn in
// place, then the summary of grades on a clean line.
func TestAuditProgressTerminal(t *testing.T) {
	var buf strings.Builder
	p := newAuditProgress(&buf, true)
	a := audit.Target{Host: "a.test", HTTPSPort: 443}
	b := audit.Target{Host: "b.test", HTTPSPort: 443}
	ra := audit.Report{Target: "a.test", Grade: grade.Grade{Letter: "A+"}, Cert: &cert.Info{}}
	rb := audit.Report{Target: "b.test", Errors: []string{"connection refused"}}
	p.update(audit.Progress{Started: 1, Total: 2, Target: a})
	p.update(audit.Progress{Started: 2, Total: 2, Target: b})
	p.update(audit.Progress{Started: 2, Done: 1, Total: 2, Target: a, Report: &ra})
	p.update(audit.Progress{Started: 2, Done: 2, Total: 2, Target: b, Report: &rb})
	got := buf.String()
	for _, want := range []string{"\r\x1b[Kauditing [0/2] 2 running", "\r\x1b[Kauditing [1/2] 1 running · a.test: A+",
		"b.test: connection refused", "\r\x1b[Kaudited 2 targets in ", ": 1 A+, 1 unreachable\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%q", want, got)
		}
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("the status line must be redrawn, not scrolled:\n%q", got)
	}
}

// TestAuditInPart: a target audited only in part (here a page of --paths
// whose connection drops) exits 1 even with no --fail-under, and its
// report names the error: its grade leaves out what could not be checked.
func TestAuditInPart(t *testing.T) {
	t.Parallel()
	srv, caFile, httpPort := tlsSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprint(w, "<!doctype html><title>app</title>")
	})
	for _, paths := range []string{"/", "/broken"} {
		code, o, e := runCLI(t, "audit", "--ca", caFile, "--timeout", "5s", "--http-port", httpPort, "--format", "json", "--paths", paths, srv.URL)
		var doc report.Document
		if err := json.Unmarshal([]byte(o), &doc); err != nil || len(doc.Targets) != 1 {
			t.Fatalf("--paths %s: exit %d, %v\n%s\n%s", paths, code, err, o, e)
		}
		r := doc.Targets[0]
		wantCode, wantErrs := 0, 0
		if paths == "/broken" {
			wantCode, wantErrs = 1, 1
		}
		if code != wantCode || len(r.Errors) != wantErrs || !r.Audited || r.Grade.Letter == "" {
			t.Errorf("--paths %s: exit %d, errors %q, audited %t, grade %q; want exit %d, %d error(s)\n%s", paths, code, r.Errors, r.Audited, r.Grade.Letter, wantCode, wantErrs, e)
		}
		if wantErrs > 0 && (!strings.Contains(r.Errors[0], "/broken") || !strings.Contains(e, "audited only in part")) {
			t.Errorf("the error does not name the page, or stderr does not say why it failed: %q\n%s", r.Errors, e)
		}
	}
}

// TestAuditNotAuditedJSON: a target nothing answers for is "not audited"
// in JSON too: no grade object (null) and the status says so.
func TestAuditNotAuditedJSON(t *testing.T) {
	t.Parallel()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	code, o, e := runCLI(t, "audit", "--timeout", "2s", "--http-port", port, "--format", "json", "https://127.0.0.1:"+port)
	var doc struct {
		Targets []map[string]json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal([]byte(o), &doc); err != nil || len(doc.Targets) != 1 {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, o, e)
	}
	tr := doc.Targets[0]
	if code != 1 || string(tr["grade"]) != "null" || string(tr["status"]) != `"not-audited"` || string(tr["audited"]) != "false" {
		t.Errorf("exit %d, grade %s, status %s, audited %s", code, tr["grade"], tr["status"], tr["audited"])
	}
}
