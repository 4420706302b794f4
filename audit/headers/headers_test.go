package headers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/shield"
)

// hardened is a header set with nothing to report.
func hardened() http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=()")
	h.Set("Server", "portcullis")
	return h
}

func rulesOf(h http.Header) []string {
	var out []string
	for _, f := range Check("https://example.com/", h) {
		out = append(out, f.Rule)
	}
	slices.Sort(out)
	return out
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(h http.Header)
		want string // sorted rule IDs, comma-separated
	}{
		{"hardened", func(h http.Header) {}, ""},
		{"nothing at all", func(h http.Header) {
			for k := range h {
				delete(h, k)
			}
		}, "csp.missing,header.coop-missing,header.corp-missing,header.frame-options-missing,header.nosniff-missing,header.permissions-policy-missing,header.referrer-policy-missing"},
		{"XFO alone is enough for framing", func(h http.Header) {
			h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'")
		}, "csp.frame-ancestors-missing"},
		{"frame-ancestors alone is enough", func(h http.Header) { h.Del("X-Frame-Options") }, ""},
		{"ALLOW-FROM is not honoured", func(h http.Header) {
			h.Set("X-Frame-Options", "ALLOW-FROM https://a.example")
			h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'")
		}, "csp.frame-ancestors-missing,header.frame-options-missing"},
		{"SAMEORIGIN", func(h http.Header) {
			h.Set("X-Frame-Options", "sameorigin")
			h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'")
		}, "csp.frame-ancestors-missing,header.frame-options-weak"},
		{"nosniff misspelled", func(h http.Header) { h.Set("X-Content-Type-Options", "no-sniff") }, "header.nosniff-missing"},
		{"referrer unsafe-url", func(h http.Header) { h.Set("Referrer-Policy", "unsafe-url") }, "header.referrer-policy-unsafe"},
		{"referrer last recognized wins", func(h http.Header) { h.Set("Referrer-Policy", "unsafe-url, no-referrer, bogus") }, ""},
		{"referrer garbage", func(h http.Header) { h.Set("Referrer-Policy", "always") }, "header.referrer-policy-invalid"},
		{"coop with report-to", func(h http.Header) { h.Set("Cross-Origin-Opener-Policy", `same-origin; report-to="x"`) }, ""},
		{"coop invalid", func(h http.Header) { h.Set("Cross-Origin-Opener-Policy", "deny") }, "header.coop-invalid"},
		{"xss filter on", func(h http.Header) { h.Set("X-XSS-Protection", "1; mode=block") }, "header.xss-protection-enabled"},
		{"xss filter off", func(h http.Header) { h.Set("X-XSS-Protection", "0") }, ""},
		{"permissions policy invalid", func(h http.Header) { h.Set("Permissions-Policy", "camera=(self") }, "permissions.invalid"},
		{"server version", func(h http.Header) { h.Set("Server", "nginx/1.22.1") }, "header.server-version"},
		{"powered by", func(h http.Header) { h.Set("X-Powered-By", "PHP/8.2.7") }, "header.server-version"},
		{"report-only only", func(h http.Header) {
			h.Set("Content-Security-Policy-Report-Only", h.Get("Content-Security-Policy"))
			h.Del("Content-Security-Policy")
		}, "csp.report-only-only"},
		{"unsafe-inline", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, "csp.unsafe-inline"},
		{"unsafe-inline ignored next to a nonce", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src 'nonce-abcdefghijklmnopqrstuv' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, ""},
		{"no script restriction", func(h http.Header) {
			h.Set("Content-Security-Policy", "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
		}, "csp.unsafe-inline"},
		{"unsafe-eval", func(h http.Header) {
			h.Set("Content-Security-Policy", "default-src 'self' 'unsafe-eval'; base-uri 'none'; frame-ancestors 'none'")
		}, "csp.unsafe-eval"},
		{"wildcard and scheme", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src * https: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, "csp.scheme-source,csp.wildcard-source"},
		{"strict-dynamic with a nonce ignores hosts", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src 'strict-dynamic' 'nonce-abcdefghijklmnopqrstuv' https: 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, ""},
		{"strict-dynamic without a nonce", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src 'strict-dynamic' 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, "csp.strict-dynamic-without-nonce"},
		{"two policies: one strict is enough", func(h http.Header) {
			h.Add("Content-Security-Policy", "script-src * 'unsafe-inline'")
		}, ""},
		{"missing object-src and base-uri", func(h http.Header) {
			h.Set("Content-Security-Policy", "script-src 'self'; frame-ancestors 'none'")
		}, "csp.base-uri-missing,csp.object-src-missing"},
		{"invalid policy", func(h http.Header) {
			h.Set("Content-Security-Policy", "default-src 'self' 'nonce-'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}, "csp.invalid"},
	} {
		h := hardened()
		tc.edit(h)
		if got := strings.Join(rulesOf(h), ","); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestShieldOutput audits what shield really sends, with its defaults
// plus the strict CSP: the middleware and the auditor must agree.
func TestShieldOutput(t *testing.T) {
	t.Parallel()
	s, err := shield.New(shield.Options{Hosts: []string{"example.com"}, CSP: shield.CSP{Policy: new(csp.Strict())}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<p>hello</p>")
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Host = "example.com"
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Shield sends no Cross-Origin-Resource-Policy by default (it would
	// break legitimate embedding), and says so itself.
	got := Check("https://example.com/", resp.Header)
	if len(got) != 1 || got[0].Rule != "header.corp-missing" {
		t.Errorf("shield's defaults with the strict CSP: %v", got)
	}
	if !slices.ContainsFunc(s.Findings(), func(f rules.Finding) bool { return f.Rule == "header.corp-missing" }) {
		t.Errorf("shield does not report what the audit finds: %v", s.Findings())
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("default-src 'self'", "DENY", "no-referrer", "camera=()", "nginx/1")
	f.Add("script-src 'strict-dynamic' 'nonce-x'; ,, ;", "ALLOW-FROM x", "unsafe-url,", "(", "\x00")
	f.Fuzz(func(t *testing.T, cspv, xfo, ref, pp, server string) {
		h := http.Header{}
		h["Content-Security-Policy"] = []string{cspv}
		h["X-Frame-Options"] = []string{xfo}
		h["Referrer-Policy"] = []string{ref}
		h["Permissions-Policy"] = []string{pp}
		h["Server"] = []string{server}
		for _, f := range Check("https://example.com/", h) {
			if f.Rule == "" || f.Message == "" || len(f.Evidence) > 200+len("…") {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}
