// Package hsts reads a site's Strict-Transport-Security header the way a
// browser does (RFC 6797 section 6.1), strictly, and judges it against
// the rule catalog: missing, malformed, repeated, too short, without
// includeSubDomains, and — when it asks for preloading — whether the site
// meets the submission requirements of hstspreload.org.
//
// # Parsing
//
// The header is a list of directives separated by ";". Names are
// case-insensitive; a value is a token or a quoted-string. max-age is
// required and is delta-seconds (digits only). A directive that appears
// twice makes the whole header invalid, and browsers then ignore it. So
// does a missing or malformed max-age. Unknown directives are allowed
// (for extensions), and so are empty ones ("max-age=1;;preload").
// includeSubDomains and preload take no value; a value is a problem
// reported but, as browsers do, not fatal. When a response has several
// Strict-Transport-Security fields, browsers process only the first
// (RFC 6797 section 8.1); Check reports the others.
//
// # Preload eligibility
//
// hstspreload.org accepts a domain whose HTTPS answer (after any
// redirect, which must carry the header too) sends max-age of at least
// 31536000 seconds, includeSubDomains and preload, whose plain-HTTP
// answer redirects to HTTPS on the same host first, and whose certificate
// is valid. Check takes those facts from the caller (the auditor observed
// them) and lists each requirement not met. Requirements that cannot be
// observed from one host (every subdomain served over HTTPS) are not
// checked.
package hsts

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/grammar"
	"github.com/portcullis/portcullis/rules"
)

// OneYear is the max-age browsers' preload lists require, and what the
// catalog recommends.
const OneYear = 365 * 24 * time.Hour

// Policy is a parsed Strict-Transport-Security header.
type Policy struct {
	MaxAge            time.Duration
	IncludeSubDomains bool
	Preload           bool
}

// Problem is one thing wrong with a header. Fatal problems make browsers
// ignore the whole header.
type Problem struct {
	Msg   string
	Fatal bool
}

// maxAgeLimit caps max-age so the Duration cannot overflow: no browser
// keeps a policy longer than this anyway (Chromium caps at one year).
const maxAgeLimit = math.MaxInt64 / int64(time.Second)

// Parse parses one Strict-Transport-Security value. The policy is valid
// (browsers apply it) when no problem is fatal.
func Parse(value string) (Policy, []Problem) {
	var p Policy
	var probs []Problem
	seen := map[string]bool{}
	fatal := func(format string, a ...any) { probs = append(probs, Problem{fmt.Sprintf(format, a...), true}) }
	for i, raw := range splitDirectives(value) {
		d := strings.TrimSpace(raw)
		if d == "" {
			continue
		}
		name, val, hasVal := strings.Cut(d, "=")
		name = strings.TrimSpace(name)
		if !grammar.IsToken(name) {
			fatal("directive %d: %.40q is not a token", i+1, name)
			continue
		}
		lname := strings.ToLower(name)
		if seen[lname] {
			fatal("directive %q appears more than once", name)
			continue
		}
		seen[lname] = true
		val = strings.TrimSpace(val)
		if hasVal {
			v, ok := unquote(val)
			if !ok {
				fatal("directive %q: value %.40q is neither a token nor a quoted-string", name, val)
				continue
			}
			val = v
		}
		switch lname {
		case "max-age":
			if !hasVal || val == "" {
				fatal("max-age has no value")
				continue
			}
			if strings.Trim(val, "0123456789") != "" {
				fatal("max-age=%.40q is not a number of seconds", val)
				continue
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n > maxAgeLimit {
				n = maxAgeLimit
			}
			p.MaxAge = time.Duration(n) * time.Second
		case "includesubdomains":
			p.IncludeSubDomains = true
			if hasVal {
				probs = append(probs, Problem{Msg: fmt.Sprintf("includeSubDomains takes no value (has %.40q)", val)})
			}
		case "preload":
			p.Preload = true
			if hasVal {
				probs = append(probs, Problem{Msg: fmt.Sprintf("preload takes no value (has %.40q)", val)})
			}
		}
	}
	if !seen["max-age"] {
		fatal("max-age is missing (it is required)")
	}
	return p, probs
}

// splitDirectives splits on ";" outside quoted-strings.
func splitDirectives(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// unquote returns a token as is and a quoted-string's content.
func unquote(v string) (string, bool) {
	if grammar.IsToken(v) {
		return v, true
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c == '\\' {
			i++
			if i == len(v)-1 {
				return "", false
			}
			c = v[i]
		} else if c == '"' {
			return "", false
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// Observation is what an auditor saw of a site, for Check.
type Observation struct {
	// Host is the site's host name (no port).
	Host string
	// Values are the Strict-Transport-Security values of the HTTPS
	// response, in order (the final response of any redirect chain).
	Values []string
	// OverHTTP is true when the plain-HTTP response sent the header too.
	OverHTTP bool
	// RedirectsToHTTPSFirst is true when the plain-HTTP answer redirects
	// to https:// on the same host as its first hop.
	RedirectsToHTTPSFirst bool
	// HTTPListening is false when nothing answers plain HTTP (port 80):
	// the redirect requirement then does not apply.
	HTTPListening bool
	// RedirectWithoutHSTS is true when an HTTPS redirect on the way to
	// the final page lacked the header.
	RedirectWithoutHSTS bool
	// CertificateValid is true when the certificate verified.
	CertificateValid bool
}

// Check judges the header of a site. The findings' Target is the host.
func Check(o Observation) []rules.Finding {
	var out []rules.Finding
	add := func(id, format string, a ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		f.Target = o.Host
		out = append(out, f)
	}
	if o.OverHTTP {
		add("hsts.over-http", "the plain-HTTP response sends Strict-Transport-Security; browsers ignore it there (RFC 6797 section 8.1)")
	}
	if ip, name := local(o.Host); ip || name {
		switch {
		case ip && len(o.Values) == 0:
			add("hsts.local-host", "no HSTS for %s: right for an IP address, to which browsers never apply it (RFC 6797 section 8.1)", o.Host)
		case name && len(o.Values) == 0:
			add("hsts.local-host", "no HSTS for %s: right for a localhost name — Chromium ignores it there, but Firefox and Safari would pin every local app on %s to HTTPS", o.Host, o.Host)
		case name:
			add("hsts.local-host", "HSTS sent for %s: Chromium ignores it, but Firefox and Safari now force HTTPS on every local app on %s until max-age runs out", o.Host, o.Host)
		}
		return out
	}
	if len(o.Values) == 0 {
		add("hsts.missing", "the HTTPS response has no Strict-Transport-Security header")
		return out
	}
	if len(o.Values) > 1 {
		f := rules.NewFinding("hsts.multiple", fmt.Sprintf("%d Strict-Transport-Security fields; browsers apply only the first", len(o.Values)))
		f.Target, f.Evidence = o.Host, rules.ClipEvidence(strings.Join(o.Values, " | "))
		out = append(out, f)
	}
	p, probs := Parse(o.Values[0])
	valid := true
	for _, pr := range probs {
		f := rules.NewFinding("hsts.invalid", pr.Msg)
		if !pr.Fatal {
			f.Severity = rules.Info
		} else {
			valid = false
			f.Message += "; browsers ignore the header"
		}
		f.Target, f.Evidence = o.Host, rules.ClipEvidence(o.Values[0])
		out = append(out, f)
	}
	if !valid {
		return out
	}
	if p.MaxAge == 0 {
		add("hsts.max-age-short", "max-age=0 removes the policy: HSTS is switched off")
	} else if p.MaxAge < OneYear {
		add("hsts.max-age-short", "max-age=%d is below one year (31536000)", int64(p.MaxAge/time.Second))
	}
	if !p.IncludeSubDomains {
		add("hsts.no-subdomains", "no includeSubDomains: subdomains can still be reached over plain HTTP")
	}
	if !p.Preload {
		add("hsts.no-preload", "no preload directive: first visits stay unprotected until the site is on browsers' preload lists")
		return out
	}
	var unmet []string
	if p.MaxAge < OneYear {
		unmet = append(unmet, "max-age of at least 31536000")
	}
	if !p.IncludeSubDomains {
		unmet = append(unmet, "includeSubDomains")
	}
	if o.HTTPListening && !o.RedirectsToHTTPSFirst {
		unmet = append(unmet, "plain HTTP redirecting to HTTPS on the same host first")
	}
	if o.RedirectWithoutHSTS {
		unmet = append(unmet, "the header on every HTTPS redirect")
	}
	if !o.CertificateValid {
		unmet = append(unmet, "a valid certificate")
	}
	if len(unmet) > 0 {
		add("hsts.preload-ineligible", "preload is requested, but hstspreload.org requires: %s", strings.Join(unmet, "; "))
	}
	return out
}

// Local reports whether Check treats host as local (an IP address or a
// localhost name), where it judges no HSTS policy.
func Local(host string) bool {
	ip, name := local(host)
	return ip || name
}

// local reports whether host is an IP address, to which browsers never
// apply HSTS (RFC 6797 section 8.1), or a localhost name, which Chromium
// ignores (since version 132) but Firefox and Safari pin like any other,
// so that HSTS there forces HTTPS on every local app.
func local(host string) (ip, name bool) {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if _, err := netip.ParseAddr(h); err == nil {
		return true, false
	}
	return false, h == "localhost" || strings.HasSuffix(h, ".localhost")
}
