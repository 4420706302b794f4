package audit

import (
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/audit/redirects"
)

// Observed is what the audit saw of the measures themselves, for a report
// to show as the evidence behind each ticked item. It never holds a
// cookie's value or a page's body.
type Observed struct {
	// Redirects is the chain that starts at http://host/.
	Redirects []redirects.Hop `json:"redirects,omitempty"`
	// Headers are the security headers of https://host/, by canonical
	// name; several fields of one name are joined with ", ", except CSP
	// fields, which are separate policies, joined with " | ".
	Headers map[string]string `json:"headers,omitempty"`
	// Cookies are the cookies every fetched page set, with their
	// attributes.
	Cookies []Cookie `json:"cookies,omitempty"`
}

// Cookie is a cookie's name and attributes as a page set them.
type Cookie struct {
	Name     string `json:"name"`
	Page     string `json:"page"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Secure   bool   `json:"secure"`
	HTTPOnly bool   `json:"http_only"`
	SameSite string `json:"same_site,omitempty"` // "Strict", "Lax", "None" or "" (not set)
}

// observedHeaders are the response headers the report shows.
var observedHeaders = []string{
	"Strict-Transport-Security", "Content-Security-Policy", "Content-Security-Policy-Report-Only",
	"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
	"Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy",
	"X-Xss-Protection", "Server",
}

// securityHeaders picks the observed headers out of h.
func securityHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, name := range observedHeaders {
		vs := h.Values(name)
		if len(vs) == 0 {
			continue
		}
		sep := ", "
		if strings.HasPrefix(name, "Content-Security-Policy") {
			sep = " | "
		}
		out[name] = strings.Join(vs, sep)
	}
	return out
}

// observeCookies reads the Set-Cookie fields of page, dropping values and
// fields that do not parse (the cookie rules report those).
func observeCookies(page string, fields []string) []Cookie {
	var out []Cookie
	for _, f := range fields {
		c, err := http.ParseSetCookie(f)
		if err != nil {
			continue
		}
		ss := ""
		switch c.SameSite {
		case http.SameSiteStrictMode:
			ss = "Strict"
		case http.SameSiteLaxMode:
			ss = "Lax"
		case http.SameSiteNoneMode:
			ss = "None"
		}
		out = append(out, Cookie{Name: c.Name, Page: page, Path: c.Path, Domain: c.Domain, Secure: c.Secure, HTTPOnly: c.HttpOnly, SameSite: ss})
	}
	return out
}
