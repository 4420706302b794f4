// Package rules is the catalog of every security property portcullis
// enforces (shield middleware), checks statically (portcullis check) or
// audits on a live site (portcullis audit).
//
// Each property is a [Rule] with a stable ID such as "hsts.missing", a
// default [Severity], a one-line title, a description of the risk, a fix and
// references, plus the Django deployment check (security.Wxxx/Exxx) it
// corresponds to, if any. Evaluators report what they observe as [Finding]
// values that name a rule by ID; the catalog supplies everything else.
//
// Rule IDs are part of the public interface (users silence or select them in
// configuration and CI), so an ID is never renamed or reused once published.
//
// Fix says what to achieve whatever the server; Remedies say how, per
// [Server]: the portcullis setting, and the nginx, Apache httpd, Caddy and
// Django equivalents where they exist.
//
// Title, Description, Fix and remedy texts are plain text in which
// backquotes mark code (header names, directive values); callers printing
// to a terminal may show them as they are. [Markdown] renders the catalog
// as docs/rules.md.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Severity ranks how serious a rule violation is. Values are ordered, so
// comparisons such as sev >= High work as expected. The zero value is Info.
type Severity int

// Severities, from least to most serious.
const (
	Info     Severity = iota // informational fact, not a weakness by itself
	Low                      // hardening gap with limited direct impact
	Medium                   // weakness that enables attacks under some conditions
	High                     // directly exploitable or breaks an essential protection
	Critical                 // immediate, broad compromise
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name ("info" … "critical"), or
// "Severity(N)" for a value outside the defined range.
func (s Severity) String() string {
	if s.valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

func (s Severity) valid() bool { return s >= Info && s <= Critical }

// MarshalText encodes s as its lower-case name. It fails for values outside
// the defined range, so an invalid severity never reaches a report silently.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("rules: cannot marshal invalid severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText decodes a severity name as accepted by [ParseSeverity].
func (s *Severity) UnmarshalText(text []byte) error {
	v, err := ParseSeverity(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses a severity name: "info", "low", "medium", "high" or
// "critical", case-insensitively (so "HIGH" from a command-line flag works).
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("rules: unknown severity %q (want one of %s)", name, strings.Join(severityNames[:], ", "))
}

// Category groups related rules; every rule ID starts with its category's
// prefix (for example "cookie." for [Category] "cookies").
type Category string

// Categories, in the order used by [All], [Categories] and the Markdown
// reference.
const (
	Hosts       Category = "hosts"
	Proxy       Category = "proxy"
	Redirect    Category = "redirect"
	HSTS        Category = "hsts"
	Cookies     Category = "cookies"
	Headers     Category = "headers"
	CSP         Category = "csp"
	Permissions Category = "permissions"
	CORS        Category = "cors"
	CSRF        Category = "csrf"
	SecurityTxt Category = "securitytxt"
	TLS         Category = "tls"
	Certificate Category = "certificate"
	Content     Category = "content"
	CDN         Category = "cdn"
)

// categoryDesc describes one category.
type categoryDesc struct {
	cat     Category
	prefix  string // rule IDs are prefix + "." + name
	title   string // heading in the Markdown reference
	summary string // one-line introduction
}

// categoryInfo describes each category, in display order.
var categoryInfo = []categoryDesc{
	{Hosts, "host", "Hosts", "Which `Host` header values the application answers to."},
	{Proxy, "proxy", "Trusted proxies and forwarding", "Which peers may set `X-Forwarded-*` and `Forwarded` headers, and which requests the edge passes on."},
	{Redirect, "redirect", "Redirects", "The HTTP-to-HTTPS redirect and the redirect chain to the final page."},
	{HSTS, "hsts", "HTTP Strict Transport Security", "The `Strict-Transport-Security` header and HSTS preloading."},
	{Cookies, "cookie", "Cookies", "Attributes of cookies set by the application."},
	{Headers, "header", "Security headers", "Framing, MIME sniffing, referrer, cross-origin isolation and other response headers."},
	{CSP, "csp", "Content Security Policy", "The `Content-Security-Policy` header and its directives."},
	{Permissions, "permissions", "Permissions Policy", "The `Permissions-Policy` header."},
	{CORS, "cors", "Cross-Origin Resource Sharing", "`Access-Control-Allow-*` response headers."},
	{CSRF, "csrf", "Cross-site request forgery", "Protection of state-changing requests against other origins."},
	{SecurityTxt, "securitytxt", "security.txt", "The RFC 9116 `/.well-known/security.txt` file."},
	{TLS, "tls", "TLS", "Protocol versions, cipher suites and key exchange."},
	{Certificate, "cert", "Certificates", "The server certificate, its chain and the private key file."},
	{Content, "content", "Page content", "Resources and forms referenced by HTML pages."},
	{CDN, "cdn", "CDN and origin", "The origin server behind a CDN or caching proxy, compared with the edge that browsers reach."},
}

// Categories returns all categories in display order.
func Categories() []Category {
	out := make([]Category, len(categoryInfo))
	for i, c := range categoryInfo {
		out[i] = c.cat
	}
	return out
}

// Title returns the human-readable name of the category, or the raw value
// for an unknown category.
func (c Category) Title() string {
	if i := c.index(); i >= 0 {
		return categoryInfo[i].title
	}
	return string(c)
}

// index returns the position of c in display order, or -1 if unknown.
func (c Category) index() int {
	return slices.IndexFunc(categoryInfo, func(d categoryDesc) bool { return d.cat == c })
}

// Rule describes one security property.
type Rule struct {
	ID          string   `json:"id"`          // stable kebab-case ID, "<prefix>.<name>"
	Category    Category `json:"category"`    // group the rule belongs to
	Severity    Severity `json:"severity"`    // default severity of a violation
	Title       string   `json:"title"`       // one line, no trailing period
	Description string   `json:"description"` // the risk, in one to three sentences
	Fix         string   `json:"fix"`         // what to achieve, whatever the server
	// Remedies say how each server achieves Fix, in [Servers] order: always
	// portcullis, the others only where the server has an equivalent.
	Remedies   []Remedy `json:"remedies,omitempty"`
	References []string `json:"references"`       // https URLs: RFCs, OWASP, MDN, ...
	Django     string   `json:"django,omitempty"` // matching Django check, e.g. "security.W004"
}

// clone returns a copy of r that shares no memory with the catalog.
func (r Rule) clone() Rule {
	r.References = slices.Clone(r.References)
	r.Remedies = slices.Clone(r.Remedies)
	return r
}

// Remedy returns r's remedy for server s, and whether there is one.
func (r Rule) Remedy(s Server) (Remedy, bool) {
	for _, m := range r.Remedies {
		if m.Server == s {
			return m, true
		}
	}
	return Remedy{}, false
}

// Server is a web server or framework a rule's remedy is written for.
type Server string

// Servers, in the order [Servers] and every rule's Remedies list them.
const (
	Portcullis Server = "portcullis"
	Nginx      Server = "nginx"
	Apache     Server = "apache" // Apache httpd
	Caddy      Server = "caddy"
	Django     Server = "django"
)

var serverTitles = []struct {
	s     Server
	title string
}{
	{Portcullis, "portcullis"}, {Nginx, "nginx"}, {Apache, "Apache httpd"}, {Caddy, "Caddy"}, {Django, "Django"},
}

// Servers returns every server remedies are written for, portcullis first.
func Servers() []Server {
	out := make([]Server, len(serverTitles))
	for i, t := range serverTitles {
		out[i] = t.s
	}
	return out
}

// Title is the server's name for people ("Apache httpd"), or the raw value
// for an unknown server.
func (s Server) Title() string {
	for _, t := range serverTitles {
		if t.s == s {
			return t.title
		}
	}
	return string(s)
}

// Remedy is how one server achieves a rule's Fix: for portcullis the
// configuration key and value (`[defaults.hsts] preload = true`), or
// "Default: …" when its default already does, or "Nothing to configure …"
// when the remedy lies elsewhere (DNS, the page); for the others the
// directive or setting. Text is a phrase, not a sentence: one line,
// backquotes around code, no trailing period.
type Remedy struct {
	Server Server `json:"server"`
	Text   string `json:"text"`
}

// sorted holds the catalog in [All] order; byID indexes it.
var (
	sorted = sortCatalog(catalog)
	byID   = indexCatalog(sorted)
)

func sortCatalog(rs []Rule) []Rule {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b Rule) int {
		if d := a.Category.index() - b.Category.index(); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func indexCatalog(rs []Rule) map[string]int {
	m := make(map[string]int, len(rs))
	for i, r := range rs {
		m[r.ID] = i
	}
	return m
}

// Get returns the rule with the given ID and whether it exists.
func Get(id string) (Rule, bool) {
	i, ok := byID[id]
	if !ok {
		return Rule{}, false
	}
	return sorted[i].clone(), true
}

// MustGet returns the rule with the given ID and panics if there is none.
// It is meant for package-level variables in evaluators, where an unknown ID
// is a programming error that should fail at start-up and in tests.
func MustGet(id string) Rule {
	r, ok := Get(id)
	if !ok {
		panic(fmt.Sprintf("rules: unknown rule ID %q", id))
	}
	return r
}

// All returns every rule, ordered by category (in [Categories] order) and
// then by ID. The result is a copy the caller may modify.
func All() []Rule {
	out := make([]Rule, len(sorted))
	for i, r := range sorted {
		out[i] = r.clone()
	}
	return out
}

// Finding is one observation about one target that violates a rule.
type Finding struct {
	Rule     string   `json:"rule"`               // rule ID
	Severity Severity `json:"severity"`           // usually the rule's; an evaluator may adjust it
	Message  string   `json:"message"`            // specific, e.g. "max-age=300 is below one year (31536000)"
	Evidence string   `json:"evidence,omitempty"` // optional raw evidence: header value, cookie line
	Target   string   `json:"target,omitempty"`   // optional: URL, config file:line, site name
}

// MaxEvidence is the length, in bytes, beyond which ClipEvidence cuts.
const MaxEvidence = 200

// ClipEvidence shortens raw evidence (a header value, a Set-Cookie line) to
// MaxEvidence bytes, cutting on a UTF-8 boundary and marking the cut with
// "…", so that a hostile site cannot flood a report.
func ClipEvidence(s string) string {
	if len(s) <= MaxEvidence {
		return s
	}
	cut := MaxEvidence
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// NewFinding returns a finding for rule id with the rule's default severity.
// Like [MustGet], it panics if id is not in the catalog.
func NewFinding(id, msg string) Finding {
	return Finding{Rule: id, Severity: MustGet(id).Severity, Message: msg}
}

// String formats the finding on one line:
// "[severity] rule: message (target)".
func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s: %s", f.Severity, f.Rule, f.Message)
	if f.Target != "" {
		s += " (" + f.Target + ")"
	}
	return s
}

// Status is the outcome of evaluating one rule against one target. The zero
// value is deliberately not a valid status, so a forgotten assignment is
// never mistaken for Pass.
type Status int

// Rule outcomes.
const (
	Pass    Status = iota + 1 // the rule is satisfied
	Fail                      // the rule is violated; see Result.Finding
	Skipped                   // the rule does not apply to this target
)

var statusNames = [...]string{Pass: "pass", Fail: "fail", Skipped: "skipped"}

// String returns "pass", "fail" or "skipped", or "Status(N)" for any other
// value.
func (s Status) String() string {
	if s.valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

func (s Status) valid() bool { return s >= Pass && s <= Skipped }

// MarshalText encodes s as its name; it fails for invalid values.
func (s Status) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("rules: cannot marshal invalid status %d", int(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText decodes "pass", "fail" or "skipped" (case-insensitively).
func (s *Status) UnmarshalText(text []byte) error {
	for v := Pass; v <= Skipped; v++ {
		if strings.EqualFold(string(text), statusNames[v]) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("rules: unknown status %q (want pass, fail or skipped)", text)
}

// Result records whether a target satisfies one rule, for reports that list
// passing and skipped rules as well as failures.
type Result struct {
	Rule    string   `json:"rule"`              // rule ID
	Status  Status   `json:"status"`            // Pass, Fail or Skipped
	Finding *Finding `json:"finding,omitempty"` // set when Status is Fail
}
