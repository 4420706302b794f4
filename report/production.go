package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/rules"
)

// This file writes what a review says beyond the findings: which server
// the target runs (so that remedies name its settings first), and the
// considerations for production — certificate renewal, mixed content,
// the CDN, monitoring and backups — each stated from what the audit (or,
// with Meta.Check, the configuration) showed, or else marked not
// verified.

// serverHint is the server a target was recognised as running, and the
// evidence ("Server: nginx/1.24.0"; plain text from the server).
type serverHint struct {
	Server rules.Server
	From   string
}

// serverOf recognises the server behind r: the origin's Server header
// (with --origin), then the edge's, then a certificate from portcullis's
// local CA. The zero hint when nothing names one of rules.Servers().
func serverOf(r audit.Report) serverHint {
	if o := r.Observed; o != nil {
		if o.Origin != nil {
			if s, ok := serverNamed(o.Origin.Headers["Server"]); ok {
				return serverHint{s, "the origin's Server header: " + o.Origin.Headers["Server"]}
			}
		}
		if s, ok := serverNamed(o.Headers["Server"]); ok {
			return serverHint{s, "the Server header: " + o.Headers["Server"]}
		}
	}
	if c := r.Cert; c != nil && strings.Contains(c.Issuer, "portcullis local CA") {
		return serverHint{rules.Portcullis, "a certificate from portcullis's local CA"}
	}
	return serverHint{}
}

// serverNamed reads a Server header's product: "nginx/1.24.0" and
// OpenResty are nginx, "Apache/2.4.57 (Debian)" is Apache httpd (not
// Tomcat's Apache-Coyote), "Caddy" is Caddy. Django sends no Server
// header of its own.
func serverNamed(v string) (rules.Server, bool) {
	product, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(v)), " ")
	product, _, _ = strings.Cut(product, "/")
	switch product {
	case "nginx", "openresty":
		return rules.Nginx, true
	case "apache":
		return rules.Apache, true
	case "caddy":
		return rules.Caddy, true
	case "portcullis":
		return rules.Portcullis, true
	}
	return "", false
}

// remediesFor are the remedies a review shows for rule: the known
// server's first (an empty Text when it has none), then portcullis's; all
// of them when the server is not known.
func remediesFor(rule rules.Rule, s rules.Server) []rules.Remedy {
	if s == "" {
		return rule.Remedies
	}
	var out []rules.Remedy
	if m, ok := rule.Remedy(s); ok {
		out = append(out, m)
	} else if len(rule.Remedies) > 0 {
		out = append(out, rules.Remedy{Server: s})
	}
	if m, ok := rule.Remedy(rules.Portcullis); ok && s != rules.Portcullis {
		out = append(out, m)
	}
	return out
}

// noteKind says where a consideration's statement comes from.
type noteKind int

const (
	observed    noteKind = iota // seen on the live site
	configured                  // read in the configuration (Meta.Check)
	notVerified                 // neither could show it
)

// label is how a note starts: "Observed", "Configured", "Not verified".
func (k noteKind) label() string {
	return [...]string{"Observed", "Configured", "Not verified"}[k]
}

// note is one statement of a consideration: plain text, which may come
// from the server (renderers escape it).
type note struct {
	Kind noteKind
	Text string
}

// Label is the note's kind for people.
func (n note) Label() string { return n.Kind.label() }

// consideration is one topic of the considerations for production: what
// was observed or configured, what was not verified, and the advice
// (catalog-style text: backquotes mark code).
type consideration struct {
	Topic  string
	Notes  []note
	Advice string
}

// add appends a note.
func (c *consideration) add(k noteKind, format string, a ...any) {
	c.Notes = append(c.Notes, note{k, fmt.Sprintf(format, a...)})
}

// The advice of each consideration, whatever was observed.
const (
	renewalAdvice = "Renew automatically through ACME — portcullis `[site.cert] source = \"acme\"`, Caddy by default, certbot or `mod_md` beside nginx and Apache httpd — and make a person hear of expiry and renewal failures (portcullis `[alerts] webhook`, or `portcullis certs check` from cron): CAs no longer send expiry emails."
	mixedAdvice   = "Load every resource over `https://` or with relative URLs; CSP `upgrade-insecure-requests` rewrites stragglers (portcullis `[defaults.csp] upgrade_insecure_requests = true`), and a report-only policy shows what remains."
	cdnAdvice     = "Behind a CDN, make it connect to the origin over HTTPS and validate its certificate, accept connections at the origin from the CDN only, and send `Cache-Control: private, no-store` on every response that sets a cookie or shows one user's data; audit the origin with `--origin`."
	opsAdvice     = "Send certificate events to someone who acts on them (`[alerts] webhook`), scrape `/metrics` from loopback (`listen.admin`), and back up the ACME account and keys off the machine (`[backup] dir` with `recipients`), testing a restore (`portcullis certs restore`)."
)

// production is the considerations for production of r; chk is the
// check of the configuration the site runs, nil when none was given.
func production(r audit.Report, chk *check.Report) []consideration {
	out := []consideration{renewal(r, chk), mixedContent(r), cdnConsideration(r), operations(chk)}
	for _, c := range out {
		slices.SortStableFunc(c.Notes, func(a, b note) int { return int(a.Kind) - int(b.Kind) })
	}
	return out
}

// acmeCAs are issuers (a substring of the issuer DN, lower case) known to
// issue through ACME, and their names.
var acmeCAs = []struct{ match, name string }{
	{"let's encrypt", "Let's Encrypt"},
	{"zerossl", "ZeroSSL"},
	{"google trust services", "Google Trust Services"},
}

// shortLived is the longest lifetime of a short-lived certificate: the
// CA/Browser Forum's 10 days.
const shortLived = 10 * 24 * time.Hour

// renewal is the certificate-renewal consideration.
func renewal(r audit.Report, chk *check.Report) consideration {
	c := consideration{Topic: "Certificate renewal", Advice: renewalAdvice}
	if ct := r.Cert; ct != nil {
		issuer := strings.ToLower(ct.Issuer)
		kind := "a CA not known to issue through ACME, so its renewal may be a manual step"
		if strings.Contains(issuer, "portcullis local ca") {
			kind = "portcullis's local CA, which renews its own certificates (trusted only where its root is installed)"
		}
		for _, ca := range acmeCAs {
			if strings.Contains(issuer, ca.match) {
				kind = "an ACME CA (" + ca.name + ")"
			}
		}
		life := ct.NotAfter.Sub(ct.NotBefore)
		lifetime := fmt.Sprintf("%d days left of a %d-day lifetime", ct.DaysLeft, int(life/(24*time.Hour)))
		if ct.DaysLeft < 0 {
			lifetime = fmt.Sprintf("expired %d days ago, after a %d-day lifetime", -ct.DaysLeft, int(life/(24*time.Hour)))
		}
		if life > 0 && life <= shortLived {
			lifetime += ": short-lived, so renewal runs every few days and a failure shows within days"
		}
		c.add(observed, "issued by %s: %s; %s", ct.Issuer, kind, lifetime)
		for _, id := range []string{"cert.expired", "cert.expiring"} {
			if f := firstFinding(r, id); f != nil {
				c.add(observed, "%s (%s)", f.Message, id)
			}
		}
	} else {
		c.add(notVerified, "no certificate was read, so neither its CA nor its expiry is known")
	}
	if chk == nil {
		c.add(notVerified, "what renews the certificate and what watches its expiry run on the server, out of the audit's sight")
		return c
	}
	s := chk.Setup
	for _, src := range s.CertSources {
		switch src {
		case config.CertACME:
			ca := s.ACMECA
			if s.ACMEFallback != "" {
				ca += ", then " + s.ACMEFallback
			}
			c.add(configured, "certificates from ACME (%s), renewed by portcullis in the last third of their life", ca)
		case config.CertFiles:
			c.add(configured, "certificate files, renewed by another program; portcullis reloads them when they change")
		case config.CertLocal:
			c.add(configured, "certificates from portcullis's local CA, renewed by portcullis")
		}
	}
	watch := "portcullis's expiry monitor warns at " + strings.Join(s.Thresholds, ", ") + " before expiry"
	switch {
	case s.Alerts:
		watch += " and sends the events to the [alerts] webhook"
	case hasRule(chk, "alerts.missing"):
		watch += ", but the events only reach the log and /metrics (alerts.missing)"
	default:
		watch += "; no [alerts] webhook"
	}
	c.add(configured, "%s", watch)
	return c
}

// mixedContent is the mixed-content consideration.
func mixedContent(r audit.Report) consideration {
	c := consideration{Topic: "Mixed content", Advice: mixedAdvice}
	found := false
	for _, id := range []string{"content.mixed-active", "content.mixed-passive", "redirect.http-form-action"} {
		var fs []rules.Finding
		for _, f := range r.Findings {
			if f.Rule == id {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		found = true
		msg := fs[0].Message
		if fs[0].Target != "" {
			msg += " at " + fs[0].Target
		}
		if len(fs) > 1 {
			msg += fmt.Sprintf(", and %d more", len(fs)-1)
		}
		c.add(observed, "%s (%s)", msg, id)
	}
	ar := areaOf(r, rules.Content)
	switch {
	case !ar.observed:
		c.add(notVerified, "%s", notVerifiedText(ar.reason, ar.detail))
	default:
		var html []string
		for _, p := range r.Observed.Pages {
			if p.HTML {
				html = append(html, p.Path)
			}
		}
		if !found {
			c.add(observed, "no mixed content on the HTML pages read: %s", strings.Join(html, ", "))
		}
		c.add(notVerified, "pages the audit did not fetch (add them with --paths), and resources that scripts load")
	}
	if o := r.Observed; o != nil && strings.Contains(strings.ToLower(o.Headers["Content-Security-Policy"]), "upgrade-insecure-requests") {
		c.add(observed, "the CSP upgrades insecure requests (upgrade-insecure-requests)")
	}
	return c
}

// cdnConsideration is the CDN consideration.
func cdnConsideration(r audit.Report) consideration {
	c := consideration{Topic: "CDN and origin", Advice: cdnAdvice}
	if !Audited(r) {
		c.add(notVerified, "the target could not be audited")
		return c
	}
	o := r.Observed
	if o == nil {
		o = &audit.Observed{}
	}
	switch {
	case o.CDN != nil:
		c.add(observed, "served through %s", o.CDN.String())
	case homePage(o) != nil:
		c.add(observed, "the responses name no CDN or cache (Via, CF-Ray, X-Cache, Age…)")
	}
	if g := o.Origin; g != nil {
		var ids []string
		for _, f := range r.Findings {
			if ruleOf(f.Rule).Category == rules.CDN && f.Severity > rules.Info && !slices.Contains(ids, f.Rule) {
				ids = append(ids, f.Rule)
			}
		}
		if len(ids) == 0 {
			c.add(observed, "the origin %s answers only over HTTPS, with a valid certificate, and the edge passes its security headers on", g.Address)
		} else {
			c.add(observed, "the origin %s: %s (see the findings)", g.Address, strings.Join(ids, ", "))
		}
	} else if o.CDN != nil {
		if e := errorWith(r, "origin "); e != "" {
			c.add(notVerified, "%s", e)
		} else {
			c.add(notVerified, "the origin behind the CDN: give it with --origin to check that it answers only over HTTPS, with a valid certificate")
		}
	}
	var shared []string
	for _, f := range r.Findings {
		if f.Rule == "header.cache-shared-private" {
			shared = append(shared, f.Message)
		}
	}
	if len(shared) > 0 {
		c.add(observed, "%s (header.cache-shared-private%s)", shared[0], more(len(shared)))
	}
	return c
}

// more is ", and N more" for n findings of which one is shown.
func more(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(", and %d more", n-1)
}

// operations is the monitoring-and-backups consideration, from the
// configuration check's setup and operations findings.
func operations(chk *check.Report) consideration {
	c := consideration{Topic: "Monitoring and backups", Advice: opsAdvice}
	if chk == nil {
		c.add(notVerified, "alerts, metrics and backups are set up on the server, out of the audit's sight; portcullis audit --config FILE states them from the configuration")
		return c
	}
	s := chk.Setup
	name := chk.Config
	if name == "" {
		name = "the configuration"
	}
	switch {
	case s.Alerts:
		c.add(configured, "%s sends certificate events to an [alerts] webhook", name)
	case hasRule(chk, "alerts.missing"):
		c.add(configured, "%s sends certificate events only to the log and /metrics (alerts.missing)", name)
	default:
		c.add(configured, "%s has no [alerts] webhook (no certificate from ACME or files needs one)", name)
	}
	switch {
	case s.Admin == "":
		c.add(configured, "the admin listener is off: no /metrics to scrape")
	case hasRule(chk, "admin.exposed"):
		c.add(configured, "/metrics on %s, reachable from the network (admin.exposed)", s.Admin)
	default:
		c.add(configured, "/metrics on %s, for a local Prometheus", s.Admin)
	}
	switch {
	case s.Backups:
		c.add(configured, "scheduled encrypted backups of the ACME account and keys ([backup] dir)")
	case hasRule(chk, "backup.missing"):
		c.add(configured, "no scheduled backup of the ACME account and keys (backup.missing)")
	default:
		c.add(configured, "no scheduled backups ([backup] dir is not set)")
	}
	ops := check.Rules()
	for _, f := range chk.Findings {
		if slices.ContainsFunc(ops, func(r rules.Rule) bool { return r.ID == f.Rule }) && !slices.Contains([]string{"alerts.missing", "admin.exposed", "backup.missing"}, f.Rule) {
			c.add(configured, "%s (%s)", f.Message, f.Rule)
		}
	}
	return c
}

// hasRule reports whether the check found a violation of rule id.
func hasRule(chk *check.Report, id string) bool {
	return slices.ContainsFunc(chk.Findings, func(f check.Finding) bool { return f.Rule == id })
}
