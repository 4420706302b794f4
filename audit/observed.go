package audit

import (
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/audit/caa"
	"github.com/portcullis/portcullis/audit/cdn"
	"github.com/portcullis/portcullis/audit/redirects"
	"github.com/portcullis/portcullis/spki"
)

// Observed is what the audit saw of the measures themselves, for a report
// to show as the evidence behind each verified checklist item, and to say
// why an item could not be verified (a probe that failed, nothing to
// judge, a measure that does not apply). It never holds a cookie's value
// or a page's body.
type Observed struct {
	// Redirects is the chain that starts at http://host/ (empty when
	// plain HTTP did not answer).
	Redirects []redirects.Hop `json:"redirects,omitempty"`
	// PathRedirects are the chains that start at the plain-HTTP URL of
	// each extra page (Options.Paths), when plain HTTP answers.
	PathRedirects []Chain `json:"path_redirects,omitempty"`
	// Pages are the HTTPS pages requested, "/" first, in order.
	Pages []Page `json:"pages,omitempty"`
	// Headers are the security headers of https://host/, by canonical
	// name; several fields of one name are joined with ", ", except CSP
	// fields, which are separate policies, joined with " | ".
	Headers map[string]string `json:"headers,omitempty"`
	// Cookies are the cookies every fetched page set, with their
	// attributes.
	Cookies []Cookie `json:"cookies,omitempty"`
	// CORS are the answers to the CORS probes, in order.
	CORS []CORSAnswer `json:"cors,omitempty"`
	// SecurityTxt is what /.well-known/security.txt answered; nil when
	// it was not requested.
	SecurityTxt *SecurityTxt `json:"security_txt,omitempty"`
	// HSTSNotApplicable is set when the host is an IP address or a
	// localhost name, where HSTS is not the measure to judge (RFC 6797
	// section 8.1 for IP addresses; Chromium ignores it for localhost,
	// and Firefox and Safari would pin every local app to HTTPS).
	HSTSNotApplicable bool `json:"hsts_not_applicable,omitempty"`

	// The deployment around the site (deploy.go).

	// CDN is the CDN or cache the responses show (Via, CF-Ray, X-Cache…);
	// nil when they show none.
	CDN *cdn.Edge `json:"cdn,omitempty"`
	// Origin is what the origin server answered (Options.Origin); nil
	// when no origin was given.
	Origin *Origin `json:"origin,omitempty"`
	// CAA is the domain's CAA lookup; nil when it failed (see the
	// errors). Its note says why CAA does not apply to an IP address or
	// a reserved name.
	CAA *caa.Result `json:"caa,omitempty"`
	// Pins are the SPKI pins of the chain https://host/ served, leaf
	// first, then each issuer sent.
	Pins []spki.Key `json:"pins,omitempty"`
}

// Chain is the redirect chain that starts at one plain-HTTP URL.
type Chain struct {
	// Page is the path the chain starts at ("/login").
	Page string          `json:"page"`
	Hops []redirects.Hop `json:"hops"`
}

// Page is one HTTPS page the audit requested.
type Page struct {
	Path        string `json:"path"`
	Status      int    `json:"status,omitempty"`       // 0 when the request failed
	ContentType string `json:"content_type,omitempty"` // as the server sent it
	// HTML is set when the page was HTML and its content was judged
	// (mixed content, Subresource Integrity, forms).
	HTML  bool   `json:"html,omitempty"`
	Error string `json:"error,omitempty"` // why the request failed
}

// CORSAnswer is the answer to one CORS probe: a request with a foreign
// Origin.
type CORSAnswer struct {
	Origin           string `json:"origin"`                 // the Origin sent
	AllowOrigin      string `json:"allow_origin,omitempty"` // Access-Control-Allow-Origin, "" when absent
	AllowCredentials bool   `json:"allow_credentials"`      // Access-Control-Allow-Credentials: true
	Error            string `json:"error,omitempty"`        // why the request failed
}

// SecurityTxt is what the security.txt URL answered.
type SecurityTxt struct {
	URL         string   `json:"url"`
	Status      int      `json:"status,omitempty"`       // 0 when the request failed
	ContentType string   `json:"content_type,omitempty"` // as the server sent it
	Contact     []string `json:"contact,omitempty"`      // the file's Contact fields
	Expires     string   `json:"expires,omitempty"`      // its Expires field, RFC 3339
	Error       string   `json:"error,omitempty"`        // why the request failed
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
