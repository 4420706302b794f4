package shield

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/rules"
)

// Rules evaluates the Shield's configuration against the rule catalog and
// reports, for every rule a middleware configuration decides, whether it
// is satisfied (Pass), violated (Fail, with a finding saying why) or does
// not apply (Skipped). `portcullis check` builds on it; `portcullis audit`
// verifies the same rules against what a live site really sends.
func (s *Shield) Rules() []rules.Result {
	o := s.opts
	var out []rules.Result
	pass := func(id string) { out = append(out, rules.Result{Rule: id, Status: rules.Pass}) }
	skip := func(id string) { out = append(out, rules.Result{Rule: id, Status: rules.Skipped}) }
	fail := func(id, format string, args ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, args...))
		out = append(out, rules.Result{Rule: id, Status: rules.Fail, Finding: &f})
	}
	check := func(id string, bad bool, format string, args ...any) {
		if bad {
			fail(id, format, args...)
		} else {
			pass(id)
		}
	}

	// Hosts and proxies.
	check("host.unrestricted", s.hosts.any, "Hosts contains \"*\": any Host header is accepted")
	check("proxy.trust-all", s.proxies.trustsAll(), "TrustedProxies covers every address: any client can forge X-Forwarded-*")
	check("proxy.underscore-headers", s.requests.underscores, "AllowUnderscoreHeaders: header names with '_' reach the application, where CGI and WSGI servers read X_Forwarded_For as X-Forwarded-For")
	var unsafe []string
	for _, m := range s.requests.methods {
		if m == "TRACE" || m == "TRACK" || m == http.MethodConnect {
			unsafe = append(unsafe, m)
		}
	}
	check("proxy.unsafe-methods", len(unsafe) > 0, "%s allowed: they reach the application", strings.Join(unsafe, ", "))

	// Redirect.
	if s.redirect == nil {
		fail("redirect.missing", "the HTTP to HTTPS redirect is disabled")
		skip("redirect.not-permanent")
	} else {
		pass("redirect.missing")
		check("redirect.not-permanent", s.redirect.code == 307, "redirect code 307 is temporary: browsers and crawlers keep using http://")
	}

	// HSTS.
	h := o.HSTS
	if h.Disable {
		fail("hsts.missing", "HSTS is disabled")
		for _, id := range []string{"hsts.max-age-short", "hsts.no-subdomains", "hsts.no-preload", "hsts.preload-ineligible"} {
			skip(id)
		}
	} else {
		pass("hsts.missing")
		check("hsts.max-age-short", h.MaxAge < oneYear, "max-age=%d is below one year (31536000)", int64(h.MaxAge/time.Second))
		check("hsts.no-subdomains", h.ExcludeSubdomains, "includeSubDomains is not sent")
		check("hsts.no-preload", !h.Preload, "preload is not requested")
		pass("hsts.preload-ineligible") // New refuses preload without its requirements
	}

	// Cookies.
	if s.cookies == nil {
		fail("cookie.secure-missing", "cookie hardening is disabled: cookies keep whatever flags the application sets")
		fail("cookie.samesite-missing", "cookie hardening is disabled")
		skip("cookie.httponly-missing")
	} else {
		check("cookie.secure-missing", s.redirect == nil, "the redirect is disabled, so cookies set over plain HTTP get no Secure flag")
		pass("cookie.samesite-missing")
		check("cookie.httponly-missing", len(s.cookies.httpOnly) == 0, "no cookie name is marked HttpOnly")
	}

	// Fixed headers.
	hd := o.Headers
	enforced, reportOnly := o.effectiveCSP()
	frameAncestors := enforced != nil && enforced.Has("frame-ancestors")
	xfo := !hd.FrameOptions.Disable
	check("header.frame-options-missing", !xfo && !frameAncestors, "neither X-Frame-Options nor CSP frame-ancestors is sent: any site may frame the pages")
	check("header.frame-options-weak", xfo && strings.EqualFold(hd.FrameOptions.Value, "SAMEORIGIN"), "X-Frame-Options is SAMEORIGIN, not DENY")
	check("header.nosniff-missing", hd.ContentTypeOptions.Disable, "X-Content-Type-Options is disabled")
	if hd.ReferrerPolicy.Disable {
		fail("header.referrer-policy-missing", "Referrer-Policy is disabled")
		skip("header.referrer-policy-unsafe")
	} else {
		pass("header.referrer-policy-missing")
		last := lastListValue([]string{hd.ReferrerPolicy.Value})
		unsafe := strings.EqualFold(last, "unsafe-url") || strings.EqualFold(last, "no-referrer-when-downgrade")
		check("header.referrer-policy-unsafe", unsafe, "Referrer-Policy %q leaks full URLs to other sites", last)
	}
	check("header.coop-missing", hd.CrossOriginOpenerPolicy.Disable, "Cross-Origin-Opener-Policy is disabled")
	check("header.corp-missing", hd.CrossOriginResourcePolicy.Disable || hd.CrossOriginResourcePolicy.Value == "", "Cross-Origin-Resource-Policy is not set")
	check("header.xss-protection-enabled", !hd.XSSProtection.Disable && strings.HasPrefix(hd.XSSProtection.Value, "1"),
		"X-XSS-Protection %q turns on the legacy filter", hd.XSSProtection.Value)
	check("header.permissions-policy-missing", o.PermissionsPolicy.Disable, "Permissions-Policy is disabled")
	check("header.server-version", o.Responses.KeepVersionHeaders, "KeepVersionHeaders: the application's Server and X-Powered-By headers reach clients, versions included")

	// CSP: the policy shield will send, judged as the audit judges a live
	// page's (csp.Judge), so that check and audit flag the same policy.
	cspRules := []string{"csp.missing", "csp.report-only-only", "csp.unsafe-inline", "csp.unsafe-eval",
		"csp.wildcard-source", "csp.scheme-source", "csp.strict-dynamic-without-nonce",
		"csp.object-src-missing", "csp.base-uri-missing", "csp.frame-ancestors-missing"}
	if enforced == nil {
		fail("csp.missing", "Content-Security-Policy is disabled")
		for _, id := range cspRules[1:] {
			skip(id)
		}
	} else {
		sent := *enforced
		if s.headers.cspNonce != nil {
			// Judge the policy as a response carries it, with its nonce.
			if p, err := csp.Parse(s.headers.cspNonce.Render("bm9uY2U")); err == nil {
				sent = p
			}
		}
		var ro []csp.Policy
		if reportOnly != nil {
			ro = []csp.Policy{*reportOnly}
		}
		weak := map[string]string{}
		for _, w := range csp.Judge([]csp.Policy{sent}, ro) {
			weak[w.Rule] = w.Message
		}
		for _, id := range cspRules {
			if msg, ok := weak[id]; ok {
				fail(id, "%s", msg)
			} else {
				pass(id)
			}
		}
	}

	// CORS and cross-origin protection.
	if s.cors == nil {
		skip("cors.wildcard-credentials")
		skip("cors.wildcard")
	} else {
		pass("cors.wildcard-credentials") // New refuses it
		check("cors.wildcard", s.cors.anyOrigin, "CORS allows every origin (\"*\") to read responses")
	}
	check("csrf.cross-origin-unprotected", s.cop == nil, "cross-origin protection is disabled: unsafe requests from other sites reach the handler")

	// security.txt.
	if o.SecurityTxt == nil {
		fail("securitytxt.missing", "no security.txt is configured")
		skip("securitytxt.expires-too-far")
	} else {
		pass("securitytxt.missing")
		check("securitytxt.expires-too-far", o.SecurityTxt.ExpiresIn > oneYear, "Expires rolls %v ahead; RFC 9116 advises less than a year", o.SecurityTxt.ExpiresIn)
	}
	return out
}

// Findings returns the failed rules of Rules, worst first.
func (s *Shield) Findings() []rules.Finding {
	var out []rules.Finding
	for _, r := range s.Rules() {
		if r.Status == rules.Fail {
			out = append(out, *r.Finding)
		}
	}
	slices.SortStableFunc(out, func(a, b rules.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	return out
}
