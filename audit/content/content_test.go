package content

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestResolveURL(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse(page)
	p := &parser{}
	longData := "data:image/png;base64," + strings.Repeat("A", MaxURLBytes)
	for _, tc := range []struct {
		in, want string
		fails    bool
	}{
		{"x.js", "https://www.example.com/dir/x.js", false},
		{"/x.js", "https://www.example.com/x.js", false},
		{"../up.js", "https://www.example.com/up.js", false},
		{"?q=1", "https://www.example.com/dir/page.html?q=1", false},
		{"#frag", "https://www.example.com/dir/page.html#frag", false},
		{"//cdn.example.net/x.js", "https://cdn.example.net/x.js", false},
		{"///cdn.example.net/x.js", "https://cdn.example.net/x.js", false},
		{`\\cdn.example.net\x.js`, "https://cdn.example.net/x.js", false},
		{`/a\b?c\d`, `https://www.example.com/a/b?c\d`, false}, // not in a query
		{"http:evil.example.net/x", "http://evil.example.net/x", false},
		{"http:///evil.example.net/x", "http://evil.example.net/x", false},
		{`http:\\evil.example.net\x`, "http://evil.example.net/x", false},
		{"https:x.js", "https://www.example.com/dir/x.js", false},
		{"https://a.example.net", "https://a.example.net", false},
		{" \t HTTP://A.Example.NET:80/x \n", "http://a.example.net/x", false},
		{"HTTPS://A.example.net:443/", "https://a.example.net/", false},
		{"https://a.example.net:8443/", "https://a.example.net:8443/", false},
		{"http://a.example.net:/", "http://a.example.net/", false},
		{"ht\ntp://e.example.net/\t", "http://e.example.net/", false},
		{"a b.png", "https://www.example.com/dir/a%20b.png", false},
		{"%zz", "https://www.example.com/dir/%25zz", false},
		{"é.png", "https://www.example.com/dir/%C3%A9.png", false},
		{"data:text/plain,hi", "data:text/plain,hi", false},
		{"javascript:alert(1)", "javascript:alert(1)", false},
		{"blob:https://www.example.com/0e2f", "blob:https://www.example.com/0e2f", false},
		{longData, "data:image/png;base64," + strings.Repeat("A", maxDataURL-len("data:image/png;base64,")-3) + "...", false},
		// Long data: URLs keep a parsable head whatever bytes they hold
		// (found by FuzzParse: a control byte made it unparsable).
		{"data:\x11" + strings.Repeat("A", MaxURLBytes), "data:%11" + strings.Repeat("A", maxDataURL-len("data:%11")-3) + "...", false},
		{"DATA:\tx\n" + strings.Repeat("A", MaxURLBytes), "data:x" + strings.Repeat("A", maxDataURL-len("data:x")-3) + "...", false},
		{"data:" + strings.Repeat("\x80", MaxURLBytes), "data:" + strings.Repeat("%80", 30) + "...", false},
		{"data:" + strings.Repeat("\x80", 200), "data:" + strings.Repeat("\x80", maxDataURL-len("data:")-6) + "...", false}, // not UTF-8: cut anyway
		{"data:" + strings.Repeat("A", 90) + "%41%41%41" + strings.Repeat("A", 100), "data:" + strings.Repeat("A", 90) + "...", false},
		{"data:" + strings.Repeat("A", 89) + "%41%41%41" + strings.Repeat("A", 100), "data:" + strings.Repeat("A", 89) + "%41...", false},
		{"data:" + strings.Repeat("é", 100), "data:" + strings.Repeat("é", 46) + "...", false},
		{"http://" + strings.Repeat("a", MaxURLBytes), "", true},
		{"http://", "", true},
		{"http:", "", true},
		{"http://[::1", "", true},
		{"http::", "", true},
		{"//:80/x", "", true},
		{"http://a b.example.net/", "", true},
		{"http://a.example.net:99999999999/", "", true},
	} {
		got, err := p.resolveURL(tc.in, base)
		if got != tc.want || (err != nil) != tc.fails {
			t.Errorf("resolveURL(%.60q) = %q, %v; want %q (fails %v)", tc.in, got, err, tc.want, tc.fails)
		}
	}
}

func TestResolveAgainstOpaqueBase(t *testing.T) {
	t.Parallel()
	p, err := Parse(page, strings.NewReader(`<base href="data:text/html,x"><img src="a.png"><img src="http://i.example.net/b.png">`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Resources) != 2 || p.Resources[0].URL != "" || p.Resources[0].Problem == "" || p.Resources[1].URL != "http://i.example.net/b.png" {
		t.Fatalf("resources = %+v", p.Resources)
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Msg, "cannot be resolved") {
		t.Errorf("problems = %v", p.Problems)
	}
}

func TestSplitSrcset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a.png", []string{"a.png"}},
		{"a.png 1x, b.png 2x", []string{"a.png", "b.png"}},
		{"a.png,b.png", []string{"a.png,b.png"}}, // a comma inside a URL does not split
		{"a.png, b.png", []string{"a.png", "b.png"}},
		{"a.png,, ,b.png 100w", []string{"a.png", "b.png"}},
		{" ,, a.png 1x (x, y), c.png", []string{"a.png", "c.png"}},
		{"data:image/png;base64,AAA= 1x, b.png 2x", []string{"data:image/png;base64,AAA=", "b.png"}},
		{"a.png 1x b.png 2x", []string{"a.png"}}, // "b.png" is a (bad) descriptor
		{"", nil},
		{" , , ", nil},
	} {
		if got := splitSrcset(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitSrcset(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCSSURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // "kind:url" joined by spaces
	}{
		{"a{background:url(x.png)}", "image:x.png"},
		{`a{background:url("x y.png")}`, "image:x y.png"},
		{`a{b:url( 'x.png' )}`, "image:x.png"},
		{`a{b:url(x y.png)}`, ""}, // bad url token
		{`a{b:url("x.png" y)}`, ""},
		{`a{b:myurl(x.png)}`, ""},
		{`a{b:url(x\).png)}`, "image:x).png"},
		{`a{b:url(\68 ttp://x/)}`, "image:http://x/"},
		{`a{b:"url(x.png)"}`, ""},
		{`/* url(x.png) */`, ""},
		{`/* unterminated url(x.png)`, ""},
		{`@import "a.css"; @import url(b.css) screen; @IMPORT 'c.css'`, "stylesheet:a.css stylesheet:b.css stylesheet:c.css"},
		{`@font-face{src:url(f.woff)} a{b:url(i.png)}`, "font:f.woff image:i.png"},
		{`@media print{@font-face{src:url(f.woff)}} a{b:url(i.png)}`, "font:f.woff image:i.png"},
		{`@font-face; a{b:url(i.png)}`, "image:i.png"},
		{`a{b:url(x.png`, "image:x.png"},
		{`a{b:"unterminated`, ""},
		{"a{b:url('x\\\ny.png')}", "image:xy.png"},
		{`}}}{{{url(x)`, "image:x"},
		{`\`, ""},
	} {
		var got []string
		for _, r := range cssURLs(tc.in) {
			got = append(got, r.kind.String()+":"+r.url)
			if r.off < 0 || r.end > len(tc.in) || r.off >= r.end {
				t.Errorf("cssURLs(%q): bad range %d-%d", tc.in, r.off, r.end)
			}
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("cssURLs(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestParseBase(t *testing.T) {
	t.Parallel()
	html := strings.Join([]string{
		`<script src="early.js"></script>`,
		`<base target=_blank>`,
		`<base href="https://static.example.net/v1/">`,
		`<base href="https://ignored.example.net/">`,
		`<script src="late.js"></script>`,
		`<form action="post"></form>`,
	}, "\n")
	p, err := Parse(page, strings.NewReader(html), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Base != "https://static.example.net/v1/" {
		t.Errorf("Base = %q", p.Base)
	}
	var urls []string
	for _, r := range p.Resources {
		urls = append(urls, r.URL)
	}
	want := []string{"https://www.example.com/dir/early.js", "https://static.example.net/v1/late.js"}
	if !reflect.DeepEqual(urls, want) {
		t.Errorf("resources = %q, want %q", urls, want)
	}
	if len(p.Forms) != 1 || p.Forms[0].Action != "https://static.example.net/v1/post" || p.Forms[0].Method != "GET" {
		t.Errorf("forms = %+v", p.Forms)
	}
}

func TestParseBadBase(t *testing.T) {
	t.Parallel()
	p, err := Parse(page, strings.NewReader(`<base href="http://[bad"><base href="https://x.example.net/"><img src=a.png>`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Base != p.URL || p.Resources[0].URL != "https://www.example.com/dir/a.png" {
		t.Errorf("Base = %q, resources = %+v", p.Base, p.Resources)
	}
	if len(p.Problems) != 1 || p.Problems[0].Line != 1 || !strings.Contains(p.Problems[0].String(), "line 1: <base href> ignored") {
		t.Errorf("problems = %v", p.Problems)
	}
}

func TestParseResources(t *testing.T) {
	t.Parallel()
	html := "<!DOCTYPE html>\n<html><head>\n" +
		`<meta http-equiv="content-security-policy" content="default-src 'self'; upgrade-insecure-requests">` + "\n" +
		`<script src="https://cdn.example.net/a.js" integrity="sha384-abc" crossorigin="anonymous"></script>` + "\n" +
		`</head><body><input type=image src="/go.png"><table background="bg.png"></table>` + "\n" +
		`<meta http-equiv="Content-Security-Policy" content="img-src *">`
	p, err := Parse(page, strings.NewReader(html), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Resource{
		{URL: "https://cdn.example.net/a.js", Kind: KindScript, Active: true, Tag: "script", Attr: "src", Line: 4,
			Integrity: "sha384-abc", HasIntegrity: true, CrossOrigin: "anonymous", HasCrossOrigin: true, Upgraded: true,
			Evidence: `<script src="https://cdn.example.net/a.js" integrity="sha384-abc" crossorigin="anonymous">`},
		{URL: "https://www.example.com/go.png", Kind: KindImage, Tag: "input", Attr: "src", Line: 5, Upgraded: true,
			Evidence: `<input type=image src="/go.png">`},
		{URL: "https://www.example.com/dir/bg.png", Kind: KindImage, Tag: "table", Attr: "background", Line: 5, Upgraded: true,
			Evidence: `<table background="bg.png">`},
	}
	if !reflect.DeepEqual(p.Resources, want) {
		t.Errorf("resources:\n got %+v\nwant %+v", p.Resources, want)
	}
	if !p.UpgradeInsecure || len(p.MetaCSP) != 2 || !p.MetaCSP[0].Enforced || p.MetaCSP[1].Enforced || p.MetaCSP[1].Line != 6 {
		t.Errorf("UpgradeInsecure = %v, MetaCSP = %+v", p.UpgradeInsecure, p.MetaCSP)
	}
	// The sha384 digest is too short, and the second <meta> is outside <head>.
	if len(p.Problems) != 2 || p.Problems[0].Line != 4 || !strings.Contains(p.Problems[0].Msg, "is 2 bytes, not 48") ||
		p.Problems[1].Line != 6 || !strings.Contains(p.Problems[1].Msg, "outside <head>") {
		t.Errorf("problems = %v", p.Problems)
	}
}

func TestParseHeadEnd(t *testing.T) {
	t.Parallel()
	meta := `<meta http-equiv="Content-Security-Policy" content="upgrade-insecure-requests">`
	for _, tc := range []struct {
		html     string
		enforced bool
	}{
		{meta, true},
		{"<!-- c --> <html> <head><title>t</title><script>x</script>" + meta, true},
		{"<head></head>" + meta, false},
		{"hello" + meta, false},
		{"<div>" + meta, false},
		{"<body>" + meta, false},
		{"<svg><title>x</title></svg>" + meta, false},
	} {
		p, err := Parse(page, strings.NewReader(tc.html), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.MetaCSP) != 1 || p.MetaCSP[0].Enforced != tc.enforced || p.UpgradeInsecure != tc.enforced {
			t.Errorf("%q: MetaCSP = %+v, UpgradeInsecure = %v; want enforced %v", tc.html, p.MetaCSP, p.UpgradeInsecure, tc.enforced)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "/relative", "ftp://example.com/", "https://", "http://[::1", "data:text/html,x"} {
		if _, err := Parse(u, strings.NewReader("<p>"), 0); err == nil {
			t.Errorf("Parse(%q) succeeded", u)
		}
	}
	boom := errors.New("connection reset")
	_, err := Parse(page, io.MultiReader(strings.NewReader("<p>\n<img src=a.png>"), errReader{boom}), 0)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Parse with a failing reader: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestParseLimits(t *testing.T) {
	t.Parallel()
	t.Run("maxBytes", func(t *testing.T) {
		t.Parallel()
		html := `<img src="http://a.example.net/1.png"><img src="http://a.example.net/2.png">`
		p, err := Parse(page, strings.NewReader(html), int64(len(html)-5))
		if err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || len(p.Resources) != 1 || len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Msg, "larger than") {
			t.Errorf("Truncated = %v, resources = %d, problems = %v", p.Truncated, len(p.Resources), p.Problems)
		}
		p, err = Parse(page, strings.NewReader(html), int64(len(html)))
		if err != nil || p.Truncated || len(p.Resources) != 2 {
			t.Errorf("exact size: %v, Truncated = %v, resources = %d", err, p.Truncated, len(p.Resources))
		}
	})
	t.Run("resources", func(t *testing.T) {
		t.Parallel()
		html := strings.Repeat("<img src=a.png>", MaxResources+5)
		p, err := Parse(page, strings.NewReader(html), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || len(p.Resources) != MaxResources || len(p.Problems) != 1 {
			t.Errorf("Truncated = %v, resources = %d, problems = %v", p.Truncated, len(p.Resources), p.Problems)
		}
	})
	t.Run("forms", func(t *testing.T) {
		t.Parallel()
		p, err := Parse(page, strings.NewReader(strings.Repeat("<form></form>", MaxForms+1)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || len(p.Forms) != MaxForms {
			t.Errorf("Truncated = %v, forms = %d", p.Truncated, len(p.Forms))
		}
	})
	t.Run("long URLs", func(t *testing.T) {
		t.Parallel()
		long := "http://a.example.net/" + strings.Repeat("x", 2*MaxURLBytes)
		p, err := Parse(page, strings.NewReader(`<img src="`+long+`"><form action="`+long+`">`), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Resources) != 1 || p.Resources[0].URL != "" || !strings.Contains(p.Resources[0].Problem, "over the 8192-byte limit") {
			t.Errorf("resources = %+v", p.Resources)
		}
		if len(p.Forms) != 1 || p.Forms[0].Action != "" || p.Forms[0].Problem == "" {
			t.Errorf("forms = %+v", p.Forms)
		}
	})
	t.Run("evidence", func(t *testing.T) {
		t.Parallel()
		tag := "<img src=\"http://a.example.net/\xc3\xa9.png\"\n alt=\"" + strings.Repeat("é", 200) + "\">"
		p, err := Parse(page, strings.NewReader(tag), 0)
		if err != nil {
			t.Fatal(err)
		}
		ev := p.Resources[0].Evidence
		if len(ev) > evidenceBytes || !strings.HasSuffix(ev, "é...") || strings.ContainsAny(ev, "\n") ||
			!strings.HasPrefix(ev, `<img src="http://a.example.net/é.png"  alt="`) {
			t.Errorf("Evidence = %q (%d bytes)", ev, len(ev))
		}
	})
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{KindScript: "script", KindManifest: "manifest", 0: "Kind(0)", 99: "Kind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestParseIsDeterministic(t *testing.T) {
	t.Parallel()
	html := `<img srcset="http://a/1 1x, http://a/2 2x"><style>@import "x.css"</style><form action=http://f/>`
	a, _ := Parse(page, strings.NewReader(html), 0)
	b, _ := Parse(page, strings.NewReader(html), 0)
	if !reflect.DeepEqual(a, b) || fmt.Sprint(Check(a)) != fmt.Sprint(Check(b)) {
		t.Error("two parses of the same page differ")
	}
}
