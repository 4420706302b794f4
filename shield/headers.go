package shield

import (
	"cmp"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/permissions"
)

// Canonical header names shield manages.
const (
	hdrHSTS          = "Strict-Transport-Security"
	hdrFrameOptions  = "X-Frame-Options"
	hdrNoSniff       = "X-Content-Type-Options"
	hdrReferrer      = "Referrer-Policy"
	hdrCOOP          = "Cross-Origin-Opener-Policy"
	hdrCORP          = "Cross-Origin-Resource-Policy"
	hdrCOEP          = "Cross-Origin-Embedder-Policy"
	hdrXSS           = "X-Xss-Protection"
	hdrPermissions   = "Permissions-Policy"
	hdrCSP           = "Content-Security-Policy"
	hdrCSPReportOnly = "Content-Security-Policy-Report-Only"
	hdrReporting     = "Reporting-Endpoints"
)

// oneYear is the HSTS max-age Django's deploy check, hstspreload.org and
// the OWASP cheat sheet ask for.
const oneYear = 365 * 24 * time.Hour

// reportGroup is the Reporting-Endpoints name CSP report-to refers to.
const reportGroup = "csp-endpoint"

// fixedHeader is one header with a value computed once, in New.
type fixedHeader struct {
	key      string
	val      []string // len == cap == 1: an append by anyone copies
	conflict Conflict
}

// headerSet is every response header shield sends, precomputed.
type headerSet struct {
	fixed       []fixedHeader
	hsts        []string
	cspConflict Conflict
	cspNonce    *csp.Template // non-nil when a nonce goes into the CSP
	learn       *learnPolicy  // non-nil with CSP.Learn
}

// learnPolicy is the strict candidate CSP.Learn sends report-only on a
// sample of HTML responses.
type learnPolicy struct {
	static    []string      // the header value, without a nonce
	nonce     *csp.Template // non-nil when the request's nonce goes into it
	all       bool          // LearnSample is 1: every HTML response
	threshold uint64        // else sampled when 53 random bits are below it
}

// sampled draws whether this response carries the learning policy: one
// call to the runtime's per-thread generator, no lock, no allocation.
func (l *learnPolicy) sampled() bool {
	return l.all || rand.Uint64()>>11 < l.threshold
}

// value is the header value for a response whose request got nonce ("" without).
func (l *learnPolicy) value(nonce string) []string {
	if l.nonce != nil && nonce != "" {
		return []string{l.nonce.Render(nonce)}
	}
	return l.static
}

// learnCandidate is the policy CSP.Learn tries: strict, same-origin,
// with samples in script and style reports so that they say what was
// blocked. Reporting is added by the caller.
func learnCandidate(o *Options) csp.Policy {
	var p csp.Policy
	p.Set(csp.DefaultSrc, csp.Self)
	p.Set(csp.ScriptSrc, csp.Self, csp.ReportSample)
	p.Set(csp.StyleSrc, csp.Self, csp.ReportSample)
	p.Set(csp.ObjectSrc, csp.None)
	p.Set(csp.BaseURI, csp.Self)
	if fo := o.Headers.FrameOptions; !fo.Disable {
		fa := csp.None
		if strings.EqualFold(fo.Value, "SAMEORIGIN") {
			fa = csp.Self
		}
		p.Set(csp.FrameAncestors, fa)
	}
	p.Set(csp.FormAction, csp.Self)
	return p
}

// LearnPolicy returns the candidate policy o.CSP.Learn sends report-only,
// as a browser receives it (reporting included, without the per-request
// nonce), or nil when o does not learn.
func LearnPolicy(o Options) *csp.Policy {
	if !o.CSP.Learn || o.CSP.Disable {
		return nil
	}
	p := csp.WithReporting(learnCandidate(&o), o.CSP.ReportURI, reportGroup)
	return &p
}

// isHTML reports whether a response is an HTML document, by its
// Content-Type, or when it has none, by the first bytes of its body as
// net/http will sniff them.
func isHTML(h http.Header, body []byte) bool {
	ct := h["Content-Type"]
	if len(ct) == 0 {
		if len(body) == 0 {
			return false
		}
		return strings.HasPrefix(http.DetectContentType(body), "text/html")
	}
	v := strings.TrimLeft(ct[0], " \t")
	return hasPrefixFold(v, "text/html") || hasPrefixFold(v, "application/xhtml+xml")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func single(v string) []string { return []string{v}[:1:1] }

// put applies one header according to its conflict policy. Adding headers
// at commit time, rather than before the handler runs, means the handler
// never sees shield's values, so "the handler set it" is exact even when
// it used Header.Add (as httputil.ReverseProxy does for upstream headers).
func put(h http.Header, key string, val []string, c Conflict) {
	if c == Override {
		h[key] = val
		return
	}
	cur, ok := h[key]
	switch {
	case !ok:
		h[key] = val
	case c == Combine:
		h[key] = append(cur[:len(cur):len(cur)], val...)
	}
}

// apply writes the headers into h. nonced is the CSP for this request
// when it carries a nonce.
func (hs *headerSet) apply(h http.Header, hsts bool, nonced string) {
	if hsts && hs.hsts != nil {
		put(h, hdrHSTS, hs.hsts, KeepApp)
	}
	for i := range hs.fixed {
		f := &hs.fixed[i]
		put(h, f.key, f.val, f.conflict)
	}
	if nonced != "" {
		put(h, hdrCSP, []string{nonced}, hs.cspConflict)
	}
}

// validValues lists the values each enumerated header accepts.
var validValues = map[string][]string{
	hdrFrameOptions: {"DENY", "SAMEORIGIN"},
	hdrNoSniff:      {"nosniff"},
	hdrCOOP:         {"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"},
	hdrCORP:         {"same-origin", "same-site", "cross-origin"},
	hdrCOEP:         {"require-corp", "credentialless", "unsafe-none"},
	hdrXSS:          {"0", "1", "1; mode=block"},
	hdrReferrer: {"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"},
}

// checkValue reports, as *OptionError for field, each part of a value
// browsers would not understand. Referrer-Policy may be a
// comma-separated list: browsers use the last value they know (the
// fallback idiom).
func checkValue(errs *problems, field, key, v string) {
	allowed := validValues[key]
	parts := []string{v}
	if key == hdrReferrer {
		parts = strings.Split(v, ",")
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, p) }) {
			errs.addf(field, "%q is not one of %s", p, strings.Join(allowed, ", "))
		}
	}
}

// buildHeaders computes the header set from validated options.
func buildHeaders(o *Options) (*headerSet, error) {
	hs := &headerSet{}
	var errs problems
	if !o.HSTS.Disable {
		hs.hsts = single(hstsValue(o.HSTS))
	}
	hd := o.Headers
	for _, e := range []struct {
		key, field, conflictField string
		hdr                       Header
		def                       string
	}{
		{hdrFrameOptions, "Headers.FrameOptions", "Headers.FrameOptions.OnConflict", hd.FrameOptions, "DENY"},
		{hdrNoSniff, "Headers.ContentTypeOptions", "Headers.ContentTypeOptions.OnConflict", hd.ContentTypeOptions, "nosniff"},
		{hdrReferrer, "Headers.ReferrerPolicy", "Headers.ReferrerPolicy.OnConflict", hd.ReferrerPolicy, "same-origin"},
		{hdrCOOP, "Headers.CrossOriginOpenerPolicy", "Headers.CrossOriginOpenerPolicy.OnConflict", hd.CrossOriginOpenerPolicy, "same-origin"},
		{hdrCORP, "Headers.CrossOriginResourcePolicy", "Headers.CrossOriginResourcePolicy.OnConflict", hd.CrossOriginResourcePolicy, ""},
		{hdrCOEP, "Headers.CrossOriginEmbedderPolicy", "Headers.CrossOriginEmbedderPolicy.OnConflict", hd.CrossOriginEmbedderPolicy, ""},
		{hdrXSS, "Headers.XSSProtection", "Headers.XSSProtection.OnConflict", hd.XSSProtection, "0"},
	} {
		v := cmp.Or(e.hdr.Value, e.def)
		if e.hdr.Disable || v == "" {
			continue
		}
		n := len(errs)
		checkValue(&errs, e.field, e.key, v)
		if e.hdr.OnConflict == Combine {
			errs.addf(e.conflictField, "OnConflict Combine is only allowed for CSP")
		}
		if len(errs) > n {
			continue
		}
		if e.key == hdrFrameOptions {
			v = strings.ToUpper(v)
		}
		hs.fixed = append(hs.fixed, fixedHeader{key: e.key, val: single(v), conflict: e.hdr.OnConflict})
	}
	if pp := o.PermissionsPolicy; !pp.Disable {
		p := permissions.Default()
		if pp.Policy != nil {
			p = *pp.Policy
		}
		if err := p.Validate(); err != nil {
			errs.addErr("PermissionsPolicy.Policy", err)
		}
		if pp.OnConflict == Combine {
			errs.addf("PermissionsPolicy.OnConflict", "OnConflict Combine is only allowed for CSP")
		}
		if v := p.String(); v != "" {
			hs.fixed = append(hs.fixed, fixedHeader{key: hdrPermissions, val: single(v), conflict: pp.OnConflict})
		}
	}
	hs.addCSP(o, &errs)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return hs, nil
}

func hstsValue(h HSTS) string {
	v := "max-age=" + strconv.FormatInt(int64(h.MaxAge/time.Second), 10)
	if !h.ExcludeSubdomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// EffectiveCSP returns the Content-Security-Policy headers o makes shield
// send, as a browser receives them: the enforced policy and the
// report-only one, after defaults, reporting and upgrade-insecure-requests
// are applied; "" for a header not sent. With CSP.Nonce the enforced
// policy is shown without its per-request 'nonce-…' source. The learning
// policy, sent on a sample only, is LearnPolicy's. o is assumed valid (New
// accepts it).
func EffectiveCSP(o Options) (enforced, reportOnly string) {
	e, ro := o.effectiveCSP()
	if e != nil {
		enforced = e.String()
	}
	if ro != nil {
		reportOnly = ro.String()
	}
	return enforced, reportOnly
}

// effectiveCSP returns the policies shield sends (the enforced one without
// its per-request nonce) after defaults, reporting and
// upgrade-insecure-requests are applied; nil when CSP is disabled.
func (o *Options) effectiveCSP() (enforced, reportOnly *csp.Policy) {
	c := o.CSP
	if c.Disable {
		return nil, nil
	}
	var p csp.Policy
	switch {
	case c.Policy != nil:
		p = c.Policy.Clone()
	case c.Nonce:
		// Nonces need a script policy to live in.
		p = csp.Strict()
	default:
		fa := "'none'"
		if strings.EqualFold(o.Headers.FrameOptions.Value, "SAMEORIGIN") && !o.Headers.FrameOptions.Disable {
			fa = "'self'"
		}
		p.Set("object-src", "'none'")
		p.Set("base-uri", "'self'")
		p.Set("frame-ancestors", fa)
	}
	if c.UpgradeInsecureRequests && !p.Has("upgrade-insecure-requests") {
		p.Set("upgrade-insecure-requests")
	}
	if c.ReportURI != "" {
		p.Set("report-uri", c.ReportURI)
		p.Set("report-to", reportGroup)
	}
	enforced = &p
	if c.ReportOnly != nil {
		ro := c.ReportOnly.Clone()
		if c.ReportURI != "" {
			ro.Set("report-uri", c.ReportURI)
			ro.Set("report-to", reportGroup)
		}
		reportOnly = &ro
	}
	return enforced, reportOnly
}

// addCSP adds the CSP headers, reporting what is wrong with o.CSP to
// errs. The policy the user gave, the report-only policy and the report
// URI are each checked on their own, so that each problem is reported at
// its option; the effective policies are checked only when all three
// are valid.
func (hs *headerSet) addCSP(o *Options, errs *problems) {
	c := o.CSP
	if c.Disable {
		if c.Learn {
			errs.addf("CSP.Learn", "CSP is disabled: there is no policy to learn beside")
		}
		return
	}
	n := len(*errs)
	if c.Policy != nil {
		if err := c.Policy.Validate(); err != nil {
			errs.addErr("CSP.Policy", err)
		}
	}
	if c.ReportOnly != nil {
		if err := c.ReportOnly.Validate(); err != nil {
			errs.addErr("CSP.ReportOnly", err)
		}
	}
	if c.ReportURI != "" {
		var p csp.Policy
		p.Set("report-uri", c.ReportURI)
		if strings.ContainsAny(c.ReportURI, "\"\r\n ;,") {
			errs.addf("CSP.ReportURI", "report URI %q contains characters not allowed in a header", c.ReportURI)
		} else if err := p.Validate(); err != nil {
			errs.addErr("CSP.ReportURI", err)
		}
	}
	enforced, reportOnly := o.effectiveCSP()
	if len(*errs) == n {
		if err := enforced.Validate(); err != nil {
			errs.addErr("CSP.Policy", err)
		}
		if reportOnly != nil {
			if err := reportOnly.Validate(); err != nil {
				errs.addErr("CSP.ReportOnly", err)
			}
		}
	}
	if c.ReportURI != "" {
		hs.fixed = append(hs.fixed, fixedHeader{key: hdrReporting, val: single(reportGroup + `="` + c.ReportURI + `"`), conflict: KeepApp})
	}
	hs.cspConflict = c.OnConflict
	if c.Nonce {
		dirs := c.NonceDirectives
		if len(dirs) == 0 {
			dirs = []string{"script-src", "style-src"}
		}
		t := enforced.Compile(dirs...)
		if !t.HasNonce() {
			errs.addf("CSP.Nonce", "Nonce is on, but the policy has none of %s (nor default-src) to carry it", strings.Join(dirs, ", "))
		}
		hs.cspNonce = &t
	} else {
		hs.fixed = append(hs.fixed, fixedHeader{key: hdrCSP, val: single(enforced.String()), conflict: c.OnConflict})
	}
	if reportOnly != nil {
		hs.fixed = append(hs.fixed, fixedHeader{key: hdrCSPReportOnly, val: single(reportOnly.String()), conflict: c.OnConflict})
	}
	hs.addLearn(o, errs)
}

// addLearn prepares the learning policy of CSP.Learn.
func (hs *headerSet) addLearn(o *Options, errs *problems) {
	c := o.CSP
	if s := c.LearnSample; !(s >= 0 && s <= 1) { // NaN too
		errs.addf("CSP.LearnSample", "%v is not a fraction of responses: want 0 < LearnSample <= 1 (0.1: one HTML response in ten)", s)
	}
	if !c.Learn {
		return
	}
	switch {
	case c.ReportOnly != nil:
		errs.addf("CSP.Learn", "a ReportOnly policy is set: learning sends its own report-only policy, and a response would carry both, each reporting (remove ReportOnly while learning)")
		return
	case c.ReportURI == "":
		errs.addf("CSP.Learn", "no ReportURI: the learning policy's violations would be reported nowhere")
		return
	}
	p := LearnPolicy(*o)
	if err := p.Validate(); err != nil {
		return // the report URI is invalid, reported at CSP.ReportURI
	}
	l := &learnPolicy{static: single(p.String())}
	if c.Nonce {
		dirs := c.NonceDirectives
		if len(dirs) == 0 {
			dirs = []string{"script-src", "style-src"}
		}
		if t := p.Compile(dirs...); t.HasNonce() {
			l.nonce = &t
		}
	}
	switch s := c.LearnSample; {
	case s == 0:
		l.threshold = uint64(math.Ldexp(DefaultLearnSample, 53))
	case s >= 1:
		l.all = true
	default:
		l.threshold = uint64(math.Ldexp(s, 53))
	}
	hs.learn = l
}
