package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// TestStartServe runs the built binary for a site on a loopback address's
// ports 80 and 443: plain HTTP is redirected to the https:// URL with no
// port, and the process ends when the test does.
func TestStartServe(t *testing.T) {
	ip := LoopbackHost(t)
	site := NewSite(t, "app.test")
	s := StartServe(t, fmt.Sprintf(`
[listen]
https = "%s:443"
http = "%s:80"
admin = "off"

[[site]]
hosts = ["app.test"]
upstream = "demo"
`+site.CertTOML(), ip, ip))
	req, _ := http.NewRequest("GET", "http://"+ip.String()+"/login", nil)
	req.Host = "app.test"
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "https://app.test/login" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("serve did not end cleanly on SIGTERM: %v\n%s", err, s.Log.String())
	}
	if code, out, _ := Run(t, "version"); code != 0 || !strings.Contains(out, "portcullis") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// recorder is a testing.TB whose Skipf and Fatalf only record, so that
// Missing's verdicts can be checked without skipping or failing.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }

// TestNeed: a program on PATH is found; a missing one skips the test off
// CI and fails it with CI=true, saying what installs it.
func TestNeed(t *testing.T) {
	want, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	if got := Need(t, "go", "install Go"); got != want {
		t.Errorf("Need(go) = %q, want %q", got, want)
	}
	if got := Need(t, want, "install Go"); got != want {
		t.Errorf("Need(%q) = %q", want, got)
	}
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Need(r, "portcullis-no-such-program", "apt-get install nothing")
		verdict, other := r.skipped, r.fatal
		if ci == "true" {
			verdict, other = r.fatal, r.skipped
		}
		if !strings.Contains(verdict, "portcullis-no-such-program") || !strings.Contains(verdict, "apt-get install nothing") || other != "" {
			t.Errorf("CI=%q: skipped %q, failed %q", ci, r.skipped, r.fatal)
		}
	}
}
