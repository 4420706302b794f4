package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/shield"
)

// closedPort returns a loopback port nothing listens on: connections are
// refused.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// silentPort returns a loopback port whose listener accepts connections
// and never answers, until the test ends.
func silentPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// plainServer serves h over plain HTTP on loopback until the test ends.
func plainServer(t *testing.T, h http.Handler) int {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS prober's hellos
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// withPorts is f with other HTTPS and plain-HTTP ports (0 keeps f's).
func withPorts(f fixture, httpsPort, httpPort int) fixture {
	if httpsPort != 0 {
		f.target.HTTPSPort = httpsPort
	}
	if httpPort != 0 {
		f.target.HTTPPort = httpPort
	}
	f.resolve = map[string]string{
		net.JoinHostPort(f.target.Host, strconv.Itoa(f.target.HTTPSPort)): "127.0.0.1",
		net.JoinHostPort(f.target.Host, strconv.Itoa(f.target.HTTPPort)):  "127.0.0.1",
	}
	return f
}

// finding is rep's first finding of rule id, nil if none.
func finding(rep Report, id string) *rules.Finding {
	i := slices.IndexFunc(rep.Findings, func(f rules.Finding) bool { return f.Rule == id })
	if i < 0 {
		return nil
	}
	return &rep.Findings[i]
}

// TestReachability: what the audit concludes when a listener does not
// answer. Plain HTTP that does not answer (a closed port, a listener that
// accepts and never answers) is a finding when HTTPS works; nothing on
// the HTTPS port while plain HTTP serves the site is an HTTP-only site,
// graded F; nothing on either is not audited, with no grade.
func TestReachability(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	site := func(host string) fixture {
		return serve(t, host, ca.issue(t, certOpts{names: []string{host}}), hardened(t, host, nil))
	}
	for _, tc := range []struct {
		name     string
		fixture  func(host string) fixture
		want     []string // rules found above info
		evidence string   // in the first of them
		letter   string   // "" when not audited
		errors   []string // prefixes of the errors, in order
	}{
		{"plain HTTP port closed", func(h string) fixture { return withPorts(site(h), 0, closedPort(t)) },
			[]string{"redirect.http-unreachable"}, "connection refused", "A", nil},
		{"plain HTTP never answers", func(h string) fixture { return withPorts(site(h), 0, silentPort(t)) },
			[]string{"redirect.http-unreachable"}, "Client.Timeout exceeded", "A", nil},
		{"HTTP only", func(h string) fixture {
			return withPorts(fixture{target: Target{Host: h}}, closedPort(t), plainServer(t, app()))
		}, []string{"redirect.missing", "tls.no-https"}, "connection refused", "F", nil},
		{"HTTP only, the HTTPS port speaks plain HTTP", func(h string) fixture {
			p := plainServer(t, app())
			return withPorts(fixture{target: Target{Host: h}}, p, p)
		}, []string{"redirect.missing", "tls.no-https"}, "server gave HTTP response to HTTPS client", "F", nil},
		{"nothing answers", func(h string) fixture {
			return withPorts(fixture{target: Target{Host: h}}, closedPort(t), closedPort(t))
		}, nil, "", "", []string{"GET https://", "GET http://"}},
		{"HTTPS never answers", func(h string) fixture {
			return withPorts(fixture{target: Target{Host: h}}, silentPort(t), plainServer(t, app()))
		}, []string{"redirect.missing"}, "200 http://", "", []string{"GET https://"}}, // what plain HTTP showed stands, ungraded
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host := strings.ReplaceAll(tc.name, " ", "-")
			host = strings.NewReplacer(",", "").Replace(host) + ".test"
			f := tc.fixture(host)
			rep := run(t, f, Options{Roots: ca.pool, Timeout: 2 * time.Second})
			if got := ruleIDs(rep.Findings, rules.Low); !slices.Equal(got, tc.want) {
				t.Errorf("findings above info %v, want %v (%+v)", got, tc.want, rep.Findings)
			}
			if len(tc.want) > 0 {
				f := finding(rep, tc.want[len(tc.want)-1])
				if !strings.Contains(f.Evidence, tc.evidence) {
					t.Errorf("%s evidence %q, want it to say %q", f.Rule, f.Evidence, tc.evidence)
				}
			}
			if rep.Grade.Letter != tc.letter {
				t.Errorf("grade %+v, want %q", rep.Grade, tc.letter)
			}
			if len(rep.Errors) != len(tc.errors) {
				t.Fatalf("errors %q, want %d", rep.Errors, len(tc.errors))
			}
			for i, e := range tc.errors {
				if !strings.HasPrefix(rep.Errors[i], e) {
					t.Errorf("error %d %q, want %s…", i, rep.Errors[i], e)
				}
			}
			if tc.letter == "F" { // HTTP only: nothing over HTTPS is judged, or reported as an error
				if rep.Cert != nil || rep.TLS != nil || len(rep.Observed.Pages) != 1 || rep.Observed.Pages[0].Error == "" ||
					rep.Observed.CORS != nil || rep.Observed.SecurityTxt != nil {
					t.Errorf("HTTP-only: cert %v, TLS %v, observed %+v", rep.Cert, rep.TLS, rep.Observed)
				}
			}
		})
	}
}

// TestPathsOverPlainHTTP: the http:// URL of every page of --paths is
// checked for its redirect to HTTPS too, and a page served over plain
// HTTP is redirect.missing at that page.
func TestPathsOverPlainHTTP(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	const host = "paths.test"
	inner := hardened(t, host, func(o *shield.Options) { o.Redirect.Exempt = []string{"/legacy"} })
	f := serve(t, host, ca.issue(t, certOpts{names: []string{host}}), inner)
	rep := run(t, f, Options{Roots: ca.pool, Paths: []string{"/login", "/legacy"}})
	legacy := f.target.httpURL("/legacy")
	var missing []string
	for _, fd := range rep.Findings {
		if fd.Rule == "redirect.missing" {
			missing = append(missing, fd.Target)
		}
	}
	if !slices.Equal(missing, []string{legacy}) || len(rep.Errors) != 0 {
		t.Errorf("redirect.missing at %q, want only %s; errors %q", missing, legacy, rep.Errors)
	}
	chains := rep.Observed.PathRedirects
	if len(chains) != 2 || chains[0].Page != "/login" || !chains[0].Hops[0].Redirect() ||
		chains[1].Page != "/legacy" || chains[1].Hops[0].Status != http.StatusOK {
		t.Errorf("path chains %+v", chains)
	}
}

// TestSecurityTxtOnLoopback: a missing security.txt is low, except on a
// loopback host, which no outside reporter can reach: informational.
func TestSecurityTxtOnLoopback(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	for host, want := range map[string]rules.Severity{"localhost": rules.Info, "127.0.0.1": rules.Info, "public.test": rules.Low} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			f := serve(t, host, ca.issue(t, certOpts{names: []string{host}}),
				hardened(t, host, func(o *shield.Options) { o.SecurityTxt = nil }))
			rep := run(t, f, Options{Roots: ca.pool})
			fd := finding(rep, "securitytxt.missing")
			if fd == nil || fd.Severity != want {
				t.Errorf("securitytxt.missing %+v, want severity %s", fd, want)
			}
			// The app answers every path with its HTML page: not a security.txt.
			if s := rep.Observed.SecurityTxt; s == nil || s.Status != http.StatusOK || !strings.HasPrefix(s.ContentType, "text/html") || s.Error != "" {
				t.Errorf("security.txt observed %+v", s)
			}
		})
	}
}

// TestNoSubjectAltNameLive: a server whose certificate names its host in
// the Common Name only fails the host-name check, and the finding says
// the certificate has no subjectAltName.
func TestNoSubjectAltNameLive(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	const host = "cn-only.test"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(0, 3, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, host, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hardened(t, host, nil))
	rep := run(t, f, Options{Roots: ca.pool})
	fd := finding(rep, "cert.hostname-mismatch")
	if fd == nil || !strings.HasPrefix(fd.Message, "the certificate has no subjectAltName") || !strings.Contains(fd.Message, fmt.Sprintf("(%q)", host)) {
		t.Errorf("hostname finding %+v", fd)
	}
	if rep.Cert == nil || len(rep.Cert.Names) != 0 || rep.Grade.Letter != "F" {
		t.Errorf("certificate %+v, grade %+v", rep.Cert, rep.Grade)
	}
}
