package content

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/rules"
)

const page = "https://www.example.com/dir/page.html"

// goodSRI is a well-formed sha384 integrity value.
var goodSRI = "sha384-" + base64.StdEncoding.EncodeToString(make([]byte, 48))

// want is one expected issue: rule, line and URL; info marks Info severity.
type want struct {
	rule string
	line int
	url  string
	info bool
}

func (w want) String() string {
	return fmt.Sprintf("%s line %d %s info=%v", w.rule, w.line, w.url, w.info)
}

const (
	active  = RuleMixedActive
	passive = RuleMixedPassive
	sri     = RuleSRIMissing
	form    = RuleFormAction
)

func TestCheck(t *testing.T) {
	t.Parallel()
	uir := `<meta http-equiv="Content-Security-Policy" content="upgrade-insecure-requests">`
	for _, tc := range []struct {
		name, url, html string
		want            []want
	}{
		{"http script", page, `<script src="http://www.example.com/a.js"></script>`, []want{
			{active, 1, "http://www.example.com/a.js", false},
			{sri, 1, "http://www.example.com/a.js", false}, // another scheme is another origin
		}},
		{"protocol-relative script with integrity", page,
			`<script src="//cdn.example.net/a.js" integrity="` + goodSRI + `" crossorigin="anonymous"></script>`, nil},
		{"protocol-relative script without integrity", page, `<script src="//cdn.example.net/a.js"></script>`, []want{
			{sri, 1, "https://cdn.example.net/a.js", false},
		}},
		{"http image is passive", page, "<p>\n<img src=\"http://img.example.net/a.png\">", []want{
			{passive, 2, "http://img.example.net/a.png", false},
		}},
		{"image on an IP address", page, `<img src="http://192.0.2.1/a.png">`, []want{
			{passive, 1, "http://192.0.2.1/a.png", false},
		}},
		{"upgrade-insecure-requests meta", page,
			"<head>\n<script src=http://x.example.net/early.js integrity=" + goodSRI + "></script>\n" + uir +
				"\n<script src=http://x.example.net/late.js integrity=" + goodSRI + "></script>\n</head><body>" +
				"\n<img src=http://x.example.net/a.png>\n<form method=post action=http://x.example.net/login>", []want{
				{active, 2, "http://x.example.net/early.js", false},
				{active, 4, "http://x.example.net/late.js", true},
				{passive, 6, "http://x.example.net/a.png", true},
				{form, 7, "http://x.example.net/login", true},
			}},
		{"upgrade-insecure-requests meta outside head is ignored", page,
			"<body>" + uir + "<img src=http://x.example.net/a.png>", []want{
				{passive, 1, "http://x.example.net/a.png", false},
			}},
		{"report-only meta does nothing", page,
			`<meta http-equiv="Content-Security-Policy-Report-Only" content="upgrade-insecure-requests"><img src=http://x.example.net/a.png>`,
			[]want{{passive, 1, "http://x.example.net/a.png", false}}},
		{"iframe and frame", page, "<iframe src='http://f.example.net/'></iframe>\n<frame src=http://g.example.net/>", []want{
			{active, 1, "http://f.example.net/", false},
			{active, 2, "http://g.example.net/", false},
		}},
		{"iframe srcdoc wins over src", page, `<iframe srcdoc="<p>hi" src="http://f.example.net/"></iframe>`, nil},
		{"object and embed", page, "<object data=http://o.example.net/a.swf></object>\n<embed src=http://o.example.net/b.swf>", []want{
			{active, 1, "http://o.example.net/a.swf", false},
			{active, 2, "http://o.example.net/b.swf", false},
		}},
		{"link rels", page, strings.Join([]string{
			`<link rel=stylesheet href=http://l.example.net/a.css integrity="` + goodSRI + `">`,
			`<link rel="preload" as="script" href="http://l.example.net/p.js">`,
			`<link rel="preload" as="image" href="http://l.example.net/p.png">`,
			`<link rel="preload" href="http://l.example.net/no-as.js">`,
			`<link rel="shortcut icon" href="http://l.example.net/favicon.ico">`,
			`<link rel=icon crossorigin href="http://l.example.net/cors.ico">`,
			`<link rel=modulepreload href="http://l.example.net/m.js">`,
			`<link rel=prefetch href="http://l.example.net/next.html">`,
			`<link rel=manifest href="http://l.example.net/app.webmanifest">`,
			`<link rel=canonical href="http://l.example.net/">`,
		}, "\n"), []want{
			{active, 1, "http://l.example.net/a.css", false},
			{active, 2, "http://l.example.net/p.js", false},
			{passive, 3, "http://l.example.net/p.png", false},
			{passive, 5, "http://l.example.net/favicon.ico", false},
			{active, 6, "http://l.example.net/cors.ico", false},
			{active, 7, "http://l.example.net/m.js", false},
			{active, 8, "http://l.example.net/next.html", false},
			{active, 9, "http://l.example.net/app.webmanifest", false},
		}},
		{"cross-origin stylesheet without integrity", page, `<link rel=stylesheet href="https://cdn.example.net/a.css">`, []want{
			{sri, 1, "https://cdn.example.net/a.css", false},
		}},
		{"forms", page, strings.Join([]string{
			`<form method=POST action="http://login.example.net/">`,
			`<button formaction="http://b.example.net/x">go</button>`,
			`<button type=button formaction="http://b.example.net/not-submit">no</button>`,
			`<input type=submit formaction="http://b.example.net/y" formmethod=get>`,
			`<input type=text formaction="http://b.example.net/not-submit">`,
			`</form>`,
			`<form method=dialog action="http://d.example.net/"></form>`,
			`<form></form><form action=""></form><form action="/ok"></form>`,
		}, "\n"), []want{
			{form, 1, "http://login.example.net/", false},
			{form, 2, "http://b.example.net/x", false},
			{form, 4, "http://b.example.net/y", false},
		}},
		{"same-origin script without integrity is fine", page, `<script src="/app.js"></script><script src="https://WWW.example.com:443/b.js"></script>`, nil},
		{"integrity with bad syntax", page, strings.Join([]string{
			`<script src="https://cdn.example.net/1.js" integrity="sha256-"></script>`,
			`<script src="https://cdn.example.net/2.js" integrity="md5-abcd"></script>`,
			`<script src="https://cdn.example.net/3.js" integrity="sha384-abc!!"></script>`,
			`<script src="https://cdn.example.net/4.js" integrity=""></script>`,
			`<script src="https://cdn.example.net/5.js" integrity="md5-x SHA256-abc=?opt"></script>`,
			`<link rel=stylesheet href="https://cdn.example.net/6.css" integrity="sha512 abc">`,
		}, "\n"), []want{
			{sri, 1, "https://cdn.example.net/1.js", false},
			{sri, 2, "https://cdn.example.net/2.js", false},
			{sri, 3, "https://cdn.example.net/3.js", false},
			{sri, 4, "https://cdn.example.net/4.js", false},
			{sri, 6, "https://cdn.example.net/6.css", false},
		}},
		{"base href makes relative URLs mixed", page,
			"<head><base href=\"http://old.example.net/site/\">\n<script src=app.js></script>\n<body><form action=post.php>", []want{
				{active, 2, "http://old.example.net/site/app.js", false},
				{sri, 2, "http://old.example.net/site/app.js", false},
				{form, 3, "http://old.example.net/site/post.php", false},
			}},
		{"page over http has no mixed content", "http://www.example.com/",
			`<script src="http://cdn.example.net/a.js"></script><img src="http://x.example.net/a.png"><form action="http://x.example.net/"></form>`, nil},
		{"data, blob, javascript and about URLs", page, strings.Join([]string{
			`<img src="data:image/png;base64,AAAA">`,
			`<script src="blob:https://www.example.com/0e2f"></script>`,
			`<iframe src="javascript:void(0)"></iframe><iframe src="about:blank"></iframe>`,
			`<form action="javascript:go()"></form>`,
		}, "\n"), nil},
		{"loopback is potentially trustworthy", page,
			`<script src="http://localhost:8080/a.js"></script><img src="http://127.0.0.1/a.png"><img src="http://[::1]/b.png"><img src="http://app.localhost/c.png">`,
			[]want{
				{sri, 1, "http://localhost:8080/a.js", false},
			}},
		{"srcset and picture are blockable", page, strings.Join([]string{
			`<img src="/a.png" srcset="http://i.example.net/a-1x.png 1x, http://i.example.net/a-2x.png 2x">`,
			`<picture><source srcset="http://i.example.net/b.webp"><img src="http://i.example.net/b.png"></picture>`,
			`<img src="http://i.example.net/c.png">`,
		}, "\n"), []want{
			{active, 1, "http://i.example.net/a-1x.png", false},
			{active, 1, "http://i.example.net/a-2x.png", false},
			{active, 2, "http://i.example.net/b.webp", false},
			{active, 2, "http://i.example.net/b.png", false},
			{passive, 3, "http://i.example.net/c.png", false},
		}},
		{"crossorigin image and media are blockable", page, strings.Join([]string{
			`<img crossorigin src="http://i.example.net/a.png">`,
			`<video crossorigin="use-credentials"><source src="http://v.example.net/a.mp4"></video>`,
			`<audio src="http://v.example.net/b.mp3"></audio><video poster="http://v.example.net/p.jpg"><track src="http://v.example.net/t.vtt"></video>`,
		}, "\n"), []want{
			{active, 1, "http://i.example.net/a.png", false},
			{active, 2, "http://v.example.net/a.mp4", false},
			{passive, 3, "http://v.example.net/b.mp3", false},
			{passive, 3, "http://v.example.net/p.jpg", false},
			{active, 3, "http://v.example.net/t.vtt", false},
		}},
		{"same URL reported once per rule", page,
			"<img src=http://i.example.net/a.png>\n<img src=http://i.example.net/a.png>\n<picture><img src=http://i.example.net/a.png></picture>", []want{
				{passive, 1, "http://i.example.net/a.png", false},
				{active, 3, "http://i.example.net/a.png", false},
			}},
		{"CSS in style blocks and attributes", page, strings.Join([]string{
			`<style>`,
			`/* url(http://c.example.net/comment.png) */`,
			`@import url("http://c.example.net/i.css");`,
			`@font-face { font-family: x; src: url(http://c.example.net/f.woff2) format("woff2") }`,
			`body { background: url( 'http://c.example.net/bg.png' ) }`,
			`.a { content: "url(http://c.example.net/string.png)" }`,
			`</style>`,
			`<div style="background-image: URL(http\3A //c.example.net/esc.png)"></div>`,
		}, "\n"), []want{
			{active, 3, "http://c.example.net/i.css", false},
			{active, 4, "http://c.example.net/f.woff2", false},
			{passive, 5, "http://c.example.net/bg.png", false},
			{passive, 8, "http://c.example.net/esc.png", false},
		}},
		{"scripts that are not fetched", page,
			`<script type="text/template" src="http://t.example.net/a.js"></script><script type="module" src="http://t.example.net/m.js" integrity="` + goodSRI + `"></script>`,
			[]want{{active, 1, "http://t.example.net/m.js", false}}},
		{"svg script and image", page,
			"<svg>\n<script href=\"http://s.example.net/a.js\"/>\n<image xlink:href=\"http://s.example.net/b.png\"/>\n</svg>", []want{
				{active, 2, "http://s.example.net/a.js", false},
				{passive, 3, "http://s.example.net/b.png", false},
			}},
		{"foreign content", page, strings.Join([]string{
			`<svg><img src="http://s.example.net/breakout.png"><image src="http://s.example.net/html-image.png">`,
			`<svg><foreignObject><img src="http://s.example.net/fo.png"></foreignObject><img src="http://s.example.net/after.png"></svg>`,
			`<math><style>a{}</style><img src="http://s.example.net/math.png"></math>`,
		}, "\n"), []want{
			{passive, 1, "http://s.example.net/breakout.png", false},
			{passive, 1, "http://s.example.net/html-image.png", false}, // <image> in HTML is <img>
			{passive, 2, "http://s.example.net/fo.png", false},
			{passive, 2, "http://s.example.net/after.png", false},
			{passive, 3, "http://s.example.net/math.png", false},
		}},
		{"nested forms and buttons outside forms", page, strings.Join([]string{
			`<form action="/a"><form action="http://nested.example.net/"></form>`,
			`<button formaction="http://outside.example.net/">x</button>`,
			`<button form=f formaction="http://owned.example.net/">x</button>`,
		}, "\n"), []want{
			{form, 3, "http://owned.example.net/", false},
		}},
		{"noscript content is not loaded with scripting enabled", page,
			`<noscript><img src="http://n.example.net/pixel.gif"></noscript>`, nil},
		{"WHATWG URL quirks", page, strings.Join([]string{
			`<script src="http:evil.example.net/a.js" integrity="` + goodSRI + `"></script>`,
			`<img src="\\evil.example.net\b.png"><img src=" HTTP://EVIL.example.NET:80/c.png ">`,
			"<img src=\"ht\ttp://evil.example.net/d.png\">",
		}, "\n"), []want{
			{active, 1, "http://evil.example.net/a.js", false},
			{passive, 2, "http://evil.example.net/c.png", false},
			{passive, 3, "http://evil.example.net/d.png", false},
		}},
		{"CRLF and multi-line tags", page, "<p>\r\n<img\r\n src=http://i.example.net/a.png>\r<img src=http://i.example.net/b.png>", []want{
			{passive, 2, "http://i.example.net/a.png", false},
			{passive, 4, "http://i.example.net/b.png", false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tc.url, strings.NewReader(tc.html), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, is := range CheckDetailed(p) {
				got = append(got, want{is.Rule, is.Line, is.URL, is.Severity == rules.Info})
				if is.Target != p.URL {
					t.Errorf("Target = %q, want %q", is.Target, p.URL)
				}
				if !strings.HasPrefix(is.Evidence, fmt.Sprintf("line %d: <", is.Line)) && !strings.HasPrefix(is.Evidence, fmt.Sprintf("line %d: ", is.Line)) {
					t.Errorf("Evidence = %q, want line %d", is.Evidence, is.Line)
				}
				if !strings.Contains(is.Message, is.URL) {
					t.Errorf("Message %q does not name %s", is.Message, is.URL)
				}
				if r := rules.MustGet(is.Rule); is.Severity != r.Severity && is.Severity != rules.Info {
					t.Errorf("%s: severity %s, rule has %s", is.Rule, is.Severity, r.Severity)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("issues:\n got %v\nwant %v", got, tc.want)
			}
			if fs := Check(p); len(fs) != len(got) {
				t.Errorf("Check returned %d findings, CheckDetailed %d", len(fs), len(got))
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	t.Parallel()
	p, err := Parse(page, strings.NewReader(`<img src="http://192.0.2.1/a.png"><img srcset="http://i.example.net/a.png"><img crossorigin src="http://i.example.net/c.png">`), 0)
	if err != nil {
		t.Fatal(err)
	}
	is := CheckDetailed(p)
	for i, sub := range []string{"IP address", "srcset or <picture>", "crossorigin"} {
		if i >= len(is) || !strings.Contains(is[i].Message, sub) {
			t.Errorf("issue %d: want message containing %q, got %v", i, sub, is)
		}
	}
}

func TestUpgradeAll(t *testing.T) {
	t.Parallel()
	p, err := Parse(page, strings.NewReader(`<script src="http://www.example.com/a.js"></script><form action="http://www.example.com/f">`), 0)
	if err != nil {
		t.Fatal(err)
	}
	p.UpgradeAll()
	is := CheckDetailed(p)
	if len(is) != 3 {
		t.Fatalf("want 3 issues, got %v", is)
	}
	for _, i := range is {
		if wantInfo := i.Rule != sri; (i.Severity == rules.Info) != wantInfo {
			t.Errorf("%s: severity %s", i.Rule, i.Severity)
		}
	}
}

func TestCheckNil(t *testing.T) {
	t.Parallel()
	if got := Check(nil); got != nil {
		t.Errorf("Check(nil) = %v", got)
	}
	if got := Check(&Page{URL: "::"}); got != nil {
		t.Errorf("Check(bad URL) = %v", got)
	}
}

func TestParseIntegrity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int // number of well-formed hashes
	}{
		{goodSRI, 1},
		{"sha256-abc= sha512-def==", 2},
		{"SHA384-abc", 1},
		{"sha384-abc?foo=bar", 1},
		{"sha384-a_b-c", 1},
		{"sha256-", 0},
		{"sha256-===", 0},
		{"sha256-abc===", 0},
		{"sha1-abc", 0},
		{"sha384", 0},
		{"sha384-ab c", 0 + 1}, // "sha384-ab" is well-formed, "c" is ignored
		{"", 0},
		{"sha384-abc!", 0},
	} {
		hs, ok := parseIntegrity(tc.in)
		if len(hs) != tc.want || ok != (tc.want > 0) {
			t.Errorf("parseIntegrity(%q) = %v, %v; want %d hashes", tc.in, hs, ok, tc.want)
		}
	}
}
