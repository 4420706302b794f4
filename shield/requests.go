package shield

import (
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// DefaultMethods are the request methods passed on when Requests.Methods
// is not set: what browsers, APIs and frameworks use. TRACE and TRACK
// (cross-site tracing echoes credentials back to scripts), CONNECT (a
// tunnel through the site) and everything else get 405 at the edge.
var DefaultMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// DefaultUpgrades are the protocols a request may ask to upgrade to when
// Requests.Upgrades is not set.
var DefaultUpgrades = []string{"websocket"}

// SoftwareHeaders are response headers that exist only to name the
// software (and often its version) behind a site. Unless
// Responses.KeepVersionHeaders is set, shield removes them, and a Server
// header that carries a version.
var SoftwareHeaders = []string{"X-Powered-By", "X-Aspnet-Version", "X-Aspnetmvc-Version", "X-Runtime", "X-Generator"}

// Requests decides which requests reach the handler at all.
type Requests struct {
	// Methods lists the request methods passed on, case-sensitively;
	// any other gets 405 Method Not Allowed with an Allow header.
	// Default: DefaultMethods. List TRACE or CONNECT here only for an
	// application that really serves them.
	Methods []string
	// Upgrades lists the protocols an Upgrade request may switch to
	// (matched case-insensitively, without version): a request asking
	// for any other gets 400. Default: DefaultUpgrades (websocket).
	// "h2c" is never allowed: an h2c upgrade through a proxy opens a
	// tunnel that no later request check sees, so the h2c token and the
	// HTTP2-Settings header are always removed and the request goes on
	// as an ordinary one.
	Upgrades []string
	// AllowUnderscoreHeaders passes on request headers whose names
	// contain '_'. By default they are removed, as nginx does: CGI and
	// WSGI servers (gunicorn, uWSGI, PHP-FPM) turn '-' into '_', so
	// "X_Forwarded_For" would reach the application as the
	// X-Forwarded-For shield has just set.
	AllowUnderscoreHeaders bool
}

// Responses decides what shield removes from responses.
type Responses struct {
	// KeepVersionHeaders passes on SoftwareHeaders and a Server header
	// that names a version ("Apache/2.4.57", "Python/3.11.7"), which
	// tell attackers which known vulnerabilities to try. Default: they
	// are removed (a Server header without a version is kept).
	KeepVersionHeaders bool
}

// requestPolicy is the compiled Requests.
type requestPolicy struct {
	methods     []string
	allow       []string // the Allow header of a 405: methods, joined
	upgrades    []string // lower case
	underscores bool     // pass header names with '_'
}

func newRequestPolicy(o Requests) (*requestPolicy, error) {
	p := &requestPolicy{methods: o.Methods, underscores: o.AllowUnderscoreHeaders}
	if p.methods == nil {
		p.methods = DefaultMethods
	}
	var errs problems
	if len(p.methods) == 0 {
		errs.addf("Requests.Methods", "methods is empty: no request could be served (leave it unset for the default)")
	}
	for _, m := range p.methods {
		if !grammar.IsToken(m) {
			errs.addf("Requests.Methods", "method %q is not a token", m)
		}
	}
	p.allow = []string{strings.Join(p.methods, ", ")}
	ups := o.Upgrades
	if ups == nil {
		ups = DefaultUpgrades
	}
	for _, u := range ups {
		name, _, _ := strings.Cut(u, "/")
		switch {
		case !grammar.IsToken(u) && !(grammar.IsToken(name) && strings.Count(u, "/") == 1):
			errs.addf("Requests.Upgrades", "upgrade %q is not a protocol name", u)
		case strings.EqualFold(name, "h2c"):
			errs.addf("Requests.Upgrades", "upgrade %q cannot be allowed: an h2c upgrade through the proxy would open a tunnel that bypasses every later check", u)
		}
		p.upgrades = append(p.upgrades, strings.ToLower(name))
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return p, nil
}

// methodAllowed reports whether m may be passed on.
func (p *requestPolicy) methodAllowed(m string) bool {
	return slices.Contains(p.methods, m)
}

// scrubRequest removes, in one pass over the request headers, the
// HTTP2-Settings header (it only serves an h2c upgrade, which is never
// passed on) and, unless underscores, every header whose name has a '_'.
func scrubRequest(h http.Header, underscores bool) {
	for k := range h {
		if k == "Http2-Settings" || !underscores && strings.IndexByte(k, '_') >= 0 {
			delete(h, k)
		}
	}
}

// filterUpgrade removes h2c from the request's Upgrade header, and
// reports the first protocol asked for that is not allowed ("" when all
// are).
func (p *requestPolicy) filterUpgrade(h http.Header) (refused string) {
	vals := h["Upgrade"]
	if len(vals) == 0 {
		return ""
	}
	var keep []string
	removed := false
	for _, v := range vals {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.Trim(tok, " \t")
			if tok == "" {
				continue
			}
			name, _, _ := strings.Cut(tok, "/")
			switch {
			case strings.EqualFold(name, "h2c"):
				removed = true
				continue
			case !slices.ContainsFunc(p.upgrades, func(u string) bool { return strings.EqualFold(u, name) }):
				return tok
			}
			keep = append(keep, tok)
		}
	}
	switch {
	case len(keep) == 0:
		delete(h, "Upgrade")
	case removed:
		h["Upgrade"] = []string{strings.Join(keep, ", ")}
	}
	return ""
}

// stripVersions removes the response headers that name the software. It
// runs on the handler's headers alone, before shield adds its own, so that
// one pass over a few entries replaces a lookup per name (fewer
// instructions under callgrind: docs/benchmarks.md).
func stripVersions(h http.Header) {
	for k, v := range h {
		if len(k) > 2 && k[0] == 'X' && k[1] == '-' && slices.Contains(SoftwareHeaders, k) ||
			k == "Server" && slices.ContainsFunc(v, hasDigit) {
			delete(h, k)
		}
	}
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}
