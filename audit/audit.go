// Package audit is `portcullis audit`: the security review of a live
// site, automated. For each target it follows the plain-HTTP redirect
// chain, fetches the HTTPS pages (the root and any extra paths), the
// security.txt and a CORS probe, reads the certificate chain, and judges
// everything with the packages below it (hsts, headers, cookies,
// redirects, cert, sectxt), each finding a rule of the shared catalog.
// The findings are graded (package grade).
//
// Probes run concurrently across targets, bounded by Options.Concurrency,
// each request with a timeout. Names can be pinned to addresses
// (Options.Resolve, like curl's --resolve) to audit a server before DNS
// points at it, or a test server on loopback.
package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/content"
	"github.com/portcullis/portcullis/audit/cookies"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/audit/headers"
	"github.com/portcullis/portcullis/audit/hsts"
	"github.com/portcullis/portcullis/audit/redirects"
	"github.com/portcullis/portcullis/audit/sectxt"
	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/securitytxt"
)

// Options configure an audit.
type Options struct {
	// Roots, when set, are trusted instead of the system roots (--ca).
	Roots *x509.CertPool
	// Paths are fetched besides "/" on every target (a login page's
	// cookies matter most).
	Paths []string
	// Resolve maps "host:port" to an address ("127.0.0.1"), like curl's
	// --resolve.
	Resolve map[string]string
	// Timeout bounds each request. Default 10s.
	Timeout time.Duration
	// Concurrency bounds the targets audited at once. Default 8.
	Concurrency int
	// Pins are SPKI pins the certificate must match (--pin).
	Pins []string
	// Now is the clock certificates and security.txt are judged at.
	Now func() time.Time
	// MaxBody bounds each page read. Default 2 MiB.
	MaxBody int64
	// NoTLSProbe skips the enumeration of protocol versions and cipher
	// suites (package tlsprobe).
	NoTLSProbe bool
	// Progress, when set, is called as each target's audit starts
	// (r nil) and ends (r its report), one call at a time: started and
	// done count the targets begun and finished so far, of total.
	Progress func(p Progress)

	// Deployment checks (deploy.go).

	// Origin, "host[:port]", is the origin server behind a CDN
	// (--origin): it is audited under the site's name (SNI and Host),
	// dialing this address, and compared with the edge. The port
	// defaults to the target's HTTPS port.
	Origin string
	// OriginHTTPPort is the origin's plain-HTTP port probed beside
	// Origin; 0 means the target's HTTP port.
	OriginHTTPPort int
	// DNS is the DNS server asked for CAA records, "host:port" (--dns);
	// empty means the system's (/etc/resolv.conf).
	DNS string
}

// Progress is where a Run stands, given to [Options.Progress].
type Progress struct {
	Started, Done, Total int
	// Target is the target that just started or ended; Report is its
	// report when it ended, nil when it started.
	Target Target
	Report *Report
}

// Target is one site to audit.
type Target struct {
	Host      string // name or IP, no brackets
	HTTPSPort int    // default 443
	HTTPPort  int    // default 80
}

// ParseTarget reads "https://host[:port]/…", "http://host[:port]",
// "host[:port]" (the port is the HTTPS one).
func ParseTarget(s string) (Target, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return Target{}, fmt.Errorf("target %q: not a URL or host[:port]", raw)
	}
	t := Target{Host: strings.ToLower(u.Hostname()), HTTPSPort: 443, HTTPPort: 80}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("target %q: bad port %q", raw, p)
		}
		if u.Scheme == "http" {
			t.HTTPPort = n
		} else {
			t.HTTPSPort = n
		}
	}
	return t, nil
}

func (t Target) String() string { return t.Host + portSuffix(t.HTTPSPort, 443) }

func portSuffix(p, def int) string {
	if p == def {
		return ""
	}
	return ":" + strconv.Itoa(p)
}

func (t Target) httpsURL(path string) string {
	return "https://" + hostPort(t.Host, t.HTTPSPort, 443) + path
}

func (t Target) httpURL(path string) string {
	return "http://" + hostPort(t.Host, t.HTTPPort, 80) + path
}

func hostPort(h string, p, def int) string {
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + portSuffix(p, def)
}

// Report is the audit of one target.
type Report struct {
	Target   string           `json:"target"`
	Grade    grade.Grade      `json:"grade"`
	Findings []rules.Finding  `json:"findings"`
	Cert     *cert.Info       `json:"certificate,omitempty"`
	TLS      *tlsprobe.Report `json:"tls,omitempty"`
	// Observed is the evidence behind the measures found in place.
	Observed *Observed `json:"observed,omitempty"`
	// Errors are probes that could not run (connection refused…).
	Errors   []string      `json:"errors,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Run audits every target and returns their reports in the same order.
func Run(ctx context.Context, targets []Target, o Options) []Report {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBody == 0 {
		o.MaxBody = 2 << 20
	}
	out := make([]Report, len(targets))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var started, done int
	progress := func(t Target, r *Report) {
		if o.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r == nil {
			started++
		} else {
			done++
		}
		o.Progress(Progress{Started: started, Done: done, Total: len(targets), Target: t, Report: r})
	}
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Report{Target: t.String(), Errors: []string{ctx.Err().Error()}}
				progress(t, nil)
				progress(t, &out[i])
				return
			}
			defer func() { <-sem }()
			progress(t, nil)
			out[i] = (&auditor{t: t, o: o}).runGuarded(ctx)
			progress(t, &out[i])
		}()
	}
	wg.Wait()
	return out
}

// auditor audits one target.
type auditor struct {
	t        Target
	o        Options
	client   *http.Client
	findings []rules.Finding
	errs     []string
	dep      deployment // CDN, origin, CAA, pins (deploy.go)
}

func (a *auditor) fail(format string, args ...any) {
	a.errs = append(a.errs, fmt.Sprintf(format, args...))
}

// testHook, when set by a test, is called at the start of each stage of a
// target's audit ("run", "tls"), to make one of them panic.
var testHook func(stage string, t Target)

// runGuarded is run, with a panic turned into the target's error: a bug,
// most likely met on a hostile site's bytes, then costs that target's
// report (no findings, no grade, not audited: the CLI exits 1) instead of
// ending the whole audit with every other target's report.
func (a *auditor) runGuarded(ctx context.Context) (rep Report) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			rep = Report{Target: a.t.String(), Errors: []string{"audit: " + panicError(v)}, Duration: time.Since(start)}
		}
	}()
	return a.run(ctx)
}

// panicError describes a recovered panic, with the stack a bug report
// needs.
func panicError(v any) string {
	return fmt.Sprintf("internal error (a bug in portcullis: please report it with this text): %v\n%s", v, debug.Stack())
}

func (a *auditor) run(ctx context.Context) Report {
	if testHook != nil {
		testHook("run", a.t)
	}
	start := time.Now()
	a.client = a.newClient()
	defer a.client.CloseIdleConnections()
	a.startDeployment(ctx) // CAA and the origin, beside the probes below

	// The TLS enumeration and the resumption check run beside the HTTP
	// probes.
	var tlsRep *tlsprobe.Report
	var tlsErr error
	var resumed bool
	tlsDone := make(chan struct{})
	go func() {
		defer close(tlsDone)
		defer func() {
			if v := recover(); v != nil {
				tlsRep, tlsErr = nil, errors.New(panicError(v))
			}
		}()
		if a.o.NoTLSProbe {
			return
		}
		if testHook != nil {
			testHook("tls", a.t)
		}
		tlsRep, tlsErr = tlsprobe.Probe(ctx, hostPort(a.t.Host, a.t.HTTPSPort, 0), tlsprobe.Options{
			Timeout: a.o.Timeout, ServerName: a.t.Host, Dial: a.dial,
		})
		if tlsErr == nil {
			resumed, _ = a.resumes(ctx) // a failure here is the enumeration's to report
		}
	}()

	// Plain HTTP: the redirect chain from the root, then from each extra
	// page's own http:// URL (when plain HTTP answers at all).
	startURL := a.t.httpURL("/")
	hops, overHTTP, httpErr := a.chain(ctx, startURL)
	a.findings = append(a.findings, redirects.Check(startURL, hops)...)
	rep := Report{Target: a.t.String(), Observed: &Observed{Redirects: hops, HSTSNotApplicable: hsts.Local(a.t.Host)}}
	var httpDown []failure // plain-HTTP URLs that did not answer
	if httpErr != nil {
		httpDown = append(httpDown, failure{startURL, httpErr})
	} else {
		for _, p := range a.o.Paths {
			u := a.t.httpURL(p)
			ph, _, err := a.chain(ctx, u)
			if err != nil {
				httpDown = append(httpDown, failure{u, err})
				continue
			}
			if len(ph) > 0 {
				rep.Observed.PathRedirects = append(rep.Observed.PathRedirects, Chain{Page: p, Hops: ph})
			}
			a.findings = append(a.findings, redirects.Check(u, ph)...)
		}
	}

	// HTTPS: pages, certificate, headers, cookies.
	var hstsValues []string
	certValid, stapled, gotHome := false, false, false
	var leaf *x509.Certificate
	var homeErr error
	for i, p := range append([]string{"/"}, a.o.Paths...) {
		resp, state, err := a.get(ctx, a.t.httpsURL(p), nil)
		if err != nil {
			rep.Observed.Pages = append(rep.Observed.Pages, Page{Path: p, Error: err.Error()})
			if i == 0 {
				// Without the home page nothing is audited over HTTPS
				// (no certificate): the other requests would only
				// repeat its error. Judged below.
				homeErr = err
				break
			}
			a.fail("GET %s: %v", a.t.httpsURL(p), err)
			continue
		}
		page := Page{Path: p, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
		if isHTML(resp.Header.Get("Content-Type")) {
			if parsed, err := content.Parse(a.t.httpsURL(p), io.LimitReader(resp.Body, a.o.MaxBody), a.o.MaxBody); err == nil {
				if upgradesInsecure(resp.Header) {
					parsed.UpgradeAll()
				}
				page.HTML = true
				a.findings = append(a.findings, content.Check(parsed)...)
			}
		}
		rep.Observed.Pages = append(rep.Observed.Pages, page)
		io.Copy(io.Discard, io.LimitReader(resp.Body, a.o.MaxBody))
		resp.Body.Close()
		a.sawPage(i, p, resp.Header, state) // for the CDN, cache and pin checks
		if i == 0 {
			gotHome = true
			if state != nil {
				stapled = len(state.OCSPResponse) > 0
				if len(state.PeerCertificates) > 0 {
					leaf = state.PeerCertificates[0]
				}
				info, fs := cert.Check(a.t.Host, state.PeerCertificates, cert.Options{Roots: a.o.Roots, Now: a.o.Now, Pins: a.o.Pins})
				rep.Cert, certValid = &info, info.Trusted
				a.findings = append(a.findings, fs...)
			}
			hstsValues = resp.Header.Values("Strict-Transport-Security")
			rep.Observed.Headers = securityHeaders(resp.Header)
			a.findings = append(a.findings, headers.Check(a.t.httpsURL(p), resp.Header)...)
		}
		a.findings = append(a.findings, cookies.Check(a.t.httpsURL(p), true, resp.Header.Values("Set-Cookie"))...)
		rep.Observed.Cookies = append(rep.Observed.Cookies, observeCookies(p, resp.Header.Values("Set-Cookie"))...)
	}

	// What the failures mean. With HTTPS up, plain HTTP that does not
	// answer is a finding. With nothing speaking TLS while plain HTTP
	// serves the site, the site is HTTP-only: that is the finding (F), and
	// the HTTPS checks do not apply. Otherwise nothing was audited: the
	// failures are errors and there is no grade.
	httpOnly := homeErr != nil && noTLS(homeErr) && servesPlainHTTP(hops)
	switch {
	case gotHome || httpOnly:
		for _, d := range httpDown {
			f := rules.NewFinding("redirect.http-unreachable", fmt.Sprintf("%s does not answer: a browser that tries plain HTTP first for a typed name gets an error instead of a redirect to HTTPS", d.url))
			f.Target, f.Evidence = d.url, rules.ClipEvidence(d.err.Error())
			a.findings = append(a.findings, f)
		}
		if httpOnly {
			f := rules.NewFinding("tls.no-https", fmt.Sprintf("nothing speaks HTTPS at %s while %s serves the site over plain HTTP: every page and cookie crosses the network in clear text",
				a.t.httpsURL("/"), hops[len(hops)-1].URL))
			f.Target, f.Evidence = a.t.httpsURL("/"), rules.ClipEvidence(homeErr.Error())
			a.findings = append(a.findings, f)
		}
	default:
		a.fail("GET %s: %v", a.t.httpsURL("/"), homeErr)
		for _, d := range httpDown {
			a.fail("GET %s: %v", d.url, d.err)
		}
	}

	if gotHome { // without the HTTPS page there is no evidence either way (its error is reported)
		a.findings = append(a.findings, hsts.Check(hsts.Observation{
			Host: a.t.Host, Values: hstsValues, OverHTTP: overHTTP,
			RedirectsToHTTPSFirst: redirects.FirstToHTTPS(startURL, hops), HTTPListening: len(hops) > 0, CertificateValid: certValid,
		})...)
		a.cors(ctx, rep.Observed)
		a.securityTxt(ctx, rep.Observed)
	}
	<-tlsDone
	switch {
	case tlsErr != nil && !gotHome:
		// The home page's failure, reported above, says why.
	case tlsErr != nil:
		a.fail("TLS enumeration: %v", tlsErr)
	case tlsRep != nil:
		// The prober sees stapling in TLS 1.2's ServerHello; Go's
		// handshake above also sees it in TLS 1.3's Certificate message.
		stapled = stapled || tlsRep.OCSPStapling
		tlsRep.OCSPStapling = stapled
		tlsRep.Resumption = resumed
		rep.TLS = tlsRep
		a.findings = append(a.findings, TLSFindings(a.t.String(), tlsRep)...)
	}

	a.findings = append(a.findings, ocspFindings(a.t.String(), leaf, stapled)...)
	a.finishDeployment(&rep) // CDN, caches, origin, CAA, pins
	rep.Findings = dedupe(a.findings)
	slices.SortStableFunc(rep.Findings, func(x, y rules.Finding) int { return int(y.Severity) - int(x.Severity) })
	if gotHome || httpOnly { // else not audited: no grade
		rep.Grade = grade.Of(rep.Findings)
	}
	rep.Errors = a.errs
	rep.Duration = time.Since(start)
	return rep
}

// legacyClientSuites are all the suites Go's client can speak, insecure
// ones included, so that the audit reaches a server that offers only
// legacy suites (static RSA, 3DES, RC4) and can judge its certificate and
// headers; package tlsprobe judges the suites themselves. Go orders the
// suites itself, strongest first, so a modern server is unaffected.
var legacyClientSuites = func() []uint16 {
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, s.ID)
	}
	return ids
}()

// newClient makes a client that dials through Resolve, never follows
// redirects itself, reads any certificate (the chain is judged
// separately, by package cert) and speaks TLS 1.0 and legacy suites
// (Go's client defaults stop at TLS 1.2 and modern suites, which would
// leave a legacy server's certificate and headers unjudged).
func (a *auditor) newClient() *http.Client {
	tc := &tls.Config{
		InsecureSkipVerify: true, // judged by package cert, not trusted for anything
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       legacyClientSuites,
	}
	tr := &http.Transport{
		DialContext:           a.dial,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		ResponseHeaderTimeout: a.o.Timeout,
		TLSHandshakeTimeout:   a.o.Timeout,
		MaxIdleConnsPerHost:   4,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       a.o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dial connects to addr, or to the address Resolve gives for it.
func (a *auditor) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := a.o.Resolve[addr]; ok {
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(to, port)
	}
	d := net.Dialer{Timeout: a.o.Timeout}
	return d.DialContext(ctx, network, addr)
}

// get fetches u and returns the TLS state of its connection, if any.
func (a *auditor) get(ctx context.Context, u string, hdr http.Header) (*http.Response, *tls.ConnectionState, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", "portcullis-audit/1")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	return resp, resp.TLS, nil
}

// chain follows redirects from start by hand, up to 10 hops. firstErr is
// the failure of the first request, for the caller to judge (plain HTTP
// that does not answer is a finding when HTTPS does); a later hop's
// failure, or any failure once ctx is done, is an error of the audit.
func (a *auditor) chain(ctx context.Context, start string) (hops []redirects.Hop, hstsOverHTTP bool, firstErr error) {
	u := start
	for range 10 {
		resp, _, err := a.get(ctx, u, nil)
		if err != nil {
			switch {
			case len(hops) == 0 && ctx.Err() == nil:
				return nil, false, err
			case len(hops) == 0:
				a.fail("GET %s: %v", u, err)
			default:
				a.fail("following the redirect to %s: %v", u, err)
			}
			return hops, hstsOverHTTP, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		h := redirects.Hop{URL: u, Status: resp.StatusCode}
		if len(hops) == 0 && resp.Header.Get("Strict-Transport-Security") != "" {
			hstsOverHTTP = true
		}
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if next, err := resp.Request.URL.Parse(loc); err == nil {
				h.Location = next.String()
			}
		}
		hops = append(hops, h)
		if h.Location == "" {
			break
		}
		u = h.Location
	}
	return hops, hstsOverHTTP, nil
}

// failure is a request that failed.
type failure struct {
	url string
	err error
}

// noTLS reports whether err says that nothing speaks TLS at the HTTPS
// address: the connection could not be made (refused, unreachable, timed
// out) or the server answered in plain text.
func noTLS(err error) bool {
	var op *net.OpError
	var rh tls.RecordHeaderError
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &rh) || errors.Is(err, http.ErrSchemeMismatch)
}

// servesPlainHTTP reports whether a plain-HTTP chain ends on a page
// served over plain HTTP (rather than on a redirect to HTTPS).
func servesPlainHTTP(hops []redirects.Hop) bool {
	if len(hops) == 0 {
		return false
	}
	last := hops[len(hops)-1]
	u, err := url.Parse(last.URL)
	return err == nil && u.Scheme == "http" && !last.Redirect()
}

// loopback reports whether host names this machine (a localhost name or
// a loopback address), which no one outside can reach.
func loopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.IsLoopback()
	}
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// evilOrigin is the foreign origin of the CORS probe.
const evilOrigin = "https://portcullis-audit.invalid"

// cors asks with a foreign Origin and judges what comes back, recording
// the answers in o.
func (a *auditor) cors(ctx context.Context, o *Observed) {
	u := a.t.httpsURL("/")
	for _, origin := range []string{evilOrigin, "null"} {
		resp, _, err := a.get(ctx, u, http.Header{"Origin": {origin}})
		if err != nil {
			o.CORS = append(o.CORS, CORSAnswer{Origin: origin, Error: err.Error()})
			a.fail("CORS probe (Origin: %s): %v", origin, err)
			return
		}
		resp.Body.Close()
		acao := resp.Header.Get("Access-Control-Allow-Origin")
		creds := strings.EqualFold(resp.Header.Get("Access-Control-Allow-Credentials"), "true")
		o.CORS = append(o.CORS, CORSAnswer{Origin: origin, AllowOrigin: acao, AllowCredentials: creds})
		ev := fmt.Sprintf("Origin: %s → Access-Control-Allow-Origin: %s; Allow-Credentials: %v", origin, acao, creds)
		add := func(id, format string, args ...any) {
			f := rules.NewFinding(id, fmt.Sprintf(format, args...))
			f.Target, f.Evidence = u, ev
			a.findings = append(a.findings, f)
		}
		switch {
		case acao == origin && origin == "null":
			add("cors.null-origin", "the null origin (sandboxed iframes, local files) is allowed to read responses%s", credsText(creds))
		case acao == origin:
			add("cors.origin-reflected", "an arbitrary Origin is reflected into Access-Control-Allow-Origin%s: any site can read the responses", credsText(creds))
		case acao == "*" && creds:
			add("cors.wildcard-credentials", "Access-Control-Allow-Origin * with credentials")
		case acao == "*" && origin == evilOrigin:
			add("cors.wildcard", "every origin may read the responses (Access-Control-Allow-Origin: *)")
		}
	}
}

func credsText(creds bool) string {
	if creds {
		return ", with credentials"
	}
	return ""
}

// securityTxt fetches and judges /.well-known/security.txt, recording
// what it answered in o.
func (a *auditor) securityTxt(ctx context.Context, o *Observed) {
	u := a.t.httpsURL("/.well-known/security.txt")
	o.SecurityTxt = &SecurityTxt{URL: u}
	resp, _, err := a.get(ctx, u, nil)
	if err != nil {
		o.SecurityTxt.Error = err.Error()
		a.fail("GET %s: %v", u, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	o.SecurityTxt.Status, o.SecurityTxt.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	fs := sectxt.Check(sectxt.Fetched{URL: u, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, a.o.Now())
	missing := false
	for i, f := range fs {
		if f.Rule != "securitytxt.missing" {
			continue
		}
		missing = true
		if loopback(a.t.Host) { // RFC 9116 is for reporters, and none can reach a loopback host
			fs[i].Severity = rules.Info
			fs[i].Message += "; informational for a loopback host, which no outside reporter can reach"
		}
	}
	if !missing {
		if f, _ := securitytxt.Parse(body); f != nil {
			o.SecurityTxt.Contact = f.Contact
			if !f.Expires.IsZero() {
				o.SecurityTxt.Expires = f.Expires.UTC().Format(time.RFC3339)
			}
		}
	}
	a.findings = append(a.findings, fs...)
}

// isHTML reports whether a Content-Type is HTML.
func isHTML(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// upgradesInsecure reports whether an enforced CSP header has
// upgrade-insecure-requests, which makes browsers fetch http://
// subresources over HTTPS.
func upgradesInsecure(h http.Header) bool {
	for _, v := range h.Values("Content-Security-Policy") {
		ps, _ := csp.ParseListDetailed(v)
		for _, p := range ps {
			if p.Has("upgrade-insecure-requests") {
				return true
			}
		}
	}
	return false
}

// dedupe drops findings identical in rule, message and target.
func dedupe(fs []rules.Finding) []rules.Finding {
	seen := map[string]bool{}
	var out []rules.Finding
	for _, f := range fs {
		k := f.Rule + "\x00" + f.Message + "\x00" + f.Target
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}
