package browsertest_test

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"
	"testing"

	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
)

// A browser test of a site served by portcullis on a loopback address's
// ports 80 and 443 (e2e.LoopbackHost, e2e.StartServe), with a certificate
// from a throwaway CA (e2e.NewSite). Only the function literal's body is a
// test; the example shows how the pieces fit.
func ExampleNew() {
	_ = func(t *testing.T) {
		ip := e2e.LoopbackHost(t)
		site := e2e.NewSite(t, "app.test")
		// … e2e.StartServe(t, config for app.test on ip:443 and ip:80) …
		b := browsertest.New(t, browsertest.Options{
			Hosts: map[string]netip.Addr{"app.test": ip},
			Roots: []*x509.Certificate{site.CA.Cert},
		})
		nav := b.Navigate("http://app.test/")
		if nav.Chain[0].Status != http.StatusPermanentRedirect || nav.Final().URL != "https://app.test/" {
			t.Errorf("no redirect to HTTPS:\n%s", nav)
		}
		b.Fill(`input[name="username"]`, "demo")
		b.ClickAndWait(`button[type="submit"]`)
		if c, ok := b.Cookie("sessionid"); !ok || !c.Secure || !c.HTTPOnly {
			t.Errorf("session cookie %+v", c)
		}
		if again := b.Navigate("http://app.test/"); !again.Chain[0].HSTSUpgrade() {
			t.Errorf("HSTS not recorded:\n%s", again)
		}
		for _, m := range b.Problems() {
			t.Errorf("browser: %v", m)
		}
	}
}

// A navigation's chain as a test failure message shows it: the browser's
// own HSTS upgrade, then the server's answer.
func ExampleNavigation_String() {
	nav := &browsertest.Navigation{
		URL: "http://app.test/account",
		Chain: []browsertest.Exchange{
			{Method: "GET", URL: "http://app.test/account", Status: 307, Location: "https://app.test/account",
				Header: http.Header{"Non-Authoritative-Reason": {"HSTS"}}},
			{Method: "GET", URL: "https://app.test/account", Status: 303, Location: "/login"},
			{Method: "GET", URL: "https://app.test/login", Error: "net::ERR_CONNECTION_RESET"},
		},
		Err: "net::ERR_CONNECTION_RESET",
	}
	fmt.Println(nav)
	fmt.Println(nav.Chain[0].HSTSUpgrade(), nav.Chain[1].HSTSUpgrade())
	// Output:
	// GET http://app.test/account → 307 (internal: HSTS) https://app.test/account
	// GET https://app.test/account → 303 /login
	// GET https://app.test/login → net::ERR_CONNECTION_RESET
	// load error: net::ERR_CONNECTION_RESET
	// true false
}
