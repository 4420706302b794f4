package csp

import (
	"errors"
	"reflect"
	"testing"
)

func codes(ws []Warning) []Code {
	var cs []Code
	for _, w := range ws {
		cs = append(cs, w.Code)
	}
	return cs
}

func TestParseDetailed(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string // p.String()
		codes []Code
	}{
		{"simple", "default-src 'self'", "default-src 'self'", nil},
		{"odd whitespace", " \t default-src\t\t'self'  \f https:\r\n; \n img-src  data: ", "default-src 'self' https:; img-src data:", nil},
		{"upper-case names", "DEFAULT-SRC 'self'; Script-Src 'SELF'", "default-src 'self'; script-src 'SELF'", nil},
		{"trailing semicolons", "default-src 'self';;; ;", "default-src 'self'", nil},
		{"leading semicolons", ";;default-src 'self'", "default-src 'self'", nil},
		{"value-less directive", "upgrade-insecure-requests; default-src 'self'", "upgrade-insecure-requests; default-src 'self'", nil},
		{"first duplicate wins", "script-src 'self'; SCRIPT-SRC *; script-src 'none'", "script-src 'self'",
			[]Code{CodeDuplicateDirective, CodeDuplicateDirective}},
		{"empty", "", "", []Code{CodeEmptyPolicy}},
		{"only separators", " ; ;\t", "", []Code{CodeEmptyPolicy}},
		{"empty source list", "script-src; default-src 'self'", "script-src; default-src 'self'", []Code{CodeMissingValue}},
		{"comma inside", "default-src 'self', img-src *", "default-src 'self', img-src *",
			[]Code{CodeInvalidSource}}, // "img-src" itself is a valid host-source
		{"non-ascii skipped", "default-src 'self'; img-src h\u00e9.example; object-src 'none'", "default-src 'self'; object-src 'none'",
			[]Code{CodeNonASCII}},
		{"vertical tab is not whitespace", "default-src\v'self'", "default-src\v'self'", []Code{CodeInvalidDirectiveName}},
		{"unknown directive", "default-src 'self'; scirpt-src 'self'", "default-src 'self'; scirpt-src 'self'", []Code{CodeUnknownDirective}},
		{"obsolete directive", "plugin-types application/pdf", "plugin-types application/pdf", []Code{CodeObsoleteDirective}},
		{"invalid name", "script_src 'self'", "script_src 'self'", []Code{CodeInvalidDirectiveName}},
		{"bad keyword", "script-src 'unsafe-inlin'", "script-src 'unsafe-inlin'", []Code{CodeInvalidSource}},
		{"keywords run together", "script-src 'self''unsafe-inline'", "script-src 'self''unsafe-inline'", []Code{CodeInvalidSource}},
		{"none not alone", "object-src 'none' https:", "object-src 'none' https:", []Code{CodeNoneNotAlone}},
		{"none alone upper", "object-src 'NONE'", "object-src 'NONE'", nil},
		{"frame-ancestors nonce", "frame-ancestors 'nonce-abc'", "frame-ancestors 'nonce-abc'", []Code{CodeInvalidSource}},
		{"frame-ancestors ok", "frame-ancestors 'self' https://*.example.com", "frame-ancestors 'self' https://*.example.com", nil},
		{"uir with value", "upgrade-insecure-requests yes", "upgrade-insecure-requests yes", []Code{CodeUnexpectedValue}},
		{"report-to two groups", "report-to a b", "report-to a b", []Code{CodeUnexpectedValue}},
		{"report-to missing", "report-to", "report-to", []Code{CodeMissingValue}},
		{"report-to not token", "report-to a\"b", "report-to a\"b", []Code{CodeInvalidValue}},
		{"report-uri", "report-uri /csp https://r.example/x?y=1", "report-uri /csp https://r.example/x?y=1", nil},
		{"report-uri bad", "report-uri http://[::1", "report-uri http://[::1", []Code{CodeInvalidValue}},
		{"sandbox", "sandbox; sandbox allow-scripts", "sandbox", []Code{CodeDuplicateDirective}},
		{"sandbox flags", "sandbox allow-scripts ALLOW-FORMS allow-everything", "sandbox allow-scripts ALLOW-FORMS allow-everything", []Code{CodeInvalidValue}},
		{"webrtc", "webrtc 'block'", "webrtc 'block'", nil},
		{"webrtc bad", "webrtc allow", "webrtc allow", []Code{CodeInvalidValue}},
		{"trusted types", "require-trusted-types-for 'script'; trusted-types default dompurify 'allow-duplicates'",
			"require-trusted-types-for 'script'; trusted-types default dompurify 'allow-duplicates'", nil},
		{"control char", "img-src a\x01b", "img-src a\x01b", []Code{CodeInvalidSource}},
		{"all source kinds", "script-src 'self' 'nonce-abc+/_-==' 'sha256-AbC=' https: *.example.com:* https://a.b:8443/p/q.js 'strict-dynamic' 'wasm-unsafe-eval' 'inline-speculation-rules'",
			"script-src 'self' 'nonce-abc+/_-==' 'sha256-AbC=' https: *.example.com:* https://a.b:8443/p/q.js 'strict-dynamic' 'wasm-unsafe-eval' 'inline-speculation-rules'", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ws := ParseDetailed(tc.in)
			if got := p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := codes(ws); !reflect.DeepEqual(got, tc.codes) {
				t.Errorf("codes = %v, want %v (warnings %v)", got, tc.codes, ws)
			}
			_, err := Parse(tc.in)
			if (err != nil) != (len(tc.codes) > 0) {
				t.Errorf("Parse error = %v, want error: %v", err, len(tc.codes) > 0)
			}
		})
	}
}

func TestParseWarningDetails(t *testing.T) {
	in := "default-src 'self';  img-src  'bogus' ; DEFAULT-SRC *"
	_, ws := ParseDetailed(in)
	want := []Warning{
		{Code: CodeInvalidSource, Offset: 30, Directive: "img-src", Value: "'bogus'"},
		{Code: CodeDuplicateDirective, Offset: 40, Directive: "default-src"},
	}
	if len(ws) != len(want) {
		t.Fatalf("got %d warnings %v, want %d", len(ws), ws, len(want))
	}
	for i, w := range want {
		got := ws[i]
		if got.Code != w.Code || got.Offset != w.Offset || got.Directive != w.Directive || got.Value != w.Value {
			t.Errorf("warning %d = %+v, want %+v", i, got, w)
		}
		if got.Message == "" {
			t.Errorf("warning %d has no message", i)
		}
		if w.Value != "" && in[got.Offset:got.Offset+len(w.Value)] != w.Value {
			t.Errorf("warning %d offset %d does not point at %q", i, got.Offset, w.Value)
		}
	}
	// The non-ASCII warning points at the offending byte.
	_, ws = ParseDetailed("img-src x; img-src \u00e9")
	if len(ws) != 1 || ws[0].Code != CodeNonASCII || ws[0].Offset != 19 {
		t.Errorf("non-ASCII warning = %v, want one at offset 19", ws)
	}
}

func TestParseError(t *testing.T) {
	p, err := Parse("default-src 'self'; foo bar; img-src 'x'")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse error %v is not *Error", err)
	}
	if len(e.Warnings) != 2 {
		t.Errorf("got %d warnings, want 2", len(e.Warnings))
	}
	want := `csp: offset 20: foo: unknown-directive: unknown directive "foo" is ignored by browsers (and 1 more problems)`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if len(p.Directives) != 3 {
		t.Errorf("Parse must return the policy despite the error, got %v", p)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []string
		codes []Code
	}{
		{"single", "default-src 'self'", []string{"default-src 'self'"}, nil},
		{"two", "default-src 'self', img-src * ; script-src 'none'", []string{"default-src 'self'", "img-src *; script-src 'none'"}, nil},
		{"empty elements", ",default-src 'self',, ,", []string{"default-src 'self'"},
			[]Code{CodeEmptyPolicy, CodeEmptyPolicy, CodeEmptyPolicy, CodeEmptyPolicy}},
		{"empty", "", nil, []Code{CodeEmptyPolicy}},
		{"joined header lines", "default-src 'self'; object-src 'none',frame-ancestors 'none'",
			[]string{"default-src 'self'; object-src 'none'", "frame-ancestors 'none'"}, nil},
		{"warning offsets are global", "img-src *, img-src 'x'", []string{"img-src *", "img-src 'x'"}, []Code{CodeInvalidSource}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, ws := ParseListDetailed(tc.in)
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("policies = %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(codes(ws), tc.codes) {
				t.Errorf("codes = %v, want %v", codes(ws), tc.codes)
			}
			for _, w := range ws {
				if w.Value != "" && tc.in[w.Offset:w.Offset+len(w.Value)] != w.Value {
					t.Errorf("offset %d does not point at %q", w.Offset, w.Value)
				}
			}
			if _, err := ParseList(tc.in); (err != nil) != (len(tc.codes) > 0) {
				t.Errorf("ParseList error = %v", err)
			}
		})
	}
}
