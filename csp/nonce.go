package csp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// NewNonce returns a fresh nonce: 128 bits from crypto/rand, encoded with
// padded standard base64 (24 characters), which the CSP nonce grammar
// accepts and HTML nonce attributes can carry unescaped.
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("csp: generating nonce: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// NonceSource returns the source expression 'nonce-<n>' for nonce n. It does
// not check n; see ValidNonce.
func NonceSource(n string) string {
	return "'nonce-" + n + "'"
}

// ValidNonce reports whether n matches the CSP base64-value grammar:
// 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) followed by at most two "=".
// Only such a nonce can be written into a header without changing the
// policy's structure.
func ValidNonce(n string) bool {
	i := 0
	for i < len(n) && base64Char[n[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	pad := len(n) - i
	return pad <= 2 && strings.Count(n[i:], "=") == pad
}

// base64Char marks the characters of base64-value (both alphabets); a
// table keeps ValidNonce, which runs on every nonced response, to one load
// per byte.
var base64Char = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
		t[c] = true
	}
	return t
}()

// fallbacks lists, for each fetch directive, the directives a browser uses
// in its place when it is absent (CSP3 "directive fallback list").
var fallbacks = map[string][]string{
	ScriptSrcElem:  {ScriptSrc, DefaultSrc},
	ScriptSrcAttr:  {ScriptSrc, DefaultSrc},
	StyleSrcElem:   {StyleSrc, DefaultSrc},
	StyleSrcAttr:   {StyleSrc, DefaultSrc},
	WorkerSrc:      {ChildSrc, ScriptSrc, DefaultSrc},
	FrameSrc:       {ChildSrc, DefaultSrc},
	FencedFrameSrc: {FrameSrc, ChildSrc, DefaultSrc},
	ChildSrc:       {DefaultSrc},
	ConnectSrc:     {DefaultSrc},
	FontSrc:        {DefaultSrc},
	ImgSrc:         {DefaultSrc},
	ManifestSrc:    {DefaultSrc},
	MediaSrc:       {DefaultSrc},
	ObjectSrc:      {DefaultSrc},
	ScriptSrc:      {DefaultSrc},
	StyleSrc:       {DefaultSrc},
}

// effectiveSources returns the sources of the first present directive in
// name's fallback list.
func (p Policy) effectiveSources(name string) ([]string, bool) {
	for _, fb := range fallbacks[name] {
		if i := p.index(fb); i >= 0 {
			return p.Directives[i].Sources, true
		}
	}
	return nil, false
}

// nonceTargets lower-cases and de-duplicates directive names, keeping order.
func nonceTargets(names []string) []string {
	var out []string
	for _, n := range names {
		n = asciiLower(n)
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// WithNonce returns a copy of p with the source 'nonce-<nonce>' added to each
// listed directive, following the same rules as Compile:
//
//   - a present directive gets the nonce appended (a lone 'none' is replaced,
//     since browsers ignore 'none' next to other sources);
//   - an absent directive that falls back to another (script-src to
//     default-src, script-src-elem to script-src then default-src, ...) is
//     added at the end of the policy with a copy of the sources of the
//     directive it falls back to, plus the nonce, so the nonce widens
//     exactly the list the browser would have used;
//   - an absent directive with nothing to fall back to is left absent, since
//     adding it would newly restrict that resource type to nonced elements.
//
// If nonce is not valid (see ValidNonce), WithNonce returns an unchanged copy.
// It is the slow, allocation-heavy equivalent of Compile(...).Render(nonce).
func (p Policy) WithNonce(nonce string, directives ...string) Policy {
	q := p.Clone()
	if !ValidNonce(nonce) {
		return q
	}
	src := NonceSource(nonce)
	for _, name := range nonceTargets(directives) {
		if i := p.index(name); i >= 0 {
			d := &q.Directives[i]
			if isLoneNone(d.Sources) {
				d.Sources = nil
			}
			d.Sources = append(d.Sources, src)
		} else if fb, ok := p.effectiveSources(name); ok {
			var srcs []string
			if !isLoneNone(fb) {
				srcs = cloneStrings(fb)
			}
			q.Directives = append(q.Directives, Directive{Name: name, Sources: append(srcs, src)})
		}
	}
	return q
}

// Template is a policy rendered once, split where a per-request nonce goes.
// The zero value renders as the empty string. Templates are immutable and
// safe for concurrent use.
type Template struct {
	static string   // the policy without nonce
	parts  []string // the nonce goes between consecutive parts; nil if none
	size   int      // total length of parts
}

const (
	noncePrefix = " 'nonce-"
	nonceSuffix = "'"
)

// Compile renders p once for per-request use with a nonce added to the
// listed directives (typically script-src and style-src). Directive names
// are matched case-insensitively; the rules for present, absent and
// fallback directives are those of WithNonce, and for every valid nonce n,
// p.Compile(d...).Render(n) == p.WithNonce(n, d...).String().
//
// Compile does not validate p; call p.Validate once when configuring.
func (p Policy) Compile(nonceDirectives ...string) Template {
	t := Template{static: p.String()}
	targets := nonceTargets(nonceDirectives)
	if len(targets) == 0 {
		return t
	}
	var b strings.Builder
	var parts []string
	cut := func() {
		parts = append(parts, b.String())
		b = strings.Builder{}
	}
	for i, d := range p.Directives {
		if i > 0 {
			b.WriteString("; ")
		}
		if !contains(targets, d.Name) || p.index(d.Name) != i {
			writeDirective(&b, d.Name, d.Sources)
			continue
		}
		srcs := d.Sources
		if isLoneNone(srcs) {
			srcs = nil
		}
		writeDirective(&b, d.Name, srcs)
		cut()
	}
	for _, name := range targets {
		if p.index(name) >= 0 {
			continue
		}
		fb, ok := p.effectiveSources(name)
		if !ok {
			continue
		}
		if isLoneNone(fb) {
			fb = nil
		}
		b.WriteString("; ")
		writeDirective(&b, name, fb)
		cut()
	}
	if len(parts) == 0 {
		return t
	}
	parts = append(parts, b.String())
	t.parts = parts
	for _, s := range parts {
		t.size += len(s)
	}
	return t
}

// HasNonce reports whether the template has at least one nonce insertion
// point, i.e. whether Render's nonce reaches the output.
func (t Template) HasNonce() bool {
	return len(t.parts) > 1
}

// Static returns the policy rendered without a nonce (p.String()).
func (t Template) Static() string {
	return t.static
}

// Render returns the policy with 'nonce-<nonce>' inserted at every insertion
// point, using exactly one allocation however many points there are. If the
// template has no insertion point it returns Static() without allocating.
// If nonce is not valid (see ValidNonce) it also returns Static(): a value
// that could inject ';' or other structure is never written into the header,
// and pages relying on the nonce fail closed.
func (t Template) Render(nonce string) string {
	if len(t.parts) < 2 || !ValidNonce(nonce) {
		return t.static
	}
	points := len(t.parts) - 1
	var b strings.Builder
	b.Grow(t.size + points*(len(noncePrefix)+len(nonce)+len(nonceSuffix)))
	b.WriteString(t.parts[0])
	for _, part := range t.parts[1:] {
		b.WriteString(noncePrefix)
		b.WriteString(nonce)
		b.WriteString(nonceSuffix)
		b.WriteString(part)
	}
	return b.String()
}
