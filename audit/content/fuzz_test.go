package content

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are realistic and hostile pages.
var fuzzSeeds = []string{
	// A hardened page.
	`<!DOCTYPE html><html lang=en><head><meta charset=utf-8>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; upgrade-insecure-requests">
<link rel=stylesheet href="/static/site.css">
<link rel=icon href="/favicon.ico">
<script src="https://cdn.example.net/lib.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC" crossorigin="anonymous"></script>
</head><body><form method=post action="/login"><input name=u><button>Sign in</button></form>
<img src="/logo.png" srcset="/logo@2x.png 2x"></body></html>`,
	// A mixed-content page.
	`<html><head><link rel="stylesheet" href="http://cdn.example.net/a.css"><script src=http://cdn.example.net/a.js></script></head>
<body style="background:url(http://img.example.net/bg.png)"><iframe src=http://ads.example.net/></iframe>
<video src=http://v.example.net/v.mp4 poster=http://v.example.net/p.jpg><track src=http://v.example.net/t.vtt></video>
<object data=http://o.example.net/x.swf></object><embed src=http://o.example.net/y.swf>
<form action="http://login.example.net/"><input type=submit formaction="http://f.example.net/"></form></body></html>`,
	// Base href tricks.
	`<base href="http://evil.example.net/"><base href="https://x.example.net/"><script src="a.js"></script><form action=p>`,
	`<base href="data:text/html,x"><img src=a.png>`,
	`<base href="  //cdn.example.net\path\ "><img src="../a.png">`,
	`<base href="javascript:alert(1)"><script src=x.js></script>`,
	// srcset edge cases.
	`<img srcset="a.png 1x,b.png 2x, c.png,, ,d.png 100w (x,y), data:image/png;base64,AA,BB 3x">`,
	`<picture><source srcset=",,,http://a/,"><source srcset=" "><img src=http://b/></picture>`,
	`<link rel=preload as=image imagesrcset="http://a/1.png 1x, http://a/2.png 2x" href=http://a/0.png>`,
	// Malformed markup.
	`<img src="http://a.example.net/x.png<script src=http://b/></script><<<>>><img src='unterminated`,
	`<scr<script>ipt src=x></script><svg><script href=http://s/></script></svg><style>@font-face{src:url(http://f/`,
	"<img\x00 src=\"http://a/\x00\">\r\n<!-- <img src=http://c/> -->\r<![CDATA[<img src=http://d/>]]>",
	`<video crossorigin><source src=http://a/><picture></video><source srcset=http://b/></picture>`,
	`</form><button formaction=http://x/ formmethod=dialog><form method=dialog><button formaction=http://y/>`,
	// Huge attribute values.
	`<img src="http://a.example.net/` + strings.Repeat("x", 9000) + `">`,
	`<img src="data:image/png;base64,` + strings.Repeat("A", 9000) + `">`,
	// data: URLs that are not UTF-8 or hold control bytes (the first
	// panicked when shortened; the second came out unparsable).
	`<img src="data:` + strings.Repeat("\x80", 200) + `">`,
	"<img src=data:\x11" + strings.Repeat("A", 9000) + ">",
	`<div style="` + strings.Repeat("background:url(http://a/);", 500) + `">`,
	// URLs that are not mixed content.
	`<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><script src="blob:https://www.example.com/uuid"></script>
<iframe src="javascript:void(0)"></iframe><a href="http://x/">x</a><iframe src="about:blank"></iframe>
<img src="http://localhost/a.png"><img src="http://127.0.0.1/b.png"><img src="http://[::1]:8080/c.png">`,
	// URL parsing quirks.
	"<img src=\"http:evil/x\"><img src=\"\\\\evil\\x\"><img src=\"ht\ttp://e/\"><img src=\"http://[::1\"><img src=\"http://a:99999/\"><img src=\"%zz\">",
	`<script src="https://cdn/x.js" integrity="sha256-"></script><script src="https://cdn/y.js" integrity="sha512-!!"></script>`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	rulesSet := map[string]bool{RuleMixedActive: true, RuleMixedPassive: true, RuleSRIMissing: true, RuleFormAction: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(page, bytes.NewReader(data), 1<<16)
		if err != nil {
			t.Fatalf("Parse failed: %v", err)
		}
		maxLine := countLines(string(data)) + 1
		checkURL := func(what, u, problem string, line int) {
			if line < 1 || line > maxLine {
				t.Fatalf("%s: line %d outside 1..%d", what, line, maxLine)
			}
			if u == "" {
				if problem == "" {
					t.Fatalf("%s: empty URL without a problem", what)
				}
				return
			}
			v, err := url.Parse(u)
			if err != nil || !v.IsAbs() {
				t.Fatalf("%s: URL %q is not absolute: %v", what, u, err)
			}
		}
		if len(p.Resources) > MaxResources || len(p.Forms) > MaxForms || len(p.Problems) > MaxProblems {
			t.Fatalf("limits exceeded: %d resources, %d forms, %d problems", len(p.Resources), len(p.Forms), len(p.Problems))
		}
		prev := 1
		for _, r := range p.Resources {
			checkURL("resource", r.URL, r.Problem, r.Line)
			if r.Line < prev {
				t.Fatalf("resource on line %d after line %d", r.Line, prev)
			}
			prev = r.Line
			if strings.HasPrefix(r.Kind.String(), "Kind(") || len(r.Evidence) > evidenceBytes {
				t.Fatalf("bad resource %+v", r)
			}
		}
		for _, fm := range p.Forms {
			checkURL("form", fm.Action, fm.Problem, fm.Line)
			if fm.Method != "GET" && fm.Method != "POST" {
				t.Fatalf("form method %q", fm.Method)
			}
		}
		if _, err := url.Parse(p.Base); err != nil {
			t.Fatalf("Base %q: %v", p.Base, err)
		}

		again, err := Parse(page, bytes.NewReader(data), 1<<16)
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("Parse is not deterministic")
		}

		issues := CheckDetailed(p)
		seen := map[string]bool{}
		prev = 1
		for _, is := range issues {
			if !rulesSet[is.Rule] || is.Target != p.URL || is.URL == "" || is.Line < prev {
				t.Fatalf("bad issue %+v", is)
			}
			prev = is.Line
			if seen[is.Rule+" "+is.URL] {
				t.Fatalf("duplicate issue %s %s", is.Rule, is.URL)
			}
			seen[is.Rule+" "+is.URL] = true
			if is.Rule != RuleSRIMissing && !strings.HasPrefix(is.URL, "http://") {
				t.Fatalf("%s for a URL that is not http: %q", is.Rule, is.URL)
			}
			if !strings.HasPrefix(is.Evidence, "line ") {
				t.Fatalf("evidence %q", is.Evidence)
			}
		}
		if fs := Check(p); len(fs) != len(issues) {
			t.Fatalf("Check and CheckDetailed disagree")
		}
		if !reflect.DeepEqual(issues, CheckDetailed(again)) {
			t.Fatalf("Check is not deterministic")
		}

		// The same bytes served over plain HTTP have no mixed content.
		hp, err := Parse("http://www.example.com/", bytes.NewReader(data), 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		if fs := Check(hp); fs != nil {
			t.Fatalf("findings on an http:// page: %v", fs)
		}
	})
}
