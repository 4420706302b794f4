package cspsuggest

import (
	"testing"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/store"
)

// FuzzScan: any page scans without panicking, within its limits, and
// whatever it holds the suggestion stays strict (checkSuggestion: a
// valid policy, every source Allowed and explained).
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script><style>p{}</style>",
		`<a href="javascript:x()" onclick="y()" style="color:red">`,
		`<svg><script><![CDATA[alert(1)]]></script><style>a{}</style></svg><math><script>x</script>`,
		`<base href="https://cdn.test/"><script src="x.js"></script><img src="data:image/png,AA"><form action="//pay.test/">`,
		"<script>a\r\n\x00b</script><script/>x</script><script type=module nonce=abc>y</script>",
		`<link rel=preload as=script href="https://cdn.test/p.js"><link rel=modulepreload href="//esm.test/m.js">`,
		`<object data="https://flash.test/x"></object><iframe src="data:text/html,x"></iframe><video src="blob:x">`,
		"<a href='\x01java\nscript:alert(1)'>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := Scan("https://app.test/dir/page", []byte(body))
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if len(p.Inline) > MaxInline || len(p.Handlers) > MaxAttrs || len(p.JavaScriptURLs) > MaxAttrs || len(p.StyleAttrs) > MaxAttrs {
			t.Fatalf("limits exceeded: %d inline, %d handlers", len(p.Inline), len(p.Handlers))
		}
		for _, in := range p.Inline {
			if in.Hash != "" && csp.Classify(in.Hash) != csp.KindHash {
				t.Fatalf("hash %q is not a hash source", in.Hash)
			}
		}
		checkSuggestion(t, Suggest(Input{Site: "app", Pages: []*Page{p}}))
	})
}

// FuzzSuggestReports: reports are what browsers sent (reduced by the
// collector, but any browser, or anyone, may send them): whatever they
// say, the suggestion stays strict.
func FuzzSuggestReports(f *testing.F) {
	f.Add("script-src-elem", "https://cdn.test:8443", "/", "")
	f.Add("script-src-elem", "inline", "/", "javascript:alert(1)")
	f.Add("script-src", "eval", "/x", "")
	f.Add("img-src", "data", "/", "")
	f.Add("script-src-elem", "data", "/", "")
	f.Add("style-src-attr", "inline", "/", "color:red")
	f.Add("script-src-elem", "https://*.evil.test", "/", "")
	f.Add("connect-src", "wss://x.test/path?q", "/", "")
	f.Add("frame-ancestors", "https://a.test", "/", "")
	f.Fuzz(func(t *testing.T, directive, blocked, document, sample string) {
		a := store.Aggregate{Site: "app", Type: "csp-violation", Directive: directive, Blocked: blocked, Document: document,
			Sample: sample, Count: 1, Disposition: "report"}
		checkSuggestion(t, Suggest(Input{Site: "app", Self: []string{"https://app.test"}, Reports: []store.Aggregate{a}}))
	})
}
