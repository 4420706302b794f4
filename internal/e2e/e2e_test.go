package e2e

import (
	"fmt"
	"net/http"
	"os"
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

func TestNeed(t *testing.T) {
	if p := Need(t, "go", "install Go"); p == "" {
		t.Fatal("go not found, yet the test runs under it")
	}
}
