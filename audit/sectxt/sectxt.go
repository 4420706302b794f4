// Package sectxt judges a site's /.well-known/security.txt (RFC 9116), as
// `portcullis audit` fetched it, against the catalog's securitytxt rules.
// Parsing and validation are package securitytxt's; this package maps
// its problems to rules: the specific ones (expired, expiry too far,
// missing contact, Canonical mismatch, not HTTPS) to their own rule, and
// every other error or warning to securitytxt.invalid.
package sectxt

import (
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/securitytxt"
)

// Fetched is what the auditor got for the security.txt URL.
type Fetched struct {
	// URL is where the file was fetched from (after redirects).
	URL string
	// Status is the HTTP status; anything but 200 means no file.
	Status int
	// ContentType is the response's Content-Type.
	ContentType string
	// Body is the response body (bounded by the caller).
	Body []byte
}

// ruleFor maps securitytxt problem codes to catalog rules.
var ruleFor = map[string]string{
	securitytxt.CodeExpired:           "securitytxt.expired",
	securitytxt.CodeExpiresTooFar:     "securitytxt.expires-too-far",
	securitytxt.CodeContactMissing:    "securitytxt.contact-missing",
	securitytxt.CodeCanonicalMismatch: "securitytxt.canonical-mismatch",
	securitytxt.CodeNotHTTPS:          "securitytxt.not-https",
}

// Check judges the fetched file at time now. The findings' Target is the
// file's URL.
func Check(f Fetched, now time.Time) []rules.Finding {
	var out []rules.Finding
	add := func(id string, sev *rules.Severity, format string, a ...any) {
		fd := rules.NewFinding(id, fmt.Sprintf(format, a...))
		if sev != nil {
			fd.Severity = *sev
		}
		fd.Target = f.URL
		out = append(out, fd)
	}
	if f.Status != http.StatusOK {
		add("securitytxt.missing", nil, "no security.txt (status %d): researchers have no published way to report a vulnerability", f.Status)
		return out
	}
	// RFC 9116 requires text/plain; many applications answer every path
	// with their HTML page, which is not a security.txt at all.
	if mt, _, _ := mime.ParseMediaType(f.ContentType); f.ContentType != "" && mt != "text/plain" {
		add("securitytxt.missing", nil, "no security.txt: the URL answers with %s, not text/plain (RFC 9116 section 3)", mt)
		return out
	}
	_, problems := securitytxt.Check(f.Body, securitytxt.ValidateOptions{URL: f.URL, Now: now})
	for _, p := range problems {
		if p.Severity < securitytxt.Warning {
			continue // informational: unsigned, legacy path…
		}
		where := ""
		if p.Line > 0 {
			where = fmt.Sprintf("line %d: ", p.Line)
		}
		if id, ok := ruleFor[p.Code]; ok {
			add(id, nil, "%s%s", where, p.Message)
			continue
		}
		var sev *rules.Severity
		if p.Severity == securitytxt.Warning {
			info := rules.Info
			sev = &info
		}
		add("securitytxt.invalid", sev, "%s%s (%s)", where, p.Message, p.Code)
	}
	return out
}
