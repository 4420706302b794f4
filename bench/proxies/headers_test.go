// Package proxies holds the checks of the proxy benchmark's shared files:
// the benchmark itself (run.sh) is too long for the test suite.
package proxies

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/shield"
)

// TestHeadersMatchShield checks that headers.txt, which every peer is
// configured from, is exactly what portcullis sends by default on an HTTPS
// request to a named host, and that the cookie run.sh expects is shield's
// hardened one. When shield's defaults change, this fails until the list
// (and with it the benchmark's fairness) is updated.
func TestHeadersMatchShield(t *testing.T) {
	s, err := shield.New(shield.Options{Hosts: []string{"bench.local"}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Set-Cookie", "sessionid=x; Path=/")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://bench.local/1k", nil))
	if rec.Code != 200 {
		t.Fatalf("shield answered %d", rec.Code)
	}
	got := rec.Header()

	b, err := os.ReadFile("headers.txt")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{"Content-Type": true, "Set-Cookie": true}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("headers.txt line %d: no colon", n+1)
		}
		name, value = http.CanonicalHeaderKey(name), strings.TrimSpace(value)
		listed[name] = true
		if v := got.Values(name); len(v) != 1 || v[0] != value {
			t.Errorf("headers.txt line %d: %s is %q, shield sends %q", n+1, name, value, v)
		}
	}
	for name, v := range got {
		if !listed[name] {
			t.Errorf("shield sends %s: %q, which headers.txt does not list", name, v)
		}
	}

	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cookie := got.Get("Set-Cookie")
	if !strings.Contains(string(script), "HARDENED_COOKIE='"+cookie+"'") {
		t.Errorf("run.sh does not expect shield's hardened cookie HARDENED_COOKIE='%s'", cookie)
	}
}

// TestRunScriptSyntax parses the scripts without running them (bash -n):
// run.sh, the comparison, and profile.sh, the per-request counts.
func TestRunScriptSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to check the scripts:", err)
	}
	for _, script := range []string{"run.sh", "profile.sh"} {
		out, err := exec.Command(bash, "-n", script).CombinedOutput()
		if err != nil {
			t.Errorf("bash -n %s: %v\n%s", script, err, out)
		}
	}
}
