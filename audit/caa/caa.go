// Package caa checks a site's CAA records (RFC 8659): whether the domain
// restricts which certificate authorities may issue for it, and whether
// the CA that issued the served certificate is one of them.
//
// [Lookup] asks a DNS server (the system's, from /etc/resolv.conf, or one
// given) for the CAA records of the name and of each parent up to the
// top-level domain, as a CA does, all at once and within a timeout, and
// keeps the set of the closest name that has one. [Check] judges it
// against the certificate chain. IP addresses and names no public CA
// issues for (.test, .localhost, .invalid, .example, .local, .internal…)
// are not looked up: [Applies] says why.
package caa

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"
)

// Options configure a Lookup.
type Options struct {
	// Server is the DNS server asked, "host:port"; empty means the
	// nameservers of /etc/resolv.conf, in order.
	Server string
	// Timeout bounds the whole lookup. Default 5s.
	Timeout time.Duration
}

// Record is one CAA record.
type Record struct {
	Flag  uint8  `json:"flag"`  // 128: critical
	Tag   string `json:"tag"`   // "issue", "issuewild", "iodef"…
	Value string `json:"value"` // e.g. "letsencrypt.org" or "letsencrypt.org; accounturi=…"
}

func (r Record) String() string { return fmt.Sprintf("%d %s %q", r.Flag, r.Tag, r.Value) }

// Result is what a Lookup found.
type Result struct {
	// Name is the name looked up (the audited host).
	Name string `json:"name"`
	// Domain is the name whose CAA records apply: Name or the closest
	// parent that has some; "" when none has.
	Domain string `json:"domain,omitempty"`
	// Records are Domain's CAA records.
	Records []Record `json:"records,omitempty"`
	// Server is the DNS server that answered.
	Server string `json:"server,omitempty"`
	// Note, when set, says why CAA does not apply to Name (an IP
	// address, a reserved name); nothing was looked up.
	Note string `json:"note,omitempty"`
	// IssuerIDs are the CAA identifiers of the CA that issued the served
	// certificate ("letsencrypt.org"), as Check recognised it; empty when
	// it did not.
	IssuerIDs []string `json:"issuer_ids,omitempty"`
}

// reservedTLDs are top-level names no public CA issues certificates
// under: RFC 2606 and 6761 (test, example, invalid, localhost), mDNS
// (local, RFC 6762), Tor (onion, RFC 7686), RFC 9476 (alt), ICANN's
// private-use internal, and home.arpa (RFC 8375).
var reservedTLDs = []string{"test", "example", "invalid", "localhost", "local", "onion", "alt", "internal"}

// reservedDomains are the second-level names reserved for documentation
// (RFC 2606 §3) and home networks (RFC 8375).
var reservedDomains = []string{"example.com", "example.net", "example.org", "home.arpa"}

// Applies reports whether CAA applies to host, and if not, why: an IP
// address or a name no public CA issues for has no CAA to check.
func Applies(host string) (bool, string) {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return false, "an IP address: CAA records belong to DNS names"
	}
	labels := strings.Split(h, ".")
	tld := labels[len(labels)-1]
	for _, r := range reservedTLDs {
		if tld == r {
			return false, fmt.Sprintf("a name under the reserved .%s: no public CA issues for it, so there is no CAA to check", r)
		}
	}
	for _, d := range reservedDomains {
		if h == d || strings.HasSuffix(h, "."+d) {
			return false, fmt.Sprintf("a name under %s, reserved: no public CA issues for it, so there is no CAA to check", d)
		}
	}
	if len(labels) < 2 {
		return false, "a single-label name: not in the public DNS, so there is no CAA to check"
	}
	if _, icann := publicsuffix.PublicSuffix(tld); !icann {
		return false, fmt.Sprintf(".%s is not a public top-level domain, so there is no CAA to check", tld)
	}
	return true, ""
}

// Lookup finds the CAA records that apply to name (RFC 8659 §3): those of
// name itself, or else of the closest parent that has any, up to the
// top-level domain. A resolver answering for an alias (CNAME) gives the
// target's records, which then apply. Every name is asked at once, so
// the lookup takes one round trip, bounded by Options.Timeout. A server
// failure (SERVFAIL, a timeout) for a name below the one found is an
// error: a CA would not issue either.
func Lookup(ctx context.Context, name string, o Options) (Result, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	res := Result{Name: name}
	if ok, why := Applies(name); !ok {
		res.Note = why
		return res, nil
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	servers := []string{o.Server}
	if o.Server == "" {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cc.Servers) == 0 {
			return res, fmt.Errorf("no DNS server to ask for CAA records (/etc/resolv.conf: %v); give one with --dns", err)
		}
		servers = servers[:0]
		for _, s := range cc.Servers {
			servers = append(servers, net.JoinHostPort(s, cc.Port))
		}
	}

	var names []string
	for n := name; n != ""; {
		names = append(names, n)
		_, n, _ = strings.Cut(n, ".")
	}
	type answer struct {
		records []Record
		server  string
		err     error
	}
	answers := make([]answer, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &answers[i]
			a.records, a.server, a.err = query(ctx, n, servers, o.Timeout)
		}()
	}
	wg.Wait()
	var errs []error
	for i, a := range answers {
		if a.err != nil {
			errs = append(errs, a.err)
			continue
		}
		if len(a.records) > 0 {
			if len(errs) > 0 { // a closer name's answer is unknown
				break
			}
			res.Domain, res.Records, res.Server = names[i], a.records, a.server
			return res, nil
		}
		res.Server = a.server
	}
	return res, errors.Join(errs...)
}

// query asks the servers, in order until one answers, for name's CAA
// records, over UDP, and over TCP when the answer is truncated.
func query(ctx context.Context, name string, servers []string, timeout time.Duration) ([]Record, string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeCAA)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	var errs []error
	for _, srv := range servers {
		r, _, err := (&dns.Client{Net: "udp", Timeout: timeout}).ExchangeContext(ctx, m, srv)
		if err == nil && r.Truncated {
			r, _, err = (&dns.Client{Net: "tcp", Timeout: timeout}).ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("CAA %s: %s: %w", name, srv, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess, dns.RcodeNameError: // NXDOMAIN: no records here, ask the parent
		default:
			return nil, srv, fmt.Errorf("CAA %s: %s answered %s", name, srv, dns.RcodeToString[r.Rcode])
		}
		var out []Record
		for _, rr := range r.Answer {
			if c, ok := rr.(*dns.CAA); ok {
				out = append(out, Record{Flag: c.Flag, Tag: strings.ToLower(c.Tag), Value: c.Value})
			}
		}
		return out, srv, nil
	}
	return nil, "", errors.Join(errs...)
}

// ca is a certificate authority: how it names itself in certificates, and
// the identifiers CAA records use for it.
type ca struct {
	names []string // substrings of an issuer's O or CN, compared case-insensitively
	ids   []string
}

// cas are the CAs portcullis recognises, from the CAs' own documentation
// of their CAA identifiers. A reseller brand is listed with the CA that
// issues for it (ZeroSSL, RapidSSL).
var cas = []ca{
	{[]string{"let's encrypt"}, []string{"letsencrypt.org"}},
	{[]string{"google trust services"}, []string{"pki.goog"}},
	{[]string{"amazon"}, []string{"amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"}},
	{[]string{"zerossl", "sectigo", "comodo", "usertrust"}, []string{"sectigo.com", "comodoca.com", "comodo.com", "usertrust.com"}},
	{[]string{"digicert", "geotrust", "rapidssl", "thawte", "symantec", "encryption everywhere"},
		[]string{"digicert.com", "www.digicert.com", "symantec.com", "geotrust.com", "rapidssl.com", "thawte.com", "digitalcertvalidation.com"}},
	{[]string{"globalsign"}, []string{"globalsign.com"}},
	{[]string{"entrust"}, []string{"entrust.net", "affirmtrust.com"}},
	{[]string{"godaddy", "starfield"}, []string{"godaddy.com", "starfieldtech.com"}},
	{[]string{"buypass"}, []string{"buypass.com", "buypass.no"}},
	{[]string{"ssl corporation", "ssl.com"}, []string{"ssl.com"}},
	{[]string{"certainly"}, []string{"certainly.com"}},
	{[]string{"actalis"}, []string{"actalis.it"}},
	{[]string{"harica", "hellenic academic"}, []string{"harica.gr"}},
	{[]string{"certum", "asseco", "unizeto"}, []string{"certum.pl", "certum.eu"}},
}

// IssuerIDs returns the CAA identifiers of the CA that issued chain's
// leaf, recognised from the issuer's organization or common name (then
// those of the intermediates' issuers), and the issuer's name; nil ids
// when the CA is not one portcullis knows.
func IssuerIDs(chain []*x509.Certificate) (ids []string, issuer string) {
	if len(chain) == 0 {
		return nil, ""
	}
	issuer = chain[0].Issuer.String()
	for _, c := range chain {
		n := c.Issuer
		hay := strings.ToLower(strings.Join(append(n.Organization, n.CommonName), "\n"))
		for _, k := range cas {
			for _, s := range k.names {
				if strings.Contains(hay, s) {
					return k.ids, issuer
				}
			}
		}
	}
	return nil, issuer
}
