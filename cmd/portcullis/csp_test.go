package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/store"
)

func TestCSPSuggestUsage(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "[[site]]\nname = \"app\"\nhosts = [\"app.example.com\"]\nupstream = \"http://127.0.0.1:8000\"\n")
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"csp"}, 2, "csp needs a command: suggest"},
		{[]string{"csp", "suggest", "--format", "xml"}, 2, `--format "xml": use text or json`},
		{[]string{"csp", "suggest", "--max-pages", "0", "https://x.test/"}, 2, "--max-pages must be at least 1"},
		{[]string{"csp", "suggest", "ftp://x.test/"}, 2, `"ftp://x.test/" is not a URL to crawl`},
		{[]string{"csp", "suggest", "--resolve", "x", "https://x.test/"}, 2, "--resolve x: want NAME:PORT:ADDR"},
		{[]string{"csp", "suggest", "--config", cfg, "--site", "nope"}, 2, `--site "nope": no site of that name`},
		{[]string{"csp", "suggest", "--config", filepath.Join(t.TempDir(), "missing.toml")}, 2, "missing.toml"},
		{[]string{"csp", "suggest", "--data", t.TempDir()}, 1, "nothing observed to suggest from"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%q: exit %d, %q; want %d, %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
}

// TestCSPSuggestFromStore: with no serve running, the reports are read
// from the store of the data directory, per site.
func TestCSPSuggestFromStore(t *testing.T) {
	t.Parallel()
	d := datadir.Dir(t.TempDir())
	st, err := store.Open(d, store.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = st.AddReports(
		store.Report{Time: now, Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "https://cdn.test:8443", Document: "/", Disposition: "report"},
		store.Report{Time: now, Site: "app", Type: "csp-violation", Directive: "img-src", Blocked: "https://img.test", Document: "/", Disposition: "report"},
		store.Report{Time: now, Site: "app", Type: "csp-violation", Directive: "script-src-attr", Blocked: "inline", Document: "/", Disposition: "report", Sample: "go()"},
		store.Report{Time: now, Site: "blog", Type: "csp-violation", Directive: "style-src-elem", Blocked: "https://fonts.test", Document: "/post", Disposition: "report"},
		store.Report{Time: now, Site: "app", Type: "deprecation", Directive: "x", Document: "/"},
	)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "csp", "suggest", "--data", d.String(), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []cspsuggest.Suggestion
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	policies := map[string]string{}
	for _, s := range got {
		policies[s.Site] = s.Policy
	}
	want := map[string]string{
		"app":  "default-src 'self'; script-src 'self' https://cdn.test:8443; img-src 'self' https://img.test; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
		"blog": "default-src 'self'; style-src 'self' https://fonts.test; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
	}
	if fmt.Sprint(policies) != fmt.Sprint(want) {
		t.Errorf("policies\n got %v\nwant %v", policies, want)
	}

	// One site, as text.
	code, out, stderr = runCLI(t, "csp", "suggest", "--data", d.String(), "--site", "app")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"Site app: 0 pages crawled, 3 CSP reports used", "policy = \"" + want["app"] + "\"",
		"event-handler    report: /: script-src-attr blocked inline", "no page was crawled"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "blog") {
		t.Errorf("--site app shows blog:\n%s", out)
	}
}

// TestCSPSuggestCrawl: csp suggest URL crawls the site under its own
// name (--resolve, --ca) and with --config names it by its site, with
// the configuration's X-Frame-Options and nonce.
func TestCSPSuggestCrawl(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>t</title><script src="https://cdn.test/lib.js"></script>
<script>alert(1)</script><a href="/next">next</a><button onclick="go()">go</button>`)
	})
	mux.HandleFunc("GET /next", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<img src="https://img.test/x.png">`)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	start := "https://example.com:" + u.Port() + "/"
	flags := []string{"--resolve", "example.com:" + u.Port() + ":127.0.0.1", "--ca", ca}

	code, out, stderr := runCLI(t, append([]string{"csp", "suggest", start}, flags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hash := cspsuggest.Hash("alert(1)")
	for _, w := range []string{"Site example.com: 2 pages crawled, 0 CSP reports used",
		"script-src 'self' https://cdn.test " + hash + ";", "img-src 'self' https://img.test;",
		"      crawl: " + start + " line 2: inline <script> \"alert(1)\"", "event-handler    crawl: " + start + " line 2: <button onclick=\"go()\">"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "'unsafe-inline'") && !strings.Contains(out, "'unsafe-inline' would") {
		t.Errorf("unsafe-inline suggested:\n%s", out)
	}

	cfg := writeConfig(t, fmt.Sprintf(`data_dir = %q
[defaults.headers]
frame_options = "SAMEORIGIN"
[defaults.csp]
nonce = true
[[site]]
name = "shop"
hosts = ["example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "files"
cert = "app.pem"
key = "app-key.pem"
`, t.TempDir()))
	code, out, stderr = runCLI(t, append([]string{"csp", "suggest", "--config", cfg, "--format", "json", start}, flags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []cspsuggest.Suggestion
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Site != "shop" || !got[0].Nonce || !strings.Contains(got[0].Policy, "frame-ancestors 'self'") ||
		!strings.Contains(got[0].Config, "nonce = true\n") || len(got[0].Pages) != 2 {
		t.Errorf("suggestions %+v", got)
	}
}

func TestHostMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, host string
		want          bool
	}{
		{"app.test", "app.test", true}, {"App.Test.", "app.test", true}, {"app.test", "www.app.test", false},
		{".app.test", "app.test", true}, {".app.test", "www.app.test", true}, {".app.test", "evilapp.test", false},
		{"*", "anything", true}, {"127.0.0.1", "127.0.0.1", true}, {"[::1]", "::1", true}, {"::1", "[::1]", true},
	} {
		if got := hostMatches(tt.pattern, tt.host); got != tt.want {
			t.Errorf("hostMatches(%q, %q) = %v", tt.pattern, tt.host, got)
		}
	}
}
