package audit

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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
	// What each probe answered: the pages (read as HTML), the CORS
	// probes, the security.txt and its fields, the chain of each extra
	// page's http:// URL.
	if len(o.Pages) != 2 || o.Pages[0].Path != "/" || o.Pages[1].Path != "/login" || !o.Pages[0].HTML || o.Pages[0].Status != http.StatusOK ||
		!strings.HasPrefix(o.Pages[0].ContentType, "text/html") {
		t.Errorf("pages %+v", o.Pages)
	}
	if len(o.CORS) != 2 || o.CORS[0].Origin != evilOrigin || o.CORS[0].AllowOrigin != "" || o.CORS[1].Origin != "null" || o.CORS[1].Error != "" {
		t.Errorf("CORS %+v", o.CORS)
	}
	if s := o.SecurityTxt; s == nil || s.Status != http.StatusOK || !slices.Equal(s.Contact, []string{"mailto:security@seen.test"}) || s.Expires == "" {
		t.Errorf("security.txt %+v", s)
	}
	if len(o.PathRedirects) != 1 || o.PathRedirects[0].Page != "/login" || len(o.PathRedirects[0].Hops) != 2 {
		t.Errorf("path chains %+v", o.PathRedirects)
	}
	if o.HSTSNotApplicable {
		t.Error("HSTS judged not applicable to a DNS name")
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

// TestNoHTTPSNoHSTSVerdict: when the HTTPS page cannot be fetched there is
// no evidence about HSTS, so no hsts finding is made; the error says why.
func TestNoHTTPSNoHSTSVerdict(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://gone.test:1/", http.StatusPermanentRedirect)
	}))
	defer plain.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpsPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	httpPort := plain.Listener.Addr().(*net.TCPAddr).Port
	reps := Run(context.Background(), []Target{{Host: "gone.test", HTTPSPort: httpsPort, HTTPPort: httpPort}}, Options{
		Timeout: 2 * time.Second, NoTLSProbe: true,
		Resolve: map[string]string{"gone.test:" + strconv.Itoa(httpsPort): "127.0.0.1", "gone.test:" + strconv.Itoa(httpPort): "127.0.0.1"},
	})
	for _, f := range reps[0].Findings {
		if strings.HasPrefix(f.Rule, "hsts.") {
			t.Errorf("HSTS judged without an HTTPS response: %+v", f)
		}
	}
	if len(reps[0].Errors) == 0 {
		t.Error("no error says the HTTPS page could not be fetched")
	}
}

// TestResumption: a second connection resumes the first's session when
// the server issues tickets (Go's default, TLS 1.2 and 1.3), and not when
// it does not.
func TestResumption(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	for _, tc := range []struct {
		name     string
		version  uint16
		disabled bool
		want     bool
	}{
		{"TLS 1.3 tickets", tls.VersionTLS13, false, true},
		{"TLS 1.2 tickets", tls.VersionTLS12, false, true},
		{"TLS 1.3 no tickets", tls.VersionTLS13, true, false},
		{"TLS 1.2 no tickets", tls.VersionTLS12, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crt := ca.issue(t, certOpts{names: []string{"resume.test"}})
			cfg := &tls.Config{Certificates: []tls.Certificate{crt}, MinVersion: tc.version, MaxVersion: tc.version, SessionTicketsDisabled: tc.disabled}
			f := serveTLS(t, "resume.test", crt, hardened(t, "resume.test", nil), cfg)
			rep := run(t, f, Options{Roots: ca.pool})
			if rep.TLS == nil || rep.TLS.Resumption != tc.want {
				t.Errorf("resumption %+v, want %v", rep.TLS, tc.want)
			}
		})
	}
}
