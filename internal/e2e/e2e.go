// Package e2e runs real programs for end-to-end tests: the portcullis
// binary built from this tree, and the outside programs the tests pair it
// with (Django under gunicorn, Chromium, openssl). Every process is started
// by the test, on loopback, and ended by PID when the test ends.
//
// A missing program skips the test on a developer's machine, with the
// command that installs it; with CI=true it fails the test instead, so
// that nothing is skipped silently in CI.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// Need returns the path of the program name, looked up on PATH or taken
// as is when it is absolute. When it is missing, the test is skipped with
// hint (what installs it), or fails when CI=true.
func Need(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, fmt.Sprintf("%s is not installed (%v); %s", name, err, hint))
	return ""
}

// Missing skips the test saying why, or fails it when CI=true.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a required tool is missing: %s", why)
		return
	}
	t.Skipf("skipped: %s", why)
}

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Root returns the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Portcullis returns the path of a portcullis binary built from this tree,
// once per test process. Call Cleanup from TestMain to remove it.
func Portcullis(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "portcullis-e2e-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "portcullis")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/portcullis")
		cmd.Dir = Root()
		out, err := cmd.CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build ./cmd/portcullis: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// Cleanup removes what the package built; call it from TestMain after
// m.Run.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// LoopbackHost returns a loopback address of 127.0.0.0/8, other than
// 127.0.0.1, on which ports 80 and 443 are both free, so that a test's
// servers can use the default ports and its URLs look like production
// ones (http://app.test/ and https://app.test/, which is what HSTS's
// upgrade from port 80 to 443 needs). Binding ports below 1024 needs root
// or CAP_NET_BIND_SERVICE; without it the test is skipped (failed in CI).
// The ports are free when checked; the caller binds them at once.
func LoopbackHost(t testing.TB) netip.Addr {
	t.Helper()
	var lastErr error
	for range 20 {
		a := RandomLoopback()
		if err := portsFree(a, 80, 443); err != nil {
			if os.IsPermission(err) || strings.Contains(err.Error(), "permission denied") {
				Missing(t, fmt.Sprintf("binding %s:80 needs root or CAP_NET_BIND_SERVICE: %v", a, err))
			}
			lastErr = err
			continue
		}
		return a
	}
	t.Fatalf("no loopback address with ports 80 and 443 free: %v", lastErr)
	return netip.Addr{}
}

// RandomLoopback returns a random address of 127.0.0.0/8 other than
// 127.0.0.1 and those of not: a test's own client or server address on a
// machine where 127.0.0.1 is shared.
func RandomLoopback(not ...netip.Addr) netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{127, byte(rand.IntN(256)), byte(rand.IntN(256)), byte(1 + rand.IntN(254))})
		if a != netip.AddrFrom4([4]byte{127, 0, 0, 1}) && !slices.Contains(not, a) {
			return a
		}
	}
}

func portsFree(a netip.Addr, ports ...uint16) error {
	for _, p := range ports {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(a, p).String())
		if err != nil {
			return err
		}
		ln.Close()
	}
	return nil
}

// FreeAddr returns host:port with a port on ip that nothing listens on now.
func FreeAddr(t testing.TB, ip netip.Addr) string {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Proc is a program a test started.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	// Log holds everything the program wrote to stdout and stderr.
	Log *testutil.Buffer

	done chan struct{}
	err  error
}

// Start starts cmd, with its output in Log, and waits until the output
// contains ready (when ready is not empty) or the program exits. When the
// test ends the program gets SIGTERM, then SIGKILL 10 s later, by PID; if
// the test failed, its output is printed.
func Start(t testing.TB, name string, cmd *exec.Cmd, ready string, within time.Duration) *Proc {
	t.Helper()
	p := &Proc{Name: name, Cmd: cmd, Log: new(testutil.Buffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("--- output of %s (pid %d):\n%s", name, cmd.Process.Pid, p.Log.String())
		}
	})
	if ready == "" {
		return p
	}
	deadline := time.After(within)
	for !strings.Contains(p.Log.String(), ready) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready (%v):\n%s", name, p.err, p.Log.String())
		case <-deadline:
			t.Fatalf("%s not ready after %v (waiting for %q):\n%s", name, within, ready, p.Log.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return p
}

// Stop ends the program (SIGTERM, then SIGKILL after 10 s) and returns how
// it exited. It may be called more than once.
func (p *Proc) Stop() error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Serve is a running `portcullis serve`.
type Serve struct {
	*Proc
	// Config and Data are the configuration file and the data directory.
	Config, Data string
}

// StartServe writes config (TOML) to a file and runs `portcullis serve`
// on it, with a fresh data directory and JSON logs, until it has printed
// its banner. args are added to the command line.
func StartServe(t testing.TB, config string, args ...string) *Serve {
	t.Helper()
	dir := t.TempDir()
	s := &Serve{Config: filepath.Join(dir, "portcullis.toml"), Data: filepath.Join(dir, "data")}
	if err := os.WriteFile(s.Config, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Portcullis(t), append([]string{"serve", "--config", s.Config, "--data", s.Data, "--log", "json"}, args...)...)
	s.Proc = Start(t, "portcullis serve", cmd, "health: http://", 30*time.Second)
	return s
}

// Run runs the portcullis binary with args to completion and returns its
// exit status, stdout and stderr.
func Run(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(Portcullis(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("portcullis %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// Site is a certificate for a site name from a throwaway CA, for a
// `[site.cert] source = "files"` section; the CA's root is in CAFile.
type Site struct {
	CA            *testutil.CA
	CAFile        string
	CertFile, Key string
}

// NewSite issues a certificate for names (valid from an hour ago for 80
// days) from a new throwaway CA, in a temporary directory.
func NewSite(t testing.TB, names ...string) *Site {
	t.Helper()
	dir := t.TempDir()
	ca := testutil.NewCA(t, "portcullis e2e test CA")
	s := &Site{CA: ca, CAFile: ca.WriteRoot(t, dir)}
	s.CertFile, s.Key = ca.WriteLeaf(t, dir, "site", names, time.Now().Add(-time.Hour), time.Now().Add(80*24*time.Hour))
	return s
}

// CertTOML returns the `[site.cert]` section serving the certificate.
func (s *Site) CertTOML() string {
	return fmt.Sprintf("[site.cert]\nsource = \"files\"\ncert = %q\nkey = %q\n", s.CertFile, s.Key)
}

// AccessEntry is one line of portcullis's JSON access log; TLS is empty
// for a request to the plain-HTTP listener.
type AccessEntry struct {
	Method string `json:"method"`
	Host   string `json:"host"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	TLS    string `json:"tls"`
	Client string `json:"client"`
	Agent  string `json:"user_agent"`
}

// String is "GET https://host/path 200".
func (e AccessEntry) String() string {
	scheme := "https"
	if e.TLS == "" {
		scheme = "http"
	}
	return fmt.Sprintf("%s %s://%s%s %d", e.Method, scheme, e.Host, e.Path, e.Status)
}

// AccessLog returns the access log lines serve has written so far (its
// other lines are the server's own log), except those of serve's audits
// of its own sites ([audit]; User-Agent portcullis-audit/…, sent from the
// listener's own address), which come at start and after reloads
// whatever the test does.
func (s *Serve) AccessLog() []AccessEntry {
	var es []AccessEntry
	for line := range strings.Lines(s.Log.String()) {
		var e AccessEntry
		if json.Unmarshal([]byte(line), &e) == nil && e.Method != "" && e.Status != 0 && !selfAudit(e) {
			es = append(es, e)
		}
	}
	return es
}

// selfAudit reports whether an access log entry is a request of serve's
// self-audits: the auditor's User-Agent from a loopback address (a test
// running `portcullis audit` connects from the address it chose).
func selfAudit(e AccessEntry) bool {
	ip, err := netip.ParseAddr(e.Client)
	return strings.HasPrefix(e.Agent, "portcullis-audit/") && err == nil && (ip == netip.MustParseAddr("127.0.0.1") || ip == netip.IPv6Loopback())
}

// SplitTLS returns the plain-HTTP and the HTTPS requests of an access log.
func SplitTLS(es []AccessEntry) (plain, tls []AccessEntry) {
	for _, e := range es {
		if e.TLS == "" {
			plain = append(plain, e)
		} else {
			tls = append(tls, e)
		}
	}
	return plain, tls
}
