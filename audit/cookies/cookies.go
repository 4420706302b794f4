// Package cookies judges the Set-Cookie lines a live site sent, as
// `portcullis audit` sees them, against the catalog's cookie rules:
// Secure, HttpOnly for session-like cookies, SameSite, and the rules of
// the __Host- and __Secure- name prefixes. Parsing is package setcookie's,
// the same code that hardens cookies in shield.
package cookies

import (
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/setcookie"
)

// sessionHints are name fragments of cookies that carry a session or an
// authentication token, which scripts never need to read. CSRF cookies
// are left out on purpose: frameworks (Django's csrftoken, Angular's
// XSRF-TOKEN) let scripts read them.
var sessionHints = []string{"session", "sess", "sid", "auth", "token", "jwt", "login", "remember"}

// SessionLike reports whether a cookie name looks like a session or
// authentication cookie.
func SessionLike(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "csrf") || strings.Contains(n, "xsrf") {
		return false
	}
	for _, h := range sessionHints {
		if strings.Contains(n, h) {
			return true
		}
	}
	return false
}

// Check judges the Set-Cookie lines of the response to pageURL. https
// says whether the page was fetched over HTTPS. Each cookie is reported
// once per rule; a malformed line is skipped (browsers ignore it).
func Check(pageURL string, https bool, lines []string) []rules.Finding {
	var out []rules.Finding
	seen := map[string]bool{}
	add := func(id, name, line, format string, a ...any) {
		if seen[id+"\x00"+name] {
			return
		}
		seen[id+"\x00"+name] = true
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		f.Target, f.Evidence = pageURL, redact(line)
		out = append(out, f)
	}
	for _, line := range lines {
		c, err := setcookie.Parse(line)
		if err != nil {
			continue
		}
		r := setcookie.Check(line)
		if !c.Secure {
			why := "it is sent over plain HTTP too, where anyone on the path can read it"
			if !https {
				why = "and it was set over plain HTTP"
			}
			add("cookie.secure-missing", c.Name, line, "cookie %q has no Secure flag: %s", c.Name, why)
		}
		if !c.HTTPOnly && SessionLike(c.Name) {
			add("cookie.httponly-missing", c.Name, line, "cookie %q looks like a session cookie but has no HttpOnly flag: injected scripts can steal it", c.Name)
		}
		switch {
		case !c.HasSameSite:
			add("cookie.samesite-missing", c.Name, line, "cookie %q has no SameSite attribute: browsers differ in their default", c.Name)
		case r&setcookie.SameSiteInvalid != 0:
			add("cookie.samesite-missing", c.Name, line, "cookie %q has SameSite=%q, which browsers do not recognize", c.Name, c.SameSite)
		}
		if r&setcookie.SameSiteNoneWithoutSecure != 0 {
			add("cookie.samesite-none-insecure", c.Name, line, "cookie %q has SameSite=None without Secure: browsers reject it", c.Name)
		}
		if r&(setcookie.PrefixSecureViolation|setcookie.PrefixHostViolation) != 0 {
			add("cookie.prefix-invalid", c.Name, line, "cookie %q breaks the rules of its name prefix (__Host-: Secure, Path=/, no Domain; __Secure-: Secure): browsers reject it", c.Name)
		}
	}
	return out
}

// redact keeps a Set-Cookie line as evidence without its value, which may
// be a live session token.
func redact(line string) string {
	pair, attrs, _ := strings.Cut(line, ";")
	name, _, _ := strings.Cut(pair, "=")
	s := strings.TrimSpace(name) + "=…"
	if attrs != "" {
		s += ";" + attrs
	}
	return rules.ClipEvidence(s)
}
