package csp

import (
	"encoding/base64"
	"testing"
)

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n, err := NewNonce()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != 24 || !ValidNonce(n) {
			t.Fatalf("nonce %q: want 24 valid base64 characters", n)
		}
		raw, err := base64.StdEncoding.DecodeString(n)
		if err != nil || len(raw) != 16 {
			t.Fatalf("nonce %q does not decode to 128 bits: %v", n, err)
		}
		if seen[n] {
			t.Fatalf("nonce %q repeated", n)
		}
		seen[n] = true
		if Classify(NonceSource(n)) != KindNonce {
			t.Fatalf("NonceSource(%q) is not a nonce source", n)
		}
	}
}

func TestValidNonce(t *testing.T) {
	for n, want := range map[string]bool{
		"abc": true, "AbC+/9-_": true, "abc=": true, "abc==": true,
		"": false, "=": false, "==": false, "abc===": false, "a=b": false, "a=b=": false,
		"a'": false, "a b": false, "a;b": false, "a,b": false, "a\n": false, "\u00e9": false,
	} {
		if got := ValidNonce(n); got != want {
			t.Errorf("ValidNonce(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestNonceSource(t *testing.T) {
	if got := NonceSource("xyz="); got != "'nonce-xyz='" {
		t.Errorf("NonceSource = %q", got)
	}
}

func TestCompileRender(t *testing.T) {
	const n = "R4nd0m+/=="
	tests := []struct {
		name     string
		policy   string
		dirs     []string
		want     string
		hasNonce bool
	}{
		{"no directives listed", "script-src 'self'", nil, "script-src 'self'", false},
		{"present directive", "script-src 'self'; img-src *", []string{ScriptSrc},
			"script-src 'self' 'nonce-R4nd0m+/=='; img-src *", true},
		{"several points", "script-src 'self'; style-src 'self'; img-src *; script-src-elem https:", []string{"SCRIPT-SRC", StyleSrc, ScriptSrcElem},
			"script-src 'self' 'nonce-R4nd0m+/=='; style-src 'self' 'nonce-R4nd0m+/=='; img-src *; script-src-elem https: 'nonce-R4nd0m+/=='", true},
		{"last directive", "img-src *; style-src", []string{StyleSrc},
			"img-src *; style-src 'nonce-R4nd0m+/=='", true},
		{"lone none replaced", "script-src 'none'", []string{ScriptSrc},
			"script-src 'nonce-R4nd0m+/=='", true},
		{"derived from default-src", "default-src 'self' https://cdn.example; img-src *", []string{ScriptSrc, StyleSrc},
			"default-src 'self' https://cdn.example; img-src *; script-src 'self' https://cdn.example 'nonce-R4nd0m+/=='; style-src 'self' https://cdn.example 'nonce-R4nd0m+/=='", true},
		{"derived from default-src none", "default-src 'none'", []string{ScriptSrc},
			"default-src 'none'; script-src 'nonce-R4nd0m+/=='", true},
		{"elem derived from script-src", "default-src 'none'; script-src 'self'", []string{ScriptSrcElem},
			"default-src 'none'; script-src 'self'; script-src-elem 'self' 'nonce-R4nd0m+/=='", true},
		{"no fallback: left absent", "img-src *", []string{ScriptSrc}, "img-src *", false},
		{"not a fetch directive: left absent", "default-src 'self'", []string{BaseURI}, "default-src 'self'", false},
		{"duplicates in list", "script-src 'self'", []string{ScriptSrc, "script-src"},
			"script-src 'self' 'nonce-R4nd0m+/=='", true},
		{"empty policy", "", []string{ScriptSrc}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := Parse(tc.policy)
			tpl := p.Compile(tc.dirs...)
			if got := tpl.Render(n); got != tc.want {
				t.Errorf("Render = %q\nwant     %q", got, tc.want)
			}
			if got := p.WithNonce(n, tc.dirs...).String(); got != tc.want {
				t.Errorf("WithNonce = %q\nwant        %q", got, tc.want)
			}
			if tpl.HasNonce() != tc.hasNonce {
				t.Errorf("HasNonce = %v, want %v", tpl.HasNonce(), tc.hasNonce)
			}
			if tpl.Static() != p.String() {
				t.Errorf("Static = %q, want %q", tpl.Static(), p.String())
			}
			for _, bad := range []string{"", "x'; script-src *", "a b", "a\r\nb", "a==="} {
				if got := tpl.Render(bad); got != p.String() {
					t.Errorf("Render(%q) = %q, want the static policy", bad, got)
				}
			}
			if tc.hasNonce {
				if q, err := Parse(tpl.Render(n)); err != nil && p.Validate() == nil {
					t.Errorf("rendered policy %q does not parse cleanly: %v", q, err)
				}
			}
		})
	}
}

func TestCompileDoesNotAliasPolicy(t *testing.T) {
	p := Strict()
	tpl := p.Compile(ScriptSrc)
	p.Set(DefaultSrc, "https://evil.example")
	if got := tpl.Render("abc"); got != Strict().Compile(ScriptSrc).Render("abc") {
		t.Errorf("template changed after the policy was modified: %q", got)
	}
	if p2 := Strict(); p2.WithNonce("abc", ScriptSrc).String() == p2.String() || p2.String() != Strict().String() {
		t.Error("WithNonce must return a modified copy and leave the receiver alone")
	}
}

func TestZeroTemplate(t *testing.T) {
	var tpl Template
	if tpl.Render("abc") != "" || tpl.HasNonce() || tpl.Static() != "" {
		t.Error("zero Template must render empty")
	}
}

func TestRenderAllocations(t *testing.T) {
	nonce, err := NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	for _, dirs := range [][]string{
		{ScriptSrc},
		{ScriptSrc, StyleSrc},
		{ScriptSrc, StyleSrc, ScriptSrcElem, StyleSrcElem, WorkerSrc, ImgSrc},
	} {
		tpl := Strict().Compile(dirs...)
		if !tpl.HasNonce() {
			t.Fatalf("%v: no insertion point", dirs)
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = tpl.Render(nonce) }); allocs != 1 {
			t.Errorf("%d insertion points: Render made %v allocations, want exactly 1", len(dirs), allocs)
		}
	}
	static := Strict().Compile()
	if allocs := testing.AllocsPerRun(100, func() { _ = static.Render(nonce) }); allocs != 0 {
		t.Errorf("Render without insertion points made %v allocations, want 0", allocs)
	}
}

func BenchmarkTemplateRender(b *testing.B) {
	p := WithReporting(Strict(), "/csp-report", "csp")
	p.Set(ImgSrc, Self, "data:", "https://images.example")
	p.Set(ScriptSrc, Self, StrictDynamic)
	tpl := p.Compile(ScriptSrc, StyleSrc)
	nonce, err := NewNonce()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tpl.Render(nonce)
	}
}

func BenchmarkWithNonceString(b *testing.B) {
	p := WithReporting(Strict(), "/csp-report", "csp")
	p.Set(ImgSrc, Self, "data:", "https://images.example")
	p.Set(ScriptSrc, Self, StrictDynamic)
	nonce, err := NewNonce()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.WithNonce(nonce, ScriptSrc, StyleSrc).String()
	}
}
