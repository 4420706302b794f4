package demo_test

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/portcullis/portcullis/demo"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// TestBrowserJourney walks the demo app behind `portcullis serve` in a
// real Chromium, as a user would: http://demo.test/ lands on https://, the
// login form signs in, the cookies the browser stored carry the flags
// portcullis added, the page and the browser report no error or warning
// (CSP, mixed content, console), and after that visit the browser upgrades
// http:// itself (HSTS) so the plain-HTTP listener never sees the request.
func TestBrowserJourney(t *testing.T) {
	ip := e2e.LoopbackHost(t)
	site := e2e.NewSite(t, "demo.test")
	serve := e2e.StartServe(t, fmt.Sprintf(`
[listen]
https = "%s:443"
http = "%s:80"
admin = "off"

[[site]]
hosts = ["demo.test"]
upstream = "demo"

[site.policy.hsts]
max_age = "365d"
include_subdomains = true
preload = true

%s`, ip, ip, site.CertTOML()))
	b := browsertest.New(t, browsertest.Options{
		Hosts: map[string]netip.Addr{"demo.test": ip},
		Roots: []*x509.Certificate{site.CA.Cert},
	})
	const hsts = "max-age=31536000; includeSubDomains; preload"

	// 1. http:// lands on https:// through portcullis's 308.
	nav := b.Navigate("http://demo.test/")
	if nav.Err != "" || len(nav.Chain) != 2 {
		t.Fatalf("http://demo.test/ did not redirect once then load:\n%s", nav)
	}
	redirect, home := nav.Chain[0], nav.Chain[1]
	if redirect.Status != 308 || redirect.Location != "https://demo.test/" || redirect.HSTSUpgrade() || redirect.Remote != ip.String()+":80" {
		t.Errorf("first hop is not portcullis's 308 from %s:80: %v (from %q)", ip, redirect, redirect.Remote)
	}
	if home.URL != "https://demo.test/" || home.Status != 200 || home.Remote != ip.String()+":443" {
		t.Errorf("landing: %v (from %q)", home, home.Remote)
	}
	if got := home.Header.Get("Strict-Transport-Security"); got != hsts {
		t.Errorf("Strict-Transport-Security %q, want %q", got, hsts)
	}
	for _, e := range nav.Requests {
		if e.Status != 200 && !e.Redirect() {
			t.Errorf("the login page's request failed: %v", e)
		}
	}

	// 2. Sign in through the form.
	b.Fill(`input[name="username"]`, demo.DefaultUsername)
	b.Fill(`input[name="password"]`, demo.DefaultPassword)
	login := b.ClickAndWait(`form[action="/login"] button[type="submit"]`)
	if login.Err != "" || len(login.Chain) != 2 ||
		login.Chain[0].String() != "POST https://demo.test/login → 303 /account" ||
		login.Chain[1].String() != "GET https://demo.test/account → 200" {
		t.Fatalf("signing in:\n%s", login)
	}
	if h := b.Text("h1"); h != "Signed in as "+demo.DefaultUsername {
		t.Fatalf("account page heading %q", h)
	}
	// The page's script fetches /__demo/echo and fills in what arrived.
	b.WaitText("#echo-status", "The app received the fetch as https")
	if got := b.Text(`[data-header="strict-transport-security"]`); got != hsts {
		t.Errorf("the page's fetch saw Strict-Transport-Security %q", got)
	}
	if got := b.Text(`[data-cookie="portcullis_session"]`); got != "hidden from scripts (HttpOnly)" {
		t.Errorf("the page's script says of the session cookie: %q", got)
	}

	// 3. The cookies as the browser stored them.
	for _, w := range []struct {
		name     string
		httpOnly bool
	}{
		{demo.SessionCookie, true},
		{demo.CSRFCookie, false},
	} {
		c, ok := b.Cookie(w.name)
		if !ok {
			t.Errorf("the browser has no %s cookie; it has %+v", w.name, b.Cookies())
			continue
		}
		if c.Domain != "demo.test" || c.Path != "/" || !c.Secure || c.HTTPOnly != w.httpOnly || c.SameSite != "Lax" {
			t.Errorf("cookie %s stored as %+v; want domain demo.test, path /, Secure, HttpOnly %v, SameSite Lax", w.name, c, w.httpOnly)
		}
	}

	// 5. HSTS is recorded: a later http:// URL is upgraded inside the
	// browser, and the plain-HTTP listener never sees the request.
	if plain, _ := e2e.SplitTLS(serve.AccessLog()); len(plain) != 1 || plain[0].String() != "GET http://demo.test/ 308" {
		t.Errorf("plain-HTTP requests before the HSTS visit: %v, want the one 308", plain)
	}
	b.CheckHSTSUpgrade(serve, "http://demo.test/account", ip.String()+":443")

	// 4. Nothing went wrong on the way, in the page or in the browser.
	b.CheckClean()

	// 6. A screenshot of the signed-in page.
	b.ScreenshotArtifact("demo-account.png")
}
