package csp

import (
	"fmt"
	"net/url"

	"github.com/portcullis/portcullis/internal/grammar"
)

// valueKind says which grammar a directive's value follows.
type valueKind uint8

const (
	valueUnknown      valueKind = iota // not a known directive
	valueSourceList                    // serialized-source-list
	valueAncestorList                  // ancestor-source-list (frame-ancestors)
	valueEmpty                         // no value allowed
	valueSandbox                       // sandbox flags
	valueReportURI                     // 1*uri-reference
	valueReportTo                      // one token
	valueWebRTC                        // 'allow' / 'block'
	valueRequireTT                     // 'script'
	valueTrustedTypes                  // Trusted Types policy names and keywords
	valueObsolete                      // removed from CSP
)

var directiveKinds = map[string]valueKind{
	ChildSrc: valueSourceList, ConnectSrc: valueSourceList, DefaultSrc: valueSourceList,
	FencedFrameSrc: valueSourceList, FontSrc: valueSourceList, FrameSrc: valueSourceList,
	ImgSrc: valueSourceList, ManifestSrc: valueSourceList, MediaSrc: valueSourceList,
	ObjectSrc: valueSourceList, ScriptSrc: valueSourceList, ScriptSrcElem: valueSourceList,
	ScriptSrcAttr: valueSourceList, StyleSrc: valueSourceList, StyleSrcElem: valueSourceList,
	StyleSrcAttr: valueSourceList, WorkerSrc: valueSourceList,
	BaseURI: valueSourceList, FormAction: valueSourceList,
	FrameAncestors:          valueAncestorList,
	Sandbox:                 valueSandbox,
	ReportURI:               valueReportURI,
	ReportTo:                valueReportTo,
	WebRTC:                  valueWebRTC,
	UpgradeInsecureRequests: valueEmpty,
	BlockAllMixedContent:    valueEmpty,
	RequireTrustedTypesFor:  valueRequireTT,
	TrustedTypes:            valueTrustedTypes,

	"plugin-types": valueObsolete, "navigate-to": valueObsolete, "prefetch-src": valueObsolete,
	"referrer": valueObsolete, "reflected-xss": valueObsolete, "disown-opener": valueObsolete,
	"require-sri-for": valueObsolete,
}

// sandboxFlags are the sandboxing keywords of the HTML iframe sandbox
// attribute, plus allow-storage-access-by-user-activation (Storage Access API).
var sandboxFlags = map[string]bool{
	"allow-downloads": true, "allow-forms": true, "allow-modals": true,
	"allow-orientation-lock": true, "allow-pointer-lock": true, "allow-popups": true,
	"allow-popups-to-escape-sandbox": true, "allow-presentation": true,
	"allow-same-origin": true, "allow-scripts": true, "allow-top-navigation": true,
	"allow-top-navigation-by-user-activation":  true,
	"allow-top-navigation-to-custom-protocols": true,
	"allow-storage-access-by-user-activation":  true,
}

// KnownDirective reports whether name (compared ASCII case-insensitively) is
// a directive Validate accepts: the CSP3 directives, upgrade-insecure-requests
// and block-all-mixed-content (Mixed Content), require-trusted-types-for and
// trusted-types (Trusted Types) and fenced-frame-src (Fenced Frames).
func KnownDirective(name string) bool {
	k := directiveKinds[asciiLower(name)]
	return k != valueUnknown && k != valueObsolete
}

// Validate checks that p is a well-formed policy that browsers will enforce
// as written: it has at least one directive, every directive name is known
// (see KnownDirective) and appears once, and every value follows its
// directive's grammar — source expressions per CSP3 ('none' alone,
// frame-ancestors limited to 'self', schemes and hosts), report-uri URIs,
// a single report-to token, known sandbox flags, and no ';', ',', whitespace
// or control characters anywhere. The error is an *Error whose warnings
// carry byte offsets into p.String().
func (p Policy) Validate() error {
	var ws []Warning
	if len(p.Directives) == 0 {
		ws = append(ws, Warning{Code: CodeEmptyPolicy, Message: "policy has no directives"})
	}
	seen := make(map[string]bool, len(p.Directives))
	off := 0
	for i, d := range p.Directives {
		if i > 0 {
			off += 2
		}
		dirOff := off
		valueOff := make([]int, len(d.Sources))
		off += len(d.Name)
		for j, s := range d.Sources {
			off++
			valueOff[j] = off
			off += len(s)
		}
		if seen[d.Name] {
			ws = append(ws, Warning{Code: CodeDuplicateDirective, Offset: dirOff, Directive: d.Name,
				Message: fmt.Sprintf("duplicate %s directive; browsers ignore all but the first", d.Name)})
			continue
		}
		seen[d.Name] = true
		checkDirective(d.Name, d.Sources, func(code Code, j int, msg string) {
			w := Warning{Code: code, Offset: dirOff, Directive: d.Name, Message: msg}
			if j >= 0 {
				w.Offset, w.Value = valueOff[j], d.Sources[j]
			}
			ws = append(ws, w)
		})
	}
	return asError(ws)
}

// checkDirective reports every problem with one directive through emit;
// i is the index of the offending value, or -1 for the directive itself.
func checkDirective(name string, values []string, emit func(code Code, i int, msg string)) {
	kind := directiveKinds[name]
	switch msg := checkDirectiveName(name); {
	case msg != "":
		emit(CodeInvalidDirectiveName, -1, msg)
	case kind == valueUnknown:
		emit(CodeUnknownDirective, -1, fmt.Sprintf("unknown directive %q is ignored by browsers", name))
	case kind == valueObsolete:
		emit(CodeObsoleteDirective, -1, fmt.Sprintf("%s was removed from CSP and is ignored by browsers", name))
	}
	sourceList := kind == valueSourceList || kind == valueAncestorList
	ok := make([]bool, len(values))
	for i, v := range values {
		err := checkChars(v)
		ok[i] = err == nil
		if err != nil && !sourceList { // source lists report it via ParseSource
			emit(CodeInvalidValue, i, fmt.Sprintf("invalid value %q: %v", v, err))
		}
	}
	missing := func(what string) {
		emit(CodeMissingValue, -1, fmt.Sprintf("%s needs %s", name, what))
	}
	switch kind {
	case valueSourceList, valueAncestorList:
		checkSourceList(name, kind, values, emit)
	case valueEmpty:
		if len(values) > 0 {
			emit(CodeUnexpectedValue, 0, fmt.Sprintf("%s takes no value", name))
		}
	case valueSandbox:
		for i, v := range values {
			if ok[i] && !sandboxFlags[asciiLower(v)] {
				emit(CodeInvalidValue, i, fmt.Sprintf("unknown sandbox flag %q", v))
			}
		}
	case valueReportURI:
		if len(values) == 0 {
			missing("at least one URI")
		}
		for i, v := range values {
			if !ok[i] {
				continue
			}
			if _, err := url.Parse(v); err != nil {
				emit(CodeInvalidValue, i, fmt.Sprintf("invalid URI reference %q: %v", v, unwrapURLError(err)))
			}
		}
	case valueReportTo:
		switch {
		case len(values) == 0:
			missing("an endpoint group name")
		case ok[0] && !grammar.IsToken(values[0]):
			emit(CodeInvalidValue, 0, fmt.Sprintf("endpoint group name %q is not a token", values[0]))
		}
		if len(values) > 1 {
			emit(CodeUnexpectedValue, 1, "report-to takes exactly one endpoint group name")
		}
	case valueWebRTC:
		switch {
		case len(values) == 0:
			missing("'allow' or 'block'")
		case ok[0] && asciiLower(values[0]) != "'allow'" && asciiLower(values[0]) != "'block'":
			emit(CodeInvalidValue, 0, fmt.Sprintf("webrtc value %q must be 'allow' or 'block'", values[0]))
		}
		if len(values) > 1 {
			emit(CodeUnexpectedValue, 1, "webrtc takes exactly one value")
		}
	case valueRequireTT:
		if len(values) == 0 {
			missing("'script'")
		}
		for i, v := range values {
			if ok[i] && asciiLower(v) != "'script'" {
				emit(CodeInvalidValue, i, fmt.Sprintf("%q is not a sink group (want 'script')", v))
			}
		}
	case valueTrustedTypes:
		for i, v := range values {
			if ok[i] && !validTrustedTypesExpr(v) {
				emit(CodeInvalidValue, i, fmt.Sprintf("%q is not a Trusted Types policy name, '*', 'none' or 'allow-duplicates'", v))
			}
		}
	}
}

func checkSourceList(name string, kind valueKind, values []string, emit func(Code, int, string)) {
	if len(values) == 0 {
		emit(CodeMissingValue, -1, fmt.Sprintf("%s has an empty source list, which browsers treat as 'none'; write 'none' explicitly", name))
		return
	}
	noneAt := -1
	for i, v := range values {
		src, err := ParseSource(v)
		switch {
		case err != nil:
			emit(CodeInvalidSource, i, err.Error())
			continue
		case src.Keyword == None:
			if noneAt < 0 {
				noneAt = i
			}
		case kind == valueAncestorList && src.Kind != KindScheme && src.Kind != KindHost && src.Keyword != Self:
			emit(CodeInvalidSource, i, fmt.Sprintf("%s accepts only 'self', 'none', scheme and host sources, not %q", name, v))
		}
	}
	if noneAt >= 0 && len(values) > 1 {
		emit(CodeNoneNotAlone, noneAt, "'none' must be the only source; browsers ignore it next to other sources")
	}
}

// checkDirectiveName returns a message if name is not a valid lower-case
// directive-name (1*( ALPHA / DIGIT / "-" )).
func checkDirectiveName(name string) string {
	if name == "" {
		return "empty directive name"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			return fmt.Sprintf("directive name %q must be lower-case", name)
		case isAlpha(c), isDigit(c), c == '-':
		default:
			return fmt.Sprintf("directive name %q contains %q; only letters, digits and '-' are allowed", name, c)
		}
	}
	return ""
}

// validTrustedTypesExpr matches tt-expression: a policy name of
// ALPHA / DIGIT / "-#=_/@.%", "*", 'none' or 'allow-duplicates'.
func validTrustedTypesExpr(v string) bool {
	switch asciiLower(v) {
	case "*", None, "'allow-duplicates'":
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '#' && c != '=' && c != '_' && c != '/' && c != '@' && c != '.' && c != '%' {
			return false
		}
	}
	return true
}

// unwrapURLError drops the "parse <url>:" prefix that url.Parse adds.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
