package securitytxt

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// Standard field names as spelled in RFC 9116. Parsing matches them
// case-insensitively; Render writes them in this form.
const (
	FieldAcknowledgments    = "Acknowledgments"
	FieldCanonical          = "Canonical"
	FieldContact            = "Contact"
	FieldEncryption         = "Encryption"
	FieldExpires            = "Expires"
	FieldHiring             = "Hiring"
	FieldPolicy             = "Policy"
	FieldPreferredLanguages = "Preferred-Languages"
)

// File is the content of a security.txt file.
//
// The zero value is an empty (and invalid) file. Slices keep the order of
// the source; for Contact, the RFC gives that order the meaning of priority.
type File struct {
	// Contact lists how to report a vulnerability (mailto:, tel: or https:
	// URIs), most preferred first. At least one is required.
	Contact []string
	// Encryption lists URIs of keys for encrypted reports (https:, dns:,
	// openpgp4fpr:); never a key itself.
	Encryption []string
	// Acknowledgments lists https: URIs of pages crediting reporters.
	Acknowledgments []string
	// Policy lists https: URIs of vulnerability disclosure policies.
	Policy []string
	// Hiring lists https: URIs of security-related job openings.
	Hiring []string
	// Canonical lists the https: URIs this file is meant to be fetched from.
	Canonical []string
	// PreferredLanguages lists BCP 47 language tags, rendered as one
	// comma-separated Preferred-Languages field.
	PreferredLanguages []string
	// Expires is when the file becomes stale; required. The zero time means
	// absent. It is rendered in UTC.
	Expires time.Time
	// Extensions holds fields not defined by RFC 9116, in source order.
	Extensions []Field
	// Comments holds the text of "#" comment lines, without the "#" and one
	// following space. Render writes them all at the top of the file.
	Comments []string
	// Signed reports that Parse found a complete OpenPGP cleartext
	// signature framing. The signature is not verified. Render ignores it.
	Signed bool

	// lines maps a standard field name to the source line of each kept
	// value (Expires and Preferred-Languages: of each occurrence). Set only
	// by Parse; used by Validate to locate problems.
	lines map[string][]int
}

// Field is one "Name: value" line not defined by RFC 9116.
type Field struct {
	// Name is the field name as written in the source.
	Name string
	// Value is the field value without surrounding whitespace.
	Value string
	// Line is the 1-based source line, or 0 if the Field was not parsed.
	Line int
}

// Render returns f in security.txt syntax with LF line endings (RFC 9116
// allows CRLF or LF). Comments come first, then fields in the order of the
// RFC's examples: Canonical, Contact, Encryption, Policy, Acknowledgments,
// Hiring, Preferred-Languages (comma-joined), extensions, and Expires last
// (RFC 3339, UTC, "Z" suffix, fractional seconds only when non-zero).
//
// Render never emits a line break inside a line: control characters and
// invalid UTF-8 in values and comments become U+FFFD, values are trimmed,
// empty standard values are skipped, and extensions whose name is not a valid
// field name or is a standard field name are skipped. Validate reports all of
// these, so a File that validates renders faithfully. A nil File renders as nil.
func (f *File) Render() []byte {
	if f == nil {
		return nil
	}
	var b bytes.Buffer
	for _, c := range f.Comments {
		c = sanitize(c)
		if c == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + c + "\n")
		}
	}
	field := func(name, value string) {
		value = sanitize(trimWSP(value))
		if value == "" {
			b.WriteString(name + ":\n")
		} else {
			b.WriteString(name + ": " + value + "\n")
		}
	}
	list := func(name string, values []string) {
		for _, v := range values {
			if trimWSP(v) != "" {
				field(name, v)
			}
		}
	}
	list(FieldCanonical, f.Canonical)
	list(FieldContact, f.Contact)
	list(FieldEncryption, f.Encryption)
	list(FieldPolicy, f.Policy)
	list(FieldAcknowledgments, f.Acknowledgments)
	list(FieldHiring, f.Hiring)
	if len(f.PreferredLanguages) > 0 {
		tags := make([]string, len(f.PreferredLanguages))
		for i, t := range f.PreferredLanguages {
			tags[i] = trimWSP(t)
		}
		if v := strings.Join(tags, ", "); trimWSP(v) != "" {
			field(FieldPreferredLanguages, v)
		}
	}
	for _, e := range f.Extensions {
		if validFieldName(e.Name) && standardName(e.Name) == "" {
			field(e.Name, e.Value)
		}
	}
	if !f.Expires.IsZero() {
		field(FieldExpires, formatTime(f.Expires))
	}
	return b.Bytes()
}

// formatTime renders t as an RFC 3339 date-time in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// standardName returns the canonical spelling of a standard field name
// matched case-insensitively, or "" if name is not a standard field.
func standardName(name string) string {
	for _, s := range [...]string{FieldAcknowledgments, FieldCanonical, FieldContact,
		FieldEncryption, FieldExpires, FieldHiring, FieldPolicy, FieldPreferredLanguages} {
		if strings.EqualFold(name, s) {
			return s
		}
	}
	return ""
}

// validFieldName reports whether name is an RFC 5322 field-name: one or more
// printable US-ASCII characters other than ':'.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// trimWSP removes leading and trailing spaces and tabs (ABNF WSP).
func trimWSP(s string) string {
	return strings.Trim(s, " \t")
}

// isControl reports whether r is a control character not allowed in a line
// (everything below U+0020 except TAB, and DEL).
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f
}

// sanitize replaces invalid UTF-8 and control characters with U+FFFD.
func sanitize(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}
