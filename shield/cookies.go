package shield

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/setcookie"
)

// cookiePolicy hardens the Set-Cookie lines of a response.
type cookiePolicy struct {
	sameSite string
	httpOnly []string
}

func newCookiePolicy(c Cookies) (*cookiePolicy, error) {
	if c.Disable {
		return nil, nil
	}
	p := &cookiePolicy{httpOnly: c.HTTPOnly}
	if p.httpOnly == nil {
		p.httpOnly = DefaultSessionCookies
	}
	var errs problems
	switch c.SameSite {
	case 0, http.SameSiteDefaultMode, http.SameSiteLaxMode:
		p.sameSite = "Lax"
	case http.SameSiteStrictMode:
		p.sameSite = "Strict"
	case http.SameSiteNoneMode:
		p.sameSite = "None"
	default:
		errs.addf("Cookies.SameSite", "SameSite %d is not a SameSite mode", c.SameSite)
	}
	for _, n := range p.httpOnly {
		if n == "" || strings.ContainsAny(n, "=; \t\r\n,") {
			errs.addf("Cookies.HTTPOnly", "%q is not a cookie name", n)
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return p, nil
}

func (p *cookiePolicy) isSession(name string) bool {
	for _, n := range p.httpOnly {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// harden rewrites lines in place. Secure is added only when the client is
// on HTTPS: over plain HTTP the browser would drop a Secure cookie. Every
// line with a problem is an event naming it, under the catalog rule it
// breaks.
func (p *cookiePolicy) harden(w *writer, lines []string) {
	for i, line := range lines {
		name := setcookie.Name(line)
		pol := setcookie.Policy{Secure: w.secure, SameSite: p.sameSite, HTTPOnly: p.isSession(name)}
		out, res := setcookie.Harden(line, pol)
		lines[i] = out
		if res.Problem() {
			w.s.emit(w.r, EventCookieViolation, cookieRule(res),
				fmt.Sprintf("cookie %.64q: %s", name, res.Describe()))
		}
	}
}

// cookieRule is the catalog rule a cookie's problems break, the gravest
// first; "" for oddities no rule covers (a nameless cookie, say).
func cookieRule(r setcookie.Result) string {
	switch {
	case r&(setcookie.PrefixSecureViolation|setcookie.PrefixHostViolation) != 0:
		return "cookie.prefix-invalid"
	case r&setcookie.SameSiteNoneWithoutSecure != 0:
		return "cookie.samesite-none-insecure"
	case r&setcookie.SameSiteInvalid != 0:
		return "cookie.samesite-missing"
	case r&setcookie.PartitionedWithoutSecure != 0:
		return "cookie.secure-missing"
	}
	return ""
}
