// Package headers judges the security headers a live HTTPS page sent, as
// `portcullis audit` sees them: framing protection, nosniff,
// Referrer-Policy, Cross-Origin-Opener/Resource-Policy, the legacy XSS
// filter, Permissions-Policy, server version disclosure, and the Content
// Security Policy in depth.
//
// Every finding is a rule of the shared catalog (package rules), so the
// audit of a site and `portcullis check` of its configuration speak the
// same language.
//
// # How the CSP is judged
//
// As browsers apply it, by csp.Judge, which shield uses too for the policy
// it sends: see there.
package headers

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/rules"
)

// Check judges the headers of the HTTPS page at url. The findings' Target
// is url.
func Check(url string, h http.Header) []rules.Finding {
	c := &checker{target: url}
	enforced := c.policies(h.Values("Content-Security-Policy"))
	reportOnly := c.policies(h.Values("Content-Security-Policy-Report-Only"))
	c.framing(h, enforced)
	c.simple(h)
	c.csp(enforced, reportOnly)
	return c.out
}

type checker struct {
	target string
	out    []rules.Finding
}

func (c *checker) add(id, evidence, format string, a ...any) {
	f := rules.NewFinding(id, fmt.Sprintf(format, a...))
	f.Target, f.Evidence = c.target, rules.ClipEvidence(evidence)
	c.out = append(c.out, f)
}

// policies parses every policy of the header fields; problems are
// csp.invalid findings.
func (c *checker) policies(values []string) []csp.Policy {
	var out []csp.Policy
	for _, v := range values {
		ps, warns := csp.ParseListDetailed(v)
		if len(warns) > 0 {
			msgs := make([]string, 0, len(warns))
			for _, w := range warns {
				msgs = append(msgs, w.Message)
			}
			c.add("csp.invalid", v, "%s", strings.Join(msgs, "; "))
		}
		for _, p := range ps {
			if len(p.Directives) > 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

func (c *checker) framing(h http.Header, enforced []csp.Policy) {
	ancestors := false
	for _, p := range enforced {
		ancestors = ancestors || p.Has("frame-ancestors")
	}
	xfo := strings.ToUpper(strings.TrimSpace(lastValue(h.Values("X-Frame-Options"))))
	switch {
	case xfo == "" || (xfo != "DENY" && xfo != "SAMEORIGIN"):
		if !ancestors {
			msg := "neither X-Frame-Options nor CSP frame-ancestors is sent: any site may frame the page"
			if xfo != "" {
				msg = fmt.Sprintf("X-Frame-Options %q is not a value browsers honour (DENY or SAMEORIGIN), and CSP has no frame-ancestors", xfo)
			}
			c.add("header.frame-options-missing", xfo, "%s", msg)
		}
	case xfo == "SAMEORIGIN" && !ancestors:
		c.add("header.frame-options-weak", xfo, "X-Frame-Options is SAMEORIGIN: the page may be framed by the site itself (DENY unless it needs to)")
	}
}

// referrerTokens are the Referrer-Policy values browsers recognize.
var referrerTokens = []string{"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin",
	"strict-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"}

// versionRE matches a product token with a version: "nginx/1.22.1",
// "PHP/8.2", "Apache/2.4.57 (Debian)".
var versionRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9._-]*/[0-9]`)

func (c *checker) simple(h http.Header) {
	if v := strings.TrimSpace(h.Get("X-Content-Type-Options")); !strings.EqualFold(v, "nosniff") {
		c.add("header.nosniff-missing", v, "X-Content-Type-Options: nosniff is not sent: browsers may sniff responses into scripts or styles")
	}

	if rp := h.Values("Referrer-Policy"); len(rp) == 0 {
		c.add("header.referrer-policy-missing", "", "no Referrer-Policy: browsers fall back to their default (strict-origin-when-cross-origin in current ones)")
	} else {
		// The last recognized token of the comma-separated list applies.
		last := ""
		for _, v := range rp {
			for tok := range strings.SplitSeq(v, ",") {
				tok = strings.ToLower(strings.TrimSpace(tok))
				if slices.Contains(referrerTokens, tok) {
					last = tok
				}
			}
		}
		raw := strings.Join(rp, ", ")
		switch last {
		case "":
			c.add("header.referrer-policy-invalid", raw, "Referrer-Policy %q has no value browsers recognize", raw)
		case "unsafe-url", "no-referrer-when-downgrade":
			c.add("header.referrer-policy-unsafe", raw, "Referrer-Policy %s sends the full URL (path and query) to other sites", last)
		}
	}

	if v := h.Get("Cross-Origin-Opener-Policy"); v == "" {
		c.add("header.coop-missing", "", "no Cross-Origin-Opener-Policy: pages this one opens (or that open it) share its browsing context group")
	} else {
		tok, _, _ := strings.Cut(v, ";") // parameters such as report-to
		switch strings.TrimSpace(tok) {
		case "same-origin", "same-origin-allow-popups", "unsafe-none", "noopener-allow-popups":
		default:
			c.add("header.coop-invalid", v, "Cross-Origin-Opener-Policy %q is not a value browsers recognize", v)
		}
	}
	if h.Get("Cross-Origin-Resource-Policy") == "" {
		c.add("header.corp-missing", "", "no Cross-Origin-Resource-Policy: other sites may embed this response")
	}
	if v := strings.TrimSpace(h.Get("X-XSS-Protection")); strings.HasPrefix(v, "1") {
		c.add("header.xss-protection-enabled", v, "X-XSS-Protection %q turns on the legacy XSS filter, which can be abused to remove scripts; send 0 or nothing", v)
	}
	if pp := h.Values("Permissions-Policy"); len(pp) == 0 {
		c.add("header.permissions-policy-missing", "", "no Permissions-Policy: embedded content may ask for camera, microphone, geolocation…")
	} else if _, err := permissions.Parse(strings.Join(pp, ", ")); err != nil {
		c.add("permissions.invalid", strings.Join(pp, ", "), "%v", err)
	}
	for _, name := range []string{"Server", "X-Powered-By", "X-AspNet-Version"} {
		if v := h.Get(name); v != "" && (versionRE.MatchString(v) || name == "X-AspNet-Version") {
			c.add("header.server-version", name+": "+v, "%s discloses the software version (%s): it tells attackers which known vulnerabilities to try", name, v)
		}
	}
}

// csp reports the weaknesses of the policies as csp.Judge sees them, with
// the one enforced policy (if there is one) as evidence.
func (c *checker) csp(enforced, reportOnly []csp.Policy) {
	ev := ""
	switch {
	case len(enforced) == 1:
		ev = enforced[0].String()
	case len(enforced) == 0 && len(reportOnly) > 0:
		ev = reportOnly[0].String()
	}
	for _, w := range csp.Judge(enforced, reportOnly) {
		c.add(w.Rule, ev, "%s", w.Message)
	}
}

// lastValue is the last of a header's values (the one browsers keep for
// single-valued headers sent twice, in practice).
func lastValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}
