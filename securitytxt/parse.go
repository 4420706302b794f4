package securitytxt

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSize is the largest input Parse reads, in bytes. Longer input is cut at
// the last line break before MaxSize and reported as too-large.
const MaxSize = 64 << 10

// OpenPGP cleartext signature framing lines (RFC 4880 section 7).
const (
	pgpBeginMessage   = "-----BEGIN PGP SIGNED MESSAGE-----"
	pgpBeginSignature = "-----BEGIN PGP SIGNATURE-----"
	pgpEndSignature   = "-----END PGP SIGNATURE-----"
)

// Parse reads a security.txt file. It never fails: it keeps everything it can
// use and reports the rest as problems with line numbers (see the package
// documentation for the codes). Field names are case-insensitive, lines may
// end in LF or CRLF, trailing whitespace is ignored, unknown fields become
// Extensions, and an OpenPGP cleartext signature is unwrapped (not verified).
// For Expires and Preferred-Languages only the first occurrence is kept.
// Problems are sorted by line, file-level ones (line 0) first.
//
// Parse does not judge values (URI syntax, expiry, language tags): Validate
// does, reporting the lines Parse recorded. Check runs both.
func Parse(data []byte) (*File, []Problem) {
	p := &parser{f: &File{lines: map[string][]int{}}}
	if len(data) > MaxSize {
		p.add(0, "", CodeTooLarge, Error, fmt.Sprintf(
			"input is %d bytes; only the first %d bytes (up to the last complete line) were read",
			len(data), MaxSize))
		data = data[:MaxSize]
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	if rest, ok := bytes.CutPrefix(data, []byte("\xEF\xBB\xBF")); ok {
		p.add(1, "", CodeBOM, Warning, "file starts with a UTF-8 byte order mark; it was ignored")
		data = rest
	}
	for _, l := range p.unwrap(p.split(data)) {
		p.line(l)
	}
	sortProblems(p.problems)
	return p.f, p.problems
}

// Check parses data and validates the result, returning the File and all
// problems sorted by line (file-level problems first).
func Check(data []byte, o ValidateOptions) (*File, []Problem) {
	f, ps := Parse(data)
	ps = append(ps, Validate(f, o)...)
	sortProblems(ps)
	return f, ps
}

// srcLine is one physical input line.
type srcLine struct {
	num  int    // 1-based line number
	text string // without line ending and trailing whitespace
	bad  bool   // invalid UTF-8 or control characters; already reported
}

type parser struct {
	f        *File
	problems []Problem
}

func (p *parser) add(line int, field, code string, sev Severity, msg string) {
	p.problems = append(p.problems, Problem{Line: line, Field: field, Code: code, Severity: sev, Message: msg})
}

// split cuts data into lines, strips "\r\n"/"\n" endings and trailing
// whitespace, and marks (and reports) lines with invalid UTF-8 or control
// characters.
func (p *parser) split(data []byte) []srcLine {
	var out []srcLine
	for n := 1; len(data) > 0; n++ {
		raw, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		l := srcLine{num: n, text: trimRightWSP(string(raw))}
		if !utf8.ValidString(l.text) {
			i := firstInvalidUTF8(l.text)
			p.add(n, "", CodeNotUTF8, Error, fmt.Sprintf("invalid UTF-8 at column %d (byte %#02x); line ignored", utf8.RuneCountInString(l.text[:i])+1, l.text[i]))
			l.bad = true
		} else if i := strings.IndexFunc(l.text, isControl); i >= 0 {
			c := l.text[i]
			what := fmt.Sprintf("control character %#02x", c)
			switch c {
			case 0:
				what = "NUL byte"
			case '\r':
				what = "carriage return not followed by a line feed"
			}
			p.add(n, "", CodeControlChar, Error, fmt.Sprintf("%s at column %d; line ignored", what, utf8.RuneCountInString(l.text[:i])+1))
			l.bad = true
		}
		out = append(out, l)
	}
	return out
}

// unwrap returns the lines that carry the file's content: all of them for an
// unsigned file, or the unescaped cleartext of an OpenPGP signed message.
func (p *parser) unwrap(ls []srcLine) []srcLine {
	begin := -1
	for i, l := range ls {
		if l.text == pgpBeginMessage {
			begin = i
			break
		}
	}
	if begin < 0 {
		return p.strayPGP(ls)
	}
	p.outside(ls[:begin], "before "+pgpBeginMessage)
	i := begin + 1
	for ; i < len(ls) && ls[i].text != ""; i++ {
		if l := ls[i]; !l.bad && !isArmorHeader(l.text) {
			p.add(l.num, "", CodeSignatureMalformed, Error, fmt.Sprintf("%q is not an armor header (\"Hash: ...\"); a blank line must end the headers", l.text))
		}
	}
	if i == len(ls) {
		p.add(ls[begin].num, "", CodeSignatureMalformed, Error, "signed message has no blank line after its armor headers, so no content")
		return nil
	}
	var body []srcLine
	for i++; i < len(ls) && ls[i].text != pgpBeginSignature; i++ {
		l := ls[i]
		if rest, ok := strings.CutPrefix(l.text, "- "); ok {
			l.text = rest
		} else if strings.HasPrefix(l.text, "-") {
			p.add(l.num, "", CodeSignatureMalformed, Error, "line starting with '-' inside the signed message is not dash-escaped (\"- \")")
		}
		body = append(body, l)
	}
	if i == len(ls) {
		p.add(ls[begin].num, "", CodeSignatureMalformed, Error, "signed message has no "+pgpBeginSignature+" line")
		return body
	}
	sig := i
	for ; i < len(ls) && ls[i].text != pgpEndSignature; i++ {
	}
	if i == len(ls) {
		p.add(ls[sig].num, "", CodeSignatureMalformed, Error, "signature block has no "+pgpEndSignature+" line")
		return body
	}
	p.outside(ls[i+1:], "after "+pgpEndSignature)
	p.f.Signed = true
	return body
}

// outside reports the first non-blank line of text that lies outside the
// signed message and is therefore ignored.
func (p *parser) outside(ls []srcLine, where string) {
	for _, l := range ls {
		if l.text != "" {
			p.add(l.num, "", CodeSignatureMalformed, Error, "text "+where+" is not covered by the signature; it was ignored")
			return
		}
	}
}

// strayPGP handles an unsigned file that contains signature block lines:
// they are reported and the block is dropped rather than parsed as fields.
func (p *parser) strayPGP(ls []srcLine) []srcLine {
	out := ls[:0:0]
	for i := 0; i < len(ls); i++ {
		if ls[i].text != pgpBeginSignature && ls[i].text != pgpEndSignature {
			out = append(out, ls[i])
			continue
		}
		p.add(ls[i].num, "", CodeSignatureMalformed, Error, fmt.Sprintf("%q without a preceding %s; signature block ignored", ls[i].text, pgpBeginMessage))
		if ls[i].text == pgpBeginSignature {
			for i+1 < len(ls) && ls[i].text != pgpEndSignature {
				i++
			}
		}
	}
	return out
}

// isArmorHeader reports whether s looks like an OpenPGP armor header "Key: value".
func isArmorHeader(s string) bool {
	k, _, ok := strings.Cut(s, ": ")
	return ok && validFieldName(k)
}

// line interprets one content line.
func (p *parser) line(l srcLine) {
	t := l.text
	if l.bad || t == "" {
		return
	}
	if t[0] == ' ' || t[0] == '\t' {
		p.add(l.num, "", CodeWhitespace, Warning, "line starts with whitespace")
		t = trimWSP(t)
	}
	if c, ok := strings.CutPrefix(t, "#"); ok {
		c, _ = strings.CutPrefix(c, " ")
		p.f.Comments = append(p.f.Comments, c)
		return
	}
	name, rest, ok := strings.Cut(t, ":")
	if !ok {
		p.add(l.num, "", CodeLineInvalid, Error, "expected \"Name: value\", a \"#\" comment or a blank line; line ignored")
		return
	}
	if n := trimRightWSP(name); n != name {
		p.add(l.num, n, CodeWhitespace, Warning, "whitespace between field name and ':'")
		name = n
	}
	if !validFieldName(name) {
		p.add(l.num, "", CodeLineInvalid, Error, fmt.Sprintf("invalid field name %q: it must be printable ASCII without spaces; line ignored", name))
		return
	}
	value := trimWSP(rest)
	if value != "" && !strings.HasPrefix(rest, " ") {
		p.add(l.num, name, CodeSpaceMissing, Warning, "expected a space after ':'")
	}
	p.field(l.num, name, value)
}

// field stores one "name: value" field found on line n.
func (p *parser) field(n int, name, value string) {
	f := p.f
	std := standardName(name)
	if std == "" {
		f.Extensions = append(f.Extensions, Field{Name: name, Value: value, Line: n})
		return
	}
	if std == FieldExpires || std == FieldPreferredLanguages {
		f.lines[std] = append(f.lines[std], n)
		if first := f.lines[std][0]; first != n {
			code := CodeExpiresDuplicate
			if std == FieldPreferredLanguages {
				code = CodeLangDuplicate
			}
			p.add(n, std, code, Error, fmt.Sprintf("%s must appear only once; already given on line %d, this one is ignored", std, first))
			return
		}
	}
	if value == "" {
		p.add(n, std, CodeValueEmpty, Error, fmt.Sprintf("%s has an empty value; field ignored", std))
		return
	}
	var dst *[]string
	switch std {
	case FieldExpires:
		t, err := parseTime(value)
		if err == nil && t.IsZero() {
			err = fmt.Errorf("%q is the zero time, which cannot be told apart from a missing Expires", value)
		}
		if err != nil {
			p.add(n, std, CodeExpiresInvalid, Error, err.Error())
			return
		}
		f.Expires = t
		return
	case FieldPreferredLanguages:
		for tag := range strings.SplitSeq(value, ",") {
			f.PreferredLanguages = append(f.PreferredLanguages, trimWSP(tag))
		}
		return
	case FieldContact:
		dst = &f.Contact
	case FieldEncryption:
		dst = &f.Encryption
	case FieldAcknowledgments:
		dst = &f.Acknowledgments
	case FieldPolicy:
		dst = &f.Policy
	case FieldHiring:
		dst = &f.Hiring
	case FieldCanonical:
		dst = &f.Canonical
	}
	*dst = append(*dst, value)
	f.lines[std] = append(f.lines[std], n)
}

// rfc3339 matches the RFC 3339 date-time grammar (section 5.6); ranges are
// checked by time.Parse.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`)

// parseTime parses an RFC 3339 date-time (accepting lowercase 't' and 'z',
// as RFC 3339 does) and returns it in UTC.
func parseTime(s string) (time.Time, error) {
	if !rfc3339.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time such as 2026-12-31T23:59:59Z", s)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid date-time: %v", s, err)
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q is in year %d in UTC, which RFC 3339 cannot express", s, y)
	}
	return t.UTC(), nil
}

// trimRightWSP removes trailing spaces and tabs.
func trimRightWSP(s string) string {
	return strings.TrimRight(s, " \t")
}

// firstInvalidUTF8 returns the byte offset of the first invalid UTF-8
// sequence in s, or -1 if s is valid.
func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
