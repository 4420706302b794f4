// Package cdn judges what sits between browsers and a site's origin
// server: it recognises a CDN or caching proxy from response headers
// ([Detect]), compares the edge's security headers with the origin's
// ([Compare]) and finds responses a shared cache may store although they
// must not be shared ([Cache]). Pure functions, no network: package audit
// fetches the edge and, with --origin, the origin.
package cdn

import (
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/rules"
)

// Sign is one response header that shows a CDN or cache.
type Sign struct {
	CDN    string `json:"cdn"`    // "Cloudflare", "Fastly"…, or "cache" when the header names none
	Header string `json:"header"` // canonical header name
	Value  string `json:"value"`  // its value, clipped
}

// Edge is what Detect saw.
type Edge struct {
	// Name is the CDN recognised ("Cloudflare"), or "" when the headers
	// show only a cache or proxy of unknown make (Via, X-Cache, Age).
	Name  string `json:"name,omitempty"`
	Signs []Sign `json:"signs"`
}

// signature recognises one header of one CDN: any value when contains is
// empty, else a value containing it (case-insensitive).
type signature struct {
	cdn, header, contains string
}

// signatures are the headers CDNs add, from their documentation; most
// specific first. A CDN is named by the first that matches.
var signatures = []signature{
	{"Cloudflare", "Cf-Ray", ""},
	{"Cloudflare", "Cf-Cache-Status", ""},
	{"Cloudflare", "Server", "cloudflare"},
	{"Amazon CloudFront", "X-Amz-Cf-Id", ""},
	{"Amazon CloudFront", "X-Amz-Cf-Pop", ""},
	{"Amazon CloudFront", "Via", "cloudfront"},
	{"Amazon CloudFront", "X-Cache", "cloudfront"},
	{"Fastly", "X-Fastly-Request-Id", ""},
	{"Fastly", "Fastly-Debug-Digest", ""},
	{"Fastly", "X-Served-By", "cache-"},
	{"Akamai", "X-Akamai-Transformed", ""},
	{"Akamai", "X-Akamai-Request-Id", ""},
	{"Akamai", "X-Akamai-Staging", ""},
	{"Akamai", "Akamai-Grn", ""},
	{"Akamai", "Server", "akamaighost"},
	{"Akamai", "Server", "akamainetstorage"},
	{"Azure Front Door", "X-Azure-Ref", ""},
	{"Azure Front Door", "X-Msedge-Ref", ""},
	{"Google Cloud CDN", "Via", "google"},
	{"Vercel", "X-Vercel-Cache", ""},
	{"Vercel", "X-Vercel-Id", ""},
	{"Netlify", "X-Nf-Request-Id", ""},
	{"Netlify", "Server", "netlify"},
	{"Bunny CDN", "Server", "bunnycdn"},
	{"Bunny CDN", "Cdn-Pullzone", ""},
	{"KeyCDN", "Server", "keycdn"},
	{"Sucuri", "X-Sucuri-Id", ""},
	{"Imperva", "X-Iinfo", ""},
	{"Imperva", "X-Cdn", "incapsula"},
	{"Varnish", "X-Varnish", ""},
	{"Varnish", "Via", "varnish"},
	{"Squid", "Via", "squid"},
	{"Squid", "X-Cache", "squid"},
}

// genericHeaders show a cache or proxy of unknown make: Via (RFC 9110
// §7.6.3, added by every forwarding proxy), the cache-status headers, and
// Age (RFC 9111 §5.1: the response came from a cache).
var genericHeaders = []string{"Via", "X-Cache", "X-Cache-Status", "Cache-Status", "X-Proxy-Cache", "X-Served-By", "Age"}

// Detect recognises a CDN or cache from response headers; nil when the
// headers show none.
func Detect(h http.Header) *Edge {
	e := &Edge{}
	seen := map[string]bool{}
	for _, s := range signatures {
		v := h.Get(s.header)
		if v == "" || (s.contains != "" && !strings.Contains(strings.ToLower(v), s.contains)) {
			continue
		}
		if e.Name == "" {
			e.Name = s.cdn
		}
		if !seen[s.header] {
			seen[s.header] = true
			e.Signs = append(e.Signs, Sign{CDN: s.cdn, Header: s.header, Value: rules.ClipEvidence(v)})
		}
	}
	for _, name := range genericHeaders {
		if v := h.Get(name); v != "" && !seen[name] {
			seen[name] = true
			e.Signs = append(e.Signs, Sign{CDN: "cache", Header: name, Value: rules.ClipEvidence(v)})
		}
	}
	if len(e.Signs) == 0 {
		return nil
	}
	return e
}

// String describes the edge for people: "Fastly (X-Served-By: cache-…)".
func (e *Edge) String() string {
	name := e.Name
	if name == "" {
		name = "a cache or proxy"
	}
	var hs []string
	for _, s := range e.Signs {
		hs = append(hs, s.Header+": "+s.Value)
	}
	return name + " (" + strings.Join(hs, "; ") + ")"
}
