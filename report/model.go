package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/cert"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/rules"
)

// notLive are catalog rules a live audit cannot observe.
var notLive = map[string]bool{"cert.key-permissions": true, "tls.weak-profile": true}

// evaluatedWith are rules of one category that another category's probe
// evaluates: forms posting to http:// are found by the page content
// analysis.
var evaluatedWith = map[string]rules.Category{"redirect.http-form-action": rules.Content}

// measureText phrases a category as a checklist item (what holds when it
// passes) and the benefit of the measure.
var measureText = map[rules.Category]struct{ check, benefit string }{
	rules.Redirect: {"HTTP requests are redirected to HTTPS",
		"Visitors who type the bare domain or follow an old http:// link are moved to an encrypted connection before anything sensitive is exchanged."},
	rules.HSTS: {"HTTPS is enforced with a valid HSTS header (a year's max-age, subdomains included)",
		"After the first visit browsers refuse plain HTTP for the site, which defeats SSL-stripping attacks on hostile networks."},
	rules.Cookies: {"Cookies have the Secure flag, HttpOnly where they hold a session, and SameSite",
		"Session cookies never travel over plain HTTP, cannot be read by injected scripts and are not sent on cross-site requests."},
	rules.Headers: {"Security headers are set (framing, nosniff, Referrer-Policy, cross-origin policies, Permissions-Policy)",
		"Other sites cannot frame the pages (clickjacking), browsers do not guess content types, URLs do not leak through the Referer header, and powerful browser features stay off."},
	rules.CSP: {"A Content Security Policy restricts scripts, plugins, base URIs and framing",
		"Injected markup cannot run script or load code from elsewhere, which turns most cross-site scripting bugs into harmless text."},
	rules.Permissions: {"The Permissions-Policy header is valid",
		"Browser features such as the camera, microphone and geolocation are restricted as intended."},
	rules.CORS: {"CORS grants no arbitrary or null origin access to responses",
		"Other websites cannot read the site's responses, authenticated ones included, through their visitors' browsers."},
	rules.SecurityTxt: {"A valid, current security.txt is published",
		"Security researchers know where and how to report a vulnerability, and that the contact is maintained."},
	rules.TLS: {"Only modern TLS versions and strong, forward-secret cipher suites are offered",
		"Recorded traffic cannot be decrypted later and connections cannot be downgraded to broken protocols."},
	rules.Certificate: {"The certificate is trusted, matches the host name, uses a strong key and is not about to expire",
		"Browsers connect without warnings, so visitors know they reached the real site and are not trained to click through errors."},
	rules.Content: {"Pages load no mixed content and cross-origin scripts carry Subresource Integrity",
		"Every resource a page loads is as well protected as the page itself."},
}

// checkText is the checklist phrase of a category.
func checkText(c rules.Category) string {
	if t, ok := measureText[c]; ok {
		return t.check
	}
	return "No " + c.Title() + " weakness was found"
}

// benefitText is the benefit of a category's measure ("" if unknown).
func benefitText(c rules.Category) string { return measureText[c].benefit }

// ruleOf returns the catalog rule named by id, or a rule carrying only the
// ID (and no category) for an ID the catalog lacks.
func ruleOf(id string) rules.Rule {
	if r, ok := rules.Get(id); ok {
		return r
	}
	return rules.Rule{ID: id}
}

// review is one target's report arranged as a security review; Markdown
// and HTML render it.
type review struct {
	Rep       audit.Report
	Audited   bool
	Counts    [5]int
	Measures  []measure
	Checklist []checkItem
	Findings  []sevGroup
	Recs      []recommendation
}

// measure is an implemented category.
type measure struct {
	Category rules.Category
	Title    string
	Check    string
	Benefit  string
	Observed []string        // what the audit saw of the measure (plain text, from the server)
	Passed   []rules.Rule    // evaluated rules of the category without a finding (above-info rules only)
	Notes    []rules.Finding // informational findings of the category
}

// checkItem is one line of the testing checklist.
type checkItem struct {
	Text     string
	OK       bool
	Failures []rules.Finding // findings above info, worst first
}

// sevGroup holds the findings of one severity, grouped by rule.
type sevGroup struct {
	Severity rules.Severity
	Rules    []ruleGroup
}

// ruleGroup is one rule's findings at one severity.
type ruleGroup struct {
	Rule      rules.Rule
	Instances []rules.Finding
}

// recommendation is one fix, for the rules that need it.
type recommendation struct {
	Severity rules.Severity // worst finding among the rules
	Fix      string
	Rules    []string
}

// evaluated returns the rules evaluated on r (see the package
// documentation): catalog rules of cats, then rules named by findings, in
// catalog order; rules the catalog lacks come last, by ID.
func evaluated(r audit.Report, cats []rules.Category) []rules.Rule {
	named := map[string]bool{}
	for _, f := range r.Findings {
		named[f.Rule] = true
	}
	var out []rules.Rule
	for _, rule := range rules.All() {
		cat := rule.Category
		if c, ok := evaluatedWith[rule.ID]; ok {
			cat = c
		}
		if (slices.Contains(cats, cat) && !notLive[rule.ID]) || named[rule.ID] {
			out = append(out, rule)
			delete(named, rule.ID)
		}
	}
	var unknown []string
	for id := range named {
		unknown = append(unknown, id)
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		out = append(out, rules.Rule{ID: id})
	}
	return out
}

// byRule indexes findings by rule ID, in their order.
func byRule(fs []rules.Finding) map[string][]rules.Finding {
	m := map[string][]rules.Finding{}
	for _, f := range fs {
		m[f.Rule] = append(m[f.Rule], f)
	}
	return m
}

// worst is the highest severity among fs (Info for none).
func worst(fs []rules.Finding) rules.Severity {
	s := rules.Info
	for _, f := range fs {
		s = max(s, f.Severity)
	}
	return s
}

// newReview arranges r for Markdown and HTML.
func newReview(r audit.Report, cats []rules.Category) review {
	v := review{Rep: r, Audited: Audited(r), Counts: sevCounts(r.Findings)}
	found := byRule(r.Findings)
	catOf := func(f rules.Finding) rules.Category { return ruleOf(f.Rule).Category }

	// Checklist and measures: the evaluated categories, plus any other
	// category with a finding above info.
	listed := slices.Clone(cats)
	for _, f := range r.Findings {
		if f.Severity > rules.Info && catOf(f) != "" {
			listed = append(listed, catOf(f))
		}
	}
	eval := evaluated(r, cats)
	if v.Audited {
		for _, c := range sortedCategories(listed) {
			item := checkItem{Text: checkText(c)}
			var notes []rules.Finding
			for _, f := range r.Findings {
				if catOf(f) != c {
					continue
				}
				if f.Severity > rules.Info {
					item.Failures = append(item.Failures, f)
				} else {
					notes = append(notes, f)
				}
			}
			slices.SortStableFunc(item.Failures, func(a, b rules.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
			item.OK = len(item.Failures) == 0
			v.Checklist = append(v.Checklist, item)
			if !item.OK {
				continue
			}
			m := measure{Category: c, Title: c.Title(), Check: checkText(c), Benefit: benefitText(c), Notes: notes, Observed: observedLines(c, r)}
			for _, rule := range eval {
				if rule.Category == c && rule.Severity > rules.Info && len(found[rule.ID]) == 0 {
					m.Passed = append(m.Passed, rule)
				}
			}
			v.Measures = append(v.Measures, m)
		}
	}

	// Findings by severity, then rule ID.
	for _, s := range severitiesDesc {
		g := sevGroup{Severity: s}
		idx := map[string]int{}
		for _, f := range r.Findings {
			if f.Severity != s {
				continue
			}
			i, ok := idx[f.Rule]
			if !ok {
				i = len(g.Rules)
				idx[f.Rule] = i
				g.Rules = append(g.Rules, ruleGroup{Rule: ruleOf(f.Rule)})
			}
			g.Rules[i].Instances = append(g.Rules[i].Instances, f)
		}
		slices.SortFunc(g.Rules, func(a, b ruleGroup) int { return cmp.Compare(a.Rule.ID, b.Rule.ID) })
		if len(g.Rules) > 0 {
			v.Findings = append(v.Findings, g)
		}
	}

	// Recommendations: the fixes of failed rules, worst first, one per
	// distinct fix.
	type failed struct {
		id  string
		sev rules.Severity
	}
	var fails []failed
	for id, fs := range found {
		if s := worst(fs); s > rules.Info {
			fails = append(fails, failed{id, s})
		}
	}
	slices.SortFunc(fails, func(a, b failed) int { return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(a.id, b.id)) })
	byFix := map[string]int{}
	for _, f := range fails {
		fix := ruleOf(f.id).Fix
		if fix == "" {
			continue
		}
		if i, ok := byFix[fix]; ok {
			v.Recs[i].Rules = append(v.Recs[i].Rules, f.id)
			continue
		}
		byFix[fix] = len(v.Recs)
		v.Recs = append(v.Recs, recommendation{Severity: f.sev, Fix: fix, Rules: []string{f.id}})
	}
	return v
}

// certLine describes a certificate on one line (untrusted text made
// visible): "names, key type, issuer, N days left, trusted".
func certLine(c *cert.Info) string {
	trusted := "trusted"
	if !c.Trusted {
		trusted = "NOT trusted"
	}
	return visible(strings.Join(c.Names, ",")) + ", " + visible(c.KeyType) + ", " + visible(c.Issuer) + ", " +
		strconv.Itoa(c.DaysLeft) + " days left, " + trusted
}

// letterOf is the grade letter to show: "-" when there is none.
func letterOf(g grade.Grade) string {
	if g.Letter == "" {
		return "-"
	}
	return g.Letter
}

// durationMS is d in whole milliseconds.
func durationMS(d time.Duration) int64 { return d.Milliseconds() }

// pointsLost are the deductions that cost points.
func pointsLost(g grade.Grade) []grade.Deduction {
	var out []grade.Deduction
	for _, d := range g.Deductions {
		if d.Points > 0 {
			out = append(out, d)
		}
	}
	return out
}
