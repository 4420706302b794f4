package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/caa"
	"github.com/portcullis/portcullis/rules"
)

// State is what the audit established about one checklist item.
type State string

// The states of a checklist item.
const (
	// Verified: the measure was observed in place, and the item carries
	// the evidence.
	Verified State = "verified"
	// Failed: a finding above informational; the item names its rules.
	Failed State = "failed"
	// NotVerified: the audit could not observe the measure either way,
	// and the item says why.
	NotVerified State = "not-verified"
)

// Reason is why a checklist item was not verified.
type Reason string

// The reasons an item is not verified.
const (
	// NotFetched: the probe that shows the measure failed or did not run
	// (a timeout, no HTTPS, the target unreachable).
	NotFetched Reason = "not-fetched"
	// NothingToJudge: the probe ran but found nothing the rules apply to
	// (no page set a cookie, no page was HTML).
	NothingToJudge Reason = "nothing-to-judge"
	// NotApplicable: the measure does not apply to the target (HSTS for
	// an IP address or localhost, security.txt for a loopback host).
	NotApplicable Reason = "not-applicable"
)

// text is the reason in words: "not fetched".
func (r Reason) text() string { return strings.ReplaceAll(string(r), "-", " ") }

// Counts are the number of checklist items in each state.
type Counts struct {
	Verified    int `json:"verified"`
	Failed      int `json:"failed"`
	NotVerified int `json:"not_verified"`
}

// String is "7 verified, 1 failed, 2 not verified".
func (n Counts) String() string {
	return fmt.Sprintf("%d verified, %d failed, %d not verified", n.Verified, n.Failed, n.NotVerified)
}

// countStates counts items by state.
func countStates(items []checkItem) Counts {
	var n Counts
	for _, it := range items {
		switch it.State {
		case Verified:
			n.Verified++
		case Failed:
			n.Failed++
		default:
			n.NotVerified++
		}
	}
	return n
}

// area is what the audit observed of one category: the evidence when it
// observed it (whatever the verdict), else why it could not.
type area struct {
	observed bool
	evidence []string // plain text, from the server: renderers escape it
	reason   Reason
	detail   string // the specifics of the reason (may come from the server)
}

// seen is an observed area with its evidence.
func seen(lines []string) area { return area{observed: true, evidence: lines} }

// unseen is an area the audit could not observe.
func unseen(reason Reason, format string, a ...any) area {
	return area{reason: reason, detail: fmt.Sprintf(format, a...)}
}

// notAudited is the area of every category of a target that could not
// be audited.
var notAudited = area{reason: NotFetched, detail: "the target could not be audited (see errors)"}

// coverage is what r's audit observed of category c. A category this
// function does not know has no evidence; a new check that records its
// observations in audit.Observed adds its case here.
func coverage(c rules.Category, r audit.Report) area {
	o := r.Observed
	if o == nil {
		o = &audit.Observed{}
	}
	home := homePage(o)
	switch c {
	case rules.Redirect:
		if len(o.Redirects) > 0 {
			return seen(observedLines(c, r))
		}
		if f := firstFinding(r, "redirect.http-unreachable"); f != nil {
			return unseen(NotFetched, "%s", f.Message)
		}
		if e := errorWith(r, "GET http://"); e != "" {
			return unseen(NotFetched, "%s", e)
		}
		return unseen(NotFetched, "plain HTTP was not requested")
	case rules.HSTS:
		if o.HSTSNotApplicable {
			if f := firstFinding(r, "hsts.local-host"); f != nil {
				return unseen(NotApplicable, "%s", f.Message)
			}
			return unseen(NotApplicable, "browsers do not apply HSTS to an IP address (RFC 6797 section 8.1), and it is not wanted for a localhost name")
		}
		if home == nil {
			return httpsMissing(r, o)
		}
		return seen(observedLines(c, r))
	case rules.Headers, rules.CSP, rules.Permissions:
		if home == nil {
			return httpsMissing(r, o)
		}
		lines := observedLines(c, r)
		if len(lines) == 0 {
			lines = []string{pageLine(*home)}
		}
		return seen(lines)
	case rules.Cookies:
		if len(o.Cookies) > 0 {
			return seen(observedLines(c, r))
		}
		if paths := fetchedPaths(o); len(paths) > 0 {
			return unseen(NothingToJudge, "no fetched page set a cookie (%s)", strings.Join(paths, ", "))
		}
		return httpsMissing(r, o)
	case rules.CORS:
		for _, a := range o.CORS {
			if a.Error != "" {
				return unseen(NotFetched, "the CORS probe with Origin: %s failed: %s", a.Origin, a.Error)
			}
		}
		if len(o.CORS) > 0 {
			return seen(observedLines(c, r))
		}
		return httpsMissing(r, o)
	case rules.SecurityTxt:
		s := o.SecurityTxt
		switch {
		case s == nil:
			return httpsMissing(r, o)
		case s.Error != "":
			return unseen(NotFetched, "GET %s failed: %s", s.URL, s.Error)
		}
		if f := firstFinding(r, "securitytxt.missing"); f != nil {
			if f.Severity == rules.Info {
				return unseen(NotApplicable, "%s", f.Message)
			}
			return unseen(NothingToJudge, "%s", f.Message)
		}
		return seen(observedLines(c, r))
	case rules.TLS:
		switch {
		case r.TLS != nil && len(r.TLS.Versions) > 0:
			return seen(observedLines(c, r))
		case r.TLS != nil:
			return unseen(NotFetched, "the TLS enumeration found no protocol version the server accepts")
		}
		if firstFinding(r, "tls.no-https") != nil {
			return httpsMissing(r, o)
		}
		if e := errorWith(r, "TLS enumeration: "); e != "" {
			return unseen(NotFetched, "%s", e)
		}
		if home == nil {
			return httpsMissing(r, o)
		}
		return unseen(NotFetched, "the TLS enumeration did not run")
	case rules.Certificate:
		if r.Cert != nil {
			return seen(observedLines(c, r))
		}
		return httpsMissing(r, o)
	case rules.Content:
		var html []string
		for _, p := range o.Pages {
			if p.HTML {
				html = append(html, p.Path)
			}
		}
		if len(html) > 0 {
			return seen(observedLines(c, r))
		}
		var kinds []string
		for _, p := range o.Pages {
			if p.Error == "" {
				kinds = append(kinds, p.Path+": "+cmpOr(p.ContentType, "no Content-Type"))
			}
		}
		if len(kinds) > 0 {
			return unseen(NothingToJudge, "no fetched page is HTML (%s)", strings.Join(kinds, "; "))
		}
		return httpsMissing(r, o)
	case rules.CDN:
		if o.Origin != nil {
			return seen([]string{"origin " + o.Origin.Address + " asked for the site by its name"})
		}
		if e := errorWith(r, "origin "); e != "" {
			return unseen(NotFetched, "%s", e)
		}
		return unseen(NotApplicable, "no origin server was given (--origin), so none was compared with the edge")
	}
	return unseen(NotFetched, "the audit records no evidence for this area")
}

// ruleEvidence are the rules judged on other evidence than the rest of
// their category's: such a rule passes only when that evidence was
// observed.
var ruleEvidence = map[string]func(audit.Report) area{
	"cert.caa-missing":        caaArea,
	"cert.caa-mismatch":       caaArea,
	"cert.caa-unknown-issuer": caaArea,
}

// caaArea is what the audit observed of the domain's CAA records.
func caaArea(r audit.Report) area {
	var c *caa.Result
	if r.Observed != nil {
		c = r.Observed.CAA
	}
	switch {
	case c == nil:
		if e := errorWith(r, "CAA lookup: "); e != "" {
			return unseen(NotFetched, "%s", e)
		}
		return unseen(NotFetched, "the CAA records were not looked up")
	case c.Note != "":
		return unseen(NotApplicable, "%s", c.Note)
	}
	return seen(nil)
}

// httpsMissing is why an area judged on the HTTPS pages was not observed.
func httpsMissing(r audit.Report, o *audit.Observed) area {
	if f := firstFinding(r, "tls.no-https"); f != nil {
		return unseen(NotFetched, "the site is not served over HTTPS (tls.no-https)")
	}
	for _, p := range o.Pages {
		if p.Path == "/" && p.Error != "" {
			return unseen(NotFetched, "the HTTPS home page could not be fetched: %s", p.Error)
		}
	}
	return unseen(NotFetched, "the HTTPS home page was not fetched")
}

// homePage is the HTTPS home page when it was fetched.
func homePage(o *audit.Observed) *audit.Page {
	for i, p := range o.Pages {
		if p.Path == "/" && p.Error == "" {
			return &o.Pages[i]
		}
	}
	return nil
}

// fetchedPaths are the HTTPS pages that answered.
func fetchedPaths(o *audit.Observed) []string {
	var out []string
	for _, p := range o.Pages {
		if p.Error == "" {
			out = append(out, p.Path)
		}
	}
	return out
}

// pageLine describes a fetched page: "GET / → 200, text/html".
func pageLine(p audit.Page) string {
	return "GET " + p.Path + " → " + strconv.Itoa(p.Status) + ", " + cmpOr(p.ContentType, "no Content-Type")
}

// firstFinding is r's first finding of rule id, nil if none.
func firstFinding(r audit.Report, id string) *rules.Finding {
	i := slices.IndexFunc(r.Findings, func(f rules.Finding) bool { return f.Rule == id })
	if i < 0 {
		return nil
	}
	return &r.Findings[i]
}

// errorWith is r's first error that starts with prefix, "" if none.
func errorWith(r audit.Report, prefix string) string {
	for _, e := range r.Errors {
		if strings.HasPrefix(e, prefix) {
			return e
		}
	}
	return ""
}

// ruleArea is the category whose evidence a rule is judged on.
func ruleArea(rule rules.Rule) rules.Category {
	if c, ok := evaluatedWith[rule.ID]; ok {
		return c
	}
	return rule.Category
}

// notVerifiedText is an unverified item's reason for people: "not
// fetched: GET … failed: timeout".
func notVerifiedText(reason Reason, detail string) string {
	if detail == "" {
		return reason.text()
	}
	return reason.text() + ": " + detail
}
