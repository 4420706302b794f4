package dashboard

import (
	"net/http"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/cspsuggest"
	"github.com/portcullis/portcullis/store"
)

// SiteCSP is what the running configuration says of a site's
// Content-Security-Policy (Options.CSP).
type SiteCSP struct {
	// Enforced and ReportOnly are the policies shield sends
	// (shield.EffectiveCSP); "" for a header not sent.
	Enforced, ReportOnly string
	// Learn says shield sends its strict learning policy report-only,
	// on LearnSample of the HTML responses (a fraction, defaults
	// applied).
	Learn       bool
	LearnSample float64
	// Input is the site as cspsuggest sees it before anything is
	// observed (cspsuggest.SiteInput); the dashboard adds the site's CSP
	// reports from Options.Reports.
	Input cspsuggest.Input
}

// CSPResponse is GET /api/v1/sites/{site}/csp: the site's current policy
// beside the one its browsers' reports suggest.
type CSPResponse struct {
	Site    string     `json:"site"`
	Current CurrentCSP `json:"current"`
	// Suggestion is cspsuggest's, from the site's CSP violation reports
	// alone (nothing is crawled); null until a report was received.
	Suggestion *cspsuggest.Suggestion `json:"suggestion"`
}

// CurrentCSP is the policy a site sends now.
type CurrentCSP struct {
	Enforced    string  `json:"enforced"` // "" when CSP is off
	ReportOnly  string  `json:"report_only,omitempty"`
	Learn       bool    `json:"learn"`
	LearnSample float64 `json:"learn_sample,omitempty"`
	// Weaknesses are csp.Judge's verdict on the policies sent, as for
	// the suggestion's.
	Weaknesses []cspsuggest.Weakness `json:"weaknesses"`
}

// siteCSP builds the CSP view of the {site} of r: the current policy
// from Options.CSP, the suggestion from the store's reports. It makes
// no request.
func (d *Dashboard) siteCSP(r *http.Request) (CSPResponse, error) {
	name, err := d.siteName(r)
	if err != nil {
		return CSPResponse{}, err
	}
	if d.o.CSP == nil {
		return CSPResponse{}, errNotFound("this server does not describe its sites' policies")
	}
	if _, err := parseParams(r, d.o.Now()); err != nil {
		return CSPResponse{}, err
	}
	sc, err := d.o.CSP(name)
	if err != nil {
		return CSPResponse{}, err
	}
	out := CSPResponse{Site: name, Current: CurrentCSP{Enforced: sc.Enforced, ReportOnly: sc.ReportOnly,
		Learn: sc.Learn, LearnSample: sc.LearnSample, Weaknesses: judge(sc.Enforced, sc.ReportOnly)}}
	in := sc.Input
	in.Site = name
	if in.Reports, err = d.o.Reports(store.ReportQuery{Site: name, Type: "csp-violation", Limit: store.MaxLimit}); err != nil {
		return CSPResponse{}, err
	}
	if len(in.Reports) > 0 {
		out.Suggestion = cspsuggest.Suggest(in)
	}
	return out, nil
}

// judge is csp.Judge's verdict on the headers a site sends; never nil.
func judge(enforced, reportOnly string) []cspsuggest.Weakness {
	var e, ro []csp.Policy
	for _, h := range []struct {
		v  string
		to *[]csp.Policy
	}{{enforced, &e}, {reportOnly, &ro}} {
		if h.v == "" {
			continue
		}
		p, err := csp.Parse(h.v)
		if err != nil {
			return []cspsuggest.Weakness{{Rule: "csp.invalid", Message: err.Error()}}
		}
		*h.to = append(*h.to, p)
	}
	out := []cspsuggest.Weakness{}
	for _, w := range csp.Judge(e, ro) {
		out = append(out, cspsuggest.Weakness{Rule: w.Rule, Message: w.Message})
	}
	return out
}

// maxWhyShown bounds the reasons the page lists for one source; the
// JSON has them all.
const maxWhyShown = 5

// cspPage is the CSP page's data.
type cspPage struct {
	CSPResponse
	Sources []sourceView
}

// sourceView is a source of the suggestion with its first reasons.
type sourceView struct {
	Directive, Source string
	Shown             []cspsuggest.Evidence
	More              int // reasons not shown
}

func (d *Dashboard) cspPage(w http.ResponseWriter, r *http.Request) error {
	v, err := d.siteCSP(r)
	if err != nil {
		return err
	}
	data := cspPage{CSPResponse: v}
	if v.Suggestion != nil {
		for _, s := range v.Suggestion.Sources {
			n := min(len(s.Why), maxWhyShown)
			data.Sources = append(data.Sources, sourceView{Directive: s.Directive, Source: s.Source, Shown: s.Why[:n], More: len(s.Why) - n})
		}
	}
	return d.render(w, r, "csp", v.Site+": Content-Security-Policy", "sites", data)
}

func (d *Dashboard) apiCSP(r *http.Request) (any, error) { return d.siteCSP(r) }
