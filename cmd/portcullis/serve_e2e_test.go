package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/report"
	"github.com/portcullis/portcullis/rules"
)

// startServe runs the built binary's `serve` with args until it has
// printed its banner.
func startServe(t *testing.T, args ...string) *e2e.Proc {
	t.Helper()
	return e2e.Start(t, "portcullis serve", exec.Command(e2e.Portcullis(t), append([]string{"serve"}, args...)...), "health: http://", 30*time.Second)
}

// localSiteTOML is a configuration on two free loopback ports with one
// site per host, each proxying to the demo app with a local-CA
// certificate.
func localSiteTOML(t *testing.T, hosts ...string) string {
	lo := netip.MustParseAddr("127.0.0.1")
	s := fmt.Sprintf("[listen]\nhttps = %q\nhttp = %q\nadmin = \"off\"\n", e2e.FreeAddr(t, lo), e2e.FreeAddr(t, lo))
	for _, h := range hosts {
		s += fmt.Sprintf("\n[[site]]\nhosts = [%q]\nupstream = \"demo\"\n", h)
	}
	return s
}

// plainStatus is the status of GET / on the plain-HTTP listener addr for
// Host host: 308 for a host a site serves (the redirect), 400 otherwise.
func plainStatus(t *testing.T, addr, host string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// httpAddr is the plain-HTTP listen address of a configuration written
// by localSiteTOML.
func httpAddr(toml string) string {
	_, rest, _ := strings.Cut(toml, "http = \"")
	addr, _, _ := strings.Cut(rest, "\"")
	return addr
}

// TestServeTwiceOnOneDataDir: a serve replaces the control socket a
// killed one left behind; a second serve on the same data directory
// refuses to start, naming the first, before binding anything (its
// listeners are the same as the first's, so binding would fail
// differently); the first keeps running, with its pid file and socket.
func TestServeTwiceOnOneDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "portcullis.toml")
	toml := localSiteTOML(t, "localhost")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	data := datadir.Dir(filepath.Join(dir, "data"))
	if err := os.Mkdir(data.String(), 0o700); err != nil {
		t.Fatal(err)
	}
	stale, err := net.Listen("unix", data.Socket())
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close() // the socket file of a process killed with SIGKILL

	first := startServe(t, "--config", cfg, "--data", data.String(), "--log", "json")
	pid := first.Cmd.Process.Pid

	code, out, errs := e2e.Run(t, "serve", "--config", cfg, "--data", data.String(), "--log", "json")
	want := fmt.Sprintf("portcullis: another portcullis (pid %d) already uses the data directory %s: stop it, or give this one another --data\n", pid, data)
	if code != 1 || out != "" || errs != want {
		t.Errorf("second serve: exit %d\nstdout: %s\nstderr: %q\n  want: %q", code, out, errs, want)
	}
	if got := data.RunningPID(); got != pid {
		t.Errorf("pid file says %d, want the first serve's %d", got, pid)
	}
	if s := plainStatus(t, httpAddr(toml), "localhost"); s != http.StatusPermanentRedirect {
		t.Errorf("the first serve answers %d", s)
	}
	if code, out, errs := e2e.Run(t, "reload", "--data", data.String()); code != 0 || !strings.HasPrefix(out, "reloaded: 1 site served") {
		t.Errorf("reload of the first serve through the replaced socket: exit %d\n%s%s", code, out, errs)
	}
	if err := first.Stop(); err != nil {
		t.Errorf("first serve: %v", err)
	}
	for _, p := range []string{data.PID(), data.Socket()} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
}

// TestReload: `portcullis reload` says whether the running serve took the
// new configuration: 0 when it did; 1 with the file's errors when it is
// invalid, the previous configuration still serving; 1 when no serve
// runs on the data directory.
func TestReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, data := filepath.Join(dir, "portcullis.toml"), filepath.Join(dir, "data")
	toml := localSiteTOML(t, "a.localhost")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	serve := startServe(t, "--config", cfg, "--data", data, "--log", "json")
	addr := httpAddr(toml)
	if s := plainStatus(t, addr, "b.localhost"); s != http.StatusBadRequest {
		t.Fatalf("b.localhost before the reload: %d", s)
	}

	// A second site: reloaded.
	two := toml + "\n[[site]]\nhosts = [\"b.localhost\"]\nupstream = \"demo\"\n"
	if err := os.WriteFile(cfg, []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e2e.Run(t, "reload", "--data", data)
	if code != 0 || out != "reloaded: 2 sites served (portcullis serve on "+data+")\n" || errs != "" {
		t.Fatalf("valid reload: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if s := plainStatus(t, addr, "b.localhost"); s != http.StatusPermanentRedirect {
		t.Fatalf("b.localhost after the reload: %d", s)
	}

	// A broken file: refused, with the file, line and key; the two
	// sites keep serving.
	broken := strings.Replace(two, "upstream = \"demo\"\n", "upstream = \"demo\"\nbogus_key = 1\n", 1)
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(broken[:strings.Index(broken, "bogus_key")], "\n") + 1
	code, out, errs = e2e.Run(t, "reload", "--data", data)
	if code != 1 || out != "" || !strings.HasPrefix(errs, "portcullis: reload failed; the running configuration stays in service:\n") ||
		!strings.Contains(errs, fmt.Sprintf("%s:%d: ", cfg, line)) || !strings.Contains(errs, "bogus_key") || strings.Contains(errs, "--help") {
		t.Errorf("invalid reload: exit %d, want 1 naming %s:%d\nstdout: %s\nstderr: %s", code, cfg, line, out, errs)
	}
	if s := plainStatus(t, addr, "b.localhost"); s != http.StatusPermanentRedirect {
		t.Errorf("b.localhost after the refused reload: %d", s)
	}
	if !strings.Contains(serve.Log.String(), `"msg":"reload failed; the running configuration stays in service","event":"config.reload_failed"`) {
		t.Errorf("the server's log does not say the reload failed:\n%s", serve.Log.String())
	}

	// Nobody on this data directory.
	empty := t.TempDir()
	code, out, errs = e2e.Run(t, "reload", "--data", empty)
	if code != 1 || out != "" || !strings.HasPrefix(errs, "portcullis: no running portcullis serve on "+empty+" ") {
		t.Errorf("reload without a serve: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestOneLineServe: `serve --host --to --cert --key --policy strict
// --security-contact`, on ports 443 and 80 of a loopback address, is
// graded A+ by the audit with nothing above informational; without
// --policy strict, the CSP the default policy sends keeps it below A+. Clients that send no server
// name, or an IP address as one, get the --cert certificate.
func TestOneLineServe(t *testing.T) {
	ip := e2e.LoopbackHost(t)
	site := e2e.NewSite(t, "app.test")
	mux := http.NewServeMux() // a page, and 404 elsewhere (security.txt included)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "x", Path: "/"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>app</title><p>hello")
	})
	app := httptest.NewServer(mux)
	defer app.Close()
	https, plain := net.JoinHostPort(ip.String(), "443"), net.JoinHostPort(ip.String(), "80")
	serve := func(extra ...string) *e2e.Proc {
		return startServe(t, append([]string{"--host", "app.test", "--to", app.URL, "--cert", site.CertFile, "--key", site.Key,
			"--https", https, "--http", plain, "--admin", "off", "--data", filepath.Join(t.TempDir(), "data"), "--log", "json"}, extra...)...)
	}
	audit := func() (int, report.TargetReport, string) {
		t.Helper()
		code, out, errs := e2e.Run(t, "audit", "https://app.test/", "--resolve", "app.test:443:"+ip.String(), "--resolve", "app.test:80:"+ip.String(),
			"--ca", site.CAFile, "--format", "json", "--fail-under", "A+")
		var doc report.Document
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Targets) != 1 {
			t.Fatalf("audit (exit %d): %v\n%s\n%s", code, err, out, errs)
		}
		return code, doc.Targets[0], errs
	}

	strict := serve("--policy", "strict", "--security-contact", "mailto:security@app.test")
	code, r, errs := audit()
	for _, f := range r.Findings {
		if f.Severity > rules.Info {
			t.Errorf("--policy strict: finding above informational: %s (%s): %s", f.Rule, f.Severity, f.Message)
		}
	}
	if code != 0 || r.Grade.Letter != "A+" || !r.Audited || r.Certificate == nil || !r.Certificate.Trusted {
		t.Errorf("--policy strict: exit %d, grade %+v\n%s", code, r.Grade, errs)
	}

	// No server name: the --cert certificate.
	conn, err := tls.Dial("tcp", https, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake without SNI: %v", err)
	}
	if names := conn.ConnectionState().PeerCertificates[0].DNSNames; len(names) != 1 || names[0] != "app.test" {
		t.Errorf("without SNI: served %v", names)
	}
	conn.Close()
	// An IP address as server name, which Go's client never sends.
	t.Run("IP as SNI", func(t *testing.T) {
		openssl := e2e.Need(t, "openssl", "apt-get install openssl (scripts/setup.sh installs it)")
		cmd := exec.Command(openssl, "s_client", "-connect", https, "-servername", ip.String())
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "subject=") || !strings.Contains(string(out), "app.test") {
			t.Errorf("openssl s_client -servername %s: %v\n%s", ip, err, out)
		}
	})
	if err := strict.Stop(); err != nil {
		t.Fatalf("serve --policy strict: %v", err)
	}

	serve("--security-contact", "mailto:security@app.test")
	code, r, _ = audit()
	csp := false
	for _, f := range r.Findings {
		csp = csp || strings.HasPrefix(f.Rule, "csp.")
	}
	if code != 1 || r.Grade.Letter == "A+" || !csp {
		t.Errorf("default policy: exit %d, grade %+v, findings %+v; want below A+ for the CSP", code, r.Grade, r.Findings)
	}
}
