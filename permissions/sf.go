package permissions

import (
	"fmt"

	"github.com/portcullis/portcullis/internal/grammar"
)

// This file is a strict parser for RFC 8941 Dictionaries. It keeps every
// value's kind and text so that the Permissions-Policy layer can decide what
// to make of it; values it has no use for (numbers, byte sequences,
// booleans) are validated but not decoded.
//
// RFC 9651 (which obsoletes RFC 8941) adds Dates ('@') and Display Strings
// ('%'); they are rejected here on purpose, because browsers that implement
// Permissions-Policy with an RFC 8941 parser discard the whole header when
// they meet one.

// SyntaxError reports input that is not a valid RFC 8941 Dictionary.
// Browsers ignore the entire Permissions-Policy header in that case.
type SyntaxError struct {
	Offset int    // byte offset in the input
	Msg    string // what was expected or found there
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("permissions: syntax error at offset %d: %s", e.Offset, e.Msg)
}

type itemKind uint8

const (
	kindInteger itemKind = iota + 1
	kindDecimal
	kindString
	kindToken
	kindBytes
	kindBoolean
)

func (k itemKind) String() string {
	switch k {
	case kindInteger:
		return "integer"
	case kindDecimal:
		return "decimal"
	case kindString:
		return "string"
	case kindToken:
		return "token"
	case kindBytes:
		return "byte sequence"
	case kindBoolean:
		return "boolean"
	}
	return "unknown"
}

// bareItem is a parsed RFC 8941 bare item. val is the token, the unescaped
// string, or the source text of other kinds.
type bareItem struct {
	kind itemKind
	val  string
	off  int
}

type param struct {
	key string
	val bareItem
	off int
}

type item struct {
	bare   bareItem
	params []param
}

// member is one dictionary member: an inner list, or a single item (which
// is a Boolean true for a key without "=").
type member struct {
	key     string
	off     int
	inner   bool
	noValue bool    // the key had no "=value" (its value is Boolean true)
	items   []item  // the inner list's items, or exactly one item
	params  []param // parameters of the inner list or of the single item
}

type sfParser struct {
	s   string
	pos int
}

func (p *sfParser) errorf(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// found describes the byte at the current position for error messages.
func (p *sfParser) found() string {
	if p.pos >= len(p.s) {
		return "end of input"
	}
	return grammar.DescribeByte(p.s[p.pos])
}

func (p *sfParser) skipSP() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *sfParser) skipOWS() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// parseDictionaryField parses a whole field value as a Dictionary (RFC 8941
// sections 4.2 and 4.2.2). Members are returned in order of first
// appearance; a repeated key keeps its position and takes the later value.
// overwritten lists, for each repeated key, the offset of the later
// occurrence.
func parseDictionaryField(s string) (members []member, overwritten []member, err error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, nil, &SyntaxError{Offset: i, Msg: fmt.Sprintf("non-ASCII byte 0x%02x (structured fields are ASCII only)", s[i])}
		}
	}
	p := &sfParser{s: s}
	p.skipSP()
	index := map[string]int{}
	for p.pos < len(p.s) {
		m, err := p.parseMember()
		if err != nil {
			return nil, nil, err
		}
		if i, dup := index[m.key]; dup {
			overwritten = append(overwritten, m)
			members[i] = m
		} else {
			index[m.key] = len(members)
			members = append(members, m)
		}
		p.skipOWS()
		if p.pos >= len(p.s) {
			break
		}
		if p.s[p.pos] != ',' {
			return nil, nil, p.errorf(p.pos, "expected ',' after member %q, found %s", m.key, p.found())
		}
		p.pos++
		p.skipOWS()
		if p.pos >= len(p.s) {
			return nil, nil, p.errorf(p.pos, "trailing ',' after the last member")
		}
	}
	return members, overwritten, nil
}

func (p *sfParser) parseMember() (member, error) {
	m := member{off: p.pos}
	key, err := p.parseKey("a feature name")
	if err != nil {
		return m, err
	}
	m.key = key
	if p.pos < len(p.s) && p.s[p.pos] == '=' {
		p.pos++
		if p.pos < len(p.s) && p.s[p.pos] == '(' {
			m.inner = true
			m.items, m.params, err = p.parseInnerList()
			return m, err
		}
		it, err := p.parseItem()
		m.items, m.params = []item{it}, it.params
		return m, err
	}
	params, err := p.parseParameters()
	m.noValue = true
	m.items = []item{{bare: bareItem{kind: kindBoolean, val: "?1", off: m.off}, params: params}}
	m.params = params
	return m, err
}

// parseKey parses an sf-key; what names the expected thing for errors.
func (p *sfParser) parseKey(what string) (string, error) {
	start := p.pos
	if p.pos >= len(p.s) || !isKeyStart(p.s[p.pos]) {
		return "", p.errorf(p.pos, "expected %s (starting with a lowercase letter or '*'), found %s", what, p.found())
	}
	p.pos++
	for p.pos < len(p.s) && isKeyChar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos], nil
}

func (p *sfParser) parseInnerList() ([]item, []param, error) {
	open := p.pos
	p.pos++ // '('
	items := []item{}
	for {
		p.skipSP()
		if p.pos >= len(p.s) {
			return nil, nil, p.errorf(p.pos, "inner list opened at offset %d is not closed with ')'", open)
		}
		if p.s[p.pos] == ')' {
			p.pos++
			params, err := p.parseParameters()
			return items, params, err
		}
		it, err := p.parseItem()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		if p.pos >= len(p.s) {
			return nil, nil, p.errorf(p.pos, "inner list opened at offset %d is not closed with ')'", open)
		}
		if c := p.s[p.pos]; c != ' ' && c != ')' {
			return nil, nil, p.errorf(p.pos, "expected a space or ')' after an inner-list item, found %s", p.found())
		}
	}
}

func (p *sfParser) parseItem() (item, error) {
	bare, err := p.parseBareItem()
	if err != nil {
		return item{}, err
	}
	params, err := p.parseParameters()
	return item{bare: bare, params: params}, err
}

func (p *sfParser) parseParameters() ([]param, error) {
	var params []param
	for p.pos < len(p.s) && p.s[p.pos] == ';' {
		p.pos++
		p.skipSP()
		off := p.pos
		key, err := p.parseKey("a parameter name")
		if err != nil {
			return nil, err
		}
		val := bareItem{kind: kindBoolean, val: "?1", off: off}
		if p.pos < len(p.s) && p.s[p.pos] == '=' {
			p.pos++
			if val, err = p.parseBareItem(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for i := range params {
			if params[i].key == key {
				params[i].val, replaced = val, true
			}
		}
		if !replaced {
			params = append(params, param{key: key, val: val, off: off})
		}
	}
	return params, nil
}

func (p *sfParser) parseBareItem() (bareItem, error) {
	if p.pos >= len(p.s) {
		return bareItem{}, p.errorf(p.pos, "expected a value, found end of input")
	}
	switch c := p.s[p.pos]; {
	case c == '-' || isDigit(c):
		return p.parseNumber()
	case c == '"':
		return p.parseString()
	case isAlpha(c) || c == '*':
		return p.parseToken(), nil
	case c == ':':
		return p.parseByteSequence()
	case c == '?':
		return p.parseBoolean()
	case c == '\'':
		return bareItem{}, p.errorf(p.pos, "found \"'\": structured fields have no single-quoted values (write self, not 'self'; origins in double quotes)")
	case c == '@' || c == '%':
		return bareItem{}, p.errorf(p.pos, "found %q: RFC 9651 dates and display strings are not RFC 8941 values", c)
	}
	return bareItem{}, p.errorf(p.pos, "expected a value (token, string, number, byte sequence or boolean), found %s", p.found())
}

// parseNumber follows RFC 8941 section 4.2.4.
func (p *sfParser) parseNumber() (bareItem, error) {
	start := p.pos
	kind := kindInteger
	if p.s[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.s) || !isDigit(p.s[p.pos]) {
		return bareItem{}, p.errorf(p.pos, "expected a digit, found %s", p.found())
	}
	numStart, dot := p.pos, -1
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if isDigit(c) {
			p.pos++
		} else if kind == kindInteger && c == '.' {
			if p.pos-numStart > 12 {
				return bareItem{}, p.errorf(start, "decimal has more than 12 integer digits")
			}
			kind, dot = kindDecimal, p.pos
			p.pos++
		} else {
			break
		}
		if kind == kindInteger && p.pos-numStart > 15 {
			return bareItem{}, p.errorf(start, "integer has more than 15 digits")
		}
		if kind == kindDecimal && p.pos-numStart > 16 {
			return bareItem{}, p.errorf(start, "decimal is longer than 16 characters")
		}
	}
	if kind == kindDecimal {
		if frac := p.pos - dot - 1; frac == 0 {
			return bareItem{}, p.errorf(dot, "decimal ends with '.'")
		} else if frac > 3 {
			return bareItem{}, p.errorf(dot, "decimal has more than 3 fractional digits")
		}
	}
	return bareItem{kind: kind, val: p.s[start:p.pos], off: start}, nil
}

// parseString follows RFC 8941 section 4.2.5.
func (p *sfParser) parseString() (bareItem, error) {
	start := p.pos
	p.pos++ // '"'
	var buf []byte
	plain := p.pos // start of the current unescaped run
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '\\':
			buf = append(buf, p.s[plain:p.pos]...)
			p.pos++
			if p.pos >= len(p.s) {
				return bareItem{}, p.errorf(p.pos, "string ends in the middle of an escape")
			}
			if e := p.s[p.pos]; e != '"' && e != '\\' {
				return bareItem{}, p.errorf(p.pos-1, "invalid escape \\%c in string (only \\\" and \\\\ are allowed)", e)
			}
			buf = append(buf, p.s[p.pos])
			p.pos++
			plain = p.pos
		case c == '"':
			var val string
			if buf == nil {
				val = p.s[plain:p.pos]
			} else {
				val = string(append(buf, p.s[plain:p.pos]...))
			}
			p.pos++
			return bareItem{kind: kindString, val: val, off: start}, nil
		case c < 0x20 || c == 0x7f:
			return bareItem{}, p.errorf(p.pos, "%s is not allowed in a string", grammar.DescribeByte(c))
		default:
			p.pos++
		}
	}
	return bareItem{}, p.errorf(start, "string is not closed with '\"'")
}

// parseToken follows RFC 8941 section 4.2.6; the first character has been
// checked by the caller.
func (p *sfParser) parseToken() bareItem {
	start := p.pos
	p.pos++
	for p.pos < len(p.s) {
		if c := p.s[p.pos]; !grammar.IsTchar(c) && c != ':' && c != '/' {
			break
		}
		p.pos++
	}
	return bareItem{kind: kindToken, val: p.s[start:p.pos], off: start}
}

// parseByteSequence follows RFC 8941 section 4.2.7. Padding is not checked,
// as the RFC recommends.
func (p *sfParser) parseByteSequence() (bareItem, error) {
	start := p.pos
	p.pos++ // ':'
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ':' {
			p.pos++
			return bareItem{kind: kindBytes, val: p.s[start:p.pos], off: start}, nil
		}
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return bareItem{}, p.errorf(p.pos, "%s is not allowed in a byte sequence (base64)", grammar.DescribeByte(c))
		}
		p.pos++
	}
	return bareItem{}, p.errorf(start, "byte sequence is not closed with ':'")
}

// parseBoolean follows RFC 8941 section 4.2.8.
func (p *sfParser) parseBoolean() (bareItem, error) {
	start := p.pos
	p.pos++ // '?'
	if p.pos < len(p.s) && (p.s[p.pos] == '0' || p.s[p.pos] == '1') {
		p.pos++
		return bareItem{kind: kindBoolean, val: p.s[start:p.pos], off: start}, nil
	}
	return bareItem{}, p.errorf(p.pos, "expected '0' or '1' after '?', found %s", p.found())
}

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isLCAlpha(c byte) bool  { return 'a' <= c && c <= 'z' }
func isAlpha(c byte) bool    { return isLCAlpha(c) || 'A' <= c && c <= 'Z' }
func isKeyStart(c byte) bool { return isLCAlpha(c) || c == '*' }
func isKeyChar(c byte) bool {
	return isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*'
}

// isKey reports whether s is a valid sf-key.
func isKey(s string) bool {
	if s == "" || !isKeyStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return false
		}
	}
	return true
}

// isToken reports whether s is a valid sf-token.
func isToken(s string) bool {
	if s == "" || !isAlpha(s[0]) && s[0] != '*' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !grammar.IsTchar(c) && c != ':' && c != '/' {
			return false
		}
	}
	return true
}

// isStringable reports whether s can be serialized as an sf-string.
func isStringable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
