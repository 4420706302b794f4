package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/audit/caa"
	"github.com/portcullis/portcullis/audit/cdn"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/redirects"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/spki"
)

// This file reviews what a real deployment has beside the site itself:
// the CDN or cache in front of it and the origin behind it (--origin),
// the domain's CAA records, and the keys a client could pin. It runs
// beside the page probes (run starts it, feeds it the pages, and ends
// it) and writes Observed.CDN, Origin, CAA and Pins.

// Origin is what the audit saw of the origin server behind a CDN
// (Options.Origin), asked for the site by its name.
type Origin struct {
	// Address is the origin's HTTPS address, host:port.
	Address string `json:"address"`
	// TLS is whether the address completed a TLS handshake.
	TLS bool `json:"tls"`
	// Status is the HTTPS answer to GET /; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Certificate is the origin's certificate, judged for the site's
	// name; Problems are the reasons it is invalid (empty when valid).
	Certificate *cert.Info `json:"certificate,omitempty"`
	Problems    []string   `json:"certificate_problems,omitempty"`
	// PlainHTTP are the plain-HTTP answers of the origin: on its HTTPS
	// address when that speaks HTTP instead of TLS, and on the HTTP port.
	PlainHTTP []redirects.Hop `json:"plain_http,omitempty"`
	// Headers are the origin's security headers for GET /, as in
	// Observed.Headers; Differences are those the edge does not pass on
	// unchanged.
	Headers     map[string]string `json:"headers,omitempty"`
	Differences []cdn.Diff        `json:"differences,omitempty"`
}

// deployment is the state of those checks for one target.
type deployment struct {
	caaDone chan struct{}
	caa     caa.Result
	caaErr  error

	originDone chan struct{}
	origin     *Origin
	originHdr  http.Header // the origin's answer to GET / over HTTPS
	originFs   []rules.Finding
	originErr  error

	pages []cdn.Page
	home  http.Header
	chain []*x509.Certificate
}

// startDeployment starts the CAA lookup and the origin's probe, which
// need nothing from the page probes.
func (a *auditor) startDeployment(ctx context.Context) {
	d := &a.dep
	d.caaDone, d.originDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(d.caaDone)
		defer recoverInto(&d.caaErr)
		d.caa, d.caaErr = caa.Lookup(ctx, a.t.Host, caa.Options{Server: a.o.DNS, Timeout: a.o.Timeout})
	}()
	go func() {
		defer close(d.originDone)
		defer recoverInto(&d.originErr)
		if a.o.Origin != "" {
			d.origin, d.originHdr, d.originFs, d.originErr = a.probeOrigin(ctx)
		}
	}()
}

// recoverInto turns a panic into *err (a bug met on a hostile server's
// bytes costs that check, as in run).
func recoverInto(err *error) {
	if v := recover(); v != nil {
		*err = errors.New(panicError(v))
	}
}

// sawPage records a fetched HTTPS page: i is its index (0 for "/"),
// state its connection.
func (a *auditor) sawPage(i int, path string, h http.Header, state *tls.ConnectionState) {
	a.dep.pages = append(a.dep.pages, cdn.Page{URL: a.t.httpsURL(path), Header: h, Sensitive: i > 0})
	if i == 0 {
		a.dep.home = h
		if state != nil {
			a.dep.chain = state.PeerCertificates
		}
	}
}

// finishDeployment waits for the CAA lookup and the origin's probe and
// judges everything: CDN, caches, origin, CAA, pins. Without the home
// page over HTTPS the target is not audited, and nothing is judged.
func (a *auditor) finishDeployment(rep *Report) {
	d := &a.dep
	<-d.caaDone
	<-d.originDone
	if d.home == nil {
		return
	}
	if rep.Observed == nil {
		rep.Observed = &Observed{}
	}
	o := rep.Observed
	if len(d.chain) > 0 {
		o.Pins = spki.Chain(d.chain)
	}

	for _, p := range d.pages {
		if e := cdn.Detect(p.Header); e != nil {
			o.CDN = e
			break
		}
	}
	for _, p := range d.pages {
		a.findings = append(a.findings, cdn.Cache(p, o.CDN != nil || a.o.Origin != "")...)
	}

	if d.originErr != nil {
		a.fail("origin %s: %v", a.o.Origin, d.originErr)
	}
	if d.origin != nil {
		a.findings = append(a.findings, d.originFs...)
		if d.originHdr != nil && d.home != nil {
			var fs []rules.Finding
			d.origin.Differences, fs = cdn.Compare(a.t.httpsURL("/"), d.home, d.originHdr)
			a.findings = append(a.findings, fs...)
		}
		o.Origin = d.origin
	}

	if d.caaErr != nil {
		a.fail("CAA lookup: %v", d.caaErr)
	} else {
		res := d.caa
		a.findings = append(a.findings, caa.Check(a.t.String(), &res, d.chain)...)
		o.CAA = &res
	}
}

// originAddr is the origin's HTTPS address and the address of its plain
// HTTP port.
func (a *auditor) originAddrs() (tlsAddr, httpAddr string) {
	host, port, err := net.SplitHostPort(a.o.Origin)
	if err != nil { // no port: the target's
		host, port = strings.Trim(a.o.Origin, "[]"), strconv.Itoa(a.t.HTTPSPort)
	}
	hp := a.o.OriginHTTPPort
	if hp == 0 {
		hp = a.t.HTTPPort
	}
	return net.JoinHostPort(host, port), net.JoinHostPort(host, strconv.Itoa(hp))
}

// probeOrigin asks the origin for the site, by its name (SNI and Host),
// over HTTPS at its address, and over plain HTTP.
func (a *auditor) probeOrigin(ctx context.Context) (*Origin, http.Header, []rules.Finding, error) {
	tlsAddr, httpAddr := a.originAddrs()
	og := &Origin{Address: tlsAddr}
	where := "origin " + tlsAddr
	var fs []rules.Finding
	add := func(id, ev, format string, args ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, args...))
		f.Target, f.Evidence = where, rules.ClipEvidence(ev)
		fs = append(fs, f)
	}

	var hdr http.Header
	resp, err := a.fetchVia(ctx, tlsAddr, a.t.httpsURL("/"))
	var httpsErr error
	if err == nil {
		og.TLS, og.Status, hdr = true, resp.StatusCode, resp.Header
		og.Headers = securityHeaders(resp.Header)
		if resp.TLS != nil {
			info, cfs := cert.Check(a.t.Host, resp.TLS.PeerCertificates, cert.Options{Roots: a.o.Roots, Now: a.o.Now})
			og.Certificate = &info
			for _, f := range cfs {
				switch f.Rule {
				case "cert.expired", "cert.hostname-mismatch", "cert.untrusted", "cert.self-signed":
					og.Problems = append(og.Problems, f.Message)
				}
			}
			if len(og.Problems) > 0 {
				add("cdn.origin-cert-invalid", strings.Join(info.Names, ", ")+"; issuer "+info.Issuer,
					"the origin's certificate for %s is invalid: %s", a.t.Host, strings.Join(og.Problems, "; "))
			}
		}
	} else {
		httpsErr = err
		// An address that does not speak TLS may speak plain HTTP: the
		// CDN would then reach the origin unencrypted.
		if h, ok := a.plainHop(ctx, tlsAddr, "http://"+hostPort(a.t.Host, portOf(tlsAddr), 80)+"/"); ok {
			og.PlainHTTP = append(og.PlainHTTP, h)
			httpsErr = nil
			add("cdn.origin-plain-http", fmt.Sprintf("GET %s → %d", h.URL, h.Status),
				"the origin's address %s answers plain HTTP, not TLS: the CDN reaches it unencrypted", tlsAddr)
		}
	}

	if httpAddr != tlsAddr {
		if h, ok := a.plainHop(ctx, httpAddr, "http://"+hostPort(a.t.Host, portOf(httpAddr), 80)+"/"); ok {
			og.PlainHTTP = append(og.PlainHTTP, h)
			if !strings.HasPrefix(strings.ToLower(h.Location), "https://") {
				ev := fmt.Sprintf("GET %s → %d", h.URL, h.Status)
				if h.Location != "" {
					ev += " " + h.Location
				}
				add("cdn.origin-plain-http", ev,
					"the origin serves the site over plain HTTP at %s: the CDN may reach it unencrypted, and anyone can reach it around the CDN", httpAddr)
			}
		}
	}
	if httpsErr != nil {
		return og, nil, fs, fmt.Errorf("GET %s at %s: %w", a.t.httpsURL("/"), tlsAddr, httpsErr)
	}
	return og, hdr, fs, nil
}

// portOf is the port of host:port (0 when it has none).
func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// plainHop asks addr for u over plain HTTP; ok is false when nothing
// answered HTTP there.
func (a *auditor) plainHop(ctx context.Context, addr, u string) (redirects.Hop, bool) {
	resp, err := a.fetchVia(ctx, addr, u)
	if err != nil {
		return redirects.Hop{}, false
	}
	h := redirects.Hop{URL: u, Status: resp.StatusCode}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if next, err := resp.Request.URL.Parse(loc); err == nil {
			h.Location = next.String()
		}
	}
	return h, true
}

// fetchVia GETs u with every connection made to addr, like curl's
// --connect-to: the URL's name goes in SNI and Host. The body is read
// (bounded) and closed.
func (a *auditor) fetchVia(ctx context.Context, addr, u string) (*http.Response, error) {
	c := a.newClient()
	defer c.CloseIdleConnections()
	d := net.Dialer{Timeout: a.o.Timeout}
	c.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "portcullis-audit/1")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, a.o.MaxBody))
	resp.Body.Close()
	return resp, nil
}
