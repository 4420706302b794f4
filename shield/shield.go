// Package shield is net/http middleware that gives any handler the
// protections of a hardened Django deployment, with safe defaults and
// near-zero cost:
//
//   - only the configured hosts are served (others get 400, never a redirect);
//   - forwarding headers are believed from trusted proxies only;
//   - plain-HTTP requests are redirected to HTTPS (308 keeps POST bodies);
//   - Strict-Transport-Security on HTTPS (never for localhost or IPs);
//   - every Set-Cookie gets Secure (over HTTPS), SameSite and, for session
//     cookies, HttpOnly; __Host-/__Secure- prefix rules are checked;
//   - X-Frame-Options, X-Content-Type-Options, Referrer-Policy,
//     Cross-Origin-Opener-Policy, X-XSS-Protection, Permissions-Policy and a
//     Content-Security-Policy (with per-request nonces if asked);
//   - CORS for the origins you list, and cross-origin (CSRF) protection
//     for unsafe methods;
//   - /.well-known/security.txt that never goes stale.
//
// The zero Options are the secure defaults; New validates the options and
// refuses combinations that browsers would ignore or that weaken security
// silently. Every property maps to a rule of the portcullis catalog (see
// package rules); Shield.Rules reports which ones a configuration
// satisfies.
package shield

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/securitytxt"
)

// Shield is the compiled middleware. It is safe for concurrent use.
type Shield struct {
	opts        Options
	hosts       *hostMatcher
	proxies     *proxyTrust
	redirect    *redirector // nil when disabled
	headers     *headerSet
	cookies     *cookiePolicy // nil when disabled
	cors        *corsPolicy   // nil when not configured
	cop         *http.CrossOriginProtection
	bypass      *http.ServeMux // cross-origin bypass patterns; nil without
	requests    *requestPolicy
	securityTxt http.Handler
	onEvent     func(Event)
	pool        sync.Pool
}

// New validates opts and compiles a Shield. It refuses HSTS preload
// without a one-year max-age and includeSubDomains, a wildcard CORS origin
// with credentials, malformed hosts, proxies, origins, header values or
// policies, and every other value browsers would ignore or that weakens
// security silently. It checks every option and reports every problem at
// once: the error is an errors.Join of *OptionError, one per problem, each
// naming its option by its path in Options (OptionError.Field).
func New(opts Options) (*Shield, error) {
	s := &Shield{opts: opts}
	var errs problems
	var err error
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"localhost", "127.0.0.1", "::1"}
		s.opts.Hosts = opts.Hosts
	}
	s.hosts, err = newHostMatcher(opts.Hosts)
	errs.add(err)
	s.proxies, err = newProxyTrust(opts.TrustedProxies)
	errs.add(err)
	s.redirect, err = newRedirector(opts.Redirect)
	errs.add(err)
	errs.add(checkHSTS(&s.opts.HSTS))
	s.headers, err = buildHeaders(&s.opts)
	errs.add(err)
	s.cookies, err = newCookiePolicy(opts.Cookies)
	errs.add(err)
	s.cors, err = newCORSPolicy(opts.CORS)
	errs.add(err)
	s.cop, s.bypass, err = newCrossOrigin(opts.CrossOrigin)
	errs.add(err)
	s.requests, err = newRequestPolicy(opts.Requests)
	errs.add(err)
	s.securityTxt, err = newSecurityTxt(opts.SecurityTxt, opts.Now)
	errs.add(err)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	s.onEvent = opts.OnEvent
	if s.onEvent == nil {
		l := opts.Logger
		if l == nil {
			l = slog.Default()
		}
		s.onEvent = logEvent(l)
	}
	s.pool.New = func() any { return new(writer) }
	return s, nil
}

func checkHSTS(h *HSTS) error {
	if h.Disable {
		return nil
	}
	if h.MaxAge < 0 {
		return optionErr("HSTS.MaxAge", "negative MaxAge %v", h.MaxAge)
	}
	if h.MaxAge == 0 {
		h.MaxAge = oneYear
	}
	if h.Preload && (h.MaxAge < oneYear || h.ExcludeSubdomains) {
		return optionErr("HSTS.Preload", "preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge %v, includeSubDomains %t)",
			h.MaxAge, !h.ExcludeSubdomains)
	}
	return nil
}

// newSecurityTxt builds the security.txt handler; nil when st is nil.
func newSecurityTxt(st *SecurityTxt, now func() time.Time) (http.Handler, error) {
	if st == nil {
		return nil, nil
	}
	if st.ExpiresIn < 0 {
		return nil, optionErr("SecurityTxt.ExpiresIn", "negative ExpiresIn %v", st.ExpiresIn)
	}
	if now == nil {
		now = time.Now
	}
	h, err := securitytxt.Handler(st.File, securitytxt.HandlerOptions{ExpiresIn: st.ExpiresIn, Now: now})
	if err != nil {
		// Field names the file: the package's name in front of the
		// message would say it twice.
		return nil, &OptionError{Field: "SecurityTxt.File", Err: errors.New(strings.TrimPrefix(err.Error(), "securitytxt: "))}
	}
	return h, nil
}

// Options returns the options the Shield was built with, defaults filled in.
func (s *Shield) Options() Options { return s.opts }

// Wrap returns next behind the shield.
func (s *Shield) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, next)
	})
}

// serve is the request path, in order.
func (s *Shield) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	// 1. Believe forwarding headers from trusted proxies only, and pass
	// on no header name with '_' (CGI and WSGI read it as '-') nor
	// HTTP2-Settings.
	var info Info
	forwarded := s.proxies.resolve(r, &info)
	scrubRequest(r.Header, s.requests.underscores)
	if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
		// The body was framed by Transfer-Encoding. net/http drops a
		// Content-Length sent beside it unseen, but a front end may have
		// framed the same bytes by that length: RFC 9112 section 6.1
		// requires closing the connection after answering, so that no
		// request can be smuggled behind this one (golang/go#80942).
		// Browsers send no chunked HTTP/1 bodies; this costs others a
		// reconnect.
		w.Header()["Connection"] = connectionClose
	}
	host, secure := r.Host, r.TLS != nil
	if forwarded {
		host, secure = info.Host, info.Secure()
	}

	// 2. Serve only the configured hosts; never redirect to another.
	hostname, err := splitHost(host)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, EventMalformed, "", "invalid host", err.Error())
		return
	}
	if !s.hosts.match(hostname) {
		s.refuse(w, r, http.StatusBadRequest, EventHostRejected, "host.unrestricted", "host not allowed", "host not in the allowed hosts")
		return
	}

	// 3. Only the allowed methods and upgrades pass; an h2c upgrade is
	// removed, never tunnelled.
	if !s.requests.methodAllowed(r.Method) {
		w.Header()["Allow"] = s.requests.allow
		s.refuse(w, r, http.StatusMethodNotAllowed, EventMethodRefused, "proxy.unsafe-methods", "method not allowed", "method not allowed")
		return
	}
	if refused := s.requests.filterUpgrade(r.Header); refused != "" {
		s.refuse(w, r, http.StatusBadRequest, EventUpgradeRefused, "", "upgrade not allowed", fmt.Sprintf("upgrade to %.64q not allowed", refused))
		return
	}

	// 4. Plain HTTP goes to HTTPS, except for exempt paths.
	if !secure && s.redirect != nil && !s.redirect.exempt(r) {
		s.redirect.serve(w, r, hostname)
		return
	}

	// 5. CORS: answer preflights; note whether the origin is allowed.
	corsAllowed := false
	if s.cors != nil {
		var answered bool
		if answered, corsAllowed = s.cors.handle(w, r, s); answered {
			return
		}
	}

	// 6. Cross-origin unsafe requests (CSRF), unless CORS allows the origin.
	if s.cop != nil && !corsAllowed && !isSafeMethod(r.Method) {
		if err := s.checkCrossOrigin(r, info, forwarded); err != nil && !bypasses(s.bypass, r) {
			s.refuse(w, r, http.StatusForbidden, EventCrossOriginBlocked, "csrf.cross-origin-unprotected", "cross-origin request refused", err.Error())
			return
		}
	}

	// 7. Per-request state for handlers: CSP nonce, forwarded values.
	var nonce, nonced string
	if s.headers.cspNonce != nil || forwarded {
		st := &state{info: info, fwd: forwarded}
		if s.headers.cspNonce != nil {
			n, err := csp.NewNonce()
			if err != nil {
				s.refuse(w, r, http.StatusServiceUnavailable, "", "", "service unavailable", "no randomness for a CSP nonce: "+err.Error())
				return
			}
			st.nonce, nonce = n, n
			nonced = s.headers.cspNonce.Render(n)
		}
		r = withState(r, st)
	}

	// 8. The handler, behind a writer that adds headers and hardens
	// cookies when the response is committed.
	sw := s.pool.Get().(*writer)
	*sw = writer{rw: w, s: s, r: r, secure: secure, hsts: secure && !isLocalHost(hostname), csp: nonced, nonce: nonce}
	if s.securityTxt != nil && r.URL.Path == "/.well-known/security.txt" {
		s.securityTxt.ServeHTTP(sw, r)
	} else {
		next.ServeHTTP(sw, r)
	}
	if !sw.done {
		sw.commit() // the handler wrote nothing: net/http sends 200 with our headers
	}
	*sw = writer{}
	s.pool.Put(sw)
}

var connectionClose = []string{"close"}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// refuse answers a request shield will not pass on. The page is short,
// plain and echoes nothing from the request.
func (s *Shield) refuse(w http.ResponseWriter, r *http.Request, code int, kind, rule, public, detail string) {
	if kind != "" {
		s.emit(r, kind, rule, detail)
	}
	h := w.Header()
	s.headers.apply(h, false, "")
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		fmt.Fprintf(w, "%d %s: %s\n", code, http.StatusText(code), public)
	}
}

// redirector sends plain-HTTP requests to HTTPS.
type redirector struct {
	code     int
	host     string // canonical host, "" for the request's own
	port     string // ":8443", or "" for 443
	exact    map[string]struct{}
	prefixes []string
}

func newRedirector(o Redirect) (*redirector, error) {
	if o.Disable {
		return nil, nil
	}
	var errs problems
	rd := &redirector{code: o.Code, exact: map[string]struct{}{}}
	switch o.Code {
	case 0:
		rd.code = http.StatusPermanentRedirect
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		errs.addf("Redirect.Code", "code %d: use 308 (default), 301 or 307", o.Code)
	}
	if o.Host != "" {
		h, err := splitHost(o.Host)
		if err != nil || strings.Contains(o.Host, ":") && !strings.HasPrefix(o.Host, "[") {
			errs.addf("Redirect.Host", "canonical host %q is not a host name (give the port in Port)", o.Host)
		}
		rd.host = bracketIPv6(strings.ToLower(h))
	}
	switch {
	case o.Port == 0, o.Port == 443:
	case o.Port > 0 && o.Port <= 65535:
		rd.port = fmt.Sprintf(":%d", o.Port)
	default:
		errs.addf("Redirect.Port", "port %d out of range", o.Port)
	}
	for _, p := range o.Exempt {
		if !strings.HasPrefix(p, "/") {
			errs.addf("Redirect.Exempt", "exempt path %q must start with /", p)
			continue
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.Contains(prefix, "*") || !strings.HasSuffix(prefix, "/") {
				errs.addf("Redirect.Exempt", "exempt path %q: only a trailing /* wildcard is allowed", p)
				continue
			}
			rd.prefixes = append(rd.prefixes, prefix)
			continue
		}
		if strings.Contains(p, "*") {
			errs.addf("Redirect.Exempt", "exempt path %q: only a trailing /* wildcard is allowed", p)
			continue
		}
		rd.exact[p] = struct{}{}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return rd, nil
}

// exempt reports whether r's path is exempt from the redirect: it matches
// an exemption and is plain (see plainPath), so that no dot segment or
// encoding can carry a request out of the redirect.
func (rd *redirector) exempt(r *http.Request) bool {
	path := r.URL.Path
	if len(rd.exact) > 0 {
		if _, ok := rd.exact[path]; ok {
			return plainPath(r)
		}
	}
	for _, p := range rd.prefixes {
		if strings.HasPrefix(path, p) {
			return plainPath(r)
		}
	}
	return false
}

func (rd *redirector) serve(w http.ResponseWriter, r *http.Request, hostname string) {
	uri := r.URL.RequestURI()
	if !strings.HasPrefix(uri, "/") {
		// "OPTIONS *" and other non-path targets have no HTTPS twin.
		http.Error(w, "400 Bad Request: request target must be a path", http.StatusBadRequest)
		return
	}
	host := rd.host
	if host == "" {
		host = bracketIPv6(strings.ToLower(hostname))
	}
	w.Header()["Location"] = []string{"https://" + host + rd.port + uri}
	w.WriteHeader(rd.code)
}

func bracketIPv6(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// newCrossOrigin builds net/http's protection and, apart from it, a mux
// of the bypass patterns: CrossOriginProtection's own bypass matches the
// path as Go cleans it, which lets "/webhooks/..;/admin" through to an
// upstream that resolves it otherwise (see bypasses).
func newCrossOrigin(c CrossOrigin) (*http.CrossOriginProtection, *http.ServeMux, error) {
	if c.Disable {
		return nil, nil, nil
	}
	var errs problems
	cop := http.NewCrossOriginProtection()
	for _, o := range c.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			errs.addf("CrossOrigin.TrustedOrigins", "trusted origin: %w", err)
		}
	}
	var bypass *http.ServeMux
	if len(c.Bypass) > 0 {
		bypass = http.NewServeMux()
	}
	for _, p := range c.Bypass {
		if err := handleBypass(bypass, p); err != nil {
			errs.addf("CrossOrigin.Bypass", "bypass pattern: %v", err)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs.err()
	}
	return cop, bypass, nil
}

// handleBypass registers pattern p on mux, turning the panic of a
// malformed or conflicting pattern into a one-line error (without the
// source lines ServeMux names, which are shield's own).
func handleBypass(mux *http.ServeMux, p string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := registeredAt.ReplaceAllString(fmt.Sprint(r), "")
			err = errors.New(strings.ReplaceAll(strings.TrimSpace(msg), "\n", " "))
		}
	}()
	mux.Handle(p, bypassMark)
	return nil
}

// registeredAt matches where ServeMux says a pattern was registered.
var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

// checkCrossOrigin runs net/http's check against the effective host, so
// that a Host rewritten by a trusted proxy does not cause false refusals.
func (s *Shield) checkCrossOrigin(r *http.Request, info Info, forwarded bool) error {
	if forwarded && info.Host != r.Host {
		r2 := *r
		r2.Host = info.Host
		return s.cop.Check(&r2)
	}
	return s.cop.Check(r)
}

// AllowsHost reports whether a Host header value (port allowed) names one
// of the Shield's hosts. Servers use it to route a request to the right
// site before the site's Shield sees it.
func (s *Shield) AllowsHost(host string) bool {
	name, err := splitHost(host)
	return err == nil && s.hosts.match(name)
}
