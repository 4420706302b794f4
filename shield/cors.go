package shield

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/grammar"
)

// corsPolicy answers CORS for the configured origins.
type corsPolicy struct {
	anyOrigin   bool
	exact       map[string]struct{}
	patterns    []originPattern
	methods     map[string]struct{}
	headers     map[string]struct{} // lower-case
	allowMeth   []string
	allowHdrs   []string
	expose      []string
	credentials bool
	maxAge      []string
}

// originPattern matches "scheme://*.domain[:port]": any subdomain.
type originPattern struct {
	prefix string // "https://"
	suffix string // ".example.com" or ".example.com:8443"
}

func newCORSPolicy(c CORS) (*corsPolicy, error) {
	if len(c.Origins) == 0 {
		if c.Credentials || len(c.Methods) > 0 || len(c.Headers) > 0 || len(c.ExposeHeaders) > 0 {
			return nil, optionErr("CORS.Origins", "methods, headers or credentials are set but no Origins are allowed")
		}
		return nil, nil
	}
	var errs problems
	p := &corsPolicy{exact: map[string]struct{}{}, methods: map[string]struct{}{}, headers: map[string]struct{}{}, credentials: c.Credentials}
	for _, o := range c.Origins {
		switch {
		case o == "*":
			if c.Credentials {
				errs.addf("CORS.Credentials", "the wildcard origin \"*\" with credentials would let every site read authenticated responses; list the origins instead")
			}
			p.anyOrigin = true
		case strings.EqualFold(o, "null"):
			errs.addf("CORS.Origins", "the \"null\" origin is sent by sandboxed frames and local files of any site; it cannot be allowed safely")
		case strings.Contains(o, "*"):
			pat, err := parseOriginPattern(o)
			if err != nil {
				errs.addErr("CORS.Origins", err)
				continue
			}
			p.patterns = append(p.patterns, pat)
		default:
			norm, err := normalizeOrigin(o)
			if err != nil {
				errs.addErr("CORS.Origins", err)
				continue
			}
			p.exact[norm] = struct{}{}
		}
	}
	methods := c.Methods
	if len(methods) == 0 {
		methods = []string{http.MethodGet, http.MethodHead, http.MethodPost}
	}
	for _, m := range methods {
		if !grammar.IsToken(m) {
			errs.addf("CORS.Methods", "method %q is not a token", m)
			continue
		}
		p.methods[m] = struct{}{}
		p.allowMeth = append(p.allowMeth, m)
	}
	for _, h := range c.Headers {
		if !grammar.IsToken(h) {
			errs.addf("CORS.Headers", "header %q is not a header name", h)
			continue
		}
		p.headers[strings.ToLower(h)] = struct{}{}
		p.allowHdrs = append(p.allowHdrs, http.CanonicalHeaderKey(h))
	}
	for _, h := range c.ExposeHeaders {
		if !grammar.IsToken(h) {
			errs.addf("CORS.ExposeHeaders", "exposed header %q is not a header name", h)
			continue
		}
		p.expose = append(p.expose, http.CanonicalHeaderKey(h))
	}
	age := c.MaxAge
	if age == 0 {
		age = 10 * time.Minute
	}
	if age < 0 {
		errs.addf("CORS.MaxAge", "negative MaxAge")
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	p.maxAge = single(strconv.Itoa(int(age / time.Second)))
	return p, nil
}

// normalizeOrigin checks that o is a serialized origin: scheme://host[:port]
// with no path, and returns it lower-cased with a default port removed.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("origin %q is not of the form scheme://host[:port]", o)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("origin %q: scheme must be https or http", o)
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	if _, err := splitHost(host); err != nil {
		return "", fmt.Errorf("origin %q: %v", o, err)
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}

func parseOriginPattern(o string) (originPattern, error) {
	scheme, rest, ok := strings.Cut(o, "://*.")
	if !ok || strings.Contains(rest, "*") || (scheme != "https" && scheme != "http") {
		return originPattern{}, fmt.Errorf("origin pattern %q must look like https://*.example.com", o)
	}
	norm, err := normalizeOrigin(scheme + "://" + rest)
	if err != nil {
		return originPattern{}, err
	}
	return originPattern{prefix: scheme + "://", suffix: "." + strings.TrimPrefix(norm, scheme+"://")}, nil
}

// allowed reports whether origin may read responses.
func (p *corsPolicy) allowed(origin string) bool {
	if p.anyOrigin {
		return true
	}
	if _, ok := p.exact[origin]; ok {
		return true
	}
	if hasUpper(origin) {
		origin = strings.ToLower(origin)
		if _, ok := p.exact[origin]; ok {
			return true
		}
	}
	for _, pat := range p.patterns {
		if strings.HasPrefix(origin, pat.prefix) && strings.HasSuffix(origin, pat.suffix) {
			sub := origin[len(pat.prefix) : len(origin)-len(pat.suffix)]
			if sub != "" && validHostname(sub) {
				return true
			}
		}
	}
	return false
}

// handle applies CORS to r. It reports whether the request was a preflight
// that it answered (the handler must then not run), and whether the origin
// is allowed.
func (p *corsPolicy) handle(w http.ResponseWriter, r *http.Request, s *Shield) (answered, allowedOrigin bool) {
	origin := r.Header.Get("Origin")
	h := w.Header()
	if !p.anyOrigin {
		h.Add("Vary", "Origin")
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if preflight {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if origin == "" {
		return false, false
	}
	ok := p.allowed(origin)
	if !preflight {
		if ok {
			p.setOrigin(h, origin)
			if len(p.expose) > 0 {
				h["Access-Control-Expose-Headers"] = []string{strings.Join(p.expose, ", ")}
			}
		}
		return false, ok
	}
	method := r.Header.Get("Access-Control-Request-Method")
	_, methodOK := p.methods[method]
	hdrsOK := p.headersAllowed(r.Header.Values("Access-Control-Request-Headers"))
	if !ok || !methodOK || !hdrsOK {
		s.emit(r, EventCORSRejected, "", fmt.Sprintf("preflight from %.100q for %.32q refused", origin, method))
		w.WriteHeader(http.StatusForbidden)
		return true, false
	}
	p.setOrigin(h, origin)
	h["Access-Control-Allow-Methods"] = []string{strings.Join(p.allowMeth, ", ")}
	if len(p.allowHdrs) > 0 {
		h["Access-Control-Allow-Headers"] = []string{strings.Join(p.allowHdrs, ", ")}
	}
	h["Access-Control-Max-Age"] = p.maxAge
	w.WriteHeader(http.StatusNoContent)
	return true, true
}

func (p *corsPolicy) setOrigin(h http.Header, origin string) {
	if p.anyOrigin && !p.credentials {
		h["Access-Control-Allow-Origin"] = []string{"*"}
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origin}
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
}

// headersAllowed checks Access-Control-Request-Headers. Browsers list
// there only headers that are not CORS-safelisted with the values sent
// (Content-Type: application/json is listed; text/plain is not), so every
// listed name needs permission.
func (p *corsPolicy) headersAllowed(vals []string) bool {
	for _, v := range vals {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if _, ok := p.headers[name]; !ok {
				return false
			}
		}
	}
	return true
}
