package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/shield"
)

// Validate checks the whole configuration and returns every problem (as
// Errors), or nil. Parse and Load call it; call it again after changing a
// Config in code. It checks the listeners, the TLS profile, the limits
// and the access log; each site's name, hosts (no host may belong to two
// sites), upstream and certificate source; and each site's policy merged
// with Defaults, by building its shield options and calling shield.New, so
// that whatever shield would refuse is reported here, at the key that
// causes it.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.top()
	v.sites()
	return c.redact(v.errs).result()
}

type validator struct {
	c    *Config
	errs Errors
	site *Site
	idx  int // 1-based index of site
}

func (v *validator) add(line int, key, format string, a ...any) {
	e := &Error{File: v.c.Path, Line: line, Key: key, Msg: fmt.Sprintf(format, a...)}
	if v.site != nil {
		e.Site, e.siteIndex = v.site.Name, v.idx
	}
	v.errs = append(v.errs, e)
}

// line returns the line of a dotted key under the key path prefix, or of
// its nearest ancestor that has one; 0 if none.
func (v *validator) line(prefix, key string) int {
	parts := strings.Split(key, ".")
	for n := len(parts); n > 0; n-- {
		if l, ok := v.c.lines[join(prefix, strings.Join(parts[:n], sep))]; ok {
			return l
		}
	}
	return 0
}

// siteLine is the line of a key of the current site (or the site's line).
func (v *validator) siteLine(key string) int {
	if v.site.path != "" {
		if l := v.line(v.site.path, key); l > 0 {
			return l
		}
	}
	return v.site.Line
}

// policyLine is the line of a policy key as the current site sees it: set
// in the site, else inherited from [defaults]; else the site's line.
func (v *validator) policyLine(key string) int {
	parts := strings.Split(key, ".")
	for n := len(parts); n > 0; n-- {
		k := strings.Join(parts[:n], sep)
		if v.site.path != "" {
			if l, ok := v.c.lines[join(join(v.site.path, "policy"), k)]; ok {
				return l
			}
		}
		if l, ok := v.c.lines[join("defaults", k)]; ok {
			return l
		}
	}
	return v.site.Line
}

// bad reports whether the key path (or anything under it) failed to
// decode, so that its absence is not reported again.
func (v *validator) bad(path string) bool {
	for k := range v.c.bad {
		if k == path || strings.HasPrefix(k, path+sep) {
			return true
		}
	}
	return false
}

func (v *validator) top() {
	c := v.c
	https := v.addr("listen.https", c.Listen.HTTPS)
	http := v.addr("listen.http", c.Listen.HTTP)
	if https && http && c.Listen.HTTPS == c.Listen.HTTP && !strings.HasSuffix(c.Listen.HTTP, ":0") {
		v.add(v.line("", "listen.http"), "listen.http", "%q is also the HTTPS listener", c.Listen.HTTP)
	}
	switch c.TLS.Profile {
	case ProfileIntermediate, ProfileModern:
	default:
		v.add(v.line("", "tls.profile"), "tls.profile", "%q is not a TLS profile (use %q, the default, or %q for TLS 1.3 only)",
			c.TLS.Profile, ProfileIntermediate, ProfileModern)
	}
	l := c.Limits
	for _, d := range []struct {
		key string
		d   time.Duration
	}{
		{"read_timeout", l.ReadTimeout}, {"write_timeout", l.WriteTimeout}, {"idle_timeout", l.IdleTimeout},
		{"shutdown_timeout", l.ShutdownTimeout}, {"upstream_timeout", l.UpstreamTimeout}, {"upstream_dial_timeout", l.UpstreamDialTimeout},
	} {
		if d.d < 0 {
			v.add(v.line("", "limits."+d.key), "limits."+d.key, "%v is negative", d.d)
		}
	}
	if l.ReadHeaderTimeout <= 0 {
		v.add(v.line("", "limits.read_header_timeout"), "limits.read_header_timeout",
			"must be positive: without it a client sending headers slowly holds a connection forever (slowloris)")
	}
	if l.MaxHeaderBytes <= 0 {
		v.add(v.line("", "limits.max_header_bytes"), "limits.max_header_bytes", "must be positive")
	}
	if l.MaxBodyBytes <= 0 {
		v.add(v.line("", "limits.max_body_bytes"), "limits.max_body_bytes", "must be positive")
	}
	switch c.AccessLog.Format {
	case LogJSON, LogCommon, LogOff:
	default:
		v.add(v.line("", "access_log.format"), "access_log.format", "%q is not one of json, common, off", c.AccessLog.Format)
	}
	for _, p := range c.Defaults.problems() {
		v.add(v.line("defaults", p.key), "defaults."+p.key, "%s", p.msg)
	}
	if len(c.Sites) == 0 && !v.bad("site") {
		v.add(0, "", "no [[site]]: nothing to serve (add a [[site]] with hosts and upstream)")
	}
}

// addr checks a listener address.
func (v *validator) addr(key, a string) bool {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		v.add(v.line("", key), key, "%q is not host:port (e.g. \":8443\" or \"127.0.0.1:8443\")", a)
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add(v.line("", key), key, "%q: port %q is not a number from 0 to 65535", a, port)
		return false
	}
	return true
}

// problems returns the problems of p.options.
func (p *Policy) problems() []problem {
	_, probs := p.options()
	return probs
}

// owner is the site serving a host.
type owner struct {
	name      string
	line, idx int
}

// at says where the site is, when known.
func (o owner) at() string {
	if o.line > 0 {
		return fmt.Sprintf(" on line %d", o.line)
	}
	return ""
}

func (v *validator) sites() {
	c := v.c
	hosts := map[string]owner{}
	names := map[string]owner{}
	defaultsOK := len(c.Defaults.problems()) == 0 && !v.bad("defaults")
	for i := range c.Sites {
		s := &c.Sites[i]
		v.site, v.idx = s, i+1
		if prev, dup := names[s.Name]; dup && s.Name != "" {
			v.add(v.siteLine("name"), "name", "the site%s has the same name (set a distinct name)", prev.at())
		} else {
			names[s.Name] = owner{s.Name, s.Line, i}
		}
		v.hosts(hosts)
		if !v.bad(join(s.path, "upstream")) {
			if msg := checkUpstream(s.Upstream); msg != "" {
				v.add(v.siteLine("upstream"), "upstream", "%s", msg)
			}
		}
		if !v.bad(join(s.path, "cert")) {
			v.cert()
		}
		probs := s.Policy.problems()
		for _, p := range probs {
			v.add(v.siteLine("policy."+p.key), p.key, "%s", p.msg)
		}
		if defaultsOK && len(probs) == 0 && len(s.Hosts) > 0 && !v.bad(join(s.path, "policy")) &&
			!v.bad(join(s.path, "hosts")) && !v.bad(join(s.path, "trusted_proxies")) {
			v.shield()
		}
	}
	v.site, v.idx = nil, 0
}

// hosts checks the current site's hosts, and that no other site has them.
func (v *validator) hosts(seen map[string]owner) {
	s := v.site
	if v.bad(join(s.path, "hosts")) {
		return
	}
	if len(s.Hosts) == 0 {
		v.add(v.siteLine("hosts"), "hosts", "missing: a site needs at least one host name (e.g. hosts = [\"example.com\"])")
		return
	}
	for _, h := range s.Hosts {
		key := strings.TrimSuffix(strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")), ".")
		if key == "" {
			v.add(v.siteLine("hosts"), "hosts", "empty host name")
			continue
		}
		if prev, dup := seen[key]; dup {
			if prev.idx == v.idx {
				v.add(v.siteLine("hosts"), "hosts", "%q is listed twice", h)
			} else {
				v.add(v.siteLine("hosts"), "hosts", "%q is already served by site %q%s", h, prev.name, prev.at())
			}
			continue
		}
		seen[key] = owner{s.Name, s.Line, v.idx}
	}
}

// checkUpstream returns what is wrong with an upstream, or "".
func checkUpstream(u string) string {
	if u == "" {
		return "missing: where requests go, e.g. \"http://127.0.0.1:8000\", \"unix:/run/app.sock\" or \"demo\""
	}
	if u == "demo" {
		return ""
	}
	if p, ok := strings.CutPrefix(u, "unix:"); ok {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, 0) {
			return fmt.Sprintf("%q: a unix socket is written unix:/absolute/path.sock", u)
		}
		return ""
	}
	if !strings.Contains(u, "://") {
		return fmt.Sprintf("%q has no scheme: write e.g. \"http://%s\"", u, u)
	}
	pu, err := url.Parse(u)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v", u, unwrapURLError(err))
	}
	switch {
	case pu.Scheme != "http" && pu.Scheme != "https":
		return fmt.Sprintf("%q: scheme %q is not supported (use http, https, unix or demo)", u, pu.Scheme)
	case pu.Hostname() == "":
		return fmt.Sprintf("%q has no host", u)
	case pu.User != nil:
		return fmt.Sprintf("%q: credentials in the upstream URL are not supported", u)
	case pu.Path != "" && pu.Path != "/", pu.RawQuery != "", pu.ForceQuery, pu.Fragment != "":
		return fmt.Sprintf("%q: an upstream is scheme://host[:port] only (no path, query or fragment)", u)
	}
	if p := pu.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q: port %q is not a number from 1 to 65535", u, p)
		}
	} else if strings.HasSuffix(pu.Host, ":") {
		return fmt.Sprintf("%q: empty port", u)
	}
	return ""
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// cert checks the current site's certificate source.
func (v *validator) cert() {
	cs := v.site.Cert
	switch cs.Source {
	case "", CertLocal:
		for _, f := range []struct{ key, val string }{{"cert.cert", cs.Cert}, {"cert.key", cs.Key}} {
			if f.val != "" {
				v.add(v.siteLine(f.key), f.key, "only used with source = \"files\" (the local CA issues this site's certificate)")
			}
		}
	case CertFiles:
		for _, f := range []struct{ key, val string }{{"cert.cert", cs.Cert}, {"cert.key", cs.Key}} {
			if f.val == "" {
				v.add(v.siteLine(f.key), f.key, "missing: source \"files\" needs both cert and key (PEM file paths)")
			}
		}
	case CertACME:
		v.add(v.siteLine("cert.source"), "cert.source", "\"acme\" is not yet supported (use \"files\" or \"local\")")
	default:
		v.add(v.siteLine("cert.source"), "cert.source", "%q is not one of local, files, acme", cs.Source)
	}
}

// shield builds the current site's merged options and reports what
// shield.New and the merged policy refuse, at the key responsible.
func (v *validator) shield() {
	s := v.site
	merged := v.c.Defaults.merge(s.Policy)
	for _, p := range merged.incomplete() {
		v.add(v.policyLine(p.key), p.key, "%s", p.msg)
	}
	opts, err := v.c.ShieldOptions(s)
	if err != nil {
		return // reported by problems
	}
	opts.OnEvent = func(shield.Event) {}
	if _, err := shield.New(opts); err != nil {
		key, msg := shieldKey(err.Error())
		line := s.Line
		switch {
		case key == "hosts" || key == "trusted_proxies":
			line = v.siteLine(key)
		case key != "":
			line = v.policyLine(key)
		}
		v.add(line, key, "%s", msg)
	}
}

// shieldErrors maps the start of a shield.New error to the key it is
// about. strip is the part of the message that the key makes redundant.
var shieldErrors = []struct{ prefix, key, strip string }{
	{"hosts: ", "hosts", "hosts: "},
	{"trusted proxy ", "trusted_proxies", ""},
	{"redirect: code ", "redirect.code", "redirect: "},
	{"redirect: port ", "redirect.port", "redirect: "},
	{"redirect: exempt ", "redirect.exempt", "redirect: "},
	{"redirect: canonical host ", "redirect.host", "redirect: "},
	{"redirect: ", "redirect", "redirect: "},
	{"hsts: preload ", "hsts.preload", "hsts: "},
	{"hsts: ", "hsts", "hsts: "},
	{"cookies: ", "cookies.httponly", "cookies: "},
	{"cors: origin ", "cors.origins", "cors: "},
	{"cors: the wildcard origin ", "cors.credentials", "cors: "},
	{"cors: the \"null\" origin ", "cors.origins", "cors: "},
	{"cors: method ", "cors.methods", "cors: "},
	{"cors: header ", "cors.headers", "cors: "},
	{"cors: exposed header ", "cors.expose_headers", "cors: "},
	{"cors: methods, headers or credentials ", "cors.origins", "cors: "},
	{"cors: ", "cors", "cors: "},
	{"cross-origin: trusted origin", "cross_origin.trusted_origins", "cross-origin: "},
	{"cross-origin: bypass ", "cross_origin.bypass", "cross-origin: "},
	{"cross-origin: ", "cross_origin", "cross-origin: "},
	{"security.txt: securitytxt: ", "security_txt", "security.txt: securitytxt: "},
	{"security.txt: ", "security_txt", "security.txt: "},
	{"CSP report-only: ", "csp.report_only", ""},
	{"CSP: report URI ", "csp.report_uri", ""},
	{"CSP: Nonce ", "csp.nonce", ""},
	{"CSP", "csp", ""},
	{"Permissions-Policy: ", "permissions_policy", ""},
	{"X-Frame-Options: ", "headers.frame_options", ""},
	{"X-Content-Type-Options: ", "headers.content_type_options", ""},
	{"Referrer-Policy: ", "headers.referrer_policy", ""},
	{"Cross-Origin-Opener-Policy: ", "headers.coop", ""},
	{"Cross-Origin-Resource-Policy: ", "headers.corp", ""},
	{"Cross-Origin-Embedder-Policy: ", "headers.coep", ""},
	{"X-Xss-Protection: ", "headers.xss_protection", ""},
}

// shieldKey splits a shield.New error into the key it is about ("" if
// unknown) and the message.
func shieldKey(msg string) (key, rest string) {
	msg = strings.TrimPrefix(msg, "shield: ")
	for _, e := range shieldErrors {
		if strings.HasPrefix(msg, e.prefix) {
			return e.key, strings.TrimPrefix(msg, e.strip)
		}
	}
	return "", msg
}

// redact replaces, in every message, the values taken from the
// environment by their ${NAME} reference.
func (c *Config) redact(es Errors) Errors {
	for _, s := range c.secrets {
		if s.value == "" {
			continue
		}
		ref := "${" + s.name + "}"
		for _, e := range es {
			e.Msg = strings.ReplaceAll(e.Msg, strconv.Quote(s.value), ref)
			if len(s.value) >= 8 {
				e.Msg = strings.ReplaceAll(e.Msg, s.value, ref)
			}
		}
	}
	return es
}
