package cspsuggest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/store"
)

var last = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// rep is a csp-violation aggregate.
func rep(directive, blocked, doc string, count uint64) store.Aggregate {
	return store.Aggregate{Site: "app", Type: "csp-violation", Directive: directive, Blocked: blocked, Document: doc,
		Count: count, Last: last, Disposition: "report"}
}

func page(t *testing.T, url, html string) *Page {
	t.Helper()
	p, err := Scan(url, []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const strictTail = "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// TestSuggest: what was observed, the policy suggested and the changes
// the app needs.
func TestCSPSuggestPolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      func(t *testing.T) Input
		policy  string
		changes []string // kinds, in order
		nonce   bool
		weak    []string // rules csp.Judge reports
	}{
		{"nothing observed: the strict baseline",
			func(t *testing.T) Input { return Input{Site: "app"} },
			"default-src 'self'; " + strictTail, nil, false, nil},
		{"origins from reports, each in its directive, self left out",
			func(t *testing.T) Input {
				return Input{Site: "app", Self: []string{"https://app.test:8443"}, Reports: []store.Aggregate{
					rep("script-src-elem", "https://cdn.test:8443", "/", 3),
					rep("script-src-elem", "https://cdn.test:8443", "/other", 1),
					rep("style-src-elem", "https://cdn.test:8443", "/", 3),
					rep("img-src", "https://img.test", "/", 2),
					rep("img-src", "data", "/", 2),
					rep("connect-src", "wss://live.test", "/", 1),
					rep("font-src", "https://fonts.test", "/", 1),
					rep("frame-src", "https://video.test", "/", 1),
					rep("form-action", "https://pay.test", "/checkout", 1),
					rep("img-src", "https://app.test:8443", "/", 9),
					{Site: "app", Type: "deprecation", Directive: "x", Document: "/", Count: 5},
				}}
			},
			"default-src 'self'; script-src 'self' https://cdn.test:8443; style-src 'self' https://cdn.test:8443; img-src 'self' data: https://img.test; font-src 'self' https://fonts.test; connect-src 'self' wss://live.test; frame-src 'self' https://video.test; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self' https://pay.test",
			nil, false, nil},
		{"inline code from reports cannot be hashed",
			func(t *testing.T) Input {
				r := rep("script-src-elem", "inline", "/", 4)
				r.Sample = "document.getElementById('x').textCont"
				return Input{Site: "app", Reports: []store.Aggregate{r,
					rep("style-src-elem", "inline", "/", 1),
					rep("script-src-attr", "inline", "/", 2),
					rep("style-src-attr", "inline", "/", 2),
				}}
			},
			"default-src 'self'; " + strictTail,
			[]string{ChangeInlineScript, ChangeInlineStyle, ChangeEventHandler, ChangeStyleAttribute}, false, nil},
		{"a javascript: URL reported as inline script",
			func(t *testing.T) Input {
				r := rep("script-src-elem", "inline", "/", 1)
				r.Sample = "javascript:void(0)"
				return Input{Site: "app", Reports: []store.Aggregate{r}}
			},
			"default-src 'self'; " + strictTail, []string{ChangeJavaScriptURL}, false, nil},
		{"eval only when a report says so, and then said",
			func(t *testing.T) Input {
				return Input{Site: "app", Reports: []store.Aggregate{rep("script-src", "eval", "/", 1), rep("script-src", "wasm-eval", "/", 1)}}
			},
			"default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; " + strictTail,
			[]string{ChangeEval}, false, []string{"csp.unsafe-eval"}},
		{"never data:, blob: or another scheme for scripts",
			func(t *testing.T) Input {
				return Input{Site: "app", Reports: []store.Aggregate{
					rep("script-src-elem", "data", "/", 1), rep("script-src-elem", "blob", "/", 1),
					rep("worker-src", "blob", "/", 1), rep("style-src-elem", "data", "/", 1),
					rep("frame-src", "data", "/", 1),
				}}
			},
			"default-src 'self'; " + strictTail,
			[]string{ChangeRefusedSource, ChangeRefusedSource, ChangeRefusedSource, ChangeRefusedSource, ChangeRefusedSource}, false, nil},
		{"extensions, empty and unknown blocked values are ignored",
			func(t *testing.T) Input {
				return Input{Site: "app", Reports: []store.Aggregate{
					rep("script-src-elem", "chrome-extension", "/", 1), rep("img-src", "", "/", 1),
					rep("script-src-elem", "other", "/", 1), rep("trusted-types", "trusted-types-sink", "/", 1),
					rep("default-src", "https://x.test", "/", 1), rep("img-src", "eval", "/", 1),
				}}
			},
			"default-src 'self'; " + strictTail, nil, false, nil},
		{"plugins, bases, framing and mixed content are changes",
			func(t *testing.T) Input {
				return Input{Site: "app", Reports: []store.Aggregate{
					rep("object-src", "https://flash.test", "/", 1), rep("base-uri", "https://evil.test", "/", 1),
					rep("frame-ancestors", "https://embedder.test", "/", 1), rep("script-src-elem", "http://cdn.test", "/", 1),
				}}
			},
			"default-src 'self'; " + strictTail,
			[]string{ChangePlugin, ChangeBase, ChangeFramed, ChangeMixedContent}, false, nil},
		{"a crawl: origins, hashes, handlers, javascript: URLs, style attributes, forms",
			func(t *testing.T) Input {
				return Input{Site: "app", Pages: []*Page{page(t, "https://app.test/", `<!doctype html>
<link rel=stylesheet href="https://cdn.test/s.css"><link rel=stylesheet href="/local.css">
<script src="https://cdn.test/lib.js"></script><script src="/app.js"></script>
<script>alert(1)</script><style>body{color:red}</style>
<img src="https://img.test/a.png"><img src="data:image/png;base64,AAAA"><img src="/own.png">
<link rel=preload as=font href="https://fonts.test/f.woff2" crossorigin>
<link rel=modulepreload href="https://esm.test/m.js">
<iframe src="https://video.test/embed"></iframe><video src="https://media.test/v.mp4"></video>
<object data="https://flash.test/x.swf"></object>
<form action="https://pay.test/charge" method=post></form><form action="/search"></form>
<button onclick="go()">go</button><a href="javascript:void(0)">x</a><p style="color:red">
<script src="http://insecure.test/x.js"></script>`)}}
			},
			"default-src 'self'; script-src 'self' https://cdn.test https://esm.test " + hashAlert + "; style-src 'self' https://cdn.test " + hashRed +
				"; img-src 'self' data: https://img.test; font-src 'self' https://fonts.test; media-src 'self' https://media.test; frame-src 'self' https://video.test; " +
				"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self' https://pay.test",
			[]string{ChangePlugin, ChangeMixedContent, ChangeEventHandler, ChangeJavaScriptURL, ChangeStyleAttribute}, false, nil},
		{"a crawl covers the reports of a page's inline script",
			func(t *testing.T) Input {
				return Input{Site: "app", Pages: []*Page{page(t, "https://app.test/", `<script>alert(1)</script>`)},
					Reports: []store.Aggregate{rep("script-src-elem", "inline", "/", 2)}}
			},
			"default-src 'self'; script-src 'self' " + hashAlert + "; " + strictTail, nil, false, nil},
		{"nonced scripts rely on the nonce, not a hash",
			func(t *testing.T) Input {
				p := page(t, "https://app.test/", `<script nonce="bm9uY2U=">alert(1)</script><script nonce="stale">alert(1)</script>`)
				pol, _ := csp.Parse("script-src 'self' 'nonce-bm9uY2U='")
				p.Policies = []csp.Policy{pol}
				return Input{Site: "app", Pages: []*Page{p}}
			},
			"default-src 'self'; script-src 'self' " + hashAlert + "; " + strictTail, nil, true, nil},
		{"inline code that changes per request needs a nonce",
			func(t *testing.T) Input {
				p := page(t, "https://app.test/", `<script>alert(1)</script><style>body{color:red}</style>`)
				p.Unstable = p.Inline[:1]
				return Input{Site: "app", Pages: []*Page{p}}
			},
			"default-src 'self'; style-src 'self' " + hashRed + "; " + strictTail, []string{ChangeInlineScript}, false, nil},
		{"SVG inline scripts are not hashed",
			func(t *testing.T) Input {
				return Input{Site: "app", Pages: []*Page{page(t, "https://app.test/", `<svg><script>alert(1)</script></svg>`)}}
			},
			"default-src 'self'; " + strictTail, []string{ChangeInlineScript}, false, nil},
		{"frame-ancestors as X-Frame-Options says",
			func(t *testing.T) Input { return Input{Site: "app", FrameOptions: "SAMEORIGIN", Nonce: true} },
			"default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'", nil, true, nil},
		{"no X-Frame-Options: no frame-ancestors",
			func(t *testing.T) Input { return Input{Site: "app", FrameOptions: "off"} },
			"default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'", nil, false, []string{"csp.frame-ancestors-missing"}},
		{"frame-ancestors from the crawled page's headers",
			func(t *testing.T) Input {
				p := page(t, "https://app.test/", `<p>`)
				p.FrameOptions = "SAMEORIGIN"
				return Input{Site: "app", Pages: []*Page{p}}
			},
			"default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'", nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Suggest(tt.in(t))
			if s.Policy != tt.policy {
				t.Errorf("policy\n got %s\nwant %s", s.Policy, tt.policy)
			}
			var kinds []string
			for _, c := range s.Changes {
				kinds = append(kinds, c.Kind)
				if c.Fix == "" || c.Where.Detail == "" {
					t.Errorf("change without fix or evidence: %+v", c)
				}
			}
			if !slices.Equal(kinds, tt.changes) {
				t.Errorf("changes %q, want %q\n%+v", kinds, tt.changes, s.Changes)
			}
			if s.Nonce != tt.nonce {
				t.Errorf("nonce %v, want %v", s.Nonce, tt.nonce)
			}
			var weak []string
			for _, w := range s.Weaknesses {
				weak = append(weak, w.Rule)
			}
			if !slices.Equal(weak, tt.weak) {
				t.Errorf("weaknesses %q, want %q", weak, tt.weak)
			}
			checkSuggestion(t, s)
		})
	}
}

// checkSuggestion checks what holds for every suggestion: the policy is
// valid, every source Allowed and explained, and the config snippet
// carries it.
func checkSuggestion(t testing.TB, s *Suggestion) {
	t.Helper()
	p, err := csp.Parse(s.Policy)
	if err != nil {
		t.Fatalf("invalid policy %q: %v", s.Policy, err)
	}
	if !p.Equal(s.CSP()) {
		t.Errorf("CSP() %v differs from Policy %q", s.CSP(), s.Policy)
	}
	explained := map[string]bool{}
	for _, src := range s.Sources {
		explained[src.Directive+" "+src.Source] = true
		if len(src.Why) == 0 {
			t.Errorf("%s %s has no reason", src.Directive, src.Source)
		}
	}
	for _, d := range p.Directives {
		for _, src := range d.Sources {
			if !Allowed(d.Name, src) {
				t.Errorf("%s %s is not allowed, yet suggested", d.Name, src)
			}
			if !explained[d.Name+" "+src] {
				t.Errorf("%s %s is not explained", d.Name, src)
			}
			if src == csp.UnsafeInline || strings.Contains(src, "*") {
				t.Errorf("forbidden %s %s", d.Name, src)
			}
		}
	}
	for _, d := range []string{csp.ScriptSrc, csp.DefaultSrc} {
		srcs, _ := p.Get(d)
		for _, src := range srcs {
			if csp.Classify(src) == csp.KindScheme {
				t.Errorf("scheme source %s in %s", src, d)
			}
		}
	}
	if !strings.Contains(s.Config, "policy = \""+s.Policy+"\"\n") {
		t.Errorf("config snippet %q lacks the policy", s.Config)
	}
	if s.Nonce != strings.Contains(s.Config, "nonce = true") {
		t.Errorf("config snippet %q, nonce %v", s.Config, s.Nonce)
	}
}

func TestCSPAllowed(t *testing.T) {
	tests := []struct {
		directive, source string
		want              bool
	}{
		{"script-src", "'self'", true},
		{"script-src", "https://cdn.test", true},
		{"script-src", "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='", true},
		{"script-src", "'unsafe-eval'", true},
		{"script-src", "'unsafe-inline'", false},
		{"script-src", "'unsafe-hashes'", false},
		{"script-src", "'strict-dynamic'", false},
		{"script-src", "*", false},
		{"script-src", "*.cdn.test", false},
		{"script-src", "https://*.cdn.test", false},
		{"script-src", "https:", false},
		{"script-src", "data:", false},
		{"script-src", "blob:", false},
		{"script-src", "cdn.test", false}, // no scheme: would match http: too on an http page
		{"script-src", "'nonce-abc'", false},
		{"script-src", "'none'", false},
		{"default-src", "data:", false},
		{"worker-src", "blob:", false},
		{"style-src", "'unsafe-inline'", false},
		{"style-src", "data:", false},
		{"img-src", "data:", true},
		{"img-src", "blob:", true},
		{"img-src", "https:", false},
		{"img-src", "*", false},
		{"img-src", "'unsafe-eval'", false},
		{"img-src", "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='", false},
		{"font-src", "data:", true},
		{"font-src", "blob:", false},
		{"connect-src", "wss://live.test", true},
		{"object-src", "'none'", true},
		{"object-src", "https://flash.test", false},
		{"base-uri", "https://cdn.test", false},
		{"frame-ancestors", "'none'", true},
		{"form-action", "https://pay.test", true},
		{"form-action", "javascript:", false},
		{"script-src", "not a source", false},
	}
	for _, tt := range tests {
		if got := Allowed(tt.directive, tt.source); got != tt.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.directive, tt.source, got, tt.want)
		}
	}
}

// TestSuggestExplains: every source names its page or report (a
// report's with its count and when it last came).
func TestCSPSuggestExplains(t *testing.T) {
	in := Input{Site: "app", Pages: []*Page{page(t, "https://app.test/", "<p>\n<script src=\"https://cdn.test/lib.js\"></script>")},
		Reports: []store.Aggregate{rep("script-src-elem", "https://cdn.test", "/page", 3)}}
	s := Suggest(in)
	i := slices.IndexFunc(s.Sources, func(src Source) bool { return src.Source == "https://cdn.test" })
	if i < 0 {
		t.Fatalf("no source https://cdn.test in %+v", s.Sources)
	}
	why := s.Sources[i].Why
	if len(why) != 2 || why[0].From != FromCrawl || why[0].Page != "https://app.test/" || why[0].Line != 2 ||
		why[1].From != FromReport || why[1].Page != "/page" || why[1].Count != 3 || !why[1].Last.Equal(last) || !why[0].Last.IsZero() || !strings.Contains(why[1].Detail, "report-only") {
		t.Errorf("why %+v", why)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Site app: 1 page crawled, 3 CSP reports used",
		"  default-src 'self'; script-src 'self' https://cdn.test; " + strictTail,
		"[site.policy.csp]\n  policy = \"default-src 'self'; script-src",
		"  script-src https://cdn.test\n      crawl: https://app.test/ line 2: <script src=\"https://cdn.test/lib.js\">\n      report: /page: script-src-elem blocked https://cdn.test — 3 reports (report-only), last 2026-03-01T10:00:00Z\n",
		"The audit's CSP rules find no weakness in this policy.",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	js, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(js), `"policy":"default-src 'self'; script-src 'self' https://cdn.test;`) {
		t.Errorf("json %s %v", js, err)
	}
}

func TestCSPTOMLString(t *testing.T) {
	for in, want := range map[string]string{
		"default-src 'self'": `"default-src 'self'"`,
		`a"b\c`:              `"a\"b\\c"`,
		"a\nb":               `"a\u000Ab"`,
	} {
		if got := tomlString(in); got != want {
			t.Errorf("tomlString(%q) = %s, want %s", in, got, want)
		}
	}
}
