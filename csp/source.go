package csp

import (
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// SourceKind classifies a source expression.
type SourceKind uint8

// Source expression kinds, per the CSP3 source-expression grammar.
const (
	KindInvalid SourceKind = iota // not a valid source expression
	KindKeyword                   // 'self', 'none', 'unsafe-inline', ...
	KindNonce                     // 'nonce-<base64>'
	KindHash                      // 'sha256-<base64>', 'sha384-...', 'sha512-...'
	KindScheme                    // https:, data:, ...
	KindHost                      // [scheme://]host[:port][/path], including "*"
)

var kindNames = [...]string{"invalid", "keyword", "nonce", "hash", "scheme", "host"}

// String returns the lower-case name of the kind, e.g. "nonce".
func (k SourceKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("SourceKind(%d)", k)
}

// Source is a parsed source expression. Only the fields relevant to Kind are
// set. Keywords, schemes, hosts and hash algorithms are lower-cased (CSP
// matches them case-insensitively); nonce and hash values and paths keep
// their case.
type Source struct {
	Kind      SourceKind
	Keyword   string // KindKeyword: the keyword with quotes, e.g. "'self'"
	Scheme    string // KindScheme, and KindHost when given: without ":" or "://"
	Host      string // KindHost: "*", "*.example.com" or "example.com"
	Port      string // KindHost: "" (default), digits, or "*"
	Path      string // KindHost: "" or an absolute path
	Algorithm string // KindHash: "sha256", "sha384" or "sha512"
	Value     string // KindNonce, KindHash: the base64 value
}

// keywords is the set of keyword-source values accepted in source lists:
// CSP3's keyword-source, 'none', and keywords from companion specifications
// ('inline-speculation-rules' from HTML, 'trusted-types-eval', 'report-sha*').
var keywords = map[string]bool{
	None: true, Self: true, UnsafeInline: true, UnsafeEval: true,
	StrictDynamic: true, UnsafeHashes: true, ReportSample: true,
	UnsafeAllowRedirects: true, WasmUnsafeEval: true,
	InlineSpeculationRules: true, TrustedTypesEval: true,
	ReportSHA256: true, ReportSHA384: true, ReportSHA512: true,
}

// Classify returns the kind of the source expression s, or KindInvalid.
func Classify(s string) SourceKind {
	src, err := ParseSource(s)
	if err != nil {
		return KindInvalid
	}
	return src.Kind
}

// ParseSource parses one source expression according to the CSP3 grammar
// (keyword-source, 'none', nonce-source, hash-source, scheme-source,
// host-source). Keywords and hash algorithm names are matched ASCII
// case-insensitively, as ABNF string literals are. The error, if any, says
// what is wrong; the returned Source then has Kind KindInvalid.
func ParseSource(s string) (Source, error) {
	src, err := parseSource(s)
	if err != nil {
		return Source{}, fmt.Errorf("invalid source %q: %w", s, err)
	}
	return src, nil
}

func parseSource(s string) (Source, error) {
	if err := checkChars(s); err != nil {
		return Source{}, err
	}
	if s[0] == '\'' {
		return parseQuoted(s)
	}
	if strings.HasSuffix(s, ":") && grammar.IsScheme(s[:len(s)-1]) {
		return Source{Kind: KindScheme, Scheme: asciiLower(s[:len(s)-1])}, nil
	}
	return parseHostSource(s)
}

// checkChars rejects what can never appear in a directive value: nothing at
// all, whitespace, control characters, non-ASCII bytes, ';' and ','.
func checkChars(s string) error {
	if s == "" {
		return fmt.Errorf("empty value")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ';':
			return fmt.Errorf("contains ';', which separates directives")
		case c == ',':
			return fmt.Errorf("contains ',', which separates policies (use ParseList for a list of policies)")
		case isASCIIWhitespace(c):
			return fmt.Errorf("contains whitespace at byte %d", i)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("contains control character %#02x at byte %d", c, i)
		case c > 0x7f:
			return fmt.Errorf("contains non-ASCII byte %#02x at byte %d", c, i)
		}
	}
	return nil
}

func parseQuoted(s string) (Source, error) {
	if len(s) < 2 || s[len(s)-1] != '\'' {
		return Source{}, fmt.Errorf("unterminated quoted expression")
	}
	if len(s) == 2 {
		return Source{}, fmt.Errorf("empty quoted expression")
	}
	inner := s[1 : len(s)-1]
	lower := asciiLower(inner)
	if strings.HasPrefix(lower, "nonce-") {
		v := inner[len("nonce-"):]
		if !ValidNonce(v) {
			return Source{}, fmt.Errorf("nonce value %q is not base64 (A-Z a-z 0-9 + / - _, then at most two '=')", v)
		}
		return Source{Kind: KindNonce, Value: v}, nil
	}
	for _, alg := range [...]string{"sha256", "sha384", "sha512"} {
		if strings.HasPrefix(lower, alg+"-") {
			v := inner[len(alg)+1:]
			if !ValidNonce(v) {
				return Source{}, fmt.Errorf("%s hash value %q is not base64", alg, v)
			}
			return Source{Kind: KindHash, Algorithm: alg, Value: v}, nil
		}
	}
	if kw := "'" + lower + "'"; keywords[kw] {
		return Source{Kind: KindKeyword, Keyword: kw}, nil
	}
	if strings.Contains(inner, "'") {
		return Source{}, fmt.Errorf("several quoted expressions run together; separate them with a space")
	}
	return Source{}, fmt.Errorf("unknown keyword")
}

// parseHostSource parses [scheme "://"] host [":" port] [path-absolute].
func parseHostSource(s string) (Source, error) {
	src := Source{Kind: KindHost}
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 && !strings.Contains(rest[:i], "/") {
		if !grammar.IsScheme(rest[:i]) {
			return Source{}, fmt.Errorf("invalid scheme %q (want a letter, then letters, digits, '+', '-' or '.')", rest[:i])
		}
		src.Scheme = asciiLower(rest[:i])
		rest = rest[i+3:]
	}
	end := strings.IndexAny(rest, ":/")
	if end < 0 {
		end = len(rest)
	}
	if err := checkHost(rest[:end]); err != nil {
		return Source{}, err
	}
	src.Host = asciiLower(rest[:end])
	rest = rest[end:]
	if strings.HasPrefix(rest, ":") {
		end = strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		port := rest[1:end]
		if port != "*" && !allDigits(port) {
			return Source{}, fmt.Errorf("invalid port %q (want digits or *)", port)
		}
		src.Port = port
		rest = rest[end:]
	}
	if rest != "" {
		if err := checkPath(rest); err != nil {
			return Source{}, fmt.Errorf("invalid path %q: %v", rest, err)
		}
		src.Path = rest
	}
	return src, nil
}

// checkHost validates host-part = "*" / [ "*." ] 1*host-char *( "." 1*host-char ).
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("missing host")
	}
	if h == "*" {
		return nil
	}
	labels := strings.TrimPrefix(h, "*.")
	for label := range strings.SplitSeq(labels, ".") {
		if label == "" {
			return fmt.Errorf("invalid host %q: empty label", h)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
				return fmt.Errorf("invalid host %q: character %q not allowed (wildcards only as a leading \"*.\")", h, c)
			}
		}
	}
	return nil
}

// checkPath validates RFC 3986 path-absolute without ';' and ','.
func checkPath(p string) error {
	if p[0] != '/' {
		return fmt.Errorf("path must start with '/'")
	}
	if strings.HasPrefix(p, "//") {
		return fmt.Errorf("path must not start with \"//\"")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case isAlpha(c), isDigit(c), strings.IndexByte("-._~!$&'()*+=:@/", c) >= 0:
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return fmt.Errorf("'%%' at byte %d is not followed by two hex digits", i)
			}
			i += 2
		default:
			return fmt.Errorf("character %q not allowed in a path", c)
		}
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isASCIIWhitespace matches the Infra definition: TAB, LF, FF, CR, SPACE.
func isASCIIWhitespace(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}
