package report

import (
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

// deploymentLines is what the audit saw of the deployment around the site
// (package audit's deploy.go), as observation lines of category c: the
// CDN beside the headers, CAA and the chain's pins beside the
// certificate, the origin under CDN and origin. Plain text; the caller
// escapes and clips.
func deploymentLines(c rules.Category, r audit.Report) []string {
	o := r.Observed
	if o == nil {
		return nil
	}
	var out []string
	switch c {
	case rules.Headers:
		if o.CDN != nil {
			out = append(out, "served through "+o.CDN.String())
		}
	case rules.Certificate:
		if l := caaLine(o); l != "" {
			out = append(out, l)
		}
		out = append(out, pinsLines(o)...)
	case rules.CDN:
		if g := o.Origin; g != nil {
			state := "no HTTPS answer"
			if g.TLS {
				state = fmt.Sprintf("HTTPS %d", g.Status)
				if g.Certificate != nil {
					state += ", certificate " + certLine(g.Certificate)
				}
			}
			out = append(out, "origin "+g.Address+": "+state)
			for _, p := range g.Problems {
				out = append(out, "origin certificate: "+p)
			}
			for _, h := range g.PlainHTTP {
				l := fmt.Sprintf("origin over plain HTTP: %s → %d", h.URL, h.Status)
				if h.Location != "" {
					l += " " + h.Location
				}
				out = append(out, l)
			}
			for _, d := range g.Differences {
				out = append(out, fmt.Sprintf("the edge %s %s (origin: %q; edge: %q)", d.Change(), d.Header, d.Origin, d.Edge))
			}
		}
	}
	return out
}

// caaLine describes the CAA lookup in one line ("" when there was none).
func caaLine(o *audit.Observed) string {
	c := o.CAA
	switch {
	case c == nil:
		return ""
	case c.Note != "":
		return "CAA: not applicable to " + c.Name + ", " + c.Note
	case len(c.Records) == 0:
		return "CAA: no record for " + c.Name + " or its parent domains"
	}
	rs := make([]string, len(c.Records))
	for i, rec := range c.Records {
		rs[i] = rec.String()
	}
	l := "CAA of " + c.Domain + ": " + strings.Join(rs, ", ")
	if len(c.IssuerIDs) > 0 {
		l += "; the certificate's CA: " + strings.Join(c.IssuerIDs, ", ")
	}
	return l
}

// pinsLines are the SPKI pins of the chain served, one line each.
func pinsLines(o *audit.Observed) []string {
	var out []string
	for _, p := range o.Pins {
		out = append(out, fmt.Sprintf("SPKI pin of the %s (%s): %s", p.Role, p.Subject, p.Pin))
	}
	return out
}

// deploymentText is the text report's lines on the deployment: the CDN,
// CAA, the pins, escaped for a terminal (the origin's findings say what
// matters about it).
func deploymentText(r audit.Report) []string {
	o := r.Observed
	if o == nil {
		return nil
	}
	var out []string
	if o.CDN != nil {
		out = append(out, "cdn: "+o.CDN.String())
	}
	if g := o.Origin; g != nil {
		out = append(out, fmt.Sprintf("origin: %s (%d security headers differ from the edge)", g.Address, len(g.Differences)))
	}
	if l := caaLine(o); l != "" {
		out = append(out, l)
	}
	for _, p := range o.Pins {
		out = append(out, fmt.Sprintf("pin (%s): %s  %s", p.Role, p.Pin, p.Subject))
	}
	for i, l := range out {
		out[i] = visible(l)
	}
	return out
}
