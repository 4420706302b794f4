package cdn

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/rules"
)

// Page is one response the audit fetched, for Cache.
type Page struct {
	URL    string
	Header http.Header
	// Sensitive marks a page the user named (--paths): a login or
	// account page, which no shared cache should keep.
	Sensitive bool
}

// cacheControl holds the Cache-Control directives that decide whether a
// shared cache may store a response (RFC 9111 §5.2.2).
type cacheControl struct {
	public, noStore, private, sMaxAge bool
	cookieHidden                      bool // private="Set-Cookie" or no-cache="Set-Cookie": the cookie is not reused
	maxAge                            int
}

func parseCacheControl(h http.Header) cacheControl {
	var cc cacheControl
	for _, field := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(field, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			arg = strings.Trim(strings.TrimSpace(arg), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "public":
				cc.public = true
			case "no-store":
				cc.noStore = true
			case "private":
				if arg == "" {
					cc.private = true
				} else if names(arg, "set-cookie") {
					cc.cookieHidden = true
				}
			case "no-cache":
				if names(arg, "set-cookie") {
					cc.cookieHidden = true
				}
			case "s-maxage":
				cc.sMaxAge = true
			case "max-age":
				if n, err := strconv.Atoi(arg); err == nil {
					cc.maxAge = n
				}
			}
		}
	}
	return cc
}

// names reports whether a qualified directive's field list names field.
func names(list, field string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(f), field) {
			return true
		}
	}
	return false
}

// Cache judges whether a shared cache (a CDN, a caching reverse proxy) may
// store p although it must not be shared (header.cache-shared-private):
//
//   - a response that sets a cookie and that Cache-Control lets shared
//     caches store (public, s-maxage, or max-age without private): high,
//     the next visitor may get the cookie;
//   - a response that sets a cookie without private or no-store, when
//     behindCache (a CDN or cache was seen, or an origin named): low,
//     whether it is shared is up to the cache's defaults;
//   - a sensitive page marked public or s-maxage: medium.
//
// Over HTTPS only caches the site itself runs can store responses, so
// without one seen, a cookie without Cache-Control is not reported.
func Cache(p Page, behindCache bool) []rules.Finding {
	cc := parseCacheControl(p.Header)
	if cc.noStore || cc.private {
		return nil
	}
	ev := "Cache-Control: " + strings.Join(p.Header.Values("Cache-Control"), ", ")
	if len(p.Header.Values("Cache-Control")) == 0 {
		ev = "no Cache-Control"
	}
	shared := cc.public || cc.sMaxAge || cc.maxAge > 0
	add := func(sev rules.Severity, format string, a ...any) []rules.Finding {
		f := rules.NewFinding("header.cache-shared-private", fmt.Sprintf(format, a...))
		f.Severity, f.Target, f.Evidence = sev, p.URL, rules.ClipEvidence(ev)
		return []rules.Finding{f}
	}
	if cookies := cookieNames(p.Header); len(cookies) > 0 && !cc.cookieHidden {
		ev += "; Set-Cookie: " + strings.Join(cookies, ", ") + " (values not shown)"
		switch {
		case shared:
			return add(rules.High, "the response sets %s and allows shared caches to store it, so a CDN may hand the cookie to other visitors", rules.ClipEvidence(strings.Join(cookies, ", ")))
		case behindCache:
			return add(rules.Low, "the response sets %s behind a shared cache without Cache-Control private or no-store: whether the cache keeps it is left to the cache's defaults", rules.ClipEvidence(strings.Join(cookies, ", ")))
		}
	}
	if p.Sensitive && (cc.public || cc.sMaxAge) {
		return add(rules.Medium, "a page named for review is marked for shared caches: a CDN may serve one visitor's copy to others")
	}
	return nil
}

// cookieNames are the names of the cookies a response sets, never their
// values.
func cookieNames(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Set-Cookie") {
		name, _, _ := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			name = "a nameless cookie"
		}
		out = append(out, name)
	}
	return out
}
