package audit

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"maps"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/securitytxt"
	"github.com/portcullis/portcullis/server/tlsprofile"
	"github.com/portcullis/portcullis/shield"
)

// testCA issues the fixtures' certificates.
type testCA struct {
	*testutil.CA
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	ca := testutil.NewCA(t, "Audit Test Root")
	return &testCA{CA: ca, cert: ca.Cert, key: ca.Key, pool: ca.Pool()}
}

type certOpts struct {
	names       []string
	from, until time.Time
	selfSigned  bool
}

func (ca *testCA) issue(t testing.TB, o certOpts) tls.Certificate {
	t.Helper()
	if o.from.IsZero() {
		o.from, o.until = time.Now().Add(-time.Hour), time.Now().AddDate(0, 3, 0)
	}
	if !o.selfSigned {
		return ca.Leaf(t, o.names, o.from, o.until)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: o.names[0]},
		DNSNames: o.names, NotBefore: o.from, NotAfter: o.until, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// fixture is a site on loopback: an HTTPS and a plain-HTTP listener.
type fixture struct {
	target  Target
	resolve map[string]string
}

// serve starts handler on both listeners of a site named host, with the
// certificate given.
func serve(t testing.TB, host string, crt tls.Certificate, handler func(httpsPort int) http.Handler) fixture {
	t.Helper()
	return serveTLS(t, host, crt, handler, nil)
}

// serveTLS is serve with a TLS configuration of its own (nil: portcullis's
// intermediate profile).
func serveTLS(t testing.TB, host string, crt tls.Certificate, handler func(httpsPort int) http.Handler, tc *tls.Config) fixture {
	t.Helper()
	lnTLS, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnHTTP, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, httpPort := lnTLS.Addr().(*net.TCPAddr).Port, lnHTTP.Addr().(*net.TCPAddr).Port
	h := handler(httpsPort)
	if tc == nil { // portcullis's own TLS profile, as `portcullis serve` runs it
		tc, err = tlsprofile.Config(tlsprofile.Intermediate, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &crt, nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	quiet := log.New(io.Discard, "", 0) // the TLS prober's refused handshakes
	s1 := &http.Server{Handler: h, TLSConfig: tc, ErrorLog: quiet}
	s2 := &http.Server{Handler: h, ErrorLog: quiet}
	go s1.ServeTLS(lnTLS, "", "")
	go s2.Serve(lnHTTP)
	t.Cleanup(func() { s1.Close(); s2.Close() })
	return fixture{
		target: Target{Host: host, HTTPSPort: httpsPort, HTTPPort: httpPort},
		resolve: map[string]string{
			net.JoinHostPort(host, strconv.Itoa(httpsPort)): "127.0.0.1",
			net.JoinHostPort(host, strconv.Itoa(httpPort)):  "127.0.0.1",
		},
	}
}

// app is a plain application: a page and a session cookie.
func app() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3cret", Path: "/"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>app</title><p>hello</p>")
	})
}

// hardened puts app behind shield as portcullis would: redirect, HSTS
// with preload, strict CSP, security.txt.
func hardened(t testing.TB, host string, edit func(*shield.Options)) func(int) http.Handler {
	return hardenedWith(t, host, edit, app())
}

// hardenedWith is hardened in front of inner.
func hardenedWith(t testing.TB, host string, edit func(*shield.Options), inner http.Handler) func(int) http.Handler {
	return func(httpsPort int) http.Handler {
		o := shield.Options{
			Hosts:    []string{host},
			Redirect: shield.Redirect{Port: httpsPort},
			HSTS:     shield.HSTS{Preload: true},
			CSP:      shield.CSP{Policy: new(csp.Strict())},
			SecurityTxt: &shield.SecurityTxt{
				File:      securitytxt.File{Contact: []string{"mailto:security@" + host}},
				ExpiresIn: 90 * 24 * time.Hour,
			},
		}
		if edit != nil {
			edit(&o)
		}
		s, err := shield.New(o)
		if err != nil {
			t.Fatal(err)
		}
		return s.Wrap(inner)
	}
}

func run(t *testing.T, f fixture, o Options) Report {
	t.Helper()
	o.Resolve = f.resolve
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	reps := Run(context.Background(), []Target{f.target}, o)
	return reps[0]
}

func ruleIDs(fs []rules.Finding, min rules.Severity) []string {
	var out []string
	for _, f := range fs {
		if f.Severity >= min {
			out = append(out, f.Rule)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestHardenedSiteGetsAPlus audits a site behind shield with portcullis's
// settings: A+, and nothing above informational.
func TestHardenedSiteGetsAPlus(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	f := serve(t, "site.test", ca.issue(t, certOpts{names: []string{"site.test"}}), hardened(t, "site.test", nil))
	rep := run(t, f, Options{Roots: ca.pool})
	if rep.Grade.Letter != "A+" || len(ruleIDs(rep.Findings, rules.Low)) > 0 || len(rep.Errors) > 0 {
		t.Errorf("grade %s (%d), findings above info: %v, errors %v", rep.Grade.Letter, rep.Grade.Score,
			ruleIDs(rep.Findings, rules.Low), rep.Errors)
	}
	if rep.Cert == nil || !rep.Cert.Trusted {
		t.Errorf("certificate info %+v", rep.Cert)
	}
}

// withSecurityTxt is the hardened app serving, instead of shield's own, a
// security.txt that expires at expires.
func withSecurityTxt(t testing.TB, host string, expires time.Time) func(int) http.Handler {
	f := securitytxt.File{Contact: []string{"mailto:security@" + host}, Expires: expires}
	return hardenedWith(t, host, func(o *shield.Options) { o.SecurityTxt = nil }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/security.txt" {
			app().ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(f.Render())
	}))
}

// TestMisconfigurations audits one fixture per misconfiguration and
// checks the finding it must produce and the grade it caps.
func TestMisconfigurations(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	good := func(host string) tls.Certificate { return ca.issue(t, certOpts{names: []string{host}}) }
	for _, tc := range []struct {
		name    string
		cert    func(host string) tls.Certificate
		handler func(host string) func(int) http.Handler
		want    []string // rules that must be found
		atMost  string   // the grade may be no better than this
	}{
		{"no redirect", good, func(h string) func(int) http.Handler {
			return func(int) http.Handler { return app() }
		}, []string{"redirect.missing", "hsts.missing", "csp.missing", "cookie.secure-missing", "header.frame-options-missing"}, "C"},
		{"short HSTS", good, func(h string) func(int) http.Handler {
			return hardened(t, h, func(o *shield.Options) { o.HSTS = shield.HSTS{MaxAge: 300 * time.Second} })
		}, []string{"hsts.max-age-short", "hsts.no-preload"}, "A"},
		{"framing allowed", good, func(h string) func(int) http.Handler {
			return hardened(t, h, func(o *shield.Options) {
				o.Headers.FrameOptions.Disable = true
				o.CSP.Policy = new(csp.Policy{Directives: []csp.Directive{{Name: "default-src", Sources: []string{"'self'"}}, {Name: "object-src", Sources: []string{"'none'"}}, {Name: "base-uri", Sources: []string{"'self'"}}}})
			})
		}, []string{"header.frame-options-missing", "csp.frame-ancestors-missing"}, "A"},
		{"unsafe CSP", good, func(h string) func(int) http.Handler {
			return hardened(t, h, func(o *shield.Options) {
				o.CSP.Policy = new(csp.Policy{Directives: []csp.Directive{{Name: "script-src", Sources: []string{"*", "'unsafe-inline'", "'unsafe-eval'"}},
					{Name: "object-src", Sources: []string{"'none'"}}, {Name: "base-uri", Sources: []string{"'self'"}}, {Name: "frame-ancestors", Sources: []string{"'none'"}}}})
			})
		}, []string{"csp.unsafe-inline", "csp.unsafe-eval", "csp.wildcard-source"}, "C"},
		{"cookie without Secure", good, func(h string) func(int) http.Handler {
			return hardened(t, h, func(o *shield.Options) { o.Cookies.Disable = true })
		}, []string{"cookie.secure-missing", "cookie.httponly-missing", "cookie.samesite-missing"}, "B"},
		{"expired certificate", func(h string) tls.Certificate {
			return ca.issue(t, certOpts{names: []string{h}, from: time.Now().AddDate(0, -3, 0), until: time.Now().AddDate(0, 0, -1)})
		}, func(h string) func(int) http.Handler { return hardened(t, h, nil) }, []string{"cert.expired", "hsts.preload-ineligible"}, "F"},
		{"wrong host name", func(h string) tls.Certificate { return good("other.test") },
			func(h string) func(int) http.Handler { return hardened(t, h, nil) }, []string{"cert.hostname-mismatch"}, "F"},
		{"self-signed", func(h string) tls.Certificate { return ca.issue(t, certOpts{names: []string{h}, selfSigned: true}) },
			func(h string) func(int) http.Handler { return hardened(t, h, nil) }, []string{"cert.self-signed"}, "F"},
		{"mixed content", good, func(h string) func(int) http.Handler {
			page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, `<!doctype html><title>shop</title><script src="http://cdn.example/app.js"></script>`+
					`<img src="http://cdn.example/logo.png"><form action="http://shop.example/login" method="post"></form>`)
			})
			return hardenedWith(t, h, nil, page)
		}, []string{"content.mixed-active", "content.mixed-passive", "redirect.http-form-action"}, "C"},
		{"no security.txt", good, func(h string) func(int) http.Handler {
			return hardened(t, h, func(o *shield.Options) { o.SecurityTxt = nil })
		}, []string{"securitytxt.missing"}, "A"},
		{"stale security.txt", good, func(h string) func(int) http.Handler {
			return withSecurityTxt(t, h, time.Now().AddDate(0, 0, -10))
		}, []string{"securitytxt.expired"}, "A"},
		{"security.txt expiring in two years", good, func(h string) func(int) http.Handler {
			return withSecurityTxt(t, h, time.Now().AddDate(2, 0, 0))
		}, []string{"securitytxt.expires-too-far"}, "A+"},
		{"CORS reflects any origin", good, func(h string) func(int) http.Handler {
			inner := hardened(t, h, nil)
			return func(p int) http.Handler {
				next := inner(p)
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if o := r.Header.Get("Origin"); o != "" {
						w.Header().Set("Access-Control-Allow-Origin", o)
						w.Header().Set("Access-Control-Allow-Credentials", "true")
					}
					next.ServeHTTP(w, r)
				})
			}
		}, []string{"cors.origin-reflected", "cors.null-origin"}, "B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host := strings.ReplaceAll(tc.name, " ", "-") + ".test"
			f := serve(t, host, tc.cert(host), tc.handler(host))
			rep := run(t, f, Options{Roots: ca.pool})
			got := ruleIDs(rep.Findings, rules.Info)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s among %v", w, got)
				}
			}
			if rankOf(rep.Grade.Letter) < rankOf(tc.atMost) {
				t.Errorf("grade %s, better than %s: %+v", rep.Grade.Letter, tc.atMost, rep.Grade)
			}
		})
	}
}

// TestLegacyTLS audits a server that still speaks TLS 1.0 with CBC and
// 3DES suites: the prober finds them and the grade is capped.
func TestLegacyTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	crt := ca.issue(t, certOpts{names: []string{"legacy.test"}})
	tc := &tls.Config{Certificates: []tls.Certificate{crt}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
			tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}
	f := serveTLS(t, "legacy.test", crt, hardened(t, "legacy.test", nil), tc)
	rep := run(t, f, Options{Roots: ca.pool})
	got := ruleIDs(rep.Findings, rules.Info)
	for _, w := range []string{"tls.legacy-protocol", "tls.no-tls13", "tls.cbc-cipher"} {
		if !slices.Contains(got, w) {
			t.Errorf("no %s among %v", w, got)
		}
	}
	if rep.TLS == nil || len(rep.TLS.Versions) != 3 || rankOf(rep.Grade.Letter) < rankOf("B") {
		t.Errorf("TLS %+v, grade %+v", rep.TLS, rep.Grade)
	}
}

func rankOf(l string) int {
	return slices.Index([]string{"A+", "A", "B", "C", "D", "F"}, l)
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Target{
		"example.com":               {"example.com", 443, 80},
		"https://Example.com:8443/": {"example.com", 8443, 80},
		"http://example.com:8080":   {"example.com", 443, 8080},
		"[::1]:8443":                {"::1", 8443, 80},
	} {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://:80", "example.com:99999"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

// TestPanicCostsOneTarget: a panic while auditing one target (a bug, most
// likely met on a hostile site's bytes) becomes that target's error, with
// the stack, and the other targets' audits finish. Not parallel: it sets
// the package's test hook.
func TestPanicCostsOneTarget(t *testing.T) {
	ca := newTestCA(t)
	a := serve(t, "a.test", ca.issue(t, certOpts{names: []string{"a.test"}}), hardened(t, "a.test", nil))
	b := serve(t, "b.test", ca.issue(t, certOpts{names: []string{"b.test"}}), hardened(t, "b.test", nil))
	resolve := maps.Clone(a.resolve)
	maps.Copy(resolve, b.resolve)
	for _, stage := range []string{"run", "tls"} {
		t.Run(stage, func(t *testing.T) {
			testHook = func(s string, tg Target) {
				if s == stage && tg.Host == "a.test" {
					panic("boom in " + s)
				}
			}
			t.Cleanup(func() { testHook = nil })
			reps := Run(context.Background(), []Target{a.target, b.target}, Options{Roots: ca.pool, Resolve: resolve, Timeout: 5 * time.Second})
			bad, good := reps[0], reps[1]
			if good.Grade.Letter != "A+" || len(good.Errors) != 0 {
				t.Errorf("the other target: grade %q, errors %q", good.Grade.Letter, good.Errors)
			}
			want := map[string]string{"run": "audit: internal error", "tls": "TLS enumeration: internal error"}[stage]
			if len(bad.Errors) != 1 || !strings.HasPrefix(bad.Errors[0], want) || !strings.Contains(bad.Errors[0], "boom in "+stage) ||
				!strings.Contains(bad.Errors[0], "audit.(*auditor).run") {
				t.Fatalf("the panicking target's errors: %q", bad.Errors)
			}
			switch stage {
			case "run": // nothing was audited: no findings, no grade
				if bad.Target != "a.test:"+strconv.Itoa(a.target.HTTPSPort) || bad.Cert != nil || len(bad.Findings) != 0 || bad.Grade.Letter != "" {
					t.Errorf("report after a panic: %+v", bad)
				}
			case "tls": // the page checks stand; the TLS picture is missing
				if bad.TLS != nil || bad.Cert == nil || len(bad.Findings) == 0 {
					t.Errorf("report after a panic in the TLS enumeration: TLS %v, cert %v, %d findings", bad.TLS, bad.Cert, len(bad.Findings))
				}
			}
		})
	}
}
