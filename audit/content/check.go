package content

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/rules"
)

// Rule IDs reported by Check.
const (
	RuleMixedActive  = "content.mixed-active"
	RuleMixedPassive = "content.mixed-passive"
	RuleSRIMissing   = "content.sri-missing"
	RuleFormAction   = "redirect.http-form-action"
)

// Issue is a finding with the URL and the line it is about.
type Issue struct {
	rules.Finding
	URL  string // the resource URL or form action
	Line int    // line of the element in the page
}

// Check judges a parsed page; see CheckDetailed.
func Check(p *Page) []rules.Finding {
	issues := CheckDetailed(p)
	if len(issues) == 0 {
		return nil
	}
	out := make([]rules.Finding, len(issues))
	for i, is := range issues {
		out[i] = is.Finding
	}
	return out
}

// CheckDetailed judges a parsed https:// page (it returns nothing for any
// other page, whose problem is its own transport):
//
//   - content.mixed-active for every http:// blockable resource,
//     content.mixed-passive for every http:// upgradeable one (see the
//     package documentation for the categories);
//   - content.sri-missing for every cross-origin <script src> and <link
//     rel=stylesheet> without an integrity attribute, or whose integrity
//     holds no well-formed sha256/sha384/sha512 hash (browsers then load
//     it unchecked);
//   - redirect.http-form-action for every form or formaction that submits
//     to an http:// URL.
//
// Resources and forms covered by an enforced upgrade-insecure-requests are
// reported with Info severity. Each finding has Target set to the page URL
// and Evidence "line N: <tag as written>". Issues are in document order,
// and a rule is reported once per URL (its first occurrence).
func CheckDetailed(p *Page) []Issue {
	if p == nil {
		return nil
	}
	pu, err := url.Parse(p.URL)
	if err != nil || pu.Scheme != "https" {
		return nil
	}
	normalizeHost(pu)
	c := &checker{page: p, origin: pu, seen: map[string]bool{}}
	rs, fs := p.Resources, p.Forms
	for i, j := 0, 0; i < len(rs) || j < len(fs); {
		if j == len(fs) || i < len(rs) && rs[i].Line <= fs[j].Line {
			c.resource(&rs[i])
			i++
		} else {
			c.form(&fs[j])
			j++
		}
	}
	return c.out
}

type checker struct {
	page   *Page
	origin *url.URL
	seen   map[string]bool
	out    []Issue
}

func (c *checker) add(rule, u string, line int, ev, msg string, info bool) {
	key := rule + "\x00" + u
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	f := rules.NewFinding(rule, msg)
	if info {
		f.Severity = rules.Info
	}
	f.Target = c.page.URL
	f.Evidence = fmt.Sprintf("line %d: %s", line, ev)
	c.out = append(c.out, Issue{Finding: f, URL: u, Line: line})
}

// describe names where a resource comes from: "<img srcset>", "<div
// style>", "<style>".
func describe(tag, attr string) string {
	if attr == "" {
		return "<" + tag + ">"
	}
	return fmt.Sprintf("<%s %s>", tag, attr)
}

const upgradedNote = "; upgrade-insecure-requests makes browsers use https:// instead, so it only works while that URL is served over HTTPS, and older browsers still use HTTP"

func (c *checker) resource(r *Resource) {
	if r.URL == "" {
		return
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return
	}
	what := describe(r.Tag, r.Attr)
	if insecure(u) {
		var rule, msg string
		if r.Active {
			rule = RuleMixedActive
			msg = fmt.Sprintf("%s loads %s %s over plain HTTP: blockable mixed content, which browsers refuse to load", what, r.Kind, r.URL)
			switch {
			case r.HasCrossOrigin && (r.Kind == KindImage || r.Kind == KindIcon || r.Kind == KindMedia):
				msg += " (a crossorigin request is never upgraded to HTTPS)"
			case r.Kind == KindImage:
				msg += " (images chosen through srcset or <picture> are never upgraded to HTTPS)"
			}
		} else {
			rule = RuleMixedPassive
			msg = fmt.Sprintf("%s loads %s %s over plain HTTP: upgradeable mixed content, which browsers rewrite to https:// and block if that fails", what, r.Kind, r.URL)
			if ipHost(u) {
				msg += "; its host is an IP address, which browsers do not upgrade, so they block it"
			}
		}
		if r.Upgraded {
			msg += upgradedNote
		}
		c.add(rule, r.URL, r.Line, r.Evidence, msg, r.Upgraded)
	}
	sri := r.Kind == KindScript && r.Tag == "script" && r.Attr == "src" || r.Kind == KindStylesheet && r.Tag == "link"
	if !sri || (u.Scheme != "http" && u.Scheme != "https") || sameOrigin(u, c.origin) {
		return
	}
	switch {
	case !r.HasIntegrity:
		c.add(RuleSRIMissing, r.URL, r.Line, r.Evidence,
			fmt.Sprintf("cross-origin %s %s has no integrity attribute", r.Kind, r.URL), false)
	default:
		if _, ok := parseIntegrity(r.Integrity); !ok {
			c.add(RuleSRIMissing, r.URL, r.Line, r.Evidence,
				fmt.Sprintf("cross-origin %s %s has integrity=%.80q, which holds no well-formed sha256-, sha384- or sha512- base64 hash, so browsers load it unchecked", r.Kind, r.URL, r.Integrity), false)
		}
	}
}

func (c *checker) form(f *Form) {
	if f.Action == "" {
		return
	}
	u, err := url.Parse(f.Action)
	if err != nil || !insecure(u) {
		return
	}
	msg := fmt.Sprintf("<%s %s> submits (%s) to %s over plain HTTP, in clear text", f.Tag, f.Attr, f.Method, f.Action)
	if c.page.UpgradeInsecure {
		msg += upgradedNote
	}
	c.add(RuleFormAction, f.Action, f.Line, f.Evidence, msg, c.page.UpgradeInsecure)
}

// sameOrigin compares scheme, host and port; both URLs are normalized
// (lower-case host, no default port).
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host)
}
