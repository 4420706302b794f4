package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/portcullis/portcullis/audit/caa"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/spki"
)

// edgeFront is a CDN-like front on loopback: a reverse proxy to the
// origin at originAddr over TLS (SNI: the site's name), which adds Via,
// X-Served-By and X-Cache as Fastly does and drops the headers in drop.
// verify says whether it checks the origin's certificate (Cloudflare's
// "Full (strict)"; without, "Full"). Plain HTTP is redirected to HTTPS.
func edgeFront(host, originAddr string, roots *x509.CertPool, verify bool, drop ...string) func(int) http.Handler {
	return func(httpsPort int) http.Handler {
		d := net.Dialer{Timeout: 5 * time.Second}
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "https", pr.In.Host, pr.In.Host
			},
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return d.DialContext(ctx, network, originAddr)
				},
				TLSClientConfig: &tls.Config{ServerName: host, RootCAs: roots, InsecureSkipVerify: !verify},
			},
			ModifyResponse: func(r *http.Response) error {
				for _, h := range drop {
					r.Header.Del(h)
				}
				r.Header.Add("Via", "1.1 edge.test (test CDN)")
				r.Header.Set("X-Served-By", "cache-lo-127001")
				r.Header.Set("X-Cache", "MISS")
				return nil
			},
			ErrorLog: log.New(io.Discard, "", 0),
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil {
				http.Redirect(w, r, "https://"+host+":"+strconv.Itoa(httpsPort)+r.URL.RequestURI(), http.StatusPermanentRedirect)
				return
			}
			rp.ServeHTTP(w, r)
		})
	}
}

// plainToo is hardened over HTTPS, and serves app over plain HTTP
// instead of redirecting: an origin the CDN reaches unencrypted.
func plainToo(t testing.TB, host string) func(int) http.Handler {
	return func(p int) http.Handler {
		h := hardened(t, host, nil)(p)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil {
				app().ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func addrOf(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// TestOriginBehindCDN audits a site through a CDN-like front, with the
// origin given: the CDN is recognised, the origin is audited under the
// site's name and compared with the edge.
func TestOriginBehindCDN(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	const host = "cdn.test"
	good := func() tls.Certificate { return ca.issue(t, certOpts{names: []string{host}}) }
	closed := func() int { // a port nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		origin func(host string) func(int) http.Handler
		// originAt picks the --origin address and the plain-HTTP port
		// from the origin fixture's ports.
		originAt func(httpsPort, httpPort int) (string, int)
		want     []string // rules at low or above that must be found
		not      []string // rules that must not be
		problems int      // certificate problems of the origin, at least
		err      string   // an error of the audit, "" for none
	}{
		{"good origin", good(), func(h string) func(int) http.Handler { return hardened(t, h, nil) },
			func(s, p int) (string, int) { return addrOf(s), p },
			[]string{"cdn.header-mismatch", "header.coop-missing", "header.cache-shared-private"},
			[]string{"cdn.origin-plain-http", "cdn.origin-cert-invalid"}, 0, ""},
		{"origin serves plain HTTP", good(), func(h string) func(int) http.Handler { return plainToo(t, h) },
			func(s, p int) (string, int) { return addrOf(s), p },
			[]string{"cdn.origin-plain-http"}, []string{"cdn.origin-cert-invalid"}, 0, ""},
		{"origin address speaks plain HTTP", good(), func(h string) func(int) http.Handler { return plainToo(t, h) },
			func(s, p int) (string, int) { return addrOf(p), p },
			[]string{"cdn.origin-plain-http"}, []string{"cdn.origin-cert-invalid", "cdn.header-mismatch"}, 0, ""},
		{"origin certificate expired", ca.issue(t, certOpts{names: []string{host}, from: time.Now().AddDate(0, -3, 0), until: time.Now().AddDate(0, 0, -2)}),
			func(h string) func(int) http.Handler { return hardened(t, h, nil) },
			func(s, p int) (string, int) { return addrOf(s), p },
			[]string{"cdn.origin-cert-invalid"}, []string{"cert.expired"}, 1, ""},
		{"origin certificate for another name", ca.issue(t, certOpts{names: []string{"origin.internal.test"}}),
			func(h string) func(int) http.Handler { return hardened(t, h, nil) },
			func(s, p int) (string, int) { return addrOf(s), p },
			[]string{"cdn.origin-cert-invalid"}, []string{"cert.hostname-mismatch"}, 1, ""},
		{"origin certificate self-signed", ca.issue(t, certOpts{names: []string{host}, selfSigned: true}),
			func(h string) func(int) http.Handler { return hardened(t, h, nil) },
			func(s, p int) (string, int) { return addrOf(s), p },
			[]string{"cdn.origin-cert-invalid"}, []string{"cert.self-signed"}, 1, ""},
		{"origin down", good(), func(h string) func(int) http.Handler { return hardened(t, h, nil) },
			func(s, p int) (string, int) { return addrOf(closed), closed },
			nil, []string{"cdn.origin-plain-http", "cdn.origin-cert-invalid"}, 0, "origin 127.0.0.1:" + strconv.Itoa(closed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			origin := serve(t, host, tc.cert, tc.origin(host))
			o := Options{Roots: ca.pool}
			o.Origin, o.OriginHTTPPort = tc.originAt(origin.target.HTTPSPort, origin.target.HTTPPort)
			verify := tc.problems == 0
			front := serve(t, host, good(), edgeFront(host, addrOf(origin.target.HTTPSPort), ca.pool, verify, "Cross-Origin-Opener-Policy"))
			rep := run(t, front, o)
			got := ruleIDs(rep.Findings, rules.Info)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s among %v", w, got)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("%s among %v", n, got)
				}
			}
			errs := strings.Join(rep.Errors, "\n")
			if (tc.err == "") != (errs == "") || !strings.Contains(errs, tc.err) {
				t.Errorf("errors %q, want %q", rep.Errors, tc.err)
			}
			ob := rep.Observed
			if ob == nil || ob.Origin == nil || ob.Origin.Address == "" {
				t.Fatalf("observed origin: %+v", ob)
			}
			if ob.CDN == nil || ob.CDN.Name != "Fastly" || ob.CDN.Signs[0].Header != "X-Served-By" {
				t.Errorf("CDN %+v", ob.CDN)
			}
			if len(ob.Origin.Problems) < tc.problems || (tc.problems == 0 && len(ob.Origin.Problems) > 0) {
				t.Errorf("origin certificate problems %q, want %d", ob.Origin.Problems, tc.problems)
			}
			if tc.name == "good origin" {
				if !ob.Origin.TLS || ob.Origin.Status != http.StatusOK || ob.Origin.Certificate == nil || !ob.Origin.Certificate.Trusted ||
					len(ob.Origin.Differences) != 1 || ob.Origin.Differences[0].Header != "Cross-Origin-Opener-Policy" ||
					ob.Origin.Differences[0].Change() != "dropped" || len(ob.Origin.PlainHTTP) != 1 || !ob.Origin.PlainHTTP[0].Redirect() {
					t.Errorf("origin %+v", ob.Origin)
				}
				for _, f := range rep.Findings {
					if f.Rule == "header.cache-shared-private" && f.Severity != rules.Low {
						t.Errorf("a cookie without Cache-Control behind a CDN: %+v", f)
					}
				}
			}
		})
	}
}

// TestSharedCache: responses a shared cache may store although they set a
// cookie, and a sensitive page marked public, with no CDN in front.
func TestSharedCache(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	const host = "cache.test"
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Cache-Control", "public, max-age=600")
			http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3cret", Path: "/"})
		case "/login":
			w.Header().Set("Cache-Control", "s-maxage=300")
		case "/account":
			w.Header().Set("Cache-Control", "private, no-store")
			http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "t0ken", Path: "/"})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>shop</title>")
	})
	f := serve(t, host, ca.issue(t, certOpts{names: []string{host}}), hardenedWith(t, host, nil, inner))
	rep := run(t, f, Options{Roots: ca.pool, Paths: []string{"/login", "/account"}})
	bySev := map[string]rules.Severity{}
	for _, fd := range rep.Findings {
		if fd.Rule == "header.cache-shared-private" {
			bySev[strings.TrimPrefix(fd.Target, f.target.httpsURL(""))] = fd.Severity
			if strings.Contains(fd.Message+fd.Evidence, "s3cret") {
				t.Errorf("a cookie value in the finding: %+v", fd)
			}
		}
	}
	if len(bySev) != 2 || bySev["/"] != rules.High || bySev["/login"] != rules.Medium {
		t.Errorf("header.cache-shared-private by page: %v", bySev)
	}
	if rep.Observed.CDN != nil || rep.Observed.Origin != nil {
		t.Errorf("CDN %+v, origin %+v", rep.Observed.CDN, rep.Observed.Origin)
	}
}

// caaServer is a loopback DNS server answering CAA queries from records
// (by name, no trailing dot); other names do not exist. It returns its
// address and a counter of queries.
func caaServer(t *testing.T, records map[string][]caa.Record) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		rs, ok := records[strings.TrimSuffix(q.Name, ".")]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, r := range rs {
			m.Answer = append(m.Answer, &dns.CAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCAA, Class: dns.ClassINET, Ttl: 60},
				Flag: r.Flag, Tag: r.Tag, Value: r.Value})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestCAA audits sites under a public-looking name, with the CAA records
// served by a loopback DNS server, and one under a reserved name.
func TestCAA(t *testing.T) {
	t.Parallel()
	le := testutil.NewCA(t, "Let's Encrypt Test R11") // recognised as letsencrypt.org
	pool := le.Pool()
	srv := caaServer(t, map[string][]caa.Record{
		"allowed.de":    {{Tag: "issue", Value: "letsencrypt.org"}, {Tag: "iodef", Value: "mailto:security@allowed.de"}},
		"other-ca.de":   {{Tag: "issue", Value: "pki.goog"}},
		"unknown-ca.de": {{Tag: "issue", Value: "letsencrypt.org"}},
	})
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // a DNS server that never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, tc := range []struct {
		host, dns string
		ca        *testutil.CA
		want      string         // rule, "" for none
		sev       rules.Severity // of want
		domain    string         // where the records were found
		note, err bool
	}{
		{"www.allowed.de", srv, le, "", 0, "allowed.de", false, false},
		{"www.other-ca.de", srv, le, "cert.caa-mismatch", rules.High, "other-ca.de", false, false},
		{"www.nothing.de", srv, le, "cert.caa-missing", rules.Low, "", false, false},
		{"www.unknown-ca.de", srv, nil, "cert.caa-unknown-issuer", rules.Info, "unknown-ca.de", false, false},
		{"www.reserved.test", srv, le, "", 0, "", true, false},
		{"www.silent.de", silent.LocalAddr().String(), le, "", 0, "", false, true},
	} {
		t.Run(tc.host, func(t *testing.T) {
			t.Parallel()
			roots, crt := pool, tls.Certificate{}
			if tc.ca != nil {
				crt = tc.ca.Leaf(t, []string{tc.host}, time.Now().Add(-time.Hour), time.Now().AddDate(0, 1, 0))
			} else {
				other := newTestCA(t)
				roots, crt = other.pool, other.issue(t, certOpts{names: []string{tc.host}})
			}
			f := serve(t, tc.host, crt, hardened(t, tc.host, nil))
			o := Options{Roots: roots, DNS: tc.dns}
			o.Resolve = f.resolve
			o.Timeout = 2 * time.Second
			start := time.Now()
			rep := Run(context.Background(), []Target{f.target}, o)[0]
			var got []rules.Finding
			for _, fd := range rep.Findings {
				if strings.HasPrefix(fd.Rule, "cert.caa-") {
					got = append(got, fd)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("findings %v", got)
			case tc.want != "" && (len(got) != 1 || got[0].Rule != tc.want || got[0].Severity != tc.sev):
				t.Errorf("findings %v, want %s (%s)", got, tc.want, tc.sev)
			}
			if tc.err {
				if len(rep.Errors) != 1 || !strings.HasPrefix(rep.Errors[0], "CAA lookup: ") || rep.Observed.CAA != nil {
					t.Errorf("errors %q, CAA %+v", rep.Errors, rep.Observed.CAA)
				}
				if d := time.Since(start); d > 4*time.Second {
					t.Errorf("a silent DNS server held the audit %s", d)
				}
				return
			}
			c := rep.Observed.CAA
			if len(rep.Errors) > 0 || c == nil || c.Domain != tc.domain || (c.Note != "") != tc.note {
				t.Fatalf("errors %q, CAA %+v", rep.Errors, c)
			}
			if tc.want == "cert.caa-mismatch" && !slices.Equal(c.IssuerIDs, []string{"letsencrypt.org"}) {
				t.Errorf("issuer IDs %v", c.IssuerIDs)
			}
		})
	}
}

// TestPinsObserved: the audit lists the pins of the chain served, leaf
// first, with the algorithm of package spki, and --pin accepts them.
func TestPinsObserved(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	const host = "pins.test"
	crt := ca.issue(t, certOpts{names: []string{host}})
	crt.Certificate = append(crt.Certificate, ca.cert.Raw) // send the root along
	f := serve(t, host, crt, hardened(t, host, nil))
	rep := run(t, f, Options{Roots: ca.pool})
	ps := rep.Observed.Pins
	if len(ps) != 2 || ps[0].Role != spki.Leaf || ps[0].Pin != rep.Cert.SPKI || ps[1].Role != spki.Root ||
		ps[1].Pin != "sha256/"+ca.SPKIHash() || ps[0].Subject != "CN="+host {
		t.Fatalf("pins %+v", ps)
	}
	rep = run(t, f, Options{Roots: ca.pool, Pins: []string{ps[1].Pin}})
	if slices.Contains(ruleIDs(rep.Findings, rules.Info), "cert.pin-mismatch") {
		t.Error("the root's pin from the report does not match")
	}
	if c := rep.Observed.CAA; c == nil || c.Note == "" {
		t.Errorf("a .test name: CAA %+v, want a not-applicable note", c)
	}
}

// TestOriginAddrs: --origin without a port means the target's HTTPS port;
// the plain-HTTP port is the target's unless given.
func TestOriginAddrs(t *testing.T) {
	t.Parallel()
	tg := Target{Host: "shop.test", HTTPSPort: 8443, HTTPPort: 8080}
	for _, tc := range []struct {
		origin   string
		httpPort int
		tls, web string
	}{
		{"203.0.113.7", 0, "203.0.113.7:8443", "203.0.113.7:8080"},
		{"203.0.113.7:443", 0, "203.0.113.7:443", "203.0.113.7:8080"},
		{"origin.internal:9443", 9080, "origin.internal:9443", "origin.internal:9080"},
		{"[2001:db8::1]:443", 80, "[2001:db8::1]:443", "[2001:db8::1]:80"},
		{"[2001:db8::1]", 0, "[2001:db8::1]:8443", "[2001:db8::1]:8080"},
	} {
		a := &auditor{t: tg, o: Options{Origin: tc.origin, OriginHTTPPort: tc.httpPort}}
		if tl, web := a.originAddrs(); tl != tc.tls || web != tc.web {
			t.Errorf("%s, %d: %s and %s, want %s and %s", tc.origin, tc.httpPort, tl, web, tc.tls, tc.web)
		}
	}
}
