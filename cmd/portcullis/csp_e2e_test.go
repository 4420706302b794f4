package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/store"
)

// pixel is a 1×1 PNG.
var pixel, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// serveTLS serves h over TLS on a free loopback port with a certificate
// for name from the test CA, until the test ends; it returns the port.
func serveTLS(t *testing.T, site *e2e.Site, name string, h http.Handler) string {
	t.Helper()
	cert := site.CA.Leaf(t, []string{name}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// fixed answers one fixed body with a content type.
func fixed(ct string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Write(body)
	})
}

// TestCSPLearnSuggestEnforceInBrowser is issue 18 end to end, in a real
// Chromium: an app with an inline script, a script and a stylesheet from
// a second origin and an image from a third runs behind `portcullis
// serve` in learning mode; the browser reports what the strict candidate
// would block; `csp suggest` (from the reports, then with a crawl)
// proposes exactly those origins and the inline script's hash; with that
// policy enforced (`portcullis reload`) the page works with no error in
// the browser, and `portcullis audit` finds nothing above informational
// in the CSP.
func TestCSPLearnSuggestEnforceInBrowser(t *testing.T) {
	ip := e2e.LoopbackHost(t)
	site := e2e.NewSite(t, "app.test")
	cdnPort := serveTLS(t, site, "cdn.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/lib.js":
			fixed("text/javascript", []byte("window.libRan = true;\n")).ServeHTTP(w, r)
		case "/style.css":
			fixed("text/css", []byte("#title { color: rgb(1, 2, 3); }\n")).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	imgPort := serveTLS(t, site, "img.test", fixed("image/png", pixel))
	cdn, img := "https://cdn.test:"+cdnPort, "https://img.test:"+imgPort

	const inline = "document.getElementById('inline').textContent = 'inline ran' + (window.libRan ? ' after lib' : '');"
	page := fmt.Sprintf(`<!doctype html>
<html><head><meta charset="utf-8"><title>csp app</title>
<link rel="stylesheet" href="%[1]s/style.css">
<script src="%[1]s/lib.js"></script>
</head><body>
<h1 id="title">csp app</h1>
<p id="inline">inline did not run</p>
<img id="logo" src="%[2]s/logo.png" alt="logo" width="1" height="1">
<script>%[3]s</script>
</body></html>
`, cdn, img, inline)
	app := http.NewServeMux()
	app.Handle("GET /{$}", fixed("text/html; charset=utf-8", []byte(page)))
	app.Handle("GET /favicon.ico", fixed("image/png", pixel))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
	go upstream.Serve(ln)
	t.Cleanup(func() { upstream.Close() })

	config := func(csp string) string {
		return fmt.Sprintf(`
[listen]
https = "%[1]s:443"
http = "%[1]s:80"
admin = "off"

[[site]]
name = "app"
hosts = ["app.test"]
upstream = "http://%[2]s"

%[3]s
%[4]s`, ip, ln.Addr(), site.CertTOML(), csp)
	}
	serve := e2e.StartServe(t, config("[site.policy.csp]\nlearn = true\nlearn_sample = 1.0\n"))
	hosts := map[string]netip.Addr{"app.test": ip, "cdn.test": netip.MustParseAddr("127.0.0.1"), "img.test": netip.MustParseAddr("127.0.0.1")}

	// 1. Learn: the page works (report-only blocks nothing) and carries
	// the strict candidate; the browser reports what it would block.
	b := browsertest.New(t, browsertest.Options{Hosts: hosts, Roots: []*x509.Certificate{site.CA.Cert}, Flags: []string{"short-reporting-delay"}})
	nav := b.Navigate("https://app.test/")
	if nav.Err != "" || nav.Final().Status != 200 {
		t.Fatalf("navigation:\n%s", nav)
	}
	learning := nav.Final().Header.Get("Content-Security-Policy-Report-Only")
	if !strings.HasPrefix(learning, "default-src 'self'; script-src 'self' 'report-sample'; ") || !strings.Contains(learning, "report-to csp-endpoint") {
		t.Fatalf("the learning policy: %q", learning)
	}
	b.WaitText("#inline", "inline ran after lib")

	want := map[string]bool{ // directive + blocked
		"script-src-elem " + cdn: true, "style-src-elem " + cdn: true, "img-src " + img: true, "script-src-elem inline": true,
	}
	var aggs []store.Aggregate
	deadline := time.Now().Add(45 * time.Second)
	for {
		code, out, errs := e2e.Run(t, "reports", "--data", serve.Data, "--type", "csp-violation", "--format", "json")
		if code != 0 {
			t.Fatalf("portcullis reports: exit %d\n%s", code, errs)
		}
		if err := json.Unmarshal([]byte(out), &aggs); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		got := map[string]bool{}
		for _, a := range aggs {
			got[a.Directive+" "+a.Blocked] = true
		}
		if len(got) == len(want) && func() bool {
			for k := range want {
				if !got[k] {
					return false
				}
			}
			return true
		}() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reports %+v, want %v; the browser said:\n%v", aggs, want, b.Messages())
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, a := range aggs {
		if a.Site != "app" || a.Document != "/" || a.Disposition != "report" {
			t.Errorf("aggregate %+v: want site app, document /, disposition report", a)
		}
	}
	sum := sha256.Sum256([]byte(inline))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	// Chromium names the hash that would allow the inline script: ours.
	if !strings.Contains(fmt.Sprint(b.Messages()), "a hash ("+hash+")") {
		t.Errorf("Chromium's message does not name the hash %s:\n%v", hash, b.Messages())
	}

	// 2. Suggest, from the reports alone: the origins, and the inline
	// script as a change (its sample cannot be hashed).
	origins := "default-src 'self'; script-src 'self' " + cdn + "; style-src 'self' " + cdn + "; img-src 'self' " + img +
		"; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
	withHash := "default-src 'self'; script-src 'self' " + cdn + " " + hash + "; style-src 'self' " + cdn + "; img-src 'self' " + img +
		"; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
	suggest := func(args ...string) cspsuggest.Suggestion {
		t.Helper()
		code, out, errs := e2e.Run(t, append([]string{"csp", "suggest", "--format", "json"}, args...)...)
		var got []cspsuggest.Suggestion
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 {
			t.Fatalf("csp suggest %q: exit %d, %v\n%s\n%s", args, code, err, out, errs)
		}
		return got[0]
	}
	fromReports := suggest("--data", serve.Data)
	if fromReports.Site != "app" || fromReports.Policy != origins {
		t.Errorf("from the reports: site %q, policy\n got %s\nwant %s", fromReports.Site, fromReports.Policy, origins)
	}
	if len(fromReports.Changes) != 1 || fromReports.Changes[0].Kind != cspsuggest.ChangeInlineScript ||
		!strings.Contains(fromReports.Changes[0].Fix, "cannot be hashed") {
		t.Errorf("from the reports: changes %+v", fromReports.Changes)
	}

	// With the crawl too: the inline script's hash, exactly those origins.
	crawlFlags := []string{"--resolve", "app.test:443:" + ip.String(), "--ca", site.CAFile}
	both := suggest(append([]string{"--config", serve.Config, "--data", serve.Data, "https://app.test/"}, crawlFlags...)...)
	if both.Site != "app" || both.Policy != withHash || len(both.Changes) != 0 || len(both.Weaknesses) != 0 {
		t.Errorf("with the crawl: site %q, changes %+v, weaknesses %+v, policy\n got %s\nwant %s", both.Site, both.Changes, both.Weaknesses, both.Policy, withHash)
	}

	// The crawl alone, printed: script-src holds the hash and the second
	// origin, and no 'unsafe-inline'.
	code, out, errs := e2e.Run(t, append([]string{"csp", "suggest", "https://app.test/"}, crawlFlags...)...)
	if code != 0 {
		t.Fatalf("csp suggest URL: exit %d\n%s", code, errs)
	}
	_, printed, _ := strings.Cut(out, "Suggested Content-Security-Policy:\n  ")
	printed, _, _ = strings.Cut(printed, "\n")
	_, scriptSrc, _ := strings.Cut(printed, "script-src ")
	scriptSrc, _, _ = strings.Cut(scriptSrc, ";")
	if !strings.Contains(scriptSrc, hash) || !strings.Contains(scriptSrc, cdn) || strings.Contains(out, "'unsafe-inline';") || strings.Contains(printed, "unsafe-inline") {
		t.Errorf("csp suggest URL printed script-src %q (policy %q):\n%s", scriptSrc, printed, out)
	}

	// 3. Enforce: the snippet goes into the configuration, reloaded.
	if err := os.WriteFile(serve.Config, []byte(config(both.Config)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e2e.Run(t, "reload", "--data", serve.Data); code != 0 {
		t.Fatalf("reload: exit %d\n%s%s", code, out, errs)
	}
	b2 := browsertest.New(t, browsertest.Options{Hosts: hosts, Roots: []*x509.Certificate{site.CA.Cert}})
	nav = b2.Navigate("https://app.test/")
	if nav.Err != "" || nav.Final().Status != 200 {
		t.Fatalf("navigation:\n%s", nav)
	}
	enforced := nav.Final().Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(enforced, withHash+"; report-uri /_portcullis/reports") {
		t.Errorf("enforced policy %q, want the suggestion's", enforced)
	}
	if ro := nav.Final().Header.Get("Content-Security-Policy-Report-Only"); ro != "" {
		t.Errorf("still learning: %q", ro)
	}
	b2.WaitText("#inline", "inline ran after lib")
	var color string
	b2.Eval(`getComputedStyle(document.getElementById('title')).color`, &color)
	var width int
	b2.Eval(`document.getElementById('logo').naturalWidth`, &width)
	if color != "rgb(1, 2, 3)" || width != 1 {
		t.Errorf("the stylesheet (color %q) or the image (width %d) did not load", color, width)
	}
	b2.CheckClean()

	// The audit, through the binary: nothing above informational in CSP.
	code, out, errs = e2e.Run(t, "audit", "--ca", site.CAFile, "--resolve", "app.test:443:"+ip.String(),
		"--resolve", "app.test:80:"+ip.String(), "--format", "json", "--progress", "never", "https://app.test/")
	var doc report.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Targets) != 1 || !doc.Targets[0].Audited {
		t.Fatalf("audit (exit %d): %v\n%s\n%s", code, err, out, errs)
	}
	for _, f := range doc.Targets[0].Findings {
		if strings.HasPrefix(f.Rule, "csp.") && f.Severity > rules.Info {
			t.Errorf("CSP finding above informational: %s (%s): %s [%s]", f.Rule, f.Severity, f.Message, f.Evidence)
		}
	}
}
