package securitytxt

import (
	"fmt"
	"slices"
)

// Severity ranks a Problem. Larger is worse, so p.Severity >= Warning selects
// warnings and errors. The zero value is not a valid severity.
type Severity int

// Severities, in increasing order.
const (
	// Info is advice; the file conforms.
	Info Severity = iota + 1
	// Warning breaks a SHOULD/RECOMMENDED of RFC 9116, or is a likely mistake.
	Warning
	// Error breaks a MUST of RFC 9116, or makes (part of) the file unusable.
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes s as its String form, e.g. for JSON reports.
func (s Severity) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// Problem codes. They are stable identifiers; see the package documentation
// for which function reports each and at what severity.
const (
	CodeTooLarge           = "too-large"           // input longer than MaxSize
	CodeBOM                = "bom"                 // byte order mark at start
	CodeNotUTF8            = "not-utf8"            // line is not valid UTF-8
	CodeControlChar        = "control-char"        // control character (e.g. NUL) in a line
	CodeLineInvalid        = "line-invalid"        // not a field, comment or blank line
	CodeWhitespace         = "whitespace"          // leading whitespace or before ':'
	CodeSpaceMissing       = "space-missing"       // no space after ':'
	CodeValueEmpty         = "value-empty"         // standard field with empty value
	CodeExpiresInvalid     = "expires-invalid"     // Expires not RFC 3339
	CodeExpiresDuplicate   = "expires-duplicate"   // Expires more than once
	CodeLangDuplicate      = "lang-duplicate"      // Preferred-Languages more than once
	CodeSignatureMalformed = "signature-malformed" // broken OpenPGP cleartext framing
	CodeContactMissing     = "contact-missing"     // no Contact
	CodeExpiresMissing     = "expires-missing"     // no Expires
	CodeExpired            = "expired"             // Expires not in the future
	CodeExpiresTooFar      = "expires-too-far"     // Expires more than a year ahead
	CodeURIInvalid         = "uri-invalid"         // not an absolute RFC 3986 URI
	CodeURINotHTTPS        = "uri-not-https"       // http:// where https:// is required
	CodeURIScheme          = "uri-scheme"          // scheme unusual for the field
	CodeLangInvalid        = "lang-invalid"        // not a BCP 47 language tag
	CodeValueInvalid       = "value-invalid"       // unrenderable characters in a value
	CodeExtensionInvalid   = "extension-invalid"   // bad extension name
	CodeFieldMisspelled    = "field-misspelled"    // "Acknowledgements"
	CodeCanonicalMismatch  = "canonical-mismatch"  // fetch URL not among Canonical
	CodeCanonicalMissing   = "canonical-missing"   // signed but no Canonical
	CodeNotHTTPS           = "not-https"           // fetched without HTTPS
	CodeLegacyPath         = "legacy-path"         // fetched from /security.txt
	CodeUnsigned           = "unsigned"            // no OpenPGP signature
	CodeURLInvalid         = "url-invalid"         // ValidateOptions.URL unusable
)

// Problem is one finding about a security.txt file.
type Problem struct {
	// Line is the 1-based source line, or 0 for the file as a whole (or a
	// File that was not parsed).
	Line int
	// Field is the field name concerned, or "" if none.
	Field string
	// Code is a stable kebab-case identifier, one of the Code* constants.
	Code string
	// Severity ranks the problem.
	Severity Severity
	// Message explains the problem in English.
	Message string
}

// String formats p as "line N: severity code (Field): message", omitting the
// line when it is 0 and the field when it is empty.
func (p Problem) String() string {
	s := ""
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: ", p.Line)
	}
	s += p.Severity.String() + " " + p.Code
	if p.Field != "" {
		s += " (" + p.Field + ")"
	}
	return s + ": " + p.Message
}

// sortProblems orders problems by line, file-level (line 0) first, keeping
// the relative order of problems on the same line.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Line - b.Line })
}
