package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration, located in its file. Its text
// is "file:line: site "name": key: message"; the line is left out when
// unknown (a configuration built in code) and the site outside sites.
type Error struct {
	// File is the configuration file; "" for a configuration built in code
	// (printed as "config").
	File string
	// Line is the 1-based line of the offending key, or of its table or
	// site when the key has no line of its own; 0 when unknown.
	Line int
	// Site is the name of the site concerned; "" outside sites (and for a
	// site that has neither name nor hosts, which is numbered instead).
	Site string
	// Key is the dotted key, e.g. "limits.read_timeout",
	// "defaults.hsts.max_age", or inside a site "upstream", "cert.key" and,
	// for the site's policy, "hsts.max_age". "" for problems of the file
	// as a whole, such as TOML syntax.
	Key string
	// Msg says what is wrong and, where it helps, what to write instead.
	Msg string

	siteIndex int // 1-based position of the site, for a site without a name
}

// Error formats the problem as "file:line: site "name": key: message", on
// one line (control characters in the message are escaped).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(cmp.Or(e.File, "config"))
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	switch {
	case e.Site != "":
		fmt.Fprintf(&b, "site %q: ", e.Site)
	case e.siteIndex > 0:
		fmt.Fprintf(&b, "site #%d: ", e.siteIndex)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine escapes line breaks and other control characters, so that each
// problem is exactly one line whatever the input held.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 }

// Errors is every problem found in a configuration, in file order. Load,
// Parse and Validate return one (as an error) when there is any problem;
// use errors.As to get at the individual problems.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// result sorts the problems by line and returns them as an error, or nil.
func (es Errors) result() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	return es
}
