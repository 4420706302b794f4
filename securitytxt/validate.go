package securitytxt

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portcullis/portcullis/internal/grammar"
)

// ValidateOptions says where and when a File is being judged.
type ValidateOptions struct {
	// URL is where the file was fetched from, e.g.
	// "https://example.com/.well-known/security.txt". It may be empty; if
	// set, it is checked for HTTPS and against the Canonical fields.
	URL string
	// Now is the time to check Expires against; the zero value means
	// time.Now().
	Now time.Time
}

// Validate checks f against RFC 9116 and returns its problems sorted by line
// (see the package documentation for the codes). If f came from Parse, the
// problems carry source line numbers, matched by position within each field's
// slice (so they are only accurate while the slices are unmodified). A nil f
// is treated as an empty File.
//
// Validate does not repeat what Parse reported: for example an Expires that
// Parse rejected as invalid is not also reported as missing.
func Validate(f *File, o ValidateOptions) []Problem {
	if f == nil {
		f = &File{}
	}
	v := &validator{f: f, now: o.Now}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	v.location(o.URL)
	if len(f.Contact) == 0 {
		v.add(0, FieldContact, CodeContactMissing, Error, "Contact is required: add at least one mailto:, tel: or https: URI")
	}
	v.expires()
	v.uris(FieldCanonical, f.Canonical, "https")
	v.uris(FieldContact, f.Contact, "mailto", "tel", "https")
	v.uris(FieldEncryption, f.Encryption, "https", "dns", "openpgp4fpr")
	v.uris(FieldPolicy, f.Policy, "https")
	v.uris(FieldAcknowledgments, f.Acknowledgments, "https")
	v.uris(FieldHiring, f.Hiring, "https")
	v.languages()
	v.extensions()
	for i, c := range f.Comments {
		if msg := badChars(c); msg != "" {
			v.add(0, "", CodeValueInvalid, Error, fmt.Sprintf("comment %d %s", i+1, msg))
		}
	}
	switch {
	case f.Signed && len(f.Canonical) == 0:
		v.add(0, FieldCanonical, CodeCanonicalMissing, Warning, "signed files SHOULD have a Canonical field so the signature cannot be replayed elsewhere")
	case !f.Signed:
		v.add(0, "", CodeUnsigned, Info, "file is not signed with an OpenPGP cleartext signature (RECOMMENDED by RFC 9116)")
	}
	sortProblems(v.problems)
	return v.problems
}

type validator struct {
	f        *File
	now      time.Time
	problems []Problem
}

func (v *validator) add(line int, field, code string, sev Severity, msg string) {
	v.problems = append(v.problems, Problem{Line: line, Field: field, Code: code, Severity: sev, Message: msg})
}

// line returns the source line of the i-th value of a standard field, or 0.
func (f *File) line(field string, i int) int {
	if ls := f.lines[field]; i < len(ls) {
		return ls[i]
	}
	return 0
}

// location checks the URL the file was fetched from.
func (v *validator) location(raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		v.add(0, "", CodeURLInvalid, Error, fmt.Sprintf("ValidateOptions.URL %q is not an absolute URL", raw))
		return
	}
	if !strings.EqualFold(u.Scheme, "https") {
		v.add(0, "", CodeNotHTTPS, Error, fmt.Sprintf("file was fetched over %s:, but RFC 9116 requires HTTPS", u.Scheme))
	}
	if u.EscapedPath() == "/security.txt" {
		v.add(0, "", CodeLegacyPath, Info, "file was fetched from /security.txt; RFC 9116 places it at /.well-known/security.txt")
	}
	if len(v.f.Canonical) > 0 && !slices.ContainsFunc(v.f.Canonical, func(c string) bool {
		cu, err := url.Parse(trimWSP(c))
		return err == nil && sameURL(u, cu)
	}) {
		v.add(v.f.line(FieldCanonical, 0), FieldCanonical, CodeCanonicalMismatch, Error,
			fmt.Sprintf("file was fetched from %s, which no Canonical field lists; its contents SHOULD NOT be trusted", raw))
	}
}

// sameURL compares two URLs ignoring scheme and host case, default ports, an
// empty versus "/" path, and fragments.
func sameURL(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && hostKey(a) == hostKey(b) &&
		pathKey(a) == pathKey(b) && a.RawQuery == b.RawQuery
}

func hostKey(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	scheme := strings.ToLower(u.Scheme)
	if port == "" || (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return host
	}
	return host + ":" + port
}

func pathKey(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// expires checks presence and range of Expires.
func (v *validator) expires() {
	e, line := v.f.Expires, v.f.line(FieldExpires, 0)
	switch {
	case e.IsZero():
		if line == 0 { // otherwise Parse already reported it
			v.add(0, FieldExpires, CodeExpiresMissing, Error, "Expires is required: add one RFC 3339 date-time less than a year ahead")
		}
	case e.UTC().Year() < 0 || e.UTC().Year() > 9999:
		v.add(line, FieldExpires, CodeExpiresInvalid, Error, fmt.Sprintf("year %d cannot be written as an RFC 3339 date-time", e.UTC().Year()))
	case !e.After(v.now):
		v.add(line, FieldExpires, CodeExpired, Error, fmt.Sprintf("file expired at %s; it must not be used after that", formatTime(e)))
	case e.After(v.now.AddDate(1, 0, 0)):
		v.add(line, FieldExpires, CodeExpiresTooFar, Warning, fmt.Sprintf("Expires %s is more than a year ahead; RFC 9116 recommends less, to avoid staleness", formatTime(e)))
	}
}

// uris checks the values of a URI-valued field; schemes lists the expected
// schemes, the first of which is used in messages.
func (v *validator) uris(field string, values []string, schemes ...string) {
	for i, val := range values {
		line := v.f.line(field, i)
		val = trimWSP(val)
		if msg := badChars(val); msg != "" {
			v.add(line, field, CodeValueInvalid, Error, "value "+msg)
			continue
		}
		if val == "" {
			v.add(line, field, CodeValueEmpty, Error, field+" value is empty")
			continue
		}
		scheme, err := checkURI(val)
		switch {
		case err != nil:
			v.add(line, field, CodeURIInvalid, Error, err.Error())
		case scheme == "http":
			v.add(line, field, CodeURINotHTTPS, Error, fmt.Sprintf("%q: web URIs in %s MUST begin with https://", val, field))
		case !slices.Contains(schemes, scheme):
			v.add(line, field, CodeURIScheme, Warning, fmt.Sprintf("%q: scheme %q is unusual for %s; expected %s:", val, scheme, field, strings.Join(schemes, ":, ")))
		}
	}
}

// languages checks Preferred-Languages.
func (v *validator) languages() {
	line := v.f.line(FieldPreferredLanguages, 0)
	for _, tag := range v.f.PreferredLanguages {
		tag = trimWSP(tag)
		switch {
		case tag == "":
			v.add(line, FieldPreferredLanguages, CodeLangInvalid, Error, "empty language tag (stray comma?)")
		case !validLangTag(tag):
			v.add(line, FieldPreferredLanguages, CodeLangInvalid, Error, fmt.Sprintf("%q is not a well-formed BCP 47 language tag such as en or pt-BR", tag))
		}
	}
}

// extensions checks extension field names and values.
func (v *validator) extensions() {
	for _, e := range v.f.Extensions {
		switch std := standardName(e.Name); {
		case !validFieldName(e.Name):
			v.add(e.Line, e.Name, CodeExtensionInvalid, Error, fmt.Sprintf("extension name %q is not a field name (printable ASCII, no spaces or ':'); it is not rendered", e.Name))
		case std != "":
			v.add(e.Line, e.Name, CodeExtensionInvalid, Error, fmt.Sprintf("extension %q is a standard field; set File.%s instead (it is not rendered)", e.Name, strings.ReplaceAll(std, "-", "")))
		case strings.EqualFold(e.Name, "Acknowledgements"):
			v.add(e.Line, e.Name, CodeFieldMisspelled, Info, "RFC 9116 spells this field \"Acknowledgments\"; as written it is an unknown field")
		}
		if msg := badChars(e.Value); msg != "" {
			v.add(e.Line, e.Name, CodeValueInvalid, Error, "value "+msg)
		}
	}
}

// badChars describes why s cannot be rendered on one line, or returns "".
func badChars(s string) string {
	if i := firstInvalidUTF8(s); i >= 0 {
		return fmt.Sprintf("contains invalid UTF-8 at byte %d", i)
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return fmt.Sprintf("contains control character %#02x at byte %d", s[i], i)
	}
	return ""
}

// checkURI checks that s is an absolute URI per RFC 3986 section 3 (ASCII
// only, valid percent-encodings, brackets only in the authority) and returns
// its lowercased scheme.
func checkURI(s string) (string, error) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return "", errors.New(missingScheme(s))
	}
	if !grammar.IsScheme(s[:colon]) {
		return "", fmt.Errorf("%q does not start with a valid URI scheme (letters, digits, '+', '-', '.' before ':')", s)
	}
	scheme, rest := strings.ToLower(s[:colon]), s[colon+1:]
	start, end := 0, 0 // bounds of the authority (host) in s, if any
	if strings.HasPrefix(rest, "//") {
		start = colon + 3
		end = start + strings.IndexAny(s[start:]+"/", "/?#")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", fmt.Errorf("%q contains a non-ASCII character at byte %d; percent-encode it", s, i)
		case c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			return "", fmt.Errorf("%q has a '%%' at byte %d not followed by two hex digits", s, i)
		case c != '%' && !uriChar(c):
			return "", fmt.Errorf("%q contains %q at byte %d, which is not allowed in a URI", s, c, i)
		}
	}
	if strings.ContainsAny(s[:start], "[]") || strings.ContainsAny(s[end:], "[]") {
		return "", fmt.Errorf("%q contains '[' or ']' outside the host", s)
	}
	if strings.Count(s, "#") > 1 {
		return "", fmt.Errorf("%q contains more than one '#'", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("%q is not a valid URI: %v", s, err)
	}
	switch {
	case (scheme == "https" || scheme == "http") && u.Host == "":
		return "", fmt.Errorf("%q has no host; write %s://host/path", s, scheme)
	case rest == "":
		return "", fmt.Errorf("%q has nothing after the scheme", s)
	}
	return scheme, nil
}

// missingScheme explains a value without a URI scheme, guessing what it is.
func missingScheme(s string) string {
	digits := 0
	phone := strings.IndexFunc(s, func(r rune) bool {
		if r >= '0' && r <= '9' {
			digits++
			return false
		}
		return !strings.ContainsRune("+-(). ", r)
	}) < 0
	switch {
	case strings.Contains(s, "@") && !strings.Contains(s, "/"):
		return fmt.Sprintf("%q is not a URI; write an email address as \"mailto:%s\"", s, s)
	case phone && digits >= 5:
		return fmt.Sprintf("%q is not a URI; write a phone number as a tel: URI such as \"tel:+1-201-555-0123\"", s)
	}
	return fmt.Sprintf("%q is not a URI: it has no scheme such as \"https:\"", s)
}

// uriChar reports whether c is an RFC 3986 unreserved, gen-delim or
// sub-delim character.
func uriChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// irregularTags are the RFC 5646 grandfathered tags that do not match the
// langtag production (the regular ones do).
var irregularTags = []string{
	"en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon",
	"i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu",
	"sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
}

// validLangTag reports whether tag is a well-formed RFC 5646 (BCP 47)
// language tag. It checks syntax only, not the subtag registry.
func validLangTag(tag string) bool {
	if slices.ContainsFunc(irregularTags, func(t string) bool { return strings.EqualFold(t, tag) }) {
		return true
	}
	parts := strings.Split(tag, "-")
	for _, p := range parts {
		if p == "" || len(p) > 8 || strings.IndexFunc(p, func(r rune) bool {
			return r >= utf8.RuneSelf || !isAlpha(byte(r)) && !isDigit(byte(r))
		}) >= 0 {
			return false
		}
	}
	alpha := func(p string, n ...int) bool {
		return slices.Contains(n, len(p)) && strings.IndexFunc(p, func(r rune) bool { return !isAlpha(byte(r)) }) < 0
	}
	digits := func(p string, n int) bool {
		return len(p) == n && strings.IndexFunc(p, func(r rune) bool { return !isDigit(byte(r)) }) < 0
	}
	isX := func(p string) bool { return p == "x" || p == "X" }
	if isX(parts[0]) { // privateuse
		return len(parts) > 1
	}
	if !alpha(parts[0], 2, 3, 4, 5, 6, 7, 8) { // language
		return false
	}
	i := 1
	if len(parts[0]) <= 3 { // up to three extlang subtags
		for n := 0; n < 3 && i < len(parts) && alpha(parts[i], 3); n++ {
			i++
		}
	}
	if i < len(parts) && alpha(parts[i], 4) { // script
		i++
	}
	if i < len(parts) && (alpha(parts[i], 2) || digits(parts[i], 3)) { // region
		i++
	}
	for i < len(parts) && (len(parts[i]) >= 5 || len(parts[i]) == 4 && isDigit(parts[i][0])) { // variants
		i++
	}
	for i < len(parts) && len(parts[i]) == 1 && !isX(parts[i]) { // extensions
		i++
		start := i
		for i < len(parts) && len(parts[i]) >= 2 {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(parts) && isX(parts[i]) { // privateuse
		return i+1 < len(parts)
	}
	return i == len(parts)
}
