package setcookie

import (
	"fmt"
	"math"
	"strings"
)

// Cookie is a parsed Set-Cookie line. Typed fields hold the effective
// attribute (the last occurrence, as browsers use it); Attrs holds every
// attribute as written, in order, for callers that need more.
type Cookie struct {
	Name  string // cookie name, trimmed of SP and HTAB; "" for a nameless cookie, which may not be a token
	Value string // cookie value, trimmed, without surrounding double quotes
	// Quoted reports that the value was written in double quotes, which
	// Value does not include.
	Quoted bool

	Secure      bool
	HTTPOnly    bool
	Partitioned bool
	// SameSite is "Strict", "Lax" or "None" when the effective SameSite
	// attribute has one of these values (any case). Otherwise it is the
	// value as written, which may be "" for a bare "SameSite"; use
	// HasSameSite to tell that apart from an absent attribute.
	SameSite    string
	HasSameSite bool
	Domain      string // value of the effective Domain attribute, as written
	HasDomain   bool   // a Domain attribute is present (even with an empty value)
	Path        string // value of the effective Path attribute, as written
	HasPath     bool   // a Path attribute is present (even with an empty value)
	// MaxAge is the effective Max-Age in seconds, saturated to the int
	// range. Following RFC 6265bis, a Max-Age whose value is not an
	// optionally negative decimal integer is ignored.
	MaxAge    int
	HasMaxAge bool
	Expires   string // value of the effective Expires attribute, unparsed

	// Attrs lists every attribute in order, including unrecognised ones.
	// Segments that are empty after trimming (as in "a=b;;") are skipped.
	Attrs []Attr
}

// Attr is one attribute of a Set-Cookie line, as written. Name and Value
// are trimmed of SP and HTAB; Value is "" for an attribute without '='.
type Attr struct {
	Name  string
	Value string
}

// ParseError describes why a Set-Cookie line could not be parsed.
type ParseError struct {
	Offset int    // byte offset in the line where the problem is
	Msg    string // what is wrong
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("setcookie: offset %d: %s", e.Offset, e.Msg)
}

// Parse parses a Set-Cookie header value. It fails exactly for the lines
// [Harden] reports as [Malformed], with a [*ParseError] that says what is
// wrong and where. Problems that do not prevent parsing (duplicate
// attributes, prefix violations, ...) are not errors; [Check] reports them.
func Parse(line string) (Cookie, error) {
	if i, bad := findCTL(line); bad {
		return Cookie{}, &ParseError{Offset: i, Msg: fmt.Sprintf("control character 0x%02x (browsers ignore lines containing CR, LF, NUL or other controls)", line[i])}
	}
	name, value, rest, _, perr := splitPair(line)
	if !usable(name, value, perr) {
		end := strings.IndexByte(line, ';')
		if end < 0 {
			end = len(line)
		}
		if name == "" && value == "" {
			return Cookie{}, &ParseError{Offset: end, Msg: "empty cookie-pair: no name and no value"}
		}
		return Cookie{}, &ParseError{Offset: end, Msg: "a nameless cookie whose value starts with __Secure- or __Host- (browsers reject it)"}
	}
	c := Cookie{Name: name, Value: value}
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		c.Value, c.Quoted = value[1:len(value)-1], true
	}
	for rest != "" {
		var k, v string
		var hasValue bool
		k, v, hasValue, _, rest = nextAttr(rest)
		if k == "" && !hasValue {
			continue
		}
		c.Attrs = append(c.Attrs, Attr{Name: k, Value: v})
		switch classify(k) {
		case attrSecure:
			c.Secure = true
		case attrHTTPOnly:
			c.HTTPOnly = true
		case attrPartitioned:
			c.Partitioned = true
		case attrSameSite:
			c.HasSameSite = true
			c.SameSite = v
			if canon := canonicalSameSite(v); canon != "" {
				c.SameSite = canon
			}
		case attrDomain:
			c.Domain, c.HasDomain = v, true
		case attrPath:
			c.Path, c.HasPath = v, true
		case attrExpires:
			c.Expires = v
		case attrMaxAge:
			if n, ok := parseMaxAge(v); ok {
				c.MaxAge, c.HasMaxAge = n, true
			}
		}
	}
	return c, nil
}

// parseMaxAge parses an RFC 6265bis Max-Age value: an optional '-' followed
// by one or more digits. Out-of-range values saturate.
func parseMaxAge(v string) (int, bool) {
	neg := false
	if len(v) > 0 && v[0] == '-' {
		neg, v = true, v[1:]
	}
	if v == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			n = math.MaxInt
		} else if n != math.MaxInt {
			n = n*10 + d
		}
	}
	if neg {
		n = -n
	}
	return n, true
}
