package permissions

import (
	"cmp"
	"fmt"
	"slices"
)

// Warning describes something in a header that parsed but that browsers
// ignore or that changes its meaning; see [ParseDetailed].
type Warning struct {
	Offset  int    // byte offset in the header value
	Feature string // the member concerned
	Msg     string
}

// String formats w like an error message.
func (w Warning) String() string {
	return fmt.Sprintf("permissions: offset %d: feature %q: %s", w.Offset, w.Feature, w.Msg)
}

// Parse parses a Permissions-Policy header value. See [ParseDetailed].
func Parse(s string) (Policy, error) {
	p, _, err := ParseDetailed(s)
	return p, err
}

// ParseDetailed parses a Permissions-Policy header value, strictly per
// RFC 8941 (Dictionary), and returns the Policy a browser would derive from
// it together with warnings, ordered by offset, about what was dropped or
// overridden. Several
// header lines must be joined with ", " before parsing, as HTTP requires.
//
// On a syntax error it returns a [*SyntaxError] with the offset; browsers
// ignore the whole header then. Otherwise, following the Permissions Policy
// specification:
//
//   - A key repeated later in the header keeps its first position but takes
//     the later value (RFC 8941); a warning says so.
//   - A member value must be the token "*", the token "self", a string or
//     an inner list; any other value (a bare key, which means true, a
//     number, another token such as none) makes browsers ignore the whole
//     member, so it is dropped with a warning.
//   - A bare string becomes a one-entry allowlist.
//   - In an inner list, the tokens "*", "self" and "src" are kept; strings
//     are kept as origins (Validate checks them), except a string spelling
//     a keyword such as "self", which browsers do not treat as the keyword
//     and which is dropped with a warning; other tokens and other kinds of
//     items are ignored by browsers and dropped with a warning.
//   - The member parameter report-to (a token or string) becomes
//     Feature.ReportTo. Other parameters, and parameters on allowlist
//     entries, are ignored with a warning.
//
// Feature names are not checked against [KnownFeatures].
func ParseDetailed(s string) (Policy, []Warning, error) {
	members, overwritten, err := parseDictionaryField(s)
	if err != nil {
		return Policy{}, nil, err
	}
	var warns []Warning
	warn := func(off int, feature, format string, args ...any) {
		warns = append(warns, Warning{Offset: off, Feature: feature, Msg: fmt.Sprintf(format, args...)})
	}
	for _, m := range overwritten {
		warn(m.off, m.key, "feature given again; this later value replaces the earlier one")
	}
	var p Policy
	for _, m := range members {
		f := Feature{Name: m.key, Allow: []string{}}
		for _, pr := range m.params {
			switch {
			case pr.key != "report-to":
				warn(pr.off, m.key, "unknown parameter %q ignored", pr.key)
			case pr.val.kind == kindToken || pr.val.kind == kindString:
				f.ReportTo = pr.val.val
			default:
				warn(pr.off, m.key, "report-to must be a token or string, not a %s; ignored", pr.val.kind)
			}
		}
		if !m.inner {
			v := m.items[0].bare
			switch {
			case v.kind == kindToken && (v.val == All || v.val == Self):
				f.Allow = append(f.Allow, v.val)
			case v.kind == kindString && isKeyword(v.val):
				warn(v.off, m.key, "string %q is not the keyword %s (browsers treat it as an invalid origin, leaving an empty allowlist)", v.val, v.val)
			case v.kind == kindString:
				f.Allow = append(f.Allow, v.val)
			case m.noValue:
				warn(m.off, m.key, "feature has no allowlist; browsers ignore it (write %s=() to disable it)", m.key)
				continue
			default:
				warn(v.off, m.key, "value %s (a %s) is not *, self, a string or an inner list; browsers ignore the whole member", v.val, v.kind)
				continue
			}
		} else {
			for _, it := range m.items {
				v := it.bare
				switch {
				case v.kind == kindToken && isKeyword(v.val):
					f.Allow = append(f.Allow, v.val)
				case v.kind == kindString && isKeyword(v.val):
					warn(v.off, m.key, "string %q is not the keyword %s; browsers ignore it", v.val, v.val)
				case v.kind == kindString:
					f.Allow = append(f.Allow, v.val)
				case v.kind == kindToken:
					warn(v.off, m.key, "token %s is not an allowlist keyword (origins must be quoted strings); browsers ignore it", v.val)
				default:
					warn(v.off, m.key, "%s %s is not an allowlist entry; browsers ignore it", v.kind, v.val)
				}
				for _, pr := range it.params {
					warn(pr.off, m.key, "parameter %q on an allowlist entry ignored", pr.key)
				}
			}
		}
		p.Features = append(p.Features, f)
	}
	slices.SortStableFunc(warns, func(a, b Warning) int { return cmp.Compare(a.Offset, b.Offset) })
	return p, warns, nil
}
