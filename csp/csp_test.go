package csp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPolicyMethods(t *testing.T) {
	var p Policy
	p.Set("Default-Src", Self)
	p.Set(UpgradeInsecureRequests)
	p.Add(ScriptSrc, Self, "https://cdn.example")
	p.Add("SCRIPT-SRC", "https://cdn.example", UnsafeEval) // duplicate skipped
	p.Set(ImgSrc, "data:")
	p.Set(ImgSrc, Self, "https:") // replaced in place
	want := "default-src 'self'; upgrade-insecure-requests; script-src 'self' https://cdn.example 'unsafe-eval'; img-src 'self' https:"
	if got := p.String(); got != want {
		t.Fatalf("String() = %q\nwant       %q", got, want)
	}
	if srcs, ok := p.Get("IMG-SRC"); !ok || !reflect.DeepEqual(srcs, []string{Self, "https:"}) {
		t.Errorf("Get(img-src) = %v, %v", srcs, ok)
	}
	if srcs, ok := p.Get(UpgradeInsecureRequests); !ok || len(srcs) != 0 {
		t.Errorf("Get(upgrade-insecure-requests) = %v, %v; want empty, true", srcs, ok)
	}
	if _, ok := p.Get(ObjectSrc); ok || p.Has(ObjectSrc) {
		t.Error("object-src reported present")
	}
	if !p.Has("Script-Src") {
		t.Error("Has(Script-Src) = false")
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	q := p.Clone()
	q.Add(ImgSrc, "blob:")
	q.Remove(UpgradeInsecureRequests)
	if p.String() != want {
		t.Errorf("mutating a clone changed the original: %q", p.String())
	}
	if !p.Equal(p.Clone()) || p.Equal(q) {
		t.Error("Equal is wrong")
	}
	if q.Has(UpgradeInsecureRequests) || len(q.Directives) != 3 {
		t.Errorf("Remove failed: %q", q.String())
	}
	q.Remove("not-there")
	if len(q.Directives) != 3 {
		t.Error("Remove of an absent directive changed the policy")
	}

	// Set copies its argument.
	srcs := []string{Self}
	p.Set(FontSrc, srcs...)
	srcs[0] = "evil.example"
	if got, _ := p.Get(FontSrc); got[0] != Self {
		t.Error("Set aliases the caller's slice")
	}
}

func TestAddReplacesLoneNone(t *testing.T) {
	p := Strict()
	p.Add(ObjectSrc, "https://plugins.example")
	if got, _ := p.Get(ObjectSrc); !reflect.DeepEqual(got, []string{"https://plugins.example"}) {
		t.Errorf("object-src = %v, want the 'none' replaced", got)
	}
	p.Add(FrameAncestors, None) // adding 'none' to 'none' is a no-op
	if got, _ := p.Get(FrameAncestors); !reflect.DeepEqual(got, []string{None}) {
		t.Errorf("frame-ancestors = %v", got)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestRemoveAllDuplicates(t *testing.T) {
	p := Policy{Directives: []Directive{{Name: "img-src", Sources: []string{"a"}}, {Name: "font-src"}, {Name: "img-src"}}}
	p.Remove(ImgSrc)
	if p.String() != "font-src" {
		t.Errorf("got %q", p.String())
	}
}

func TestEqualNilVersusEmpty(t *testing.T) {
	a := Policy{Directives: []Directive{{Name: Sandbox}}}
	b := Policy{Directives: []Directive{{Name: Sandbox, Sources: []string{}}}}
	if !a.Equal(b) {
		t.Error("nil and empty sources should be equal")
	}
	if a.Equal(Policy{}) || (Policy{}).Equal(a) {
		t.Error("different lengths compared equal")
	}
}

func TestStrict(t *testing.T) {
	p := Strict()
	want := "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
	if p.String() != want {
		t.Errorf("Strict() = %q", p.String())
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Strict() does not validate: %v", err)
	}
	q, err := Parse(want)
	if err != nil || !q.Equal(p) {
		t.Errorf("Parse(Strict) = %v, %v", q, err)
	}
	// Each call returns an independent policy.
	p.Set(DefaultSrc, None)
	if Strict().String() != want {
		t.Error("Strict() shares state between calls")
	}
}

func TestWithReporting(t *testing.T) {
	base := Strict()
	p := WithReporting(base, "https://r.example/csp", "csp-endpoint")
	if got, _ := p.Get(ReportURI); !reflect.DeepEqual(got, []string{"https://r.example/csp"}) {
		t.Errorf("report-uri = %v", got)
	}
	if got, _ := p.Get(ReportTo); !reflect.DeepEqual(got, []string{"csp-endpoint"}) {
		t.Errorf("report-to = %v", got)
	}
	if base.Has(ReportURI) || base.Has(ReportTo) {
		t.Error("WithReporting modified its argument")
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if p := WithReporting(base, "", "g"); p.Has(ReportURI) || !p.Has(ReportTo) {
		t.Errorf("empty URI: %q", p.String())
	}
	if p := WithReporting(base, "/r", ""); !p.Has(ReportURI) || p.Has(ReportTo) {
		t.Errorf("empty group: %q", p.String())
	}
	if err := WithReporting(base, "/r", "two words").Validate(); err == nil {
		t.Error("an invalid group name must fail validation")
	}
}

func TestValidate(t *testing.T) {
	d := func(name string, srcs ...string) Directive { return Directive{Name: name, Sources: srcs} }
	tests := []struct {
		name  string
		p     Policy
		codes []Code
	}{
		{"strict", Strict(), nil},
		{"empty", Policy{}, []Code{CodeEmptyPolicy}},
		{"upper-case name", Policy{Directives: []Directive{d("Script-Src", Self)}}, []Code{CodeInvalidDirectiveName}},
		{"empty name", Policy{Directives: []Directive{d("", Self)}}, []Code{CodeInvalidDirectiveName}},
		{"name with space", Policy{Directives: []Directive{d("script-src 'self'")}}, []Code{CodeInvalidDirectiveName}},
		{"unknown", Policy{Directives: []Directive{d("scirpt-src", Self)}}, []Code{CodeUnknownDirective}},
		{"obsolete", Policy{Directives: []Directive{d("navigate-to", Self)}}, []Code{CodeObsoleteDirective}},
		{"duplicate", Policy{Directives: []Directive{d(ImgSrc, Self), d(ImgSrc, "*")}}, []Code{CodeDuplicateDirective}},
		{"source with space", Policy{Directives: []Directive{d(ImgSrc, "'self' https:")}}, []Code{CodeInvalidSource}},
		{"injection", Policy{Directives: []Directive{d(ImgSrc, "*;script-src")}}, []Code{CodeInvalidSource}},
		{"newline", Policy{Directives: []Directive{d(ReportTo, "a\r\nSet-Cookie:x")}}, []Code{CodeInvalidValue}},
		{"empty source", Policy{Directives: []Directive{d(ImgSrc, "")}}, []Code{CodeInvalidSource}},
		{"empty source list", Policy{Directives: []Directive{d(ScriptSrc)}}, []Code{CodeMissingValue}},
		{"none with others", Policy{Directives: []Directive{d(ScriptSrc, Self, None)}}, []Code{CodeNoneNotAlone}},
		{"frame-ancestors keyword", Policy{Directives: []Directive{d(FrameAncestors, Self, UnsafeInline)}}, []Code{CodeInvalidSource}},
		{"uir value", Policy{Directives: []Directive{d(UpgradeInsecureRequests, "1")}}, []Code{CodeUnexpectedValue}},
		{"sandbox empty ok", Policy{Directives: []Directive{d(Sandbox)}}, nil},
		{"sandbox unknown flag", Policy{Directives: []Directive{d(Sandbox, "allow-scripts", "allow-evil")}}, []Code{CodeInvalidValue}},
		{"report-uri missing", Policy{Directives: []Directive{d(ReportURI)}}, []Code{CodeMissingValue}},
		{"report-uri comma", Policy{Directives: []Directive{d(ReportURI, "/a,/b")}}, []Code{CodeInvalidValue}},
		{"report-to ok", Policy{Directives: []Directive{d(ReportTo, "csp-endpoint")}}, nil},
		{"webrtc two", Policy{Directives: []Directive{d(WebRTC, "'allow'", "'block'")}}, []Code{CodeUnexpectedValue}},
		{"webrtc missing", Policy{Directives: []Directive{d(WebRTC)}}, []Code{CodeMissingValue}},
		{"require-tt bad", Policy{Directives: []Directive{d(RequireTrustedTypesFor, "'style'")}}, []Code{CodeInvalidValue}},
		{"require-tt missing", Policy{Directives: []Directive{d(RequireTrustedTypesFor)}}, []Code{CodeMissingValue}},
		{"trusted-types bad", Policy{Directives: []Directive{d(TrustedTypes, "a!b")}}, []Code{CodeInvalidValue}},
		{"trusted-types empty ok", Policy{Directives: []Directive{d(TrustedTypes)}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			var e *Error
			if tc.codes == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want *Error", err)
			}
			if !reflect.DeepEqual(codes(e.Warnings), tc.codes) {
				t.Errorf("codes = %v, want %v", codes(e.Warnings), tc.codes)
			}
			s := tc.p.String()
			for _, w := range e.Warnings {
				if w.Value != "" && !strings.HasPrefix(s[w.Offset:], w.Value) {
					t.Errorf("offset %d does not point at %q in %q", w.Offset, w.Value, s)
				}
				valueLevel := w.Code == CodeInvalidSource || w.Code == CodeInvalidValue
				if w.Value == "" && !valueLevel && w.Directive != "" && !strings.HasPrefix(s[w.Offset:], w.Directive) {
					t.Errorf("offset %d does not point at directive %q in %q", w.Offset, w.Directive, s)
				}
			}
		})
	}
}

func TestKnownDirective(t *testing.T) {
	for _, n := range []string{DefaultSrc, "SCRIPT-SRC", UpgradeInsecureRequests, TrustedTypes, FencedFrameSrc, ReportURI} {
		if !KnownDirective(n) {
			t.Errorf("KnownDirective(%q) = false", n)
		}
	}
	for _, n := range []string{"", "script_src", "plugin-types", "navigate-to", "x"} {
		if KnownDirective(n) {
			t.Errorf("KnownDirective(%q) = true", n)
		}
	}
}

func TestASCIILowerIgnoresUnicodeFolding(t *testing.T) {
	// U+212A KELVIN SIGN lower-cases to 'k' with strings.ToLower; CSP must not.
	if got := asciiLower("\u212A"); got != "\u212A" {
		t.Errorf("asciiLower folded a non-ASCII rune: %q", got)
	}
	if got := asciiLower("Script-SRC"); got != "script-src" {
		t.Errorf("asciiLower = %q", got)
	}
}
