package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/testutil"
)

// signalSelf sends sig to this test process, where a serve started with
// run catches it.
func signalSelf(sig os.Signal) error {
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeConfig writes text as portcullis.toml in a new directory, with
// a certificate pair for app.example.com there (app.pem, app-key.pem) for
// the configurations that name them.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	testutil.NewCA(t, "cli test CA").WriteLeaf(t, dir, "app", []string{"app.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(80*24*time.Hour))
	p := filepath.Join(dir, "portcullis.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const hardenedTOML = `
[defaults.hsts]
preload = true

[defaults.headers]
corp = "same-origin"

[defaults.csp]
nonce = true

[defaults.security_txt]
contact = ["mailto:security@example.com"]
expires_in = "90d"

[[site]]
hosts = ["app.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "files"
cert = "app.pem"     # beside the file: writeConfig writes them
key = "app-key.pem"
`

const weakTOML = `
[[site]]
name = "weak"
hosts = ["app.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "local" # a public name on the local CA: cert.untrusted
[site.policy.redirect]
disable = true
[site.policy.hsts]
max_age = "300s"
`

func TestCheck(t *testing.T) {
	hardened := writeConfig(t, hardenedTOML)
	weak := writeConfig(t, weakTOML)
	broken := writeConfig(t, "[[site]]\nhosts = [\"a.example\"]\nupstream = \"http://127.0.0.1:1\"\nbogus_key = 1\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		outHas  []string
		errHas  []string
		outLack []string
	}{
		{"valid without --deploy", []string{"check", weak}, 0, []string{"configuration is valid"}, nil, nil},
		{"hardened deploy", []string{"check", "--deploy", hardened}, 0, []string{"0 errors, 0 warnings"}, nil, nil},
		{"weak deploy", []string{"check", "--deploy", weak}, 1,
			[]string{"redirect.missing", "hsts.max-age-short", "cert.untrusted", "security.W008", "fix:"}, nil, nil},
		{"broken config", []string{"check", broken}, 2, nil, []string{"portcullis.toml:4", "bogus_key"}, nil},
		{"missing file", []string{"check", filepath.Join(t.TempDir(), "nope.toml")}, 2, nil, []string{"nope.toml"}, nil},
		{"no file", []string{"check"}, 2, nil, []string{"exactly one config file"}, nil},
		{"bad format", []string{"check", "--format", "xml", weak}, 2, nil, []string{"unknown format"}, nil},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{"unknown command"}, nil},
		{"version", []string{"version"}, 0, []string{"portcullis ", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errs)
				}
			}
		})
	}
}

func TestCheckStrictAndJSON(t *testing.T) {
	// Only warnings and info: exit 0, but 1 with --strict.
	p := writeConfig(t, strings.Replace(hardenedTOML, "preload = true", "preload = false", 1)+
		"[site.policy.headers]\nframe_options = \"SAMEORIGIN\"\n")
	if code, out, _ := runCLI(t, "check", "--deploy", p); code != 0 {
		t.Fatalf("warnings only: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "check", "--deploy", "--strict", p); code != 1 {
		t.Fatalf("--strict with warnings: exit %d, want 1", code)
	}
	code, out, _ := runCLI(t, "check", "--deploy", "--format", "json", p)
	var rep struct {
		Config   string
		Findings []struct {
			Rule, Level, Site, Message, Fix string
			Line                            int
		}
		Warnings int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("json output (exit %d): %v\n%s", code, err, out)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Rule == "header.frame-options-weak" && f.Level == "warning" && f.Line > 0 && f.Fix != "" {
			found = true
		}
	}
	if !found || rep.Warnings == 0 || rep.Config != p {
		t.Fatalf("json report lacks the frame-options warning: %+v", rep)
	}
}

// The one-site mode fronts an arbitrary app: it must not inherit the demo
// site's strict CSP, which would block that app's inline scripts.
func TestOneSiteHasNoDemoPolicy(t *testing.T) {
	cfg, err := oneSite(siteFlags{hosts: []string{"app.example.com"}, to: "http://127.0.0.1:8000", cert: "app.pem", key: "app-key.pem", policy: policyDefault})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sites[0]
	if s.Policy.CSP.Policy != nil || s.Upstream != "http://127.0.0.1:8000" || s.Cert.Source != "files" || s.Hosts[0] != "app.example.com" {
		t.Fatalf("one-site config %+v", s)
	}
	if _, err := oneSite(siteFlags{hosts: []string{"app.example.com"}, policy: policyDefault}); err == nil {
		t.Fatal("--host without --to accepted")
	}
}

// TestServeLifecycle runs `portcullis serve` on its embedded default, then
// `portcullis reload` (through the control socket), then SIGHUP (to this
// very test process, where serve's signal handler catches it), then
// SIGTERM, which must end serve gracefully with status 0 and remove the
// pid file and the control socket.
func TestServeLifecycle(t *testing.T) {
	data := filepath.Join(t.TempDir(), "not", "yet") // serve creates it
	var out, errs testutil.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--data", data, "--https", "127.0.0.1:0", "--http", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--log", "json"}, &out, &errs)
	}()
	pidPath := datadir.Dir(data).PID()
	testutil.Eventually(t, 15*time.Second, "pid file", func() bool { _, err := os.Stat(pidPath); return err == nil })
	testutil.Eventually(t, 15*time.Second, "banner", func() bool { return strings.Contains(out.String(), "health: http://") })

	// The banner names the health URL; the server answers it.
	banner := out.String()
	i := strings.Index(banner, "health: ")
	url := strings.Fields(banner[i+len("health: "):])[0]
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", url, resp.StatusCode)
	}
	if !strings.Contains(banner, datadir.Dir(data).Root()) {
		t.Errorf("banner does not say where the local CA root is:\n%s", banner)
	}

	// The audit of the zero-config default: A+, with HSTS deliberately
	// not sent for localhost said as an informational finding.
	httpsURL := strings.Fields(banner[strings.Index(banner, "https://localhost:"):])[0]
	_, httpPort, _ := strings.Cut(strings.TrimPrefix(url, "http://"), ":")
	httpPort, _, _ = strings.Cut(httpPort, "/")
	code, auditOut, auditErr := runCLI(t, "audit", "--ca", datadir.Dir(data).Root(), "--http-port", httpPort,
		"--fail-under", "A+", httpsURL)
	if code != 0 || !strings.Contains(auditOut, "grade A+") || !strings.Contains(auditOut, "hsts.local-host") ||
		strings.Contains(auditOut, "[low]") || strings.Contains(auditOut, "[medium]") || strings.Contains(auditOut, "[high]") {
		t.Errorf("audit of the zero-config default: exit %d\n%s\n%s", code, auditOut, auditErr)
	}

	if !strings.Contains(banner, "listening on 127.0.0.1:") || !strings.Contains(banner, "this machine only") {
		t.Errorf("banner does not say it listens on loopback only:\n%s", banner)
	}

	if code, o, e := runCLI(t, "reload", "--data", data); code != 0 || o != "reloaded: 1 site served (portcullis serve on "+data+")\n" {
		t.Fatalf("reload: %d %s %s", code, o, e)
	}
	testutil.Eventually(t, 15*time.Second, "reload logged", func() bool { return strings.Contains(errs.String(), "configuration reloaded") })
	if err := signalSelf(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "SIGHUP reload logged", func() bool { return strings.Count(errs.String(), "configuration reloaded") == 2 })

	if err := signalSelf(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after SIGTERM\n%s", code, errs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pid file left behind")
	}
	if _, err := os.Stat(datadir.Dir(data).Socket()); !os.IsNotExist(err) {
		t.Errorf("control socket left behind")
	}
	// Durations are logged as Go writes them, in JSON too.
	if !strings.Contains(errs.String(), `"msg":"shutting down","signal":"terminated","timeout":"30s"`) {
		t.Errorf("the shutdown line does not log its timeout as \"30s\":\n%s", errs.String())
	}
	if code, _, e := runCLI(t, "ca", "path", "--data", data); code != 0 || e != "" {
		t.Errorf("ca path: %d %s", code, e)
	}
}
