package django

import (
	"crypto/x509"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
)

// TestDjangoInBrowser walks the Django example behind portcullis in a
// real Chromium: http:// lands on https:// through portcullis's 308, the
// stock login form signs in and the session's form posts with Django's
// CSRF token, the cookies the browser stored carry the flags portcullis
// added (Django's settings ask for none), no console, CSP or
// mixed-content problem is reported, and once the browser has seen the
// HSTS header it upgrades http:// itself: the plain-HTTP listener never
// sees that request. A screenshot of the signed-in page is kept.
func TestDjangoInBrowser(t *testing.T) {
	// One Chromium at a time: two at once, beside the rest of the suite
	// on two cores, come close to the browser's per-action deadline.
	eachDjango(t, false, testInBrowser)
}

func testInBrowser(t *testing.T, r runtime) {
	s := startStack(t, r)
	b := browsertest.New(t, browsertest.Options{
		Hosts: map[string]netip.Addr{s.Name: s.IP},
		Roots: []*x509.Certificate{s.Site.CA.Cert},
	})
	const hsts = "max-age=31536000; includeSubDomains; preload"
	https, plainHTTP := s.IP.String()+":443", s.IP.String()+":80"

	// 1. http:// lands on https:// through portcullis's 308.
	nav := b.Navigate("http://app.test/accounts/login/")
	if nav.Err != "" || len(nav.Chain) != 2 {
		t.Fatalf("http://app.test/accounts/login/ did not redirect once then load:\n%s", nav)
	}
	if r := nav.Chain[0]; r.Status != 308 || r.Location != "https://app.test/accounts/login/" || r.HSTSUpgrade() || r.Remote != plainHTTP {
		t.Errorf("first hop is not portcullis's 308 from %s: %v (from %q)", plainHTTP, r, r.Remote)
	}
	if f := nav.Final(); f.String() != "GET https://app.test/accounts/login/ → 200" || f.Remote != https {
		t.Errorf("landing: %v (from %q)", f, f.Remote)
	} else if got := f.Header.Get("Strict-Transport-Security"); got != hsts {
		t.Errorf("Strict-Transport-Security on Django's login page %q, want %q", got, hsts)
	}

	// 2. Sign in through Django's form (its CSRF token travels in the
	// form and the csrftoken cookie), then post the account form.
	b.Fill("#id_username", s.User)
	b.Fill("#id_password", s.Password)
	login := b.ClickAndWait("#login")
	if login.Err != "" || len(login.Chain) != 2 ||
		login.Chain[0].String() != "POST https://app.test/accounts/login/ → 302 /account/" ||
		login.Chain[1].String() != "GET https://app.test/account/ → 200" {
		t.Fatalf("signing in:\n%s", login)
	}
	if got := b.Text("#user"); got != "Signed in as "+s.User {
		t.Fatalf("account page says %q", got)
	}
	b.Eval(`document.querySelector("#id_theme").value = "dark"`, nil)
	save := b.ClickAndWait("#save")
	if save.Err != "" || save.Final().String() != "GET https://app.test/account/ → 200" || b.Text("#theme") != "Theme: dark" {
		t.Fatalf("posting the account form (CSRF token from the browser):\n%s\npage says %q", save, b.Text("#theme"))
	}

	// Django saw the browser's requests as secure.
	who := b.Navigate("https://app.test/whoami.json")
	var seen struct {
		User     string `json:"user"`
		IsSecure bool   `json:"is_secure"`
		Scheme   string `json:"scheme"`
		Host     string `json:"host"`
	}
	var body string
	b.Eval(`document.body.innerText`, &body)
	if err := json.Unmarshal([]byte(body), &seen); err != nil || who.Err != "" {
		t.Fatalf("whoami.json: %v %s\n%s", err, who, body)
	}
	if !seen.IsSecure || seen.Scheme != "https" || seen.Host != s.Name || seen.User != s.User {
		t.Errorf("Django saw %+v", seen)
	}

	// 3. The cookies as the browser stored them.
	for _, w := range []struct {
		name     string
		httpOnly bool
	}{
		{"sessionid", true},
		{"csrftoken", false}, // Django's own JavaScript may read it (CSRF_COOKIE_HTTPONLY default)
	} {
		c, ok := b.Cookie(w.name)
		if !ok {
			t.Errorf("the browser has no %s cookie; it has %+v", w.name, b.Cookies())
			continue
		}
		if c.Domain != s.Name || c.Path != "/" || !c.Secure || c.HTTPOnly != w.httpOnly || c.SameSite != "Lax" {
			t.Errorf("cookie %s stored as %+v; want domain %s, path /, Secure, HttpOnly %v, SameSite Lax", w.name, c, s.Name, w.httpOnly)
		}
	}

	// 5. HSTS is recorded: a later http:// URL is upgraded inside the
	// browser, and the plain-HTTP listener never sees the request.
	if plain, _ := e2e.SplitTLS(s.Serve.AccessLog()); len(plain) != 1 || plain[0].String() != "GET http://app.test/accounts/login/ 308" {
		t.Errorf("plain-HTTP requests before the HSTS visit: %v, want the one 308", plain)
	}
	b.CheckHSTSUpgrade(s.Serve, "http://app.test/account/", https)

	// 4. Nothing went wrong on the way: no console error, CSP violation
	// or mixed-content warning, no failed request.
	b.CheckClean()

	// 6. A screenshot of the signed-in page, kept with -artifacts.
	b.ScreenshotArtifact("django-account.png")
}
