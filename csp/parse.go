package csp

import (
	"fmt"
	"strings"
)

// Code is a short, stable identifier for a kind of [Warning].
type Code string

// Warning codes. CodeDuplicateDirective and CodeNonASCII describe input that
// the parser dropped; every other code describes the returned policy itself,
// and Validate reports the same problem for it.
const (
	CodeEmptyPolicy          Code = "empty-policy"           // no directives at all
	CodeDuplicateDirective   Code = "duplicate-directive"    // a later duplicate, ignored (the first one wins)
	CodeNonASCII             Code = "non-ascii"              // a directive containing non-ASCII bytes, ignored entirely
	CodeInvalidDirectiveName Code = "invalid-directive-name" // name is not 1*(ALPHA / DIGIT / "-")
	CodeUnknownDirective     Code = "unknown-directive"      // not a known directive; browsers ignore it
	CodeObsoleteDirective    Code = "obsolete-directive"     // removed from CSP; browsers ignore it
	CodeMissingValue         Code = "missing-value"          // the directive needs a value
	CodeUnexpectedValue      Code = "unexpected-value"       // the directive takes no value, or fewer values
	CodeInvalidSource        Code = "invalid-source"         // not a valid source expression for the directive
	CodeInvalidValue         Code = "invalid-value"          // invalid value for a non-source-list directive
	CodeNoneNotAlone         Code = "none-not-alone"         // 'none' combined with other sources; browsers ignore the 'none'
)

// Warning describes one problem found while parsing or validating a policy.
type Warning struct {
	Code      Code
	Offset    int    // byte offset of the problem in the parsed input (Validate: in the output of String)
	Directive string // lower-cased directive name, "" when the problem is not about one directive
	Value     string // the offending value (source expression, flag, URI), if any
	Message   string // human-readable explanation
}

// String formats the warning as "offset N: directive: code: message".
func (w Warning) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "offset %d: ", w.Offset)
	if w.Directive != "" {
		b.WriteString(w.Directive)
		b.WriteString(": ")
	}
	b.WriteString(string(w.Code))
	if w.Message != "" {
		b.WriteString(": ")
		b.WriteString(w.Message)
	}
	return b.String()
}

// Error is returned by Parse, ParseList and Validate; it holds every problem
// found, in input order. Use errors.As to retrieve it.
type Error struct {
	Warnings []Warning
}

// Error describes the first problem and counts the others.
func (e *Error) Error() string {
	switch len(e.Warnings) {
	case 0:
		return "csp: invalid policy"
	case 1:
		return "csp: " + e.Warnings[0].String()
	default:
		return fmt.Sprintf("csp: %s (and %d more problems)", e.Warnings[0], len(e.Warnings)-1)
	}
}

func asError(ws []Warning) error {
	if len(ws) == 0 {
		return nil
	}
	return &Error{Warnings: ws}
}

// Parse parses one serialized policy (one element of a Content-Security-Policy
// header value, or a <meta> policy) with the CSP3 algorithm. It always
// returns the policy as a browser would enforce it; the error, an *Error, is
// non-nil if ParseDetailed reports any warning. Parse does not split on ','
// — use ParseList for a header value.
func Parse(s string) (Policy, error) {
	p, ws := ParseDetailed(s)
	return p, asError(ws)
}

// ParseDetailed parses one serialized policy like Parse and reports every
// problem as a Warning: duplicate directives (the first one wins), directives
// skipped for non-ASCII bytes, unknown or obsolete directives, invalid source
// expressions or values, 'none' combined with other sources, and an empty
// policy. Offsets are byte offsets in s.
func ParseDetailed(s string) (Policy, []Warning) {
	var ws []Warning
	p := parsePolicy(s, 0, &ws)
	if len(p.Directives) == 0 {
		ws = append(ws, Warning{Code: CodeEmptyPolicy, Offset: 0, Message: "policy has no directives"})
	}
	return p, ws
}

// ParseList parses a header value holding a comma-separated list of
// policies, as in "Content-Security-Policy: default-src 'self', img-src *".
// Every policy in the list is enforced independently (a resource must pass
// all of them). Empty policies are dropped, as the CSP3 algorithm requires.
// When a response has several header lines, join their values with ","
// first. The error, an *Error, is non-nil if ParseListDetailed reports any
// warning; the policies are returned regardless.
func ParseList(headerValue string) ([]Policy, error) {
	ps, ws := ParseListDetailed(headerValue)
	return ps, asError(ws)
}

// ParseListDetailed is ParseList with warnings; offsets are byte offsets in
// headerValue. An empty list element produces a CodeEmptyPolicy warning.
func ParseListDetailed(headerValue string) ([]Policy, []Warning) {
	var ps []Policy
	var ws []Warning
	start := 0
	for {
		end := strings.IndexByte(headerValue[start:], ',')
		if end < 0 {
			end = len(headerValue)
		} else {
			end += start
		}
		p := parsePolicy(headerValue[start:end], start, &ws)
		if len(p.Directives) == 0 {
			ws = append(ws, Warning{Code: CodeEmptyPolicy, Offset: start, Message: "empty policy in list"})
		} else {
			ps = append(ps, p)
		}
		if end == len(headerValue) {
			return ps, ws
		}
		start = end + 1
	}
}

// parsePolicy implements "parse a serialized CSP"; base is the offset of s in
// the caller's input.
func parsePolicy(s string, base int, ws *[]Warning) Policy {
	var p Policy
	seen := map[string]bool{} // avoids quadratic duplicate checks on hostile input
	start := 0
	for start <= len(s) {
		end := strings.IndexByte(s[start:], ';')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		tok, off := trimASCIIWhitespace(s[start:end])
		parseDirective(&p, seen, tok, base+start+off, ws)
		start = end + 1
	}
	return p
}

// parseDirective handles one trimmed ';'-separated token starting at off.
func parseDirective(p *Policy, seen map[string]bool, tok string, off int, ws *[]Warning) {
	if tok == "" {
		return
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] > 0x7f {
			*ws = append(*ws, Warning{Code: CodeNonASCII, Offset: off + i,
				Message: fmt.Sprintf("non-ASCII byte %#02x: the whole directive %q is ignored", tok[i], truncate(tok, 40))})
			return
		}
	}
	n := 0
	for n < len(tok) && !isASCIIWhitespace(tok[n]) {
		n++
	}
	name := asciiLower(tok[:n])
	if seen[name] {
		*ws = append(*ws, Warning{Code: CodeDuplicateDirective, Offset: off, Directive: name,
			Message: fmt.Sprintf("duplicate %s directive ignored; the first one wins", name)})
		return
	}
	var values []string
	var offsets []int
	for i := n; i < len(tok); {
		if isASCIIWhitespace(tok[i]) {
			i++
			continue
		}
		j := i
		for j < len(tok) && !isASCIIWhitespace(tok[j]) {
			j++
		}
		values = append(values, tok[i:j])
		offsets = append(offsets, off+i)
		i = j
	}
	seen[name] = true
	p.Directives = append(p.Directives, Directive{Name: name, Sources: values})
	checkDirective(name, values, func(code Code, i int, msg string) {
		w := Warning{Code: code, Offset: off, Directive: name, Message: msg}
		if i >= 0 {
			w.Offset, w.Value = offsets[i], values[i]
		}
		*ws = append(*ws, w)
	})
}

// trimASCIIWhitespace strips leading and trailing ASCII whitespace and
// returns the number of leading bytes removed.
func trimASCIIWhitespace(s string) (string, int) {
	i, j := 0, len(s)
	for i < j && isASCIIWhitespace(s[i]) {
		i++
	}
	for j > i && isASCIIWhitespace(s[j-1]) {
		j--
	}
	return s[i:j], i
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
