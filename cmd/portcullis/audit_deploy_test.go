package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/internal/testutil"
)

// serveOn serves h on addr (TLS when crt is set) until the test ends and
// returns the port.
func serveOn(t *testing.T, addr string, crt *tls.Certificate, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	if crt != nil {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*crt}, MinVersion: tls.VersionTLS12}
		go s.ServeTLS(ln, "", "")
	} else {
		go s.Serve(ln)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// TestAuditOriginAndCAA: `portcullis audit --origin --dns` against a
// CDN-like front (a Go reverse proxy that adds Via, X-Cache and Age and
// drops X-Frame-Options) in front of a Go origin on another loopback
// address that also serves the site over plain HTTP, for a name whose CAA
// records (served by a loopback DNS server) allow another CA.
func TestAuditOriginAndCAA(t *testing.T) {
	t.Parallel()
	const host = "www.shop.de"
	ca := testutil.NewCA(t, "Let's Encrypt Test R3") // recognised as letsencrypt.org
	caFile := ca.WriteRoot(t, t.TempDir())
	crt := ca.Leaf(t, []string{host}, time.Now().Add(-time.Hour), time.Now().AddDate(0, 2, 0))

	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>shop</title>")
	})
	var edgeTLS int // set below, before any request
	edgeHTTP := serveOn(t, "127.0.0.1:0", nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+host+":"+strconv.Itoa(edgeTLS)+r.URL.RequestURI(), http.StatusPermanentRedirect)
	}))
	// The origin: HTTPS, and plain HTTP on the port the audit probes (the
	// target's HTTP port, on the origin's address).
	originTLS := serveOn(t, "127.0.0.2:0", &crt, page)
	serveOn(t, net.JoinHostPort("127.0.0.2", strconv.Itoa(edgeHTTP)), nil, page)
	d := net.Dialer{Timeout: 5 * time.Second}
	front := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "https", pr.In.Host, pr.In.Host
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.2", strconv.Itoa(originTLS)))
			},
			TLSClientConfig: &tls.Config{ServerName: host, RootCAs: ca.Pool()},
		},
		ModifyResponse: func(r *http.Response) error {
			r.Header.Del("X-Frame-Options")
			r.Header.Set("Via", "1.1 varnish (Varnish/7.1)")
			r.Header.Set("X-Cache", "HIT")
			r.Header.Set("Age", "12")
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	edgeTLS = serveOn(t, "127.0.0.1:0", &crt, front)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if q := req.Question[0]; q.Name == "shop.de." && q.Qtype == dns.TypeCAA {
			m.Answer = append(m.Answer, &dns.CAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCAA, Class: dns.ClassINET, Ttl: 60}, Tag: "issue", Value: "pki.goog"})
		} else if q.Name != "de." {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go dnsSrv.ActivateAndServe()
	t.Cleanup(func() { dnsSrv.Shutdown() })

	hp, tp := strconv.Itoa(edgeHTTP), strconv.Itoa(edgeTLS)
	code, o, e := runCLI(t, "audit", "--ca", caFile, "--timeout", "5s", "--format", "json",
		"--origin", net.JoinHostPort("127.0.0.2", strconv.Itoa(originTLS)), "--dns", pc.LocalAddr().String(),
		"--resolve", host+":"+tp+":127.0.0.1", "--resolve", host+":"+hp+":127.0.0.1", "--http-port", hp, "https://"+host+":"+tp)
	var doc struct {
		Targets []struct {
			Findings []struct {
				Rule     string `json:"rule"`
				Severity string `json:"severity"`
				Category string `json:"category"`
			} `json:"findings"`
			Errors      []string        `json:"errors"`
			Observed    *audit.Observed `json:"observed"`
			Certificate struct {
				SPKI string `json:"spki_sha256"`
			} `json:"certificate"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(o), &doc); err != nil || len(doc.Targets) != 1 {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, o, e)
	}
	r := doc.Targets[0]
	if code != 0 || len(r.Errors) > 0 {
		t.Errorf("exit %d, errors %q\n%s", code, r.Errors, e)
	}
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.Rule] = f.Severity
	}
	for rule, sev := range map[string]string{
		"cdn.origin-plain-http": "high", "cdn.header-mismatch": "low", "cert.caa-mismatch": "high", "header.frame-options-missing": "medium",
	} {
		if got[rule] != sev {
			t.Errorf("%s: %q, want %q (findings %v)", rule, got[rule], sev, got)
		}
	}
	if _, ok := got["cdn.origin-cert-invalid"]; ok {
		t.Error("the origin's valid certificate was reported invalid")
	}
	ob := r.Observed
	if ob == nil || ob.CDN == nil || ob.CDN.Name != "Varnish" || ob.Origin == nil || !ob.Origin.TLS || len(ob.Origin.PlainHTTP) != 1 ||
		ob.CAA == nil || ob.CAA.Domain != "shop.de" || len(ob.Pins) != 1 || ob.Pins[0].Pin != r.Certificate.SPKI {
		t.Fatalf("observed %+v", ob)
	}
	if len(ob.Origin.Differences) != 1 || ob.Origin.Differences[0].Header != "X-Frame-Options" {
		t.Errorf("differences %+v", ob.Origin.Differences)
	}

	// The text report says the same, for people.
	_, txt, _ := runCLI(t, "audit", "--ca", caFile, "--timeout", "5s",
		"--origin", net.JoinHostPort("127.0.0.2", strconv.Itoa(originTLS)), "--dns", pc.LocalAddr().String(),
		"--resolve", host+":"+tp+":127.0.0.1", "--resolve", host+":"+hp+":127.0.0.1", "--http-port", hp, "https://"+host+":"+tp)
	_, md, _ := runCLI(t, "audit", "--ca", caFile, "--timeout", "5s", "--format", "markdown",
		"--origin", net.JoinHostPort("127.0.0.2", strconv.Itoa(originTLS)), "--dns", pc.LocalAddr().String(),
		"--resolve", host+":"+tp+":127.0.0.1", "--resolve", host+":"+hp+":127.0.0.1", "--http-port", hp, "https://"+host+":"+tp)
	if !strings.Contains(md, "- [ ] The origin behind the CDN answers only over HTTPS") {
		t.Errorf("the review's checklist lacks the failed CDN item:\n%s", md)
	}
	// The observations are the evidence of the checklist items.
	for _, want := range []string{"served through Varnish (Via: 1.1 varnish",
		`CAA of shop.de: 0 issue \"pki.goog\"`, "SPKI pin of the leaf (CN=" + host + "): " + r.Certificate.SPKI} {
		if !strings.Contains(o, want) {
			t.Errorf("the JSON checklist's evidence lacks %q", want)
		}
	}
	for _, want := range []string{"cdn.origin-plain-http", "cert.caa-mismatch", r.Certificate.SPKI} {
		if !strings.Contains(txt, want) {
			t.Errorf("text report lacks %q:\n%s", want, txt)
		}
	}
}
