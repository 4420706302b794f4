package csp_test

import (
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/csp"
)

func ExampleParseDetailed() {
	p, warnings := csp.ParseDetailed("default-src 'self'; Script-Src 'self' 'unsafe-inlin'; script-src *")
	fmt.Println(p)
	for _, w := range warnings {
		fmt.Println(w.Code, w.Offset, w.Directive)
	}
	// Output:
	// default-src 'self'; script-src 'self' 'unsafe-inlin'
	// invalid-source 38 script-src
	// duplicate-directive 54 script-src
}

func ExampleParseList() {
	// Two header lines, joined as HTTP field combination does.
	lines := []string{"default-src 'self'", "frame-ancestors 'none', object-src 'none'"}
	policies, err := csp.ParseList(strings.Join(lines, ","))
	fmt.Println(len(policies), err)
	// Output:
	// 3 <nil>
}

func ExamplePolicy_Compile() {
	p := csp.WithReporting(csp.Strict(), "/csp-report", "")
	if err := p.Validate(); err != nil {
		fmt.Println("bad policy:", err) // a configuration error: refuse to start
		return
	}
	tpl := p.Compile(csp.ScriptSrc, csp.StyleSrc) // once, at start-up

	// Per request (a fixed nonce here so the output is stable; use csp.NewNonce):
	nonce := "rAnd0mN0nce+Base64=="
	fmt.Println(tpl.Render(nonce))
	// Output:
	// default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; report-uri /csp-report; script-src 'self' 'nonce-rAnd0mN0nce+Base64=='; style-src 'self' 'nonce-rAnd0mN0nce+Base64=='
}

func ExampleClassify() {
	for _, s := range []string{"'self'", "'nonce-abc'", "'sha256-abc='", "https:", "*.example.com", "'unsafe-inlin'"} {
		fmt.Println(s, csp.Classify(s))
	}
	// Output:
	// 'self' keyword
	// 'nonce-abc' nonce
	// 'sha256-abc=' hash
	// https: scheme
	// *.example.com host
	// 'unsafe-inlin' invalid
}
