package caa

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/portcullis/portcullis/rules"
)

// zone is what the test DNS server knows: CAA records by name, names
// that fail, aliases.
type zone struct {
	caa      map[string][]Record // by name without the trailing dot
	servfail map[string]bool
	cname    map[string]string // alias → target
	truncate map[string]bool   // answered over UDP with TC set and no records
	queries  atomic.Int64
	tcp      atomic.Int64
}

// ServeDNS answers like a recursive resolver would: the CAA records of the
// name, through one alias, or NXDOMAIN.
func (z *zone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	z.queries.Add(1)
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		z.tcp.Add(1)
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	q := req.Question[0]
	name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
	switch {
	case z.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case z.truncate[name] && w.RemoteAddr().Network() == "udp":
		m.Truncated = true
	default:
		target := name
		if to, ok := z.cname[name]; ok {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: dns.Fqdn(to)})
			target = to
		}
		rs, ok := z.caa[target]
		if !ok && len(m.Answer) == 0 {
			m.Rcode = dns.RcodeNameError
		}
		for _, r := range rs {
			m.Answer = append(m.Answer, &dns.CAA{Hdr: dns.RR_Header{Name: dns.Fqdn(target), Rrtype: dns.TypeCAA, Class: dns.ClassINET, Ttl: 60},
				Flag: r.Flag, Tag: r.Tag, Value: r.Value})
		}
	}
	w.WriteMsg(m)
}

// startDNS serves z on a loopback UDP port and the same TCP port; it
// returns "127.0.0.1:port".
func startDNS(t *testing.T, z *zone) string {
	t.Helper()
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil { // the TCP port is taken: try another
			pc.Close()
			continue
		}
		udp := &dns.Server{PacketConn: pc, Handler: z}
		tcp := &dns.Server{Listener: ln, Handler: z}
		go udp.ActivateAndServe()
		go tcp.ActivateAndServe()
		t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
		return pc.LocalAddr().String()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return ""
}

func TestApplies(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"example.de": true, "www.shop.example.co.uk": true, "Site.ORG.": true,
		"127.0.0.1": false, "::1": false, "[::1]": false,
		"shop.test": false, "localhost": false, "a.localhost": false, "x.invalid": false, "x.example": false,
		"printer.local": false, "app.internal": false, "example.com": false, "www.example.org": false,
		"intranet": false, "app.corp": false, "router.home.arpa": false,
	} {
		got, why := Applies(host)
		if got != want || (!got && why == "") {
			t.Errorf("Applies(%q) = %v, %q", host, got, why)
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	le := []Record{{0, "issue", "letsencrypt.org"}}
	z := &zone{
		caa: map[string][]Record{
			"shop.de":          le,
			"own.shop.de":      {{0, "issue", "pki.goog"}},
			"target.cdn.de":    {{0, "issue", "digicert.com"}},
			"iodef.de":         {{0, "iodef", "mailto:sec@iodef.de"}},
			"big.de":           le,
			"broken-parent.de": le,
		},
		servfail: map[string]bool{"fail.broken-parent.de": true, "sf.nowhere.de": true},
		cname:    map[string]string{"alias.shop.de": "target.cdn.de"},
		truncate: map[string]bool{"big.de": true},
	}
	srv := startDNS(t, z)
	for _, tc := range []struct {
		name, domain string
		records      []Record
		err          string
	}{
		{"shop.de", "shop.de", le, ""},
		{"www.shop.de", "shop.de", le, ""},
		{"a.b.own.shop.de", "own.shop.de", []Record{{0, "issue", "pki.goog"}}, ""},
		{"alias.shop.de", "alias.shop.de", []Record{{0, "issue", "digicert.com"}}, ""},
		{"www.nowhere.de", "", nil, ""},
		{"iodef.de", "iodef.de", []Record{{0, "iodef", "mailto:sec@iodef.de"}}, ""},
		{"big.de", "big.de", le, ""},
		{"fail.broken-parent.de", "", nil, "SERVFAIL"},
		{"x.sf.nowhere.de", "", nil, "SERVFAIL"},
		{"shop.test", "", nil, ""},
	} {
		res, err := Lookup(context.Background(), tc.name, Options{Server: srv, Timeout: 2 * time.Second})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || res.Domain != tc.domain || !slices.Equal(res.Records, tc.records) {
			t.Errorf("%s: %+v, %v; want %s %v", tc.name, res, err, tc.domain, tc.records)
		}
		if ok, _ := Applies(tc.name); ok == (res.Note != "") {
			t.Errorf("%s: note %q", tc.name, res.Note)
		}
	}
	if z.tcp.Load() == 0 {
		t.Error("the truncated answer was not asked again over TCP")
	}
}

// TestLookupTimeout: a server that never answers costs the timeout, not
// more.
func TestLookupTimeout(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	start := time.Now()
	_, err = Lookup(context.Background(), "www.silent.de", Options{Server: pc.LocalAddr().String(), Timeout: 300 * time.Millisecond})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("error %v after %s", err, time.Since(start))
	}
}

// chain issues a leaf for names from a CA whose name is org/cn.
func chain(t *testing.T, org, cn string, names ...string) []*x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{org}, CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leafCert, _ := x509.ParseCertificate(der)
	return []*x509.Certificate{leafCert, caCert}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	le := chain(t, "Let's Encrypt", "R11", "www.shop.de")
	google := chain(t, "Google Trust Services", "WR1", "www.shop.de")
	wild := chain(t, "Let's Encrypt", "E6", "*.shop.de")
	private := chain(t, "Acme Corp", "Acme Issuing CA", "www.shop.de")
	rec := func(rs ...Record) *Result { return &Result{Name: "www.shop.de", Domain: "shop.de", Records: rs} }
	for _, tc := range []struct {
		name  string
		res   *Result
		chain []*x509.Certificate
		want  string // rule, "" for none
		sev   rules.Severity
	}{
		{"not applicable", &Result{Name: "shop.test", Note: "reserved"}, le, "", 0},
		{"no records", &Result{Name: "www.shop.de"}, le, "cert.caa-missing", rules.Low},
		{"no records, no certificate", &Result{Name: "www.shop.de"}, nil, "cert.caa-missing", rules.Low},
		{"iodef only", rec(Record{0, "iodef", "mailto:a@shop.de"}), le, "cert.caa-missing", rules.Low},
		{"allowed", rec(Record{0, "issue", "letsencrypt.org"}), le, "", 0},
		{"allowed with parameters, mixed case", rec(Record{0, "issue", " LetsEncrypt.org ; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1"}), le, "", 0},
		{"allowed among several", rec(Record{0, "issue", "pki.goog"}, Record{0, "issue", "letsencrypt.org"}), google, "", 0},
		{"other CA", rec(Record{0, "issue", "letsencrypt.org"}), google, "cert.caa-mismatch", rules.High},
		{"no CA at all", rec(Record{0, "issue", ";"}), le, "cert.caa-mismatch", rules.High},
		{"critical unknown tag", rec(Record{0, "issue", "letsencrypt.org"}, Record{128, "tbs", "x"}), le, "cert.caa-mismatch", rules.High},
		{"critical known tag", rec(Record{128, "issue", "letsencrypt.org"}), le, "", 0},
		{"unknown CA", rec(Record{0, "issue", "letsencrypt.org"}), private, "cert.caa-unknown-issuer", rules.Info},
		{"wildcard under issuewild", rec(Record{0, "issue", "letsencrypt.org"}, Record{0, "issuewild", "pki.goog"}), wild, "cert.caa-mismatch", rules.High},
		{"wildcard without issuewild", rec(Record{0, "issue", "letsencrypt.org"}), wild, "", 0},
		{"wildcard issuewild ok", rec(Record{0, "issue", ";"}, Record{0, "issuewild", "letsencrypt.org"}), wild, "", 0},
		{"exact name ignores issuewild", rec(Record{0, "issue", "letsencrypt.org"}, Record{0, "issuewild", ";"}), le, "", 0},
		{"restricted, no certificate", rec(Record{0, "issue", "letsencrypt.org"}), nil, "", 0},
	} {
		fs := Check("www.shop.de", tc.res, tc.chain)
		switch {
		case tc.want == "" && len(fs) > 0:
			t.Errorf("%s: %v", tc.name, fs)
		case tc.want != "" && (len(fs) != 1 || fs[0].Rule != tc.want || fs[0].Severity != tc.sev || fs[0].Target != "www.shop.de"):
			t.Errorf("%s: %v, want one %s (%s)", tc.name, fs, tc.want, tc.sev)
		}
	}
	res := rec(Record{0, "issue", "letsencrypt.org"})
	fs := Check("www.shop.de", res, google)
	if !slices.Equal(res.IssuerIDs, []string{"pki.goog"}) || !strings.Contains(fs[0].Message, "pki.goog") ||
		fs[0].Evidence != `shop.de. CAA 0 issue "letsencrypt.org"` {
		t.Errorf("issuer %v, finding %+v", res.IssuerIDs, fs)
	}
}

func TestIssuerIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ org, cn, want string }{
		{"Let's Encrypt", "R10", "letsencrypt.org"},
		{"Google Trust Services", "WE1", "pki.goog"},
		{"Amazon", "Amazon RSA 2048 M02", "amazon.com"},
		{"ZeroSSL", "ZeroSSL RSA Domain Secure Site CA", "sectigo.com"},
		{"Sectigo Limited", "Sectigo RSA Domain Validation Secure Server CA", "sectigo.com"},
		{"DigiCert Inc", "GeoTrust TLS RSA CA G1", "digicert.com"},
		{"", "Some Private CA", ""},
	} {
		ids, _ := IssuerIDs(chain(t, tc.org, tc.cn, "a.de"))
		if (tc.want == "") != (ids == nil) || (tc.want != "" && !slices.Contains(ids, tc.want)) {
			t.Errorf("%s/%s: %v, want %q", tc.org, tc.cn, ids, tc.want)
		}
	}
}
