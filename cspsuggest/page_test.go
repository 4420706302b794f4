package cspsuggest

import (
	"slices"
	"strings"
	"testing"
)

// Hashes computed with openssl: printf '…' | openssl dgst -sha256 -binary | base64.
const (
	hashAlert = "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='" // alert(1)
	hashAB    = "'sha256-fhj3NzEbLcOy8mndeDlrA1HxT7Zu+oefdoyyMYGIPHg='" // a\nb
	hashRed   = "'sha256-FcQqt3aNlV7AZnGV4zkQRVeCeJOxbMPnQSx258L803E='" // body{color:red}
)

func TestCSPScanInline(t *testing.T) {
	tests := []struct {
		name, html string
		want       []Inline // Kind, Line, Hash, Nonce, Type compared
	}{
		{"classic script", "<script>alert(1)</script>", []Inline{{Kind: "script", Line: 1, Hash: hashAlert}}},
		{"typed and module", "<script type=text/javascript>alert(1)</script>\n<script type=\"module\">alert(1)</script>",
			[]Inline{{Kind: "script", Line: 1, Type: "text/javascript", Hash: hashAlert}, {Kind: "script", Line: 2, Type: "module", Hash: hashAlert}}},
		{"type with parameters", `<script type="text/javascript; charset=utf-8">alert(1)</script>`,
			[]Inline{{Kind: "script", Line: 1, Type: "text/javascript", Hash: hashAlert}}},
		{"data blocks are not scripts", `<script type="application/json">{"a":1}</script><script type=text/template>x</script>`, nil},
		{"import map is", `<script type=importmap>alert(1)</script>`, []Inline{{Kind: "script", Line: 1, Type: "importmap", Hash: hashAlert}}},
		{"external scripts are not inline", `<script src="/a.js">alert(1)</script><script src="">x</script>`, nil},
		{"empty scripts run nothing", `<script></script><style></style>`, nil},
		{"CRLF and CR are newlines", "<script>a\r\nb</script><script>a\rb</script>",
			[]Inline{{Kind: "script", Line: 1, Hash: hashAB}, {Kind: "script", Line: 2, Hash: hashAB}}},
		{"a self-closing script still has text", "<script/>alert(1)</script>", []Inline{{Kind: "script", Line: 1, Hash: hashAlert}}},
		{"entities are not decoded in script text", "<script>a&amp;b</script>", []Inline{{Kind: "script", Line: 1, Hash: Hash("a&amp;b")}}},
		{"style", "<p>\n<style media=print>body{color:red}</style>", []Inline{{Kind: "style", Line: 2, Hash: hashRed}}},
		{"nonce kept", `<script nonce="abc">alert(1)</script>`, []Inline{{Kind: "script", Line: 1, Nonce: "abc", Hash: hashAlert}}},
		{"svg script text is markup: no hash", "<svg><script>alert(1)</script></svg><script>alert(1)</script>",
			[]Inline{{Kind: "script", Line: 1}, {Kind: "script", Line: 1, Hash: hashAlert}}},
		{"svg script with href is external", `<svg><script href="/x.js"></script></svg>`, nil},
		{"noscript is not run", "<noscript><script>alert(1)</script></noscript>", nil},
		{"NUL is U+FFFD", "<script>a\x00</script>", []Inline{{Kind: "script", Line: 1, Hash: Hash("a\uFFFD")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Scan("https://app.test/", []byte(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			var got []Inline
			for _, in := range p.Inline {
				got = append(got, Inline{Kind: in.Kind, Line: in.Line, Type: in.Type, Nonce: in.Nonce, Hash: in.Hash})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("inline\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCSPScanAttributes(t *testing.T) {
	p, err := Scan("https://app.test/dir/page", []byte(`<!doctype html>
<button onclick="go()">go</button>
<a href="javascript:void(0)">x</a>
<a href=" JaVa&#x09;Script:alert(1)">y</a>
<a href="java
script:alert(2)">z</a>
<form action="javascript:send()"></form>
<div style="color:red" onmouseover="x()" on-thing="no" one="no"></div>
<div style="  "></div>
<iframe src="javascript:1"></iframe>
<a href="https://app.test/#top">not js</a>
`))
	if err != nil {
		t.Fatal(err)
	}
	names := func(as []Attr) (out []string) {
		for _, a := range as {
			out = append(out, a.Tag+" "+a.Name)
		}
		return out
	}
	if got, want := names(p.Handlers), []string{"button onclick", "div onmouseover"}; !slices.Equal(got, want) {
		t.Errorf("handlers %q, want %q", got, want)
	}
	if got, want := names(p.JavaScriptURLs), []string{"a href", "a href", "a href", "form action", "iframe src"}; !slices.Equal(got, want) {
		t.Errorf("javascript: URLs %q, want %q", got, want)
	}
	if got, want := names(p.StyleAttrs), []string{"div style"}; !slices.Equal(got, want) {
		t.Errorf("style attributes %q, want %q", got, want)
	}
	if p.Handlers[0].Line != 2 || p.Handlers[0].Value != "go()" {
		t.Errorf("handler %+v", p.Handlers[0])
	}
}

func TestCSPScanLinks(t *testing.T) {
	p, err := Scan("https://app.test/dir/page", []byte(`<a href="a">1</a><a href="/b#x">2</a><a href="/b#y">dup</a>
<base href="/other/"><a href="c">3</a><map><area href="//app.test/d"></map>
<a href="mailto:x@y">no</a><a href="javascript:x()">no</a><a>no</a><a href="https://elsewhere.test/e">kept: the crawl filters origins</a>
<svg><a href="/in-svg">not an HTML link</a></svg>`))
	if err != nil {
		t.Fatal(err)
	}
	// Links resolve against the document's base: the first <base href>.
	want := []string{"https://app.test/other/a", "https://app.test/b", "https://app.test/other/c", "https://app.test/d", "https://elsewhere.test/e"}
	if !slices.Equal(p.Links, want) {
		t.Errorf("links\n got %q\nwant %q", p.Links, want)
	}
}

func TestCSPIsJavaScriptURL(t *testing.T) {
	for v, want := range map[string]bool{
		"javascript:x": true, "JAVASCRIPT:": true, " \x01javascript:x": true, "java\tscript:x": true, "jav\nascript:": true,
		"javascript": false, "https://x/javascript:": false, "java script:x": false, "": false, "javascrip": false,
	} {
		if got := IsJavaScriptURL(v); got != want {
			t.Errorf("IsJavaScriptURL(%q) = %v", v, got)
		}
	}
}

func TestCSPScanRefusesNonHTTPURL(t *testing.T) {
	if _, err := Scan("ftp://x/", []byte("<p>")); err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Errorf("err %v", err)
	}
}
