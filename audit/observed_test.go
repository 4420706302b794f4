package audit

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestObserved: the report carries the evidence of the measures — the
// redirect chain, the security headers and the cookies' attributes —
// and never a cookie's value.
func TestObserved(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	f := serve(t, "seen.test", ca.issue(t, certOpts{names: []string{"seen.test"}}), hardened(t, "seen.test", nil))
	rep := run(t, f, Options{Roots: ca.pool, Paths: []string{"/login"}})
	o := rep.Observed
	if o == nil {
		t.Fatal("no observations")
	}
	if len(o.Redirects) != 2 || o.Redirects[0].Status != http.StatusPermanentRedirect ||
		!strings.HasPrefix(o.Redirects[0].Location, "https://seen.test:") || o.Redirects[1].Status != http.StatusOK {
		t.Errorf("redirects %+v", o.Redirects)
	}
	for _, h := range []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"} {
		if o.Headers[h] == "" {
			t.Errorf("header %s not observed: %v", h, o.Headers)
		}
	}
	if _, ok := o.Headers["Content-Type"]; ok {
		t.Errorf("a header that is not a security header was kept: %v", o.Headers)
	}
	pages := []string{}
	for _, c := range o.Cookies {
		if c.Name == "sessionid" && c.Secure && c.HTTPOnly && c.SameSite != "" {
			pages = append(pages, c.Page)
		}
	}
	if !slices.Equal(pages, []string{"/", "/login"}) {
		t.Errorf("cookies %+v", o.Cookies)
	}
}

func TestObserveCookies(t *testing.T) {
	got := observeCookies("/x", []string{
		"a=secret; Path=/p; Domain=seen.test; Secure; HttpOnly; SameSite=Strict",
		"b=2; SameSite=None; Secure",
		"c=3",
		"=novalue-name; Secure", // does not parse: left to the cookie rules
	})
	want := []Cookie{
		{Name: "a", Page: "/x", Path: "/p", Domain: "seen.test", Secure: true, HTTPOnly: true, SameSite: "Strict"},
		{Name: "b", Page: "/x", Secure: true, SameSite: "None"},
		{Name: "c", Page: "/x"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
