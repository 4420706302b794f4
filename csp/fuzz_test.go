package csp

import (
	"reflect"
	"strings"
	"testing"
)

var policySeeds = []string{
	"",
	";",
	"default-src 'self'",
	"default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
	"  DEFAULT-SRC\t'self'  https:\f;;\r\nimg-src data: blob: ;",
	"script-src 'self' 'nonce-abc==' 'sha256-AbC+/=' 'strict-dynamic' https://*.cdn.example:443/js/; style-src 'unsafe-inline'",
	"script-src 'self'; SCRIPT-SRC *; script-src 'none'",
	"script-src 'none' 'self'; frame-ancestors 'nonce-x'",
	"upgrade-insecure-requests; block-all-mixed-content; sandbox allow-scripts allow-bogus",
	"report-uri /a https://r.example/b?c; report-to grp extra",
	"img-src h\u00e9.example; font-src \u00e9",
	"a,b; c;d ,, 'self',",
	"script_src 'self'; plugin-types x/y; webrtc 'allow'; trusted-types a 'none' *",
	"img-src a\x00b\x7f; connect-src ws://[::1]:80 a.com//x a.com/%zz",
	"default-src\v'self'",
	"script-src 'self''unsafe-inline' ' '' 'nonce-' 'sha1-x'",
}

// droppedCode reports whether a warning describes input the parser dropped
// rather than the returned policy.
func droppedCode(c Code) bool {
	return c == CodeDuplicateDirective || c == CodeNonASCII
}

func policyWarnings(ws []Warning) []Warning {
	var out []Warning
	for _, w := range ws {
		if !droppedCode(w.Code) {
			out = append(out, w)
		}
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range policySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ws := ParseDetailed(s)
		for _, w := range ws {
			if w.Offset < 0 || w.Offset > len(s) {
				t.Fatalf("warning %v: offset out of range for input of %d bytes", w, len(s))
			}
			if w.Value != "" && !strings.HasPrefix(s[w.Offset:], w.Value) {
				t.Fatalf("warning %v: offset does not point at the value", w)
			}
			if w.Code == "" || w.Message == "" {
				t.Fatalf("warning without code or message: %+v", w)
			}
		}
		if _, err := Parse(s); (err == nil) != (len(ws) == 0) {
			t.Fatalf("Parse error %v disagrees with %d warnings", err, len(ws))
		}

		// Round trip: the parsed policy serializes to text that parses back
		// to the same policy, with the same problems minus dropped input.
		out := p.String()
		q, qws := ParseDetailed(out)
		if !q.Equal(p) {
			t.Fatalf("round trip changed the policy:\n in  %q\n out %q\n got %q", s, out, q.String())
		}
		if q.String() != out {
			t.Fatalf("String not idempotent: %q then %q", out, q.String())
		}
		for _, w := range qws {
			if droppedCode(w.Code) {
				t.Fatalf("re-parse of %q reported dropped input: %v", out, w)
			}
		}
		if got, want := codes(qws), codes(policyWarnings(ws)); !reflect.DeepEqual(got, want) {
			t.Fatalf("re-parse warnings %v, want %v", got, want)
		}
		if len(ws) == 0 && len(qws) != 0 {
			t.Fatalf("clean policy %q re-parsed with warnings %v", s, qws)
		}

		// Validate agrees exactly with the parser's view of the policy text.
		err := p.Validate()
		if (err == nil) != (len(qws) == 0) {
			t.Fatalf("Validate() = %v but re-parse warnings are %v", err, qws)
		}
		if err != nil {
			if got := err.(*Error).Warnings; !reflect.DeepEqual(got, qws) {
				t.Fatalf("Validate warnings\n %v\ndiffer from parse warnings\n %v", got, qws)
			}
		}
	})
}

func FuzzParseList(f *testing.F) {
	for _, s := range policySeeds {
		f.Add(s)
	}
	f.Add("default-src 'self', img-src *")
	f.Add(" , ,")
	f.Fuzz(func(t *testing.T, s string) {
		ps, ws := ParseListDetailed(s)
		var parts []string
		for _, p := range ps {
			if len(p.Directives) == 0 {
				t.Fatal("ParseList returned an empty policy")
			}
			parts = append(parts, p.String())
		}
		for _, w := range ws {
			if w.Offset < 0 || w.Offset > len(s) || (w.Value != "" && !strings.HasPrefix(s[w.Offset:], w.Value)) {
				t.Fatalf("bad warning offset: %v", w)
			}
		}
		again, _ := ParseListDetailed(strings.Join(parts, ", "))
		if len(again) != len(ps) {
			t.Fatalf("round trip: %d policies, then %d", len(ps), len(again))
		}
		for i := range ps {
			if !again[i].Equal(ps[i]) {
				t.Fatalf("round trip changed policy %d: %q vs %q", i, ps[i].String(), again[i].String())
			}
		}
	})
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"'self'", "'NONE'", "'nonce-a=='", "'sha384-x'", "https:", "*", "*.a.b:*/p%20q",
		"https://a.b:1/x://y", "a:b", "'", "''", "'x'y'", "a;b", "\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if (err != nil) != (src.Kind == KindInvalid) || Classify(s) != src.Kind {
			t.Fatalf("ParseSource(%q) = %+v, %v; Classify = %v", s, src, err, Classify(s))
		}
		if err == nil {
			if strings.ContainsAny(s, ";, \t\r\n\f") {
				t.Fatalf("accepted %q containing a separator", s)
			}
			// A valid source is valid in a source list on its own.
			if e := (Policy{Directives: []Directive{{Name: ImgSrc, Sources: []string{s}}}}).Validate(); e != nil {
				t.Fatalf("ParseSource accepted %q but Validate says %v", s, e)
			}
		}
	})
}

// referenceWithNonce adds the nonce the slow, obvious way, independently of
// WithNonce and Compile.
func referenceWithNonce(p Policy, nonce string, dirs []string) Policy {
	want := p.Clone()
	if !ValidNonce(nonce) {
		return want
	}
	done := map[string]bool{}
	for _, name := range dirs {
		name = asciiLower(name)
		if done[name] {
			continue
		}
		done[name] = true
		if srcs, ok := p.Get(name); ok {
			var next []string
			if !(len(srcs) == 1 && strings.EqualFold(srcs[0], None)) {
				next = append(next, srcs...)
			}
			want.Set(name, append(next, NonceSource(nonce))...)
			continue
		}
		for _, fb := range fallbacks[name] {
			if srcs, ok := p.Get(fb); ok {
				var next []string
				if !(len(srcs) == 1 && strings.EqualFold(srcs[0], None)) {
					next = append(next, srcs...)
				}
				want.Directives = append(want.Directives, Directive{Name: name, Sources: append(next, NonceSource(nonce))})
				break
			}
		}
	}
	return want
}

func FuzzTemplate(f *testing.F) {
	for i, s := range policySeeds {
		f.Add(s, "abc+/==", "script-src style-src")
		f.Add(s, []string{"", "x'; y", "a b", "===", "Zm9v"}[i%5], "SCRIPT-SRC script-src-elem worker-src img-src")
	}
	f.Add("default-src 'none'", "n", "script-src style-src-attr fenced-frame-src")
	f.Fuzz(func(t *testing.T, policy, nonce, dirList string) {
		p, _ := Parse(policy)
		dirs := strings.Fields(dirList)
		tpl := p.Compile(dirs...)
		got := tpl.Render(nonce)
		want := referenceWithNonce(p, nonce, dirs)
		if got != want.String() {
			t.Fatalf("Render(%q) = %q\nwant            %q", nonce, got, want.String())
		}
		if slow := p.WithNonce(nonce, dirs...).String(); got != slow {
			t.Fatalf("Render = %q, WithNonce = %q", got, slow)
		}
		if tpl.Static() != p.String() {
			t.Fatalf("Static = %q, want %q", tpl.Static(), p.String())
		}
		if !ValidNonce(nonce) {
			if got != p.String() {
				t.Fatalf("invalid nonce %q reached the output: %q", nonce, got)
			}
			return
		}
		if tpl.HasNonce() != (got != p.String()) {
			t.Fatalf("HasNonce = %v for %q", tpl.HasNonce(), got)
		}
		// The nonce never changes the policy's structure.
		if q, _ := Parse(got); !q.Equal(want) {
			t.Fatalf("rendered %q parses to %q, want %q", got, q.String(), want.String())
		}
	})
}
