// Package report renders the results of `portcullis audit` ([audit.Report]
// values) for people and for machines: plain text for a terminal, a stable
// JSON document, a Markdown security review (the familiar
// SECURITY_REVIEW.md: implemented measures, testing checklist, findings,
// recommendations, potential improvements, considerations for
// production), the same review as one self-contained HTML page, JUnit XML
// and SARIF 2.1.0 for CI.
//
// # Remedies and the server
//
// Every rule of the catalog says how to fix it per server
// ([rules.Remedy]: portcullis, nginx, Apache httpd, Caddy, Django). The
// review recognises the target's server from the Server header (the
// origin's, with --origin, before the edge's: a CDN names itself) or a
// certificate from portcullis's local CA, and shows under each finding
// that server's remedy first, then portcullis's; when it recognises none,
// every remedy. The text report adds the recognised server's remedy after
// each fix; JSON carries all of them.
//
// # Considerations for production
//
// The review ends with what running the site takes beyond its headers:
// certificate renewal (the issuer, whether it is an ACME CA, the days
// left, a short lifetime), mixed content (the content checks), the CDN
// and origin (the CDN observation, --origin) and monitoring and backups.
// Each is stated as observed where the audit saw it, as configured where
// [Meta].Check (the check of the configuration the site runs: its setup
// and operations findings) shows it, and otherwise marked not verified,
// beside a recommendation.
//
// Every renderer takes a [Meta] whose Generated time is injected, so the
// same reports give byte-identical output. Findings' messages, evidence
// and targets, certificate names and probe errors come from the audited
// site and are treated as hostile: Markdown escapes them and puts evidence
// in code spans on one line, HTML escapes them with html/template and the
// page carries a Content-Security-Policy that forbids scripts and any
// external resource, XML replaces characters XML cannot carry, and text
// output shows control characters as Go escapes (\n, \x1b) so a header
// value cannot move the cursor of the terminal printing it.
//
// # Evaluated rules
//
// A rule counts as evaluated on a target when its category is among
// [Meta].Categories (by default [DefaultCategories]: redirects, HSTS,
// cookies, headers, CSP, CORS, TLS, certificate, content, security.txt), or when a
// finding names it. Rules a live audit cannot observe (cert.key-permissions,
// a check of a private key file) are never evaluated, and
// redirect.http-form-action only with the content category (the page
// analysis finds such forms). An evaluated rule
// passes when no finding names it and the audit observed the area it is
// judged on.
//
// # The checklist
//
// Each evaluated category is a checklist item, in one of three states:
//
//   - verified: the audit observed the measure in place, and the item
//     carries that evidence (the redirect chain, the header values, the
//     cookies' attributes, the CORS answers, the security.txt fields, the
//     TLS versions and suites, the certificate, the HTML pages read);
//   - failed: a finding above informational, which the item names;
//   - not verified: the audit could not observe the area either way, and
//     the item says why: not fetched (the probe failed or did not run:
//     a timeout, no HTTPS), nothing to judge (the probe ran but found
//     nothing the rules apply to: no page set a cookie, no page was
//     HTML) or not applicable (HSTS for an IP address or localhost,
//     security.txt for a loopback host).
//
// Only verified items are implemented measures, and only rules of an area
// the audit observed pass: a rule whose area was not observed is skipped,
// with the reason (JUnit), never counted as passed. A target that could
// not be audited (errors and no certificate, the same test as
// `portcullis audit` uses for its exit status; a site found served over
// plain HTTP only is audited) has no grade, no measures and no passed
// rules, and every item is not verified.
//
// # JSON schema "portcullis.audit/v1"
//
// [JSON] writes one [Document]; its Go types are the schema, and a change
// that breaks a consumer gets a new schema name. Field by field:
//
//	schema        "portcullis.audit/v1"
//	tool          the tool's name, "portcullis"
//	version       the tool's version ("dev" for a development build)
//	generated     when the report was written, RFC 3339 in UTC
//	targets[]     one per audited target, in the order given:
//	  target        the target, host[:port]
//	  audited       false when nothing could be audited (errors, no certificate)
//	  server        the server recognised (see Remedies and the server):
//	                "portcullis", "nginx", "apache", "caddy"; "" when none
//	  status        "complete" (every probe ran), "partial" (some failed: see
//	                errors; the grade leaves out what they would have checked)
//	                or "not-audited" (audited is false)
//	  grade         null when not audited, else:
//	    letter        "A+", "A", "B", "C", "D", "F"
//	    score         0..100
//	    caps[]        the findings that capped the letter, "rule: letter"
//	    deductions[]  {rule, severity, points, count}: each failed rule's cost
//	  certificate   null, or {subject, issuer, names[], not_before, not_after,
//	                days_left, key_type, signature, serial, spki_sha256, trusted}
//	  findings[]    {rule, severity, title, category, message, evidence, target,
//	                fix, references[], remedies[]}; severity is "info", "low",
//	                "medium", "high" or "critical"; title, category, fix,
//	                references and remedies come from the rule catalog (empty
//	                for a rule it lacks); evidence is the raw observed value (a
//	                header, a cookie line without its value), "" when there is
//	                none; remedies are {server, text}, one per server that has
//	                one, portcullis first, then "nginx", "apache", "caddy",
//	                "django" (text marks code with backquotes)
//	  checklist[]   the testing checklist, an item per area:
//	    category      the area (a rule category: "redirect", "hsts"…)
//	    item          what holds when it is verified
//	    state         "verified", "failed" or "not-verified"
//	    evidence[]    what was observed of the area, a line each, raw from
//	                  the server: what verified it, or what was seen of a
//	                  failed one; [] when nothing was
//	    reason        not-verified only: "not-fetched", "nothing-to-judge"
//	                  or "not-applicable"; "" otherwise
//	    detail        not-verified only: the specifics ("GET … failed:
//	                  timeout"); "" otherwise
//	    rules[]       failed only: the rules with findings above info
//	  checklist_counts  {verified, failed, not_verified}: the items by state
//	  errors[]      probes that could not run
//	  duration_ms   how long the target's audit took
//	  observed      absent, or what was seen of the measures (values come
//	                from the server, unescaped; each field absent when empty):
//	    redirects[]   {url, status, location}: the chain from http://host/
//	    path_redirects[]  {page, hops[]}: the chain from each extra page's
//	                  http:// URL (hops as in redirects)
//	    pages[]       {path, status, content_type, html, error}: each HTTPS
//	                  page requested; html when it was read for mixed
//	                  content; error when the request failed
//	    headers       {name: value}: the security headers of https://host/
//	    cookies[]     {name, page, path, domain, secure, http_only,
//	                  same_site}: every cookie set, never its value
//	    cors[]        {origin, allow_origin, allow_credentials, error}: the
//	                  answers to the CORS probes
//	    security_txt  {url, status, content_type, contact[], expires, error}:
//	                  what /.well-known/security.txt answered
//	    hsts_not_applicable  true for an IP address or a localhost name
//	    cdn           {name, signs[] of {cdn, header, value}}: the CDN or cache
//	                  the response headers show; name "" for one of unknown make
//	    origin        with --origin: {address, tls, status, certificate (as
//	                  above), certificate_problems[], plain_http[] (hops as in
//	                  redirects), headers, differences[] of {header, origin, edge}}
//	    caa           {name, domain, records[] of {flag, tag, value}, server,
//	                  note, issuer_ids[]}: the CAA records that apply (domain
//	                  "" when none), or a note why CAA does not apply
//	    pins[]        {role, subject, pin}: the SPKI pin ("sha256/BASE64") of
//	                  each certificate served, leaf first; role is "leaf",
//	                  "intermediate" or "root"
//	  tls           absent, or the TLS enumeration: versions[] ("TLS 1.2"…),
//	                suites {version: [suite IDs]}, server_preference,
//	                groups[], dh_bits, alpn[], secure_renegotiation,
//	                extended_master_secret, session_tickets, ocsp_stapling,
//	                resumption,
//	                errors[] (the fields of tlsprobe.Report)
//
// Arrays are always present (possibly empty), never null; certificate is
// null when no certificate was read, grade when the target was not
// audited. Added fields of v1, absent from reports of earlier builds:
// observed and tls; then status, checklist, checklist_counts and
// observed's path_redirects, pages, cors, security_txt and
// hsts_not_applicable; then observed's cdn, origin, caa and pins; then
// server and the findings' remedies. Earlier builds carried a grade object
// for a target not audited (A+ when every probe had failed).
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/check"
	"github.com/portcullis/portcullis/rules"
)

// Meta describes the run that produced the reports.
type Meta struct {
	Tool    string // tool name; "portcullis" when empty
	Version string // tool version; "dev" when empty
	// Generated is when the reports were made; it is printed in every
	// format but text. Inject it for deterministic output; the zero time
	// means now.
	Generated time.Time
	// Categories are the rule categories the audit evaluates (see the
	// package documentation); nil means DefaultCategories().
	Categories []rules.Category
	// Check is the check of the configuration the audited sites run
	// (`portcullis audit --config FILE`: check.Run of it). With it, the
	// review's considerations for production state the certificate
	// sources, expiry monitoring, alerts, metrics and backups as
	// configured; without it they are recommendations, not verified.
	// Only Markdown and HTML use it.
	Check *check.Report
}

// DefaultCategories returns the rule categories `portcullis audit`
// evaluates on every target today.
func DefaultCategories() []rules.Category {
	return []rules.Category{rules.Redirect, rules.HSTS, rules.Cookies, rules.Headers, rules.CSP, rules.CORS,
		rules.TLS, rules.Certificate, rules.Content, rules.SecurityTxt}
}

func (m Meta) withDefaults() Meta {
	if m.Tool == "" {
		m.Tool = "portcullis"
	}
	if m.Version == "" {
		m.Version = "dev"
	}
	if m.Generated.IsZero() {
		m.Generated = time.Now()
	}
	m.Generated = m.Generated.UTC()
	if m.Categories == nil {
		m.Categories = DefaultCategories()
	}
	return m
}

// renderers are the formats, in the order Formats lists them.
var renderers = []struct {
	name string
	fn   func(io.Writer, []audit.Report, Meta) error
}{
	{"text", Text},
	{"json", JSON},
	{"markdown", Markdown},
	{"html", HTML},
	{"junit", JUnit},
	{"sarif", SARIF},
}

// Formats returns the names Write accepts: text, json, markdown, html,
// junit, sarif.
func Formats() []string {
	out := make([]string, len(renderers))
	for i, r := range renderers {
		out[i] = r.name
	}
	return out
}

// Write renders reps in the named format (one of Formats, exactly as
// listed) to w. An unknown format is an error and writes nothing.
func Write(format string, w io.Writer, reps []audit.Report, m Meta) error {
	for _, r := range renderers {
		if r.name == format {
			return r.fn(w, reps, m)
		}
	}
	return fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// validate rejects what no format can represent: severities outside the
// defined range.
func validate(reps []audit.Report) error {
	for i, r := range reps {
		for j, f := range r.Findings {
			if f.Severity < rules.Info || f.Severity > rules.Critical {
				return fmt.Errorf("report: target %d (%q), finding %d (%s): invalid severity %d", i+1, r.Target, j+1, f.Rule, int(f.Severity))
			}
		}
		for _, d := range r.Grade.Deductions {
			if d.Severity < rules.Info || d.Severity > rules.Critical {
				return fmt.Errorf("report: target %d (%q), deduction %s: invalid severity %d", i+1, r.Target, d.Rule, int(d.Severity))
			}
		}
	}
	return nil
}

// Audited reports whether anything could be audited on the target: a
// report with errors and no certificate is an unreachable target, unless
// it found the site served over plain HTTP only (tls.no-https), which is
// what the audit verified.
func Audited(r audit.Report) bool {
	return len(r.Errors) == 0 || r.Cert != nil || firstFinding(r, "tls.no-https") != nil
}

// visible returns s with invalid UTF-8 replaced by U+FFFD and control and
// bidirectional-formatting characters written as Go escapes (\n, \t,
// \x1b, \u202e), so that hostile text stays on one line and cannot
// reorder or restyle what surrounds it.
func visible(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unsafeFormat(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// unsafeFormat reports the invisible characters that change how the text
// around them displays: bidirectional overrides and isolates, line and
// paragraph separators.
func unsafeFormat(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f ||
		r == 0x061c || r == 0x2028 || r == 0x2029
}

// sevCounts counts findings by severity (index = rules.Severity).
func sevCounts(fs []rules.Finding) [5]int {
	var n [5]int
	for _, f := range fs {
		if f.Severity >= rules.Info && f.Severity <= rules.Critical {
			n[f.Severity]++
		}
	}
	return n
}

// severitiesDesc lists the severities, worst first.
var severitiesDesc = []rules.Severity{rules.Critical, rules.High, rules.Medium, rules.Low, rules.Info}

// countsText is "1 critical, 2 high" for the non-zero counts above info,
// or "no findings above info".
func countsText(n [5]int) string {
	var parts []string
	for _, s := range severitiesDesc[:4] {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	if len(parts) == 0 {
		return "no findings above info"
	}
	return strings.Join(parts, ", ")
}

// sortedCategories returns cats in the catalog's display order, without
// duplicates.
func sortedCategories(cats []rules.Category) []rules.Category {
	var out []rules.Category
	for _, c := range rules.Categories() {
		if slices.Contains(cats, c) {
			out = append(out, c)
		}
	}
	return out
}
