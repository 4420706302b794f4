// Package csp models a Content-Security-Policy (CSP Level 3) as an ordered
// list of directives, shared by the shield middleware (which renders a policy
// on every response) and by the auditor (which parses policies found on live
// sites).
//
// # Model
//
// A [Policy] is an ordered list of [Directive] values, each a lower-case name
// and a list of source expressions (or other tokens, for directives such as
// sandbox or report-to). The methods Get, Has, Set, Add and Remove treat
// directive names ASCII case-insensitively and always store them lower-case.
// String serializes as "name src src; name2 src".
//
// # Parsing
//
// [Parse] and [ParseDetailed] follow the CSP3 "parse a serialized CSP"
// algorithm exactly, so the returned Policy is the one a browser would
// enforce: the input is split on ';', each token is trimmed of ASCII
// whitespace, tokens that are empty or contain non-ASCII bytes are skipped,
// directive names are lower-cased and the FIRST occurrence of a duplicated
// directive wins. Everything a browser would silently ignore or mis-handle is
// reported as a [Warning] with a stable [Code] and the byte offset in the
// input. [ParseList] handles a header value holding a comma-separated list of
// policies. A response may carry several Content-Security-Policy header
// lines; every policy on every line is enforced, so join the lines with ","
// (as HTTP field combination does) before calling ParseList.
//
// # Validation
//
// [Policy.Validate] applies the same checks as ParseDetailed to a Policy
// built in code. It deliberately rejects directive names that are not known
// CSP directives (CSP3 plus the companion specs listed in [KnownDirective]):
// browsers ignore an unknown directive, so a typo such as "script_src" or
// "scirpt-src" would silently remove protection. Obsolete directives
// (plugin-types, navigate-to, prefetch-src, ...) are rejected for the same
// reason.
//
// # Nonces and per-request rendering
//
// [Policy.Compile] renders a policy once into a [Template] with insertion
// points for a per-request nonce; [Template.Render] then costs exactly one
// allocation per request. [NewNonce] produces a fresh 128-bit nonce.
package csp

import "strings"

// Directive names. Fetch directives first, then document, navigation,
// reporting and directives from companion specifications.
const (
	ChildSrc       = "child-src"        // fetch directive for workers and nested browsing contexts
	ConnectSrc     = "connect-src"      // fetch directive for fetch/XHR/WebSocket/EventSource
	DefaultSrc     = "default-src"      // fallback for the other fetch directives
	FencedFrameSrc = "fenced-frame-src" // fetch directive for <fencedframe>
	FontSrc        = "font-src"         // fetch directive for fonts
	FrameSrc       = "frame-src"        // fetch directive for nested browsing contexts
	ImgSrc         = "img-src"          // fetch directive for images
	ManifestSrc    = "manifest-src"     // fetch directive for application manifests
	MediaSrc       = "media-src"        // fetch directive for audio, video and tracks
	ObjectSrc      = "object-src"       // fetch directive for plugins (<object>, <embed>)
	ScriptSrc      = "script-src"       // fetch directive for scripts
	ScriptSrcElem  = "script-src-elem"  // script-src for <script> elements only
	ScriptSrcAttr  = "script-src-attr"  // script-src for inline event handlers only
	StyleSrc       = "style-src"        // fetch directive for stylesheets
	StyleSrcElem   = "style-src-elem"   // style-src for <style> and <link> elements only
	StyleSrcAttr   = "style-src-attr"   // style-src for style attributes only
	WorkerSrc      = "worker-src"       // fetch directive for workers

	BaseURI        = "base-uri"        // restricts <base href>
	Sandbox        = "sandbox"         // applies iframe-like sandbox flags
	FormAction     = "form-action"     // restricts form submission targets
	FrameAncestors = "frame-ancestors" // restricts who may embed the page (like X-Frame-Options)

	ReportURI = "report-uri" // deprecated reporting to URIs
	ReportTo  = "report-to"  // reporting to a Reporting API endpoint group
	WebRTC    = "webrtc"     // 'allow' or 'block' WebRTC connections

	UpgradeInsecureRequests = "upgrade-insecure-requests" // upgrade http: subresource requests to https:
	BlockAllMixedContent    = "block-all-mixed-content"   // deprecated; mixed content is blocked by default now
	RequireTrustedTypesFor  = "require-trusted-types-for" // enforce Trusted Types for 'script' sinks
	TrustedTypes            = "trusted-types"             // allow-list of Trusted Types policy names
)

// Keyword source expressions, with their mandatory single quotes.
const (
	None                   = "'none'"                     // matches nothing; must be alone in its directive
	Self                   = "'self'"                     // the document's own origin
	UnsafeInline           = "'unsafe-inline'"            // allows inline script/style (ignored when a nonce or hash is present)
	UnsafeEval             = "'unsafe-eval'"              // allows eval() and friends
	StrictDynamic          = "'strict-dynamic'"           // trust propagates from nonced/hashed scripts
	UnsafeHashes           = "'unsafe-hashes'"            // hashes also match event handlers and style attributes
	ReportSample           = "'report-sample'"            // include a code sample in violation reports
	UnsafeAllowRedirects   = "'unsafe-allow-redirects'"   // allows redirects (CSP3 grammar; not widely implemented)
	WasmUnsafeEval         = "'wasm-unsafe-eval'"         // allows WebAssembly compilation
	InlineSpeculationRules = "'inline-speculation-rules'" // allows inline speculation rules (HTML spec)
	TrustedTypesEval       = "'trusted-types-eval'"       // allows eval of Trusted Types when they are enforced
	ReportSHA256           = "'report-sha256'"            // report SHA-256 hashes of loaded scripts
	ReportSHA384           = "'report-sha384'"            // report SHA-384 hashes of loaded scripts
	ReportSHA512           = "'report-sha512'"            // report SHA-512 hashes of loaded scripts
)

// Directive is one directive of a policy: a lower-case name and its values
// (source expressions for fetch directives, flags for sandbox, and so on).
// A directive without values, such as upgrade-insecure-requests, has no
// Sources.
type Directive struct {
	Name    string
	Sources []string
}

// Policy is an ordered set of directives. The zero value is an empty policy.
// Directive names should be lower-case; the methods below ensure it.
type Policy struct {
	Directives []Directive
}

// Strict returns a strict baseline for a server-rendered application:
//
//	default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'
//
// object-src 'none' is explicit so that plugins stay blocked even if
// default-src is later relaxed; base-uri and form-action do not fall back to
// default-src, so they must be listed; frame-ancestors 'none' is the CSP
// equivalent of X-Frame-Options: DENY. No 'unsafe-inline' is granted: use
// [Policy.Compile] with script-src and style-src to allow nonced inline code.
func Strict() Policy {
	return Policy{Directives: []Directive{
		{Name: DefaultSrc, Sources: []string{Self}},
		{Name: ObjectSrc, Sources: []string{None}},
		{Name: BaseURI, Sources: []string{Self}},
		{Name: FrameAncestors, Sources: []string{None}},
		{Name: FormAction, Sources: []string{Self}},
	}}
}

// WithReporting returns a copy of p with report-uri set to reportURI and
// report-to set to groupName; an empty argument leaves that directive
// untouched. report-to names an endpoint group that the server must also
// declare in a Reporting-Endpoints header; report-uri is deprecated but still
// the only mechanism some browsers support, so sending both is common.
func WithReporting(p Policy, reportURI string, groupName string) Policy {
	q := p.Clone()
	if reportURI != "" {
		q.Set(ReportURI, reportURI)
	}
	if groupName != "" {
		q.Set(ReportTo, groupName)
	}
	return q
}

// index returns the position of the first directive called name (already
// lower-case), or -1.
func (p Policy) index(name string) int {
	for i := range p.Directives {
		if p.Directives[i].Name == name {
			return i
		}
	}
	return -1
}

// Get returns the sources of the first directive called name (compared ASCII
// case-insensitively). The returned slice belongs to the policy and must not
// be modified. A directive without sources returns a nil slice and true.
func (p Policy) Get(name string) ([]string, bool) {
	i := p.index(asciiLower(name))
	if i < 0 {
		return nil, false
	}
	return p.Directives[i].Sources, true
}

// Has reports whether the policy contains a directive called name.
func (p Policy) Has(name string) bool {
	return p.index(asciiLower(name)) >= 0
}

// Set replaces the sources of directive name, or appends the directive if it
// is absent. Calling Set with no sources produces a value-less directive such
// as upgrade-insecure-requests. The sources slice is copied.
func (p *Policy) Set(name string, sources ...string) {
	name = asciiLower(name)
	srcs := cloneStrings(sources)
	if i := p.index(name); i >= 0 {
		p.Directives[i].Sources = srcs
		return
	}
	p.Directives = append(p.Directives, Directive{Name: name, Sources: srcs})
}

// Add appends sources to directive name, creating it if absent. Sources
// already present (exact string match) are not added again. If the
// directive's only source is 'none' and a different source is added, 'none'
// is dropped: browsers ignore 'none' next to other sources, so keeping it
// would only make the policy invalid.
func (p *Policy) Add(name string, sources ...string) {
	name = asciiLower(name)
	i := p.index(name)
	if i < 0 {
		p.Directives = append(p.Directives, Directive{Name: name})
		i = len(p.Directives) - 1
	}
	d := &p.Directives[i]
	for _, s := range sources {
		if contains(d.Sources, s) {
			continue
		}
		if isLoneNone(d.Sources) {
			d.Sources = nil
		}
		d.Sources = append(d.Sources, s)
	}
}

// Remove deletes every directive called name.
func (p *Policy) Remove(name string) {
	name = asciiLower(name)
	out := p.Directives[:0]
	for _, d := range p.Directives {
		if d.Name != name {
			out = append(out, d)
		}
	}
	clear(p.Directives[len(out):])
	p.Directives = out
}

// Clone returns a deep copy of p.
func (p Policy) Clone() Policy {
	if p.Directives == nil {
		return Policy{}
	}
	q := Policy{Directives: make([]Directive, len(p.Directives))}
	for i, d := range p.Directives {
		q.Directives[i] = Directive{Name: d.Name, Sources: cloneStrings(d.Sources)}
	}
	return q
}

// Equal reports whether p and q have the same directives with the same
// sources in the same order. Nil and empty source lists are equal.
func (p Policy) Equal(q Policy) bool {
	if len(p.Directives) != len(q.Directives) {
		return false
	}
	for i, d := range p.Directives {
		e := q.Directives[i]
		if d.Name != e.Name || len(d.Sources) != len(e.Sources) {
			return false
		}
		for j := range d.Sources {
			if d.Sources[j] != e.Sources[j] {
				return false
			}
		}
	}
	return true
}

// String serializes the policy as "name src src; name2 src". A directive
// without sources renders as its bare name. String does not validate: call
// Validate first if the policy was not produced by Parse.
func (p Policy) String() string {
	n := 0
	for i, d := range p.Directives {
		if i > 0 {
			n += 2
		}
		n += len(d.Name)
		for _, s := range d.Sources {
			n += 1 + len(s)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i, d := range p.Directives {
		if i > 0 {
			b.WriteString("; ")
		}
		writeDirective(&b, d.Name, d.Sources)
	}
	return b.String()
}

func writeDirective(b *strings.Builder, name string, sources []string) {
	b.WriteString(name)
	for _, s := range sources {
		b.WriteByte(' ')
		b.WriteString(s)
	}
}

// isLoneNone reports whether sources is exactly one 'none' (case-insensitive).
func isLoneNone(sources []string) bool {
	return len(sources) == 1 && asciiLower(sources[0]) == None
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// asciiLower lower-cases ASCII letters only, as CSP requires; it does not
// allocate when s is already lower-case.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
