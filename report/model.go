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
	rules.CDN: {"The origin behind the CDN answers only over HTTPS, with a valid certificate, and the edge passes its security headers on",
		"Traffic between the CDN and the origin cannot be read or altered on the way, the origin cannot be used to bypass the CDN, and browsers get the headers the origin sets."},
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
	Server    serverHint // the server recognised, whose remedies come first
	Measures  []measure
	Checklist []checkItem
	Checked   Counts // the checklist items by state
	Findings  []sevGroup
	Recs      []recommendation
	// Production are the considerations for production; Improvements the
	// open findings no recommendation covers (below medium severity, or
	// without a fix in the catalog).
	Production   []consideration
	Improvements []improvement
}

// measure is an implemented category: a verified checklist item.
type measure struct {
	Category rules.Category
	Title    string
	Check    string
	Benefit  string
	Observed []string        // what the audit saw of the measure (plain text, from the server)
	Passed   []rules.Rule    // evaluated rules of the category without a finding (above-info rules only)
	Notes    []rules.Finding // informational findings of the category
}

// checkItem is one line of the testing checklist: a category, verified
// (with its evidence), failed (with its findings) or not verified (with
// the reason).
type checkItem struct {
	Category rules.Category
	Text     string
	State    State
	Evidence []string        // what was observed (verified; also kept when failed)
	Reason   Reason          // not verified: why
	Detail   string          // not verified: the specifics (may come from the server)
	Failures []rules.Finding // failed: findings above info, worst first
	area     area            // what was observed of the category, whatever the state
}

// OK reports whether the item is verified.
func (c checkItem) OK() bool { return c.State == Verified }

// Why is a not-verified item's reason for people.
func (c checkItem) Why() string { return notVerifiedText(c.Reason, c.Detail) }

// checklist is the testing checklist of r: the categories evaluated (cats)
// and every other category with a finding above info, in display order.
// Every item of a target that could not be audited is not verified.
func checklist(r audit.Report, cats []rules.Category) []checkItem {
	catOf := func(f rules.Finding) rules.Category { return ruleOf(f.Rule).Category }
	listed := slices.Clone(cats)
	for _, f := range r.Findings {
		if f.Severity > rules.Info && catOf(f) != "" {
			listed = append(listed, catOf(f))
		}
	}
	var out []checkItem
	for _, c := range sortedCategories(listed) {
		item := checkItem{Category: c, Text: checkText(c), area: areaOf(r, c)}
		for _, f := range r.Findings {
			if catOf(f) == c && f.Severity > rules.Info {
				item.Failures = append(item.Failures, f)
			}
		}
		slices.SortStableFunc(item.Failures, func(a, b rules.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
		ar := item.area
		switch {
		case len(item.Failures) > 0:
			item.State, item.Evidence = Failed, ar.evidence
		case ar.observed:
			item.State, item.Evidence = Verified, ar.evidence
		default:
			item.State, item.Reason, item.Detail = NotVerified, ar.reason, ar.detail
		}
		out = append(out, item)
	}
	return out
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
	Remedies  []rules.Remedy // remediesFor the target's server
}

// recommendation is one fix, for the rules that need it.
type recommendation struct {
	Severity rules.Severity // worst finding among the rules
	Fix      string
	Rules    []string
}

// recommended is the lowest severity a recommendation is made for; open
// findings below it are potential improvements.
const recommended = rules.Medium

// improvement is one rule whose open findings no recommendation covers.
type improvement struct {
	Severity rules.Severity // worst finding of the rule
	Rule     rules.Rule
	Count    int            // its findings
	Remedies []rules.Remedy // remediesFor the target's server
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

// newReview arranges r for Markdown and HTML; m has its defaults.
func newReview(r audit.Report, m Meta) review {
	cats := m.Categories
	v := review{Rep: r, Audited: Audited(r), Counts: sevCounts(r.Findings), Server: serverOf(r)}
	found := byRule(r.Findings)

	// Checklist, and a measure for each verified item.
	v.Checklist = checklist(r, cats)
	v.Checked = countStates(v.Checklist)
	eval := evaluated(r, cats)
	for _, item := range v.Checklist {
		if item.State != Verified {
			continue
		}
		c := item.Category
		m := measure{Category: c, Title: c.Title(), Check: item.Text, Benefit: benefitText(c), Observed: item.Evidence}
		for _, f := range r.Findings {
			if ruleOf(f.Rule).Category == c && f.Severity == rules.Info {
				m.Notes = append(m.Notes, f)
			}
		}
		for _, rule := range eval {
			if ok, _ := ruleObserved(r, rule); rule.Category == c && rule.Severity > rules.Info && len(found[rule.ID]) == 0 && ok {
				m.Passed = append(m.Passed, rule)
			}
		}
		v.Measures = append(v.Measures, m)
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
				rule := ruleOf(f.Rule)
				g.Rules = append(g.Rules, ruleGroup{Rule: rule, Remedies: remediesFor(rule, v.Server.Server)})
			}
			g.Rules[i].Instances = append(g.Rules[i].Instances, f)
		}
		slices.SortFunc(g.Rules, func(a, b ruleGroup) int { return cmp.Compare(a.Rule.ID, b.Rule.ID) })
		if len(g.Rules) > 0 {
			v.Findings = append(v.Findings, g)
		}
	}

	// Recommendations: the fixes of the rules failed at medium severity
	// or above, worst first, one per distinct fix; every other open
	// finding is a potential improvement.
	type failed struct {
		id  string
		sev rules.Severity
	}
	var fails []failed
	for id, fs := range found {
		fails = append(fails, failed{id, worst(fs)})
	}
	slices.SortFunc(fails, func(a, b failed) int { return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(a.id, b.id)) })
	byFix := map[string]int{}
	for _, f := range fails {
		rule := ruleOf(f.id)
		fix := rule.Fix
		if fix == "" || f.sev < recommended {
			v.Improvements = append(v.Improvements, improvement{Severity: f.sev, Rule: rule, Count: len(found[f.id]), Remedies: remediesFor(rule, v.Server.Server)})
			continue
		}
		if i, ok := byFix[fix]; ok {
			v.Recs[i].Rules = append(v.Recs[i].Rules, f.id)
			continue
		}
		byFix[fix] = len(v.Recs)
		v.Recs = append(v.Recs, recommendation{Severity: f.sev, Fix: fix, Rules: []string{f.id}})
	}
	v.Production = production(r, m.Check)
	return v
}

// areaOf is what the audit observed of category c on r (nothing, for a
// target that could not be audited).
func areaOf(r audit.Report, c rules.Category) area {
	if !Audited(r) {
		return notAudited
	}
	return coverage(c, r)
}

// ruleObserved reports whether the area rule is judged on was observed
// on r, and if not, why: a rule without a finding passed only then.
func ruleObserved(r audit.Report, rule rules.Rule) (bool, string) {
	ar := areaOf(r, ruleArea(rule))
	if f, ok := ruleEvidence[rule.ID]; ok && ar.observed {
		ar = f(r)
	}
	return ar.observed, notVerifiedText(ar.reason, ar.detail)
}

// certLine describes a certificate on one line (untrusted text made
// visible): "names, key type, issuer, N days left, trusted"; a
// certificate without a subjectAltName, which browsers reject, says so
// instead of listing no name.
func certLine(c *cert.Info) string {
	trusted := "trusted"
	if !c.Trusted {
		trusted = "NOT trusted"
	}
	names := visible(strings.Join(c.Names, ","))
	switch {
	case len(c.Names) > 0:
	case c.Subject != "":
		names = "no subjectAltName (valid for no host name; browsers ignore the subject " + visible(c.Subject) + ")"
	default:
		names = "no subjectAltName (valid for no host name)"
	}
	return names + ", " + visible(c.KeyType) + ", " + visible(c.Issuer) + ", " +
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
