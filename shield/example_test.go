package shield_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/shield"
)

// Wrapping a plain handler: the zero Options are the secure defaults, so
// naming the hosts is all most applications need.
func Example() {
	s, err := shield.New(shield.Options{Hosts: []string{"example.com", ".example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "abc", Path: "/"})
		io.WriteString(w, "hello")
	})
	srv := httptest.NewTLSServer(s.Wrap(app))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Host = "www.example.com"
	resp, err := srv.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Set-Cookie"} {
		fmt.Printf("%s: %s\n", h, resp.Header.Get(h))
	}
	// Output:
	// Strict-Transport-Security: max-age=31536000; includeSubDomains
	// X-Frame-Options: DENY
	// X-Content-Type-Options: nosniff
	// Referrer-Policy: same-origin
	// Set-Cookie: sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax
}

// Plain HTTP is redirected to HTTPS with 308, which keeps a POST's method
// and body; a Host that is not allowed gets 400 and no redirect.
func ExampleShield_Wrap() {
	s, _ := shield.New(shield.Options{Hosts: []string{"example.com"}})
	h := s.Wrap(http.NotFoundHandler())

	for _, host := range []string{"example.com", "evil.example"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "http://"+host+"/login?next=/", nil)
		h.ServeHTTP(rec, req)
		fmt.Println(host, rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// example.com 308 https://example.com/login?next=/
	// evil.example 400
}

// A strict CSP with a fresh nonce per request; templates get it from
// shield.Nonce.
func ExampleNonce() {
	policy := csp.Strict()
	s, _ := shield.New(shield.Options{
		Hosts: []string{"example.com"},
		CSP:   shield.CSP{Policy: &policy, Nonce: true},
	})
	var nonce string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce = shield.Nonce(r)
		fmt.Fprintf(w, `<script nonce="%s">…</script>`, nonce)
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	s.Wrap(app).ServeHTTP(rec, req)
	header := rec.Header().Get("Content-Security-Policy")
	fmt.Println(len(nonce) >= 22, strings.Contains(header, "'nonce-"+nonce+"'"))
	// Output: true true
}

// Which rules of the catalog a configuration satisfies.
func ExampleShield_Findings() {
	s, _ := shield.New(shield.Options{
		Hosts:    []string{"example.com"},
		Redirect: shield.Redirect{Disable: true},
	})
	for _, f := range s.Findings() {
		fmt.Println(f.Rule)
	}
	// Output:
	// redirect.missing
	// cookie.secure-missing
	// csp.unsafe-inline
	// securitytxt.missing
	// hsts.no-preload
	// header.corp-missing
}

// A server with several sites routes each request to the first whose
// hosts allow its Host, as asking each Shield's AllowsHost in turn would,
// in constant time.
func ExampleRouter() {
	var sites []*shield.Shield
	for _, hosts := range [][]string{{"shop.example.com"}, {".example.com"}, {"*"}} {
		s, err := shield.New(shield.Options{Hosts: hosts})
		if err != nil {
			log.Fatal(err)
		}
		sites = append(sites, s)
	}
	r := shield.NewRouter(sites)
	for _, host := range []string{"shop.example.com:443", "blog.example.com", "other.test", "bad host"} {
		fmt.Println(host, "→", r.Route(host))
	}
	// Output:
	// shop.example.com:443 → 0
	// blog.example.com → 1
	// other.test → 2
	// bad host → -1
}
