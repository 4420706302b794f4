package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/redirects"
	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/rules"
)

// observedLines is the evidence the audit saw of a category's measure, a
// line each, as plain text (the renderers escape it: every value comes
// from the audited server).
func observedLines(c rules.Category, r audit.Report) []string {
	o := r.Observed
	var out []string
	header := func(names ...string) {
		if o == nil {
			return
		}
		for _, n := range names {
			if v, ok := o.Headers[n]; ok {
				out = append(out, n+": "+v)
			}
		}
	}
	switch c {
	case rules.Redirect:
		if o != nil {
			chains := [][]redirects.Hop{o.Redirects}
			for _, c := range o.PathRedirects {
				chains = append(chains, c.Hops)
			}
			for _, hops := range chains {
				if len(hops) == 0 {
					continue
				}
				parts := []string{hops[0].URL}
				for _, h := range hops {
					parts = append(parts, fmt.Sprint(h.Status))
					if h.Location != "" {
						parts = append(parts, h.Location)
					}
				}
				out = append(out, strings.Join(parts, " → "))
			}
		}
	case rules.HSTS:
		header("Strict-Transport-Security")
	case rules.Headers:
		header("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
			"Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy")
	case rules.CSP:
		header("Content-Security-Policy", "Content-Security-Policy-Report-Only")
	case rules.Permissions:
		header("Permissions-Policy")
	case rules.Cookies:
		if o != nil {
			for _, ck := range o.Cookies {
				attrs := []string{}
				if ck.Secure {
					attrs = append(attrs, "Secure")
				}
				if ck.HTTPOnly {
					attrs = append(attrs, "HttpOnly")
				}
				if ck.SameSite != "" {
					attrs = append(attrs, "SameSite="+ck.SameSite)
				}
				if ck.Path != "" {
					attrs = append(attrs, "Path="+ck.Path)
				}
				if ck.Domain != "" {
					attrs = append(attrs, "Domain="+ck.Domain)
				}
				out = append(out, fmt.Sprintf("%s (set on %s): %s", ck.Name, ck.Page, strings.Join(attrs, "; ")))
			}
		}
	case rules.TLS:
		if t := r.TLS; t != nil && len(t.Versions) > 0 {
			vs := make([]string, len(t.Versions))
			for i, v := range t.Versions {
				vs[i] = v.String()
			}
			out = append(out, "protocols: "+strings.Join(vs, ", "))
			for _, v := range t.Versions {
				var names []string
				for _, id := range t.Suites[v] {
					if s, ok := tlsprobe.SuiteByID(id); ok {
						names = append(names, s.Name)
					} else {
						names = append(names, fmt.Sprintf("0x%04x", id))
					}
				}
				out = append(out, fmt.Sprintf("%s: %d suites: %s", v, len(names), strings.Join(names, ", ")))
			}
			alpn := "none"
			if len(t.ALPN) > 0 {
				alpn = strings.Join(t.ALPN, ", ")
			}
			out = append(out, fmt.Sprintf("ALPN: %s; OCSP stapling: %s; session resumption: %s", alpn, yesNo(t.OCSPStapling), yesNo(t.Resumption)))
		}
	case rules.Certificate:
		if r.Cert != nil {
			out = append(out, certLine(r.Cert))
		}
	case rules.CORS:
		if o != nil {
			for _, a := range o.CORS {
				switch {
				case a.Error != "":
				case a.AllowOrigin == "":
					out = append(out, "Origin: "+a.Origin+" → no Access-Control-Allow-Origin")
				default:
					out = append(out, fmt.Sprintf("Origin: %s → Access-Control-Allow-Origin: %s; Allow-Credentials: %v", a.Origin, a.AllowOrigin, a.AllowCredentials))
				}
			}
		}
	case rules.SecurityTxt:
		if o != nil && o.SecurityTxt != nil && o.SecurityTxt.Error == "" {
			s := o.SecurityTxt
			out = append(out, fmt.Sprintf("%s → %d, %s", s.URL, s.Status, cmpOr(s.ContentType, "no Content-Type")))
			for _, c := range s.Contact {
				out = append(out, "Contact: "+c)
			}
			if s.Expires != "" {
				out = append(out, "Expires: "+s.Expires)
			}
		}
	case rules.Content:
		if o != nil {
			var html []string
			for _, p := range o.Pages {
				if p.HTML {
					html = append(html, p.Path)
				}
			}
			if len(html) > 0 {
				out = append(out, "HTML read for mixed content, Subresource Integrity and form targets: "+strings.Join(html, ", "))
			}
		}
	}
	out = append(out, deploymentLines(c, r)...) // CDN, origin, CAA, pins (deployment.go)
	for i, l := range out {
		out[i] = rules.ClipEvidence(visible(l)) // a CSP or a suite list can be long
	}
	return slices.Clip(out)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
