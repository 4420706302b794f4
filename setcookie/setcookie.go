// Package setcookie hardens and inspects Set-Cookie header lines.
//
// [Harden] is the hot-path rewriter used by the shield middleware: it is
// called once for every Set-Cookie line a handler writes, adds the
// attributes a [Policy] asks for (Secure, HttpOnly, SameSite and, for
// __Host- cookies, Path=/) when they are missing, and reports problems it
// cannot fix as [Result] flags. It never allocates when the line needs no
// change and allocates exactly once (the returned string) when it does.
//
// [Parse] turns a line into a [Cookie] for auditors and linters; it
// allocates freely.
//
// # Syntax accepted
//
// Parsing follows the Set-Cookie algorithm of RFC 6265bis (section 5.6),
// with a stricter cookie name:
//
//   - A line containing a control character other than HTAB (%x00-08,
//     %x0A-1F, %x7F: notably CR, LF and NUL) is malformed; browsers ignore
//     such lines entirely.
//   - The cookie-pair runs up to the first ';'. Only its first '=' splits
//     name from value, so values may contain '='. Quotes do not protect a
//     ';': a value is never continued past one, exactly as browsers do.
//   - The name is trimmed of SP and HTAB. A pair without '=' (or with
//     nothing before it) is a nameless cookie whose value is the whole
//     pair, as browsers store it; it is reported as [Nameless]. A name
//     that is not an RFC 9110 token (RFC 6265's cookie-name: a space, a
//     parenthesis, a non-ASCII byte) is reported as [NameInvalid].
//     Browsers accept both, so both are hardened like any other cookie.
//     Only a line browsers ignore is [Malformed]: one with a control
//     character, an empty name and value, or a nameless cookie whose
//     value starts with __Secure- or __Host- (RFC 6265bis 5.6).
//   - Each attribute runs up to the next ';'. Its name is the text before
//     its first '=', trimmed of SP and HTAB and matched ASCII
//     case-insensitively, so "; secure", ";Secure", "; SECURE ;" and
//     "samesite = lax" are all recognised. Only attribute names are
//     matched: "Path=/secure", "Domain=httponly.example" or a cookie value
//     "secure" never count as a Secure or HttpOnly attribute. As in
//     browsers, "Secure=anything" is a Secure attribute.
//   - When an attribute occurs more than once the last occurrence is the
//     one browsers use; the repetition is reported as [DuplicateAttribute].
//
// # Rewriting rules
//
// The input is never modified: the result is always the input followed by
// zero or more "; Attribute" additions, in the order Secure, HttpOnly,
// SameSite, Path. If the line already ends in ';' (possibly followed by
// whitespace) the first addition reuses that separator instead of adding
// an empty attribute. An attribute that is present in any form is never
// added again nor changed: a cookie that says SameSite=None keeps None.
// The one exception is a SameSite attribute whose value browsers do not
// recognise ("SameSite=Weird"): they then apply their own default, which
// differs between browsers, so the policy's SameSite is appended after it
// (browsers use the last occurrence) and the line is reported as
// [SameSiteInvalid]. Malformed lines are returned unchanged with
// [Malformed] set; what to do with them (pass, drop, log) is the caller's
// decision. Hardening is idempotent.
package setcookie

import "strings"

// Policy says which attributes [Harden] adds to a Set-Cookie line that lacks
// them. The zero Policy adds nothing, which makes Harden a pure checker.
type Policy struct {
	// Secure adds "; Secure" when no Secure attribute is present.
	Secure bool
	// HTTPOnly adds "; HttpOnly" when no HttpOnly attribute is present.
	HTTPOnly bool
	// SameSite is "" (add nothing) or one of "Strict", "Lax" and "None"
	// (matched case-insensitively, always written in this canonical case).
	// It is added only when the line has no SameSite attribute at all. Any
	// other value adds nothing; Validate reports it.
	SameSite string
	// HostPath adds "; Path=/" to a cookie whose name has the __Host-
	// prefix and which has no Path attribute. Browsers reject such a cookie
	// outright (the prefix requires Path=/), and "/" is the only path the
	// author can have meant, so the fix is unambiguous. A __Host- cookie
	// with another Path, or with a Domain attribute, cannot be fixed by
	// appending text and is reported as [PrefixHostViolation] instead.
	HostPath bool
}

// Validate reports whether p.SameSite is one of the accepted values.
func (p Policy) Validate() error {
	if p.SameSite != "" && canonicalSameSite(p.SameSite) == "" {
		return &PolicyError{SameSite: p.SameSite}
	}
	return nil
}

// PolicyError is returned by [Policy.Validate] for an unusable SameSite value.
type PolicyError struct {
	SameSite string // the rejected value
}

// Error implements error.
func (e *PolicyError) Error() string {
	return "setcookie: policy SameSite " + quote(e.SameSite) + ` is not "", "Strict", "Lax" or "None"`
}

// Result is a set of bit flags describing what [Harden] added to a line and
// which problems it found. Problems are evaluated on the hardened line: a
// __Secure- cookie without Secure is not a violation when the Policy added
// Secure. The exception is SameSiteInvalid, which still reports the invalid
// value that the Policy's SameSite, appended after it, now overrides (the
// repetition is not reported as DuplicateAttribute).
type Result uint32

// Flags of a [Result].
const (
	// AddedSecure: "; Secure" was appended.
	AddedSecure Result = 1 << iota
	// AddedHTTPOnly: "; HttpOnly" was appended.
	AddedHTTPOnly
	// AddedSameSite: "; SameSite=..." was appended.
	AddedSameSite
	// AddedPath: "; Path=/" was appended to a __Host- cookie (Policy.HostPath).
	AddedPath

	// Malformed: the line is not a usable Set-Cookie value (control
	// character, no '=' in the cookie-pair, empty or invalid name). It was
	// returned unchanged and no other flag is set.
	Malformed
	// PrefixSecureViolation: the name starts with __Secure- (any case) but
	// the cookie is not Secure. Browsers reject it.
	PrefixSecureViolation
	// PrefixHostViolation: the name starts with __Host- (any case) but the
	// cookie is not Secure, has a Domain attribute, or has no Path=/.
	// Browsers reject it.
	PrefixHostViolation
	// SameSiteNoneWithoutSecure: the effective SameSite is None but the
	// cookie is not Secure. Browsers reject it.
	SameSiteNoneWithoutSecure
	// SameSiteInvalid: the effective SameSite attribute has a value other
	// than Strict, Lax or None (any case); browsers fall back to their
	// default, which differs between browsers.
	SameSiteInvalid
	// DuplicateAttribute: a recognised attribute (Secure, HttpOnly,
	// SameSite, Path, Domain, Expires, Max-Age, Partitioned) occurs more
	// than once. Browsers use the last one.
	DuplicateAttribute
	// PartitionedWithoutSecure: a Partitioned (CHIPS) cookie is not Secure.
	// Browsers reject it.
	PartitionedWithoutSecure
	// Oversize: name and value together exceed 4096 bytes; browsers
	// ignore the whole cookie.
	Oversize
	// Nameless: the cookie-pair has no '=' or nothing before it. Browsers
	// store the pair as the value of a cookie with an empty name, which
	// many servers cannot read back.
	Nameless
	// NameInvalid: the cookie name is not an RFC 9110 token (it has a
	// space, a separator or a non-ASCII byte). Browsers accept it; servers
	// and frameworks may not parse it back.
	NameInvalid
)

// Groups of [Result] flags.
const (
	// Added is the set of flags that mean the line was changed.
	Added = AddedSecure | AddedHTTPOnly | AddedSameSite | AddedPath
	// Problems is the set of flags that report something wrong with the line.
	Problems = Malformed | PrefixSecureViolation | PrefixHostViolation |
		SameSiteNoneWithoutSecure | SameSiteInvalid | DuplicateAttribute |
		PartitionedWithoutSecure | Oversize | Nameless | NameInvalid
)

// MaxNameValueSize is the largest name+value size, in bytes, browsers accept.
const MaxNameValueSize = 4096

var resultNames = [...]string{
	"AddedSecure", "AddedHTTPOnly", "AddedSameSite", "AddedPath",
	"Malformed", "PrefixSecureViolation", "PrefixHostViolation",
	"SameSiteNoneWithoutSecure", "SameSiteInvalid", "DuplicateAttribute",
	"PartitionedWithoutSecure", "Oversize", "Nameless", "NameInvalid",
}

// problemTexts say, for people, what each problem flag means; in the order
// of the flags from Malformed on.
var problemTexts = [...]string{
	"malformed (a control character, or no name and no value): browsers ignore it",
	"__Secure- prefix without Secure: browsers reject it",
	"__Host- prefix without Secure, with a Domain or without Path=/: browsers reject it",
	"SameSite=None without Secure: browsers reject it",
	"invalid SameSite value: browsers fall back to their own default",
	"an attribute is repeated: browsers use the last one",
	"Partitioned without Secure: browsers reject it",
	"oversize (name and value over 4096 bytes): browsers ignore it",
	"no name: browsers store it under the empty name",
	"the name is not a token: servers may not read it back",
}

// Describe returns the problems in r for people, joined by "; ", or ""
// when r has none. Events and logs use it to name what is wrong with a
// cookie.
func (r Result) Describe() string {
	var b []byte
	for i, text := range problemTexts {
		if r&(Malformed<<i) != 0 {
			if len(b) > 0 {
				b = append(b, "; "...)
			}
			b = append(b, text...)
		}
	}
	return string(b)
}

// Has reports whether all flags in f are set in r.
func (r Result) Has(f Result) bool { return r&f == f }

// Changed reports whether Harden appended anything.
func (r Result) Changed() bool { return r&Added != 0 }

// Problem reports whether any problem flag is set.
func (r Result) Problem() bool { return r&Problems != 0 }

// String returns the set flags joined by '|', e.g. "AddedSecure|Oversize",
// or "0" when none is set. Unknown bits are shown in hexadecimal.
func (r Result) String() string {
	if r == 0 {
		return "0"
	}
	var b []byte
	for i, name := range resultNames {
		if r&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, name...)
		}
	}
	if rest := r &^ (1<<len(resultNames) - 1); rest != 0 {
		if len(b) > 0 {
			b = append(b, '|')
		}
		b = append(b, "0x"...)
		b = appendHex(b, uint32(rest))
	}
	return string(b)
}

// Harden appends the attributes p asks for to a Set-Cookie line (the header
// value, without "Set-Cookie:") and reports what it did and what is wrong.
// See the package documentation for the exact rules. When nothing is added
// the input string itself is returned and no allocation happens.
func Harden(line string, p Policy) (string, Result) {
	var s scanner
	if !s.scan(line) {
		return line, Malformed
	}
	sameSite := p.SameSite
	switch sameSite {
	case "", "Lax", "Strict", "None":
	default:
		sameSite = canonicalSameSite(sameSite)
	}
	addSecure := p.Secure && !s.secure
	addHTTPOnly := p.HTTPOnly && !s.httpOnly
	invalidSameSite := s.sameSite && canonicalSameSite(s.sameSiteVal) == ""
	addSameSite := sameSite != "" && (!s.sameSite || invalidSameSite)
	addPath := p.HostPath && s.hostPrefix && !s.path

	r := s.flags
	secure := s.secure || addSecure
	if invalidSameSite {
		r |= SameSiteInvalid
	}
	effectiveSameSite := s.sameSiteVal
	if addSameSite {
		effectiveSameSite = sameSite
	}
	if !secure && asciiEqualFold(effectiveSameSite, "None") {
		r |= SameSiteNoneWithoutSecure
	}
	if s.securePrefix && !secure {
		r |= PrefixSecureViolation
	}
	if s.hostPrefix && (!secure || s.domain || !(addPath || s.path && s.pathVal == "/")) {
		r |= PrefixHostViolation
	}
	if s.partitioned && !secure {
		r |= PartitionedWithoutSecure
	}
	if !addSecure && !addHTTPOnly && !addSameSite && !addPath {
		return line, r
	}

	// The first addition may reuse a trailing ';' of the line.
	first := "; "
	if t := trimRight(line); len(t) > 0 && t[len(t)-1] == ';' {
		first = " "
		if len(t) < len(line) {
			first = ""
		}
	}
	n := len(line) + len(first) - 2 // every addition below counts its own "; "
	if addSecure {
		n += len("; Secure")
	}
	if addHTTPOnly {
		n += len("; HttpOnly")
	}
	if addSameSite {
		n += len("; SameSite=") + len(sameSite)
	}
	if addPath {
		n += len("; Path=/")
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(line)
	sep := first
	if addSecure {
		b.WriteString(sep)
		b.WriteString("Secure")
		sep = "; "
		r |= AddedSecure
	}
	if addHTTPOnly {
		b.WriteString(sep)
		b.WriteString("HttpOnly")
		sep = "; "
		r |= AddedHTTPOnly
	}
	if addSameSite {
		b.WriteString(sep)
		b.WriteString("SameSite=")
		b.WriteString(sameSite)
		sep = "; "
		r |= AddedSameSite
	}
	if addPath {
		b.WriteString(sep)
		b.WriteString("Path=/")
		r |= AddedPath
	}
	return b.String(), r
}

// Check reports the problems of a Set-Cookie line without changing it; it is
// Harden with the zero Policy and never allocates.
func Check(line string) Result {
	_, r := Harden(line, Policy{})
	return r
}

// Name returns the cookie name of a Set-Cookie line as a substring of line
// (no allocation), or "" for a nameless cookie (no '=', or nothing before
// it). The name may not be a token. Only the cookie-pair is examined: a
// line with a control character in an attribute still has a name,
// although Harden reports it as Malformed.
func Name(line string) string {
	name, _, _, _, _ := splitPair(line)
	return name
}

// scanner collects what Harden needs to know about a line in one pass.
type scanner struct {
	secure, httpOnly, sameSite, path, domain, partitioned bool
	securePrefix, hostPrefix                              bool
	flags                                                 Result // DuplicateAttribute, Oversize, Nameless, NameInvalid
	sameSiteVal, pathVal                                  string
}

// scan fills s from line and reports whether browsers would accept the
// line at all.
func (s *scanner) scan(line string) bool {
	name, value, rest, ctl, err := splitPair(line)
	if ctl || !usable(name, value, err) {
		return false
	}
	switch err {
	case pairNoEquals, pairEmptyName:
		s.flags |= Nameless
	case pairBadName:
		s.flags |= NameInvalid
	}
	if len(name)+len(value) > MaxNameValueSize {
		s.flags |= Oversize
	}
	if len(name) > 2 && name[0] == '_' && name[1] == '_' {
		s.securePrefix = hasPrefixFold(name, "__Secure-")
		s.hostPrefix = hasPrefixFold(name, "__Host-")
	}
	var seen attrKind
	for rest != "" {
		var k, v string
		k, v, _, ctl, rest = nextAttr(rest)
		if ctl {
			return false
		}
		kind := classify(k)
		if kind == 0 {
			continue
		}
		if seen&kind != 0 {
			s.flags |= DuplicateAttribute
		}
		seen |= kind
		switch kind {
		case attrSecure:
			s.secure = true
		case attrHTTPOnly:
			s.httpOnly = true
		case attrSameSite:
			s.sameSite, s.sameSiteVal = true, v
		case attrPath:
			s.path, s.pathVal = true, v
		case attrDomain:
			s.domain = true
		case attrPartitioned:
			s.partitioned = true
		}
	}
	return true
}

// attrKind identifies a recognised attribute; values are distinct bits.
type attrKind uint16

const (
	attrSecure attrKind = 1 << iota
	attrHTTPOnly
	attrSameSite
	attrPath
	attrDomain
	attrExpires
	attrMaxAge
	attrPartitioned
)

// classify returns the kind of attribute name k, or 0 if it is not one of
// the recognised attributes. k must not contain control characters (callers
// reject those first), which makes foldEq exact.
func classify(k string) attrKind {
	if len(k) < 4 {
		return 0
	}
	switch k[0] | 0x20 {
	case 'p':
		if len(k) == 4 && foldEq(k, "path") {
			return attrPath
		}
		if len(k) == 11 && foldEq(k, "partitioned") {
			return attrPartitioned
		}
	case 's':
		if len(k) == 6 && foldEq(k, "secure") {
			return attrSecure
		}
		if len(k) == 8 && foldEq(k, "samesite") {
			return attrSameSite
		}
	case 'h':
		if len(k) == 8 && foldEq(k, "httponly") {
			return attrHTTPOnly
		}
	case 'd':
		if len(k) == 6 && foldEq(k, "domain") {
			return attrDomain
		}
	case 'e':
		if len(k) == 7 && foldEq(k, "expires") {
			return attrExpires
		}
	case 'm':
		if len(k) == 7 && foldEq(k, "max-age") {
			return attrMaxAge
		}
	}
	return 0
}

// foldEq reports whether s equals lowerT, a lower-case string of letters and
// '-', ignoring ASCII case. Setting bit 0x20 maps exactly the upper- and
// lower-case forms of a letter to the letter; for '-' it also maps 0x0d (CR),
// which is why s must be free of control characters.
func foldEq(s, lowerT string) bool {
	if len(s) != len(lowerT) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != lowerT[i] {
			return false
		}
	}
	return true
}

// canonicalSameSite returns "Strict", "Lax" or "None" for a case-insensitive
// match of v, and "" otherwise.
func canonicalSameSite(v string) string {
	switch {
	case asciiEqualFold(v, "Lax"):
		return "Lax"
	case asciiEqualFold(v, "Strict"):
		return "Strict"
	case asciiEqualFold(v, "None"):
		return "None"
	}
	return ""
}

// pairError says what is unusual about a cookie-pair; 0 means nothing.
type pairError uint8

const (
	pairOK        pairError = iota
	pairNoEquals            // no '=': a nameless cookie, the pair is its value
	pairEmptyName           // nothing before '=': a nameless cookie
	pairBadName             // the name is not a token
)

// usable reports whether browsers keep a cookie-pair split by splitPair:
// not when both name and value are empty, nor when a nameless cookie's
// value starts with a __Secure- or __Host- prefix (RFC 6265bis 5.6, which
// stops a nameless cookie from posing as a prefixed one).
func usable(name, value string, err pairError) bool {
	if name == "" && value == "" {
		return false
	}
	if err == pairNoEquals || err == pairEmptyName {
		return !hasPrefixFold(value, "__Secure-") && !hasPrefixFold(value, "__Host-")
	}
	return true
}

// Byte classes for segment.
const (
	clsPlain uint8 = iota
	clsSemi        // ';' ends a segment
	clsEq          // '=' separates name and value
	clsCTL         // control character other than HTAB
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsCTL
	}
	t['\t'] = clsPlain
	t[0x7f] = clsCTL
	t[';'] = clsSemi
	t['='] = clsEq
	return t
}()

// segment scans s[start:] up to the next ';'. It returns the offset of that
// ';' (len(s) if there is none), the offset of the first '=' before it (-1
// if none) and whether a control character other than HTAB occurs in it.
//
// Eight bytes at a time are first tested for containing any byte of
// interest (';', '=', a byte below 0x20, 0x7f); only words that do are
// examined byte by byte.
func segment(s string, start int) (end, eq int, ctl bool) {
	eq = -1
	i := start
	for {
		for ; i+8 <= len(s); i += 8 {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			if hasZero(x^(ones*';'))|hasZero(x^(ones*'='))|hasZero(x^(ones*0x7f))|hasLess(x, 0x20) != 0 {
				break
			}
		}
		stop := min(i+8, len(s))
		for ; i < stop; i++ {
			switch byteClass[s[i]] {
			case clsPlain:
			case clsSemi:
				return i, eq, ctl
			case clsEq:
				if eq < 0 {
					eq = i
				}
			default:
				ctl = true
			}
		}
		if i >= len(s) {
			return len(s), eq, ctl
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZero is non-zero iff some byte of x is zero.
func hasZero(x uint64) uint64 { return (x - ones) &^ x & highs }

// hasLess is non-zero iff some byte of x is below n (n <= 128).
func hasLess(x uint64, n uint64) uint64 { return (x - ones*n) &^ x & highs }

// splitPair splits the cookie-pair off line. name and value are trimmed of
// SP and HTAB (a pair without '=' is all value); rest is everything after
// the pair's ';' ("" if none); ctl reports a control character in the
// pair; err says what is unusual about the name.
func splitPair(line string) (name, value, rest string, ctl bool, err pairError) {
	end, eq, ctl := segment(line, 0)
	if end < len(line) {
		rest = line[end+1:]
	}
	if eq < 0 {
		return "", trim(line[:end]), rest, ctl, pairNoEquals
	}
	name, value = trim(line[:eq]), trim(line[eq+1:end])
	if name == "" {
		return "", value, rest, ctl, pairEmptyName
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return name, value, rest, ctl, pairBadName
		}
	}
	return name, value, rest, ctl, pairOK
}

// nextAttr takes the next attribute off rest. k and v are trimmed; hasValue
// reports whether the attribute had an '='; ctl reports a control character.
func nextAttr(rest string) (k, v string, hasValue, ctl bool, remaining string) {
	end, eq, ctl := segment(rest, 0)
	if end < len(rest) {
		remaining = rest[end+1:]
	}
	if eq < 0 {
		return trim(rest[:end]), "", false, ctl, remaining
	}
	return trim(rest[:eq]), trim(rest[eq+1 : end]), true, ctl, remaining
}

// findCTL returns the offset of the first control character other than
// HTAB in s.
func findCTL(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]] == clsCTL {
			return i, true
		}
	}
	return 0, false
}

// isTokenChar reports whether c is an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// trim removes leading and trailing SP and HTAB.
func trim(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	return trimRight(s)
}

// trimRight removes trailing SP and HTAB.
func trimRight(s string) string {
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// asciiEqualFold reports whether s and t are equal under ASCII case folding.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(t[i]) {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with prefix, ASCII case-insensitively.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiEqualFold(s[:len(prefix)], prefix)
}

func lower(c byte) byte { return lowerTable[c] }

var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c - 'A' + 'a')
	}
	return t
}()

func appendHex(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	var buf [8]byte
	i := len(buf)
	for {
		i--
		buf[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}

// quote returns s in double quotes with '"', '\\' and non-printable bytes
// escaped, for error messages.
func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, `\x`...)
			if c < 0x10 {
				b = append(b, '0')
			}
			b = appendHex(b, uint32(c))
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
