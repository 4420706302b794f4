// Package permissions models the Permissions-Policy HTTP response header.
//
// The header is an RFC 8941 structured-field Dictionary mapping each
// feature to an allowlist:
//
//	camera=(), geolocation=(self "https://maps.example"), fullscreen=*
//
// A [Policy] is an ordered list of [Feature]s. Each allowlist entry is one
// of the keywords "*" ([All]), "self" ([Self]) or "src" ([Src]), written as
// tokens, or an origin such as "https://a.example", written as a quoted
// sf-string. An empty allowlist, written "()", disables the feature
// everywhere.
//
// [Parse] is a strict RFC 8941 parser that also applies the
// Permissions-Policy processing rules, so that the resulting Policy means
// what a browser would make of the header (see [ParseDetailed] for what is
// dropped). [Policy.String] always produces a header value that parses
// back to the same Policy. [Policy.Validate] checks what syntax cannot:
// names, origins and allowlist consistency.
package permissions

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// Allowlist keywords.
const (
	// All allows the feature for every origin. It must be the only entry.
	All = "*"
	// Self allows the feature for the document's own origin.
	Self = "self"
	// Src is only meaningful in an iframe allow attribute; browsers ignore
	// it in the header, and Validate reports it.
	Src = "src"
)

// Feature is one member of a Permissions-Policy: a feature name and its
// allowlist.
type Feature struct {
	// Name is the feature (directive) name, e.g. "camera". It must be an
	// RFC 8941 key: lowercase letters, digits, '_', '-', '.', '*'.
	Name string
	// Allow is the allowlist: "*", "self", "src" or origins. Empty (or
	// nil) means the feature is disabled everywhere.
	Allow []string
	// ReportTo names the Reporting-Endpoints endpoint that receives
	// violation reports for this feature ("" for the default endpoint). It
	// is serialized as the member parameter ";report-to=name".
	ReportTo string
}

// Policy is a Permissions-Policy: an ordered list of features. The zero
// value is an empty policy.
type Policy struct {
	Features []Feature
}

// String serializes p as a Permissions-Policy header value, members in
// order, separated by ", ".
//
// An allowlist consisting of "*" alone is written as the bare token "*";
// every other allowlist, including a single entry, is written as an inner
// list: "()", "(self)", "(self \"https://a.example\")". The keywords are
// written as tokens and everything else as sf-strings.
//
// The output is always a valid RFC 8941 Dictionary, because a header that
// fails to parse is discarded whole by browsers. What cannot be represented
// is therefore left out rather than written: features whose Name is not an
// sf-key, allowlist entries containing bytes outside printable ASCII (which
// only makes the allowlist more restrictive), and unrepresentable ReportTo
// values. Validate reports all of these; use [Policy.Header] to fail
// instead of omitting. A policy with no features serializes as "", and a
// caller should then not send the header at all.
func (p Policy) String() string {
	var b strings.Builder
	for _, f := range p.Features {
		if !isKey(f.Name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		writeAllowlist(&b, f.Allow)
		if f.ReportTo != "" {
			switch {
			case isToken(f.ReportTo):
				b.WriteString(";report-to=")
				b.WriteString(f.ReportTo)
			case isStringable(f.ReportTo):
				b.WriteString(";report-to=")
				writeString(&b, f.ReportTo)
			}
		}
	}
	return b.String()
}

func writeAllowlist(b *strings.Builder, allow []string) {
	if len(allow) == 1 && allow[0] == All {
		b.WriteString(All)
		return
	}
	b.WriteByte('(')
	n := 0
	for _, a := range allow {
		if !isKeyword(a) && !isStringable(a) {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		n++
		if isKeyword(a) {
			b.WriteString(a)
		} else {
			writeString(b, a)
		}
	}
	b.WriteByte(')')
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

func isKeyword(s string) bool { return s == All || s == Self || s == Src }

// Header validates p and returns its serialization; it fails where String
// would silently omit something or produce a policy browsers would
// misread.
func (p Policy) Header() (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	return p.String(), nil
}

// FeatureError is one problem found by [Policy.Validate].
type FeatureError struct {
	Index   int    // position of the feature in Policy.Features
	Feature string // the feature's Name
	Msg     string // what is wrong
}

// Error implements error.
func (e *FeatureError) Error() string {
	return fmt.Sprintf("permissions: feature %q (#%d): %s", e.Feature, e.Index, e.Msg)
}

// Validate checks p and returns every problem found, joined with
// errors.Join (each one a [*FeatureError]), or nil. It reports:
//
//   - names that are not RFC 8941 keys (empty, upper case, spaces, ...);
//   - features listed more than once (browsers keep only the last);
//   - allowlist entries that are neither "*", "self" nor a valid
//     serialized origin: scheme "http" or "https", a lowercase ASCII host
//     (IDNs in punycode) or IP literal, optionally "*." before the host,
//     an optional non-default port, and nothing else (no path, not even
//     "/", no query, fragment or userinfo);
//   - "src", which browsers ignore in the header;
//   - "*" together with other entries (it already allows every origin);
//   - a ReportTo that is not an RFC 8941 key (endpoint names are keys of
//     the Reporting-Endpoints dictionary).
//
// Unknown feature names are not errors: browsers differ and ignore what
// they do not know. Use [Known] and [ObsoleteFeatures] to warn about them.
func (p Policy) Validate() error {
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, &FeatureError{Index: i, Feature: p.Features[i].Name, Msg: fmt.Sprintf(format, args...)})
	}
	first := map[string]int{}
	for i, f := range p.Features {
		if msg := keyProblem(f.Name); msg != "" {
			bad(i, "invalid name: %s", msg)
		}
		if j, dup := first[f.Name]; dup {
			bad(i, "listed again (first at #%d); browsers use only the last allowlist", j)
		} else {
			first[f.Name] = i
		}
		for _, a := range f.Allow {
			switch {
			case a == All:
				if len(f.Allow) > 1 {
					bad(i, `"*" must be the only allowlist entry: it already allows every origin`)
				}
			case a == Self:
			case a == Src:
				bad(i, `"src" only applies in an iframe allow attribute; browsers ignore it in the header`)
			default:
				if err := ValidateOrigin(a); err != nil {
					bad(i, "%v", err)
				}
			}
		}
		if f.ReportTo != "" {
			if msg := keyProblem(f.ReportTo); msg != "" {
				bad(i, "invalid report-to endpoint name: %s", msg)
			}
		}
	}
	return errors.Join(errs...)
}

// keyProblem explains why s is not an sf-key, or returns "".
func keyProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if !isKeyStart(s[0]) {
		return fmt.Sprintf("%q must start with a lowercase letter or '*', not %s", s, grammar.DescribeByte(s[0]))
	}
	for i := 1; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return fmt.Sprintf("%q contains %s at offset %d (allowed: a-z 0-9 _ - . *)", s, grammar.DescribeByte(s[i]), i)
		}
	}
	return ""
}

// ValidateOrigin reports whether s is an origin as Validate accepts it in
// an allowlist: "http" or "https", "://", a host, an optional port, and
// nothing else. The host is a lowercase ASCII domain name (optionally
// starting with the "*." subdomain wildcard), an IPv4 address or a
// bracketed IPv6 address; the port is 1-65535 and not the scheme's
// default (a serialized origin omits it).
func ValidateOrigin(s string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%q is not an origin: %s", s, fmt.Sprintf(format, args...))
	}
	switch s {
	case "none", "'none'":
		return bad("to disable a feature use an empty allowlist ()")
	case "'self'", "'src'", "'*'":
		return bad("keywords are written without quotes in the header (self, not 'self')")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return bad(`missing "scheme://"`)
	}
	var defaultPort string
	switch scheme {
	case "https":
		defaultPort = "443"
	case "http":
		defaultPort = "80"
	default:
		if strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") {
			return bad("scheme must be lowercase")
		}
		return bad("scheme must be http or https")
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return bad("has %q after the host; an origin is scheme://host[:port] with no path, not even \"/\"", rest[i:])
	}
	if strings.Contains(rest, "@") {
		return bad("must not contain userinfo (\"@\")")
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("unterminated IPv6 literal")
		}
		host, port = rest[:end+1], rest[end+1:]
		if port != "" && port[0] != ':' {
			return bad("unexpected %q after IPv6 literal", port)
		}
		if msg := ipv6Problem(host[1:end]); msg != "" {
			return bad("%s", msg)
		}
	} else {
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port = rest[:i], rest[i:]
		}
		if msg := hostProblem(host); msg != "" {
			return bad("%s", msg)
		}
	}
	if port != "" {
		port = port[1:]
		if port == "" {
			return bad("empty port after ':'")
		}
		n := 0
		for i := 0; i < len(port); i++ {
			if !isDigit(port[i]) {
				return bad("port %q is not a number", port)
			}
			if n = n*10 + int(port[i]-'0'); n > 65535 {
				return bad("port %s is out of range", port)
			}
		}
		if port[0] == '0' {
			return bad("port %q must be 1-65535 without leading zeros", port)
		}
		if port == defaultPort {
			return bad("default port %s must be omitted", port)
		}
	}
	return nil
}

// hostProblem explains why host is not a valid origin host, or returns "".
func hostProblem(host string) string {
	if host == "" {
		return "empty host"
	}
	name := strings.TrimPrefix(host, "*.")
	if len(name) > 253 {
		return "host name longer than 253 characters"
	}
	// As in the URL parser, a host whose last label is numeric is an IPv4
	// address.
	if last := name[strings.LastIndexByte(name, '.')+1:]; last != "" && allDigits(last) {
		if a, err := netip.ParseAddr(name); err != nil || !a.Is4() || name != host {
			return fmt.Sprintf("host %q is neither a domain name nor an IPv4 address", host)
		}
		return ""
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return fmt.Sprintf("host %q has an empty label", host)
		}
		if len(label) > 63 {
			return fmt.Sprintf("host label %q is longer than 63 characters", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case isLCAlpha(c) || isDigit(c) || c == '-' || c == '_':
			case 'A' <= c && c <= 'Z':
				return "host must be lowercase"
			case c == '*':
				return `a wildcard is only allowed as a leading "*." label`
			case c >= 0x80:
				return "host must be ASCII (write internationalized names in punycode, xn--)"
			default:
				return fmt.Sprintf("host contains %s", grammar.DescribeByte(c))
			}
		}
	}
	return ""
}

// ipv6Problem explains why s (without brackets) is not a valid IPv6
// address for a URL, or returns "". Zones are not allowed in URLs.
func ipv6Problem(s string) string {
	addr, err := netip.ParseAddr(s)
	switch {
	case err != nil || !addr.Is6():
		return fmt.Sprintf("[%s] is not a valid IPv6 address", s)
	case addr.Zone() != "":
		return "IPv6 zones are not allowed in URLs"
	case strings.ContainsAny(s, "ABCDEF"):
		return "IPv6 address must be lowercase"
	}
	return ""
}

// index returns the position of the first feature called name, or -1.
func (p *Policy) index(name string) int {
	return slices.IndexFunc(p.Features, func(f Feature) bool { return f.Name == name })
}

// Set sets the allowlist of the named feature to a copy of allow (no
// entries means disabled). An existing feature keeps its position and
// ReportTo; otherwise the feature is appended.
func (p *Policy) Set(name string, allow ...string) {
	allow = append([]string{}, allow...)
	if i := p.index(name); i >= 0 {
		p.Features[i].Allow = allow
		return
	}
	p.Features = append(p.Features, Feature{Name: name, Allow: allow})
}

// Get returns a copy of the allowlist of the named feature, and whether the
// feature is present.
func (p Policy) Get(name string) ([]string, bool) {
	if i := p.index(name); i >= 0 {
		return append([]string{}, p.Features[i].Allow...), true
	}
	return nil, false
}

// Remove deletes every feature with the given name and reports whether
// there was one.
func (p *Policy) Remove(name string) bool {
	n := len(p.Features)
	p.Features = slices.DeleteFunc(p.Features, func(f Feature) bool { return f.Name == name })
	return len(p.Features) != n
}

// Default returns a deny-by-default policy suitable for a typical web
// application that does not use device hardware or sensors:
//
//	accelerometer=(), browsing-topics=(), camera=(),
//	display-capture=(), fullscreen=(self), geolocation=(), gyroscope=(),
//	hid=(), idle-detection=(), local-fonts=(), magnetometer=(),
//	microphone=(), midi=(), payment=(), serial=(), usb=(),
//	xr-spatial-tracking=()
//
// The choices:
//
//   - Denied: capture devices (camera, microphone, display-capture),
//     location and motion sensors (geolocation, accelerometer, gyroscope,
//     magnetometer), hardware access (usb, serial, hid, midi),
//     payment, XR, idle detection and local font enumeration (both
//     fingerprinting or tracking vectors). Denying them also stops any
//     embedded third-party frame from asking for them.
//   - browsing-topics=() opts the site out of Chrome's Topics
//     advertising API, whose default allowlist is *.
//   - fullscreen=(self) keeps fullscreen working for the site's own pages
//     and same-origin frames (video players, slide shows) while denying it
//     to cross-origin frames, even those given allow="fullscreen".
//   - Not included: interest-cohort (FLoC was abandoned in 2022; current
//     browsers do not recognise it and Chrome logs an error for it),
//     bluetooth (Chromium 156 does not recognise it either and logs
//     "Unrecognized feature" on every page; Web Bluetooth asks the user
//     for each device anyway), and
//     features a typical app uses or that are harmless when left at their
//     defaults: autoplay, encrypted-media, picture-in-picture, web-share,
//     clipboard-*, publickey-credentials-* (denying those breaks
//     passkeys), storage-access and identity-credentials-get (needed by
//     some sign-in flows).
//
// Every name is in [KnownFeatures]. Each call returns a fresh Policy that
// the caller may modify, e.g. p.Set("camera", "self").
func Default() Policy {
	p := Policy{}
	for _, name := range []string{
		"accelerometer", "browsing-topics", "camera",
		"display-capture", "fullscreen", "geolocation", "gyroscope", "hid",
		"idle-detection", "local-fonts", "magnetometer", "microphone", "midi",
		"payment", "serial", "usb", "xr-spatial-tracking",
	} {
		if name == "fullscreen" {
			p.Set(name, Self)
		} else {
			p.Set(name)
		}
	}
	return p
}

// KnownFeatures lists, sorted, the Permissions-Policy directives documented
// on MDN (developer.mozilla.org, HTTP headers reference) as of 2025,
// including experimental and browser-specific ones. It is meant for
// warnings in linters and auditors, not for rejecting policies: browsers
// ignore names they do not support. Do not modify it; use [Known].
var KnownFeatures = []string{
	"accelerometer",
	"ambient-light-sensor",
	"aria-notify",
	"attribution-reporting",
	"autoplay",
	"bluetooth",
	"browsing-topics",
	"camera",
	"captured-surface-control",
	"ch-ua-high-entropy-values",
	"clipboard-read",
	"clipboard-write",
	"compute-pressure",
	"cross-origin-isolated",
	"deferred-fetch",
	"deferred-fetch-minimal",
	"display-capture",
	"document-domain",
	"encrypted-media",
	"fullscreen",
	"gamepad",
	"geolocation",
	"gyroscope",
	"hid",
	"identity-credentials-get",
	"idle-detection",
	"language-detector",
	"language-model",
	"local-fonts",
	"local-network",
	"local-network-access",
	"loopback-network",
	"magnetometer",
	"microphone",
	"midi",
	"on-device-speech-recognition",
	"otp-credentials",
	"payment",
	"picture-in-picture",
	"private-state-token-issuance",
	"private-state-token-redemption",
	"publickey-credentials-create",
	"publickey-credentials-get",
	"screen-wake-lock",
	"serial",
	"speaker-selection",
	"storage-access",
	"summarizer",
	"translator",
	"unload",
	"usb",
	"web-app-installation",
	"web-share",
	"window-management",
	"xr-spatial-tracking",
}

// Known reports whether name is in [KnownFeatures].
func Known(name string) bool {
	_, found := slices.BinarySearch(KnownFeatures, name)
	return found
}

// ObsoleteFeatures maps feature names that still circulate in copied
// configurations, but that current browsers do not recognise, to an
// explanation (with the replacement, if any), for linters. Do not modify it.
var ObsoleteFeatures = map[string]string{
	"interest-cohort": "FLoC was abandoned in 2022; browsers do not recognise it (Chrome logs an error). Its successor is browsing-topics",
	"vr":              "renamed xr-spatial-tracking",
	"wake-lock":       "renamed screen-wake-lock",
	"speaker":         "replaced by speaker-selection",
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
