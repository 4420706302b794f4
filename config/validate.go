package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/shield"
)

// Validate checks the whole configuration and returns every problem (as
// Errors), or nil. Parse and Load call it; call it again after changing a
// Config in code. It checks the listeners, the TLS profile, the limits,
// the access log, [acme], [monitor], [alerts] and [backup] (reading the
// ACME CA root files when the configuration was loaded from a file, only
// checking that they exist otherwise); each site's name, hosts (no host
// may belong to two sites), upstream and certificate source (on-demand
// ACME included); and each site's policy merged with Defaults, by building
// its shield options and calling shield.New, so that whatever shield would
// refuse is reported here, at the key that causes it.
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
	v.listen()
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
	v.acme()
	v.monitor()
	v.alerts()
	v.backup()
	v.store()
	v.reports()
	v.audit()
	v.cluster()
}

// listen checks the listener addresses, that no two of them would bind
// the same port, and the admin listener's guard: beyond loopback it needs
// a token (fail closed).
func (v *validator) listen() {
	l := v.c.Listen
	https := v.addr("listen.https", l.HTTPS)
	http := v.addr("listen.http", l.HTTP)
	if https && http {
		if msg := clash(l.HTTP, "HTTPS", l.HTTPS); msg != "" {
			v.add(v.line("", "listen.http"), "listen.http", "%s", msg)
		}
	}
	v.adminGuard()
	if l.Admin == "" || !v.addr("listen.admin", l.Admin) {
		return
	}
	if l.AdminToken == "" && !LoopbackAddr(l.Admin) && !v.bad(join("listen", "admin_token")) {
		v.add(v.line("", "listen.admin"), "listen.admin", "%q is reachable beyond this machine, so it needs listen.admin_token "+
			"(a bearer token of at least %d characters, e.g. \"${ADMIN_TOKEN}\"); or bind it to loopback (%q), or set \"off\"",
			l.Admin, MinAdminToken, DefaultAdmin)
	}
	for _, o := range []struct {
		ok         bool
		name, addr string
	}{{https, "HTTPS", l.HTTPS}, {http, "plain-HTTP", l.HTTP}} {
		if msg := clash(l.Admin, o.name, o.addr); o.ok && msg != "" {
			v.add(v.line("", "listen.admin"), "listen.admin", "%s (choose another address, or \"off\")", msg)
			return
		}
	}
}

// adminGuard checks listen.admin_token and listen.admin_hosts. No message
// shows the token, not even its length.
func (v *validator) adminGuard() {
	l := v.c.Listen
	const key = "listen.admin_token"
	switch t := l.AdminToken; {
	case t == "":
	case len(t) < MinAdminToken:
		v.add(v.line("", key), key, "shorter than %d characters (the value is not shown): use a long random token, "+
			"e.g. the output of `openssl rand -hex 32`", MinAdminToken)
	case !isB64Token(t):
		v.add(v.line("", key), key, "has characters a bearer token cannot carry (the value is not shown): use letters, digits "+
			"and -._~+/, with = at the end only (RFC 6750), e.g. the output of `openssl rand -hex 32`")
	}
	for i, h := range l.AdminHosts {
		line, ok := v.c.lines[join(join("listen", "admin_hosts"), strconv.Itoa(i))]
		if !ok {
			line = v.line("", "listen.admin_hosts")
		}
		if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil || !isHostName(h) || strings.EqualFold(h, "localhost") {
			v.add(line, "listen.admin_hosts", "item %d: %q is not a host name other than localhost (localhost and IP addresses are always answered)", i+1, h)
		}
	}
}

// isB64Token reports whether s is an RFC 6750 b64token: letters, digits
// and -._~+/, then any number of =.
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range body {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~+/", c)) {
			return false
		}
	}
	return true
}

// clash says how listener address a collides with the other listener,
// named name, at b: the same address, or the same port on an address
// that includes the other (an empty host or "::" includes every address,
// "0.0.0.0" every IPv4 address, and host names may be either). "" when
// they do not collide; port 0 (chosen by the system) never does.
func clash(a, name, b string) string {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	na, _ := strconv.Atoi(pa)
	nb, _ := strconv.Atoi(pb)
	if err1 != nil || err2 != nil || na != nb || na == 0 {
		return ""
	}
	includes := func(wild, h string) bool {
		switch wild {
		case "", "::":
			return true
		case "0.0.0.0":
			ip, err := netip.ParseAddr(h)
			return err != nil || ip.Unmap().Is4()
		}
		return false
	}
	switch {
	case a == b:
		return fmt.Sprintf("%q is also the %s listener", a, name)
	case strings.EqualFold(ha, hb) || includes(ha, hb) || includes(hb, ha):
		return fmt.Sprintf("%q and the %s listener %q share port %d", a, name, b, na)
	}
	return ""
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
		key := normalHost(h)
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
	acmeOnly := func() {
		for _, f := range []struct {
			key string
			set bool
		}{{"cert.on_demand", cs.OnDemand}, {"cert.ask", cs.Ask != ""}, {"cert.allow", cs.Allow != nil}} {
			if f.set || v.siteHas(f.key) {
				v.add(v.siteLine(f.key), f.key, "only used with source = \"acme\"")
			}
		}
	}
	files := []struct{ key, val string }{{"cert.cert", cs.Cert}, {"cert.key", cs.Key}}
	switch cs.Source {
	case "", CertLocal:
		for _, f := range files {
			if f.val != "" {
				v.add(v.siteLine(f.key), f.key, "only used with source = \"files\" (the local CA issues this site's certificate)")
			}
		}
		acmeOnly()
	case CertFiles:
		for _, f := range files {
			if f.val == "" {
				v.add(v.siteLine(f.key), f.key, "missing: source \"files\" needs both cert and key (PEM file paths)")
			}
		}
		acmeOnly()
	case CertACME:
		for _, f := range files {
			if f.val != "" {
				v.add(v.siteLine(f.key), f.key, "only used with source = \"files\" (the ACME CA issues this site's certificate)")
			}
		}
		v.onDemand()
	default:
		v.add(v.siteLine("cert.source"), "cert.source", "%q is not one of local, files, acme", cs.Source)
	}
}

// siteHas reports whether the current site's table sets the dotted key.
func (v *validator) siteHas(key string) bool {
	if v.site.path == "" {
		return false
	}
	_, ok := v.c.lines[join(v.site.path, strings.ReplaceAll(key, ".", sep))]
	return ok
}

// siteBad reports whether the current site's dotted key failed to decode.
func (v *validator) siteBad(key string) bool {
	return v.site.path != "" && v.bad(join(v.site.path, strings.ReplaceAll(key, ".", sep)))
}

// siteItemLine is the line of item i (1-based) of a list key of the
// current site, or the key's line.
func (v *validator) siteItemLine(key string, i int) int {
	if v.site.path != "" {
		if l, ok := v.c.lines[join(join(v.site.path, strings.ReplaceAll(key, ".", sep)), strconv.Itoa(i-1))]; ok {
			return l
		}
	}
	return v.siteLine(key)
}

// onDemand checks the hosts and on-demand keys of a site with source
// "acme".
func (v *validator) onDemand() {
	s, cs := v.site, v.site.Cert
	catchAll := false
	if !v.bad(join(s.path, "hosts")) {
		for _, h := range s.Hosts {
			switch host := normalHost(h); {
			case host == "*":
				catchAll = true
			case strings.HasPrefix(host, ".") && !cs.OnDemand:
				v.add(v.siteLine("hosts"), "hosts", "%q: wildcard certificates need the DNS-01 challenge, which portcullis does not support; "+
					"list the names or set cert.on_demand = true", h)
			}
		}
	}
	if catchAll && !cs.OnDemand && !v.siteBad("cert.on_demand") {
		v.add(v.siteLine("cert.on_demand"), "cert.on_demand", "missing: host \"*\" needs cert.on_demand = true "+
			"(a certificate for any name can only be obtained when the name is first asked for)")
	}
	if catchAll && cs.Ask == "" && len(cs.Allow) == 0 && !v.siteBad("cert.ask") && !v.siteBad("cert.allow") {
		v.add(v.siteLine("cert.on_demand"), "cert.on_demand", "a catch-all on-demand site needs a guard: set cert.ask (a URL that approves each name) "+
			"or cert.allow (the names allowed); without one, anyone pointing a DNS name at this server makes it request certificates")
	}
	if !cs.OnDemand {
		for _, f := range []struct {
			key string
			set bool
		}{{"cert.ask", cs.Ask != ""}, {"cert.allow", cs.Allow != nil}} {
			if f.set || v.siteHas(f.key) {
				v.add(v.siteLine(f.key), f.key, "only used with cert.on_demand = true")
			}
		}
	}
	if cs.Ask != "" {
		if u, msg := checkHTTPURL(cs.Ask); msg != "" {
			v.add(v.siteLine("cert.ask"), "cert.ask", "%q %s", shownURL(cs.Ask, u), msg)
		}
	}
	for i, name := range cs.Allow {
		line := v.siteItemLine("cert.allow", i+1)
		switch {
		case strings.Contains(name, "*"):
			v.add(line, "cert.allow", "item %d: %q: wildcards are not allowed; list each name, or set cert.ask to approve names as they come", i+1, name)
		case !isHostName(name):
			v.add(line, "cert.allow", "item %d: %q is not a host name (letters, digits, hyphens and dots, at most 253 characters)", i+1, name)
		case !v.bad(join(s.path, "hosts")) && !slices.ContainsFunc(s.Hosts, func(h string) bool { return hostMatches(h, name) }):
			v.add(line, "cert.allow", "item %d: %q is not one of the site's hosts, so it can never be allowed", i+1, name)
		}
	}
}

// normalHost is a site host as matching sees it: lower case, without
// brackets or a final dot.
func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")), ".")
}

// hostMatches reports whether the site host pattern (a name, ".domain" or
// "*") matches name.
func hostMatches(pattern, name string) bool {
	p, name := normalHost(pattern), normalHost(name)
	switch {
	case p == "*":
		return true
	case strings.HasPrefix(p, "."):
		return name == p[1:] || strings.HasSuffix(name, p)
	}
	return name == p
}

// isHostName reports whether s is a DNS host name: labels of letters,
// digits and hyphens (1 to 63 characters each) separated by dots, at
// most 253 characters, a final dot allowed.
func isHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// shield builds the current site's merged options and reports what
// shield.New and the merged policy refuse: each of New's problems at the
// key of its option (see shieldKeys), on the line that sets it in the
// site, or in [defaults] when the site inherits it.
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
	_, err = shield.New(opts)
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, err := range errs {
		var oe *shield.OptionError
		switch {
		case err == nil:
		case !errors.As(err, &oe):
			v.add(s.Line, "", "%v", err)
		case shieldKeys[oe.Field] == "":
			v.add(s.Line, "", "%v", oe) // a Field without a key: TestShieldKeys fails
		case oe.Field == "Hosts" || oe.Field == "TrustedProxies":
			key := shieldKeys[oe.Field]
			v.add(v.siteLine(key), key, "%v", oe.Err)
		default:
			key := shieldKeys[oe.Field]
			v.add(v.policyLine(key), key, "%v", oe.Err)
		}
	}
}

// shieldKeys maps each shield.OptionError.Field that shield.New can
// report to the TOML key that sets it: in the site for hosts and
// trusted_proxies, else in the site's policy or [defaults]. A test
// checks that every Field has a key here.
var shieldKeys = map[string]string{
	"Hosts":                             "hosts",
	"TrustedProxies":                    "trusted_proxies",
	"Redirect.Code":                     "redirect.code",
	"Redirect.Host":                     "redirect.host",
	"Redirect.Port":                     "redirect.port",
	"Redirect.Exempt":                   "redirect.exempt",
	"HSTS.MaxAge":                       "hsts.max_age",
	"HSTS.Preload":                      "hsts.preload",
	"Cookies.SameSite":                  "cookies.samesite",
	"Cookies.HTTPOnly":                  "cookies.httponly",
	"Headers.FrameOptions":              "headers.frame_options",
	"Headers.ContentTypeOptions":        "headers.content_type_options",
	"Headers.ReferrerPolicy":            "headers.referrer_policy",
	"Headers.CrossOriginOpenerPolicy":   "headers.coop",
	"Headers.CrossOriginResourcePolicy": "headers.corp",
	"Headers.CrossOriginEmbedderPolicy": "headers.coep",
	"Headers.XSSProtection":             "headers.xss_protection",
	// One on_conflict key sets the conflict policy of every header.
	"Headers.FrameOptions.OnConflict":              "headers.on_conflict",
	"Headers.ContentTypeOptions.OnConflict":        "headers.on_conflict",
	"Headers.ReferrerPolicy.OnConflict":            "headers.on_conflict",
	"Headers.CrossOriginOpenerPolicy.OnConflict":   "headers.on_conflict",
	"Headers.CrossOriginResourcePolicy.OnConflict": "headers.on_conflict",
	"Headers.CrossOriginEmbedderPolicy.OnConflict": "headers.on_conflict",
	"Headers.XSSProtection.OnConflict":             "headers.on_conflict",
	"CSP.Policy":                                   "csp.policy",
	"CSP.ReportOnly":                               "csp.report_only",
	"CSP.ReportURI":                                "csp.report_uri",
	"CSP.Nonce":                                    "csp.nonce",
	"CSP.Learn":                                    "csp.learn",
	"CSP.LearnSample":                              "csp.learn_sample",
	"PermissionsPolicy.Policy":                     "permissions_policy.policy",
	"PermissionsPolicy.OnConflict":                 "permissions_policy.on_conflict",
	"CORS.Origins":                                 "cors.origins",
	"CORS.Credentials":                             "cors.credentials",
	"CORS.Methods":                                 "cors.methods",
	"CORS.Headers":                                 "cors.headers",
	"CORS.ExposeHeaders":                           "cors.expose_headers",
	"CORS.MaxAge":                                  "cors.max_age",
	"CrossOrigin.TrustedOrigins":                   "cross_origin.trusted_origins",
	"CrossOrigin.Bypass":                           "cross_origin.bypass",
	"Requests.Methods":                             "requests.methods",
	"Requests.Upgrades":                            "requests.upgrades",
	"SecurityTxt.File":                             "security_txt", // the file's fields are security_txt's keys
	"SecurityTxt.ExpiresIn":                        "security_txt.expires_in",
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
