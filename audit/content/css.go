package content

import (
	"strings"
	"unicode/utf8"
)

// cssRef is one URL referenced by CSS text.
type cssRef struct {
	url      string // the URL as written, escapes decoded
	off, end int    // byte range of the reference in the CSS text
	kind     Kind   // KindStylesheet (@import), KindFont (@font-face) or KindImage
}

// scanCSS adds the URLs of a <style> block whose text starts on line.
func (p *parser) scanCSS(text string, line int) {
	pos := 0
	for _, r := range cssURLs(text) {
		line += countLines(text[pos:r.off])
		pos = r.off
		el := element{tag: "style", line: line, ev: evidence([]byte(text[r.off:r.end]))}
		p.cssResource(el, "", r)
	}
}

// scanCSSAttr adds the URLs of an element's style attribute.
func (p *parser) scanCSSAttr(el element, css string) {
	el.a = nil // the element's integrity and crossorigin do not apply to CSS fetches
	for _, r := range cssURLs(css) {
		p.cssResource(el, "style", r)
	}
}

func (p *parser) cssResource(el element, attrName string, r cssRef) {
	if trimURL(r.url) == "" {
		return
	}
	// Fonts and @import are blockable; CSS images are upgradeable (Mixed
	// Content Level 2, section 3.1: destination "image", empty initiator).
	p.resource(el, attrName, r.url, r.kind, r.kind != KindImage)
}

// countLines counts line breaks ("\n", "\r\n", "\r") in s.
func countLines(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n') {
			n++
		}
	}
	return n
}

// cssURLs finds url() references, @import targets and whether each url()
// is inside an @font-face rule. It is a small scanner, not a CSS parser:
// it skips comments and strings and decodes escapes, which is enough to
// find every URL a stylesheet can fetch.
func cssURLs(s string) []cssRef {
	var out []cssRef
	depth, fontDepth := 0, -1 // fontDepth: brace depth of the open @font-face block
	pendingFont := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '"' || c == '\'':
			_, i = cssString(s, i)
		case c == '\\':
			_, i = cssEscape(s, i+1)
		case c == '{':
			depth++
			if pendingFont {
				fontDepth, pendingFont = depth, false
			}
			i++
		case c == '}':
			if depth == fontDepth {
				fontDepth = -1
			}
			if depth > 0 {
				depth--
			}
			i++
		case c == ';':
			pendingFont = false
			i++
		case c == '@':
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			switch strings.ToLower(s[i+1 : j]) {
			case "import":
				k := skipCSSSpace(s, j)
				if k < len(s) && (s[k] == '"' || s[k] == '\'') {
					u, e := cssString(s, k)
					out = append(out, cssRef{u, i, e, KindStylesheet})
					j = e
				} else if isURLFunc(s, k) {
					u, e, ok := cssURLFunc(s, k)
					if ok {
						out = append(out, cssRef{u, i, e, KindStylesheet})
					}
					j = e
				}
			case "font-face":
				pendingFont = true
			}
			i = j
		case (c == 'u' || c == 'U') && isURLFunc(s, i) && (i == 0 || !isIdentChar(s[i-1])):
			u, e, ok := cssURLFunc(s, i)
			if ok {
				kind := KindImage
				if fontDepth >= 0 {
					kind = KindFont
				}
				out = append(out, cssRef{u, i, e, kind})
			}
			i = e
		default:
			i++
		}
	}
	return out
}

func isIdentChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80
}

func isCSSSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func skipCSSSpace(s string, i int) int {
	for i < len(s) && isCSSSpace(s[i]) {
		i++
	}
	return i
}

func isURLFunc(s string, i int) bool {
	return i+4 <= len(s) && strings.EqualFold(s[i:i+4], "url(")
}

// cssURLFunc reads url(...) starting at s[i] and returns the URL, the
// index after the closing parenthesis and whether it is a valid URL.
func cssURLFunc(s string, i int) (string, int, bool) {
	j := skipCSSSpace(s, i+4)
	if j < len(s) && (s[j] == '"' || s[j] == '\'') {
		u, e := cssString(s, j)
		e = skipCSSSpace(s, e)
		if e < len(s) && s[e] == ')' {
			return u, e + 1, true
		}
		end := strings.IndexByte(s[e:], ')')
		if end < 0 {
			return "", len(s), false
		}
		return "", e + end + 1, false
	}
	var b strings.Builder
	for j < len(s) {
		c := s[j]
		switch {
		case c == ')':
			return b.String(), j + 1, true
		case isCSSSpace(c):
			k := skipCSSSpace(s, j)
			if k < len(s) && s[k] == ')' {
				return b.String(), k + 1, true
			}
			return "", skipPastParen(s, k), false
		case c == '"' || c == '\'' || c == '(':
			return "", skipPastParen(s, j), false
		case c == '\\':
			r, e := cssEscape(s, j+1)
			b.WriteString(r)
			j = e
		default:
			b.WriteByte(c)
			j++
		}
	}
	return b.String(), len(s), true // EOF closes the url token
}

func skipPastParen(s string, i int) int {
	if end := strings.IndexByte(s[i:], ')'); end >= 0 {
		return i + end + 1
	}
	return len(s)
}

// cssString reads a quoted string starting at s[i] and returns its value
// and the index after it. An unescaped newline ends it (a bad string).
func cssString(s string, i int) (string, int) {
	q := s[i]
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == q:
			return b.String(), j + 1
		case c == '\n' || c == '\r' || c == '\f':
			return b.String(), j
		case c == '\\':
			if j+1 < len(s) && (s[j+1] == '\n' || s[j+1] == '\f') {
				j += 2 // escaped newline: a line continuation
				continue
			}
			if j+1 < len(s) && s[j+1] == '\r' {
				j += 2
				if j < len(s) && s[j] == '\n' {
					j++
				}
				continue
			}
			r, e := cssEscape(s, j+1)
			b.WriteString(r)
			j = e
		default:
			b.WriteByte(c)
			j++
		}
	}
	return b.String(), j
}

// cssEscape decodes the escape whose first character after the backslash
// is s[i]: up to six hex digits and one optional whitespace, or one
// character. It returns the decoded text and the index after the escape.
func cssEscape(s string, i int) (string, int) {
	if i >= len(s) {
		return "\uFFFD", i
	}
	n := 0
	var r rune
	for n < 6 && i+n < len(s) && isHex(s[i+n]) {
		r = r<<4 | rune(hexVal(s[i+n]))
		n++
	}
	if n == 0 {
		_, size := utf8.DecodeRuneInString(s[i:])
		return s[i : i+size], i + size
	}
	j := i + n
	if j < len(s) && isCSSSpace(s[j]) {
		if s[j] == '\r' && j+1 < len(s) && s[j+1] == '\n' {
			j++
		}
		j++
	}
	if r == 0 || r > utf8.MaxRune || 0xD800 <= r && r <= 0xDFFF {
		r = utf8.RuneError
	}
	return string(r), j
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
