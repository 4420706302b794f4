// Package cspsuggest builds a Content-Security-Policy that fits an
// application from what was observed of it: the violation reports
// browsers sent while shield's strict learning policy ran report-only
// (shield.CSP.Learn; the store's aggregates), and a crawl of its pages
// with the audit's HTML parser (Scan, Crawl).
//
// The suggestion starts from a strict same-origin policy — default-src
// 'self', object-src 'none', base-uri 'self', frame-ancestors as
// X-Frame-Options says, form-action 'self' — and adds only what was seen:
// the origins each directive needs (connect-src from reports only: a
// crawl cannot see fetches), sha256 hashes of the inline scripts and
// styles the crawl read in full, 'unsafe-eval' only when a report says
// eval was blocked. It never adds what defeats a script policy —
// 'unsafe-inline' or a scheme (data:, https:) for scripts, or '*'
// anywhere (Allowed) — and reports instead, as a Change, what the
// application must change for the policy to hold: event handler
// attributes, javascript: URLs, inline code that cannot be hashed (a
// report carries only its first 40 characters), plugins. Every source
// says where it comes from (Source.Why).
package cspsuggest

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/portcullis/portcullis/audit/content"
	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/store"
)

// Input is what was observed of one site.
type Input struct {
	// Site names the site (the configuration's name, or the host crawled).
	Site string
	// Self are the site's own origins ("https://app.example.com",
	// "https://app.test:8443"), which 'self' covers; the origins of the
	// crawled pages are added.
	Self []string
	// Reports are the site's aggregated browser reports; those of type
	// csp-violation are used.
	Reports []store.Aggregate
	// Pages are the pages crawled.
	Pages []*Page
	// FrameOptions is the site's X-Frame-Options as configured: "DENY",
	// "SAMEORIGIN" or "off" (frame-ancestors 'none', 'self' or none);
	// "" when not known: the crawled pages' headers decide, else 'none'.
	FrameOptions string
	// Nonce says the site sends shield's per-request nonce (csp.nonce).
	Nonce bool
}

// Suggestion is a policy for one site, with the reason for each of its
// sources and what the application must change for it to hold.
type Suggestion struct {
	Site string `json:"site"`
	// Policy is the suggested policy, without reporting directives
	// (shield adds them) and without the per-request nonce.
	Policy string `json:"policy"`
	// Nonce says the policy relies on shield's per-request nonce for the
	// inline code that carries it (csp.nonce = true).
	Nonce bool `json:"nonce,omitempty"`
	// Config is the portcullis.toml snippet that enforces it.
	Config string `json:"config"`
	// Sources explain each source of the policy.
	Sources []Source `json:"sources"`
	// Changes are what the policy blocks and the application must change.
	Changes []Change `json:"changes,omitempty"`
	// Notes say what was left out, and why.
	Notes []string `json:"notes,omitempty"`
	// Weaknesses are what csp.Judge finds in the policy: none, unless a
	// report proved 'unsafe-eval' needed.
	Weaknesses []Weakness `json:"weaknesses,omitempty"`
	// Pages are the URLs crawled; Reports the CSP violation reports used.
	Pages   []string `json:"pages,omitempty"`
	Reports uint64   `json:"reports"`

	policy csp.Policy
}

// CSP returns the suggested policy.
func (s *Suggestion) CSP() csp.Policy { return s.policy.Clone() }

// Source is one source expression of the policy and why it is there.
type Source struct {
	Directive string     `json:"directive"`
	Source    string     `json:"source"`
	Why       []Evidence `json:"why"`
}

// Where evidence comes from.
const (
	FromBaseline = "baseline" // the strict policy every suggestion starts from
	FromConfig   = "config"   // the site's configuration
	FromCrawl    = "crawl"    // a page crawled
	FromReport   = "report"   // an aggregate of browser reports
)

// Evidence is one observation behind a source or a change.
type Evidence struct {
	From   string `json:"from"`
	Page   string `json:"page,omitempty"` // the page's URL (crawl) or path (report)
	Line   int    `json:"line,omitempty"`
	Detail string `json:"detail"`
	Count  uint64 `json:"count,omitempty"` // reports in the aggregate
	// Last is when the aggregate's latest report came (report only).
	Last time.Time `json:"last,omitzero"`
}

// String is "crawl: https://app.test/ line 5: <script src=…>".
func (e Evidence) String() string {
	s := e.From
	if e.Page != "" {
		s += ": " + e.Page
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	return s + ": " + e.Detail
}

// Kinds of Change.
const (
	ChangeEventHandler   = "event-handler"   // onclick=… and the like: script-src-attr
	ChangeJavaScriptURL  = "javascript-url"  // href="javascript:…"
	ChangeInlineScript   = "inline-script"   // inline code no hash can allow: seen only in reports, in SVG, or changing per request
	ChangeInlineStyle    = "inline-style"    // the same, for <style>
	ChangeStyleAttribute = "style-attribute" // style="…": style-src-attr
	ChangeEval           = "eval"            // eval() and the like, which 'unsafe-eval' was added for
	ChangeRefusedSource  = "refused-source"  // a source the suggestion never allows (data: scripts…)
	ChangePlugin         = "plugin"          // <object>, <embed>: object-src 'none'
	ChangeBase           = "base"            // <base href> to another origin: base-uri 'self'
	ChangeFramed         = "framed"          // framed by another origin: frame-ancestors
	ChangeMixedContent   = "mixed-content"   // http: resources on an https: site
)

// Change is something the suggested policy blocks: the application must
// change for the policy to hold (the suggestion never silently allows
// it).
type Change struct {
	Kind      string   `json:"kind"`
	Directive string   `json:"directive,omitempty"`
	Where     Evidence `json:"where"`
	Fix       string   `json:"fix"`
}

// Weakness is a csp.Weakness of the suggested policy.
type Weakness struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Allowed reports whether the suggestion may ever put source in
// directive. Never '*' or a wildcard host; never 'unsafe-inline', nor
// 'unsafe-hashes', nor 'strict-dynamic' (no nonce is known here); for
// scripts (and what can run script: default-src, workers, plugins, base
// URLs) no scheme source at all (data:, blob:, https:); elsewhere only
// data: and blob: for images, fonts, media and fetches; 'unsafe-eval'
// and 'wasm-unsafe-eval' for scripts only.
func Allowed(directive, source string) bool {
	src, err := csp.ParseSource(source)
	if err != nil {
		return false
	}
	switch directive {
	case csp.ObjectSrc:
		return src.Keyword == csp.None
	case csp.BaseURI:
		return src.Keyword == csp.Self || src.Keyword == csp.None
	}
	switch src.Kind {
	case csp.KindHost:
		return !strings.HasPrefix(src.Host, "*") && src.Scheme != ""
	case csp.KindHash:
		return directive == csp.ScriptSrc || directive == csp.StyleSrc
	case csp.KindNonce:
		return false // per request: shield adds it
	case csp.KindScheme:
		switch directive {
		case csp.ImgSrc, csp.MediaSrc, csp.ConnectSrc:
			return src.Scheme == "data" || src.Scheme == "blob"
		case csp.FontSrc:
			return src.Scheme == "data"
		}
		return false
	case csp.KindKeyword:
		switch src.Keyword {
		case csp.Self:
			return true
		case csp.None:
			return directive == csp.FrameAncestors
		case csp.UnsafeEval, csp.WasmUnsafeEval:
			return directive == csp.ScriptSrc
		}
	}
	return false
}

// fetchOrder is the order of the fetch directives in the policy.
var fetchOrder = []string{csp.ScriptSrc, csp.StyleSrc, csp.ImgSrc, csp.FontSrc, csp.ConnectSrc,
	csp.MediaSrc, csp.FrameSrc, csp.WorkerSrc, csp.ManifestSrc}

// builder accumulates one site's suggestion.
type builder struct {
	in        Input
	self      map[string]bool
	https     bool // the site is served over HTTPS (http: resources are mixed content)
	extra     map[string][]string
	why       map[[2]string][]Evidence
	changes   []Change
	notes     []string
	noted     map[string]bool
	nonce     []Evidence
	inlineDoc map[string]map[string]bool // path → "script"/"style" inline elements the crawl hashed there
	reports   uint64
}

// Suggest builds the suggestion for one site from what was observed.
func Suggest(in Input) *Suggestion {
	b := &builder{in: in, self: map[string]bool{}, extra: map[string][]string{}, why: map[[2]string][]Evidence{},
		noted: map[string]bool{}, inlineDoc: map[string]map[string]bool{}, https: true}
	httpOnly := len(in.Self) > 0
	for _, o := range in.Self {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			b.self[origin(u)] = true
			httpOnly = httpOnly && u.Scheme == "http"
		}
	}
	b.https = !httpOnly
	for _, p := range in.Pages {
		if u, err := url.Parse(p.URL); err == nil {
			b.self[origin(u)] = true
		}
	}
	for _, p := range in.Pages {
		b.page(p)
	}
	for _, a := range in.Reports {
		if a.Type == "csp-violation" {
			b.report(a)
		}
	}
	return b.finish()
}

// add puts source into directive with its evidence, unless Allowed
// refuses it (then it is a change).
func (b *builder) add(directive, source string, ev Evidence) {
	if !Allowed(directive, source) {
		b.change(ChangeRefusedSource, directive, ev,
			fmt.Sprintf("a strict policy never allows %s in %s: load it from an https: origin of the app's (or inline it with a hash for a script)", source, directive))
		return
	}
	key := [2]string{directive, source}
	if _, ok := b.why[key]; !ok {
		b.extra[directive] = append(b.extra[directive], source)
	}
	b.why[key] = append(b.why[key], ev)
}

func (b *builder) change(kind, directive string, where Evidence, fix string) {
	b.changes = append(b.changes, Change{Kind: kind, Directive: directive, Where: where, Fix: fix})
}

func (b *builder) note(s string) {
	if !b.noted[s] {
		b.noted[s] = true
		b.notes = append(b.notes, s)
	}
}

// Fixes of the changes, in words.
const (
	fixHandler     = "move the handler into a script file: element.addEventListener(…) (script-src-attr blocks every inline handler; 'unsafe-inline' would let injected ones run too)"
	fixJSURL       = "replace the javascript: URL by a real URL, or by a button whose listener is added in a script file"
	fixStyleAttr   = "move the declarations into a stylesheet (a class); or allow these exact values with style-src-attr 'unsafe-hashes' and their hashes. style-src 'unsafe-inline' is not suggested"
	fixPlugin      = "object-src 'none' blocks plugins (<object>, <embed>): use <img>, <video> or <iframe>"
	fixEval        = "'unsafe-eval' was added because a report shows the app evaluates strings as code (eval, new Function, setTimeout with a string); remove those calls and drop it"
	fixInlineNonce = "move it into a script file, or give it shield's nonce (csp.nonce = true, the app writing the nonce it receives into the element)"
)

// page adds what one crawled page needs.
func (b *builder) page(p *Page) {
	pu, err := url.Parse(p.URL)
	if err != nil {
		return
	}
	pageOrigin, pageHTTPS := origin(pu), pu.Scheme == "https"
	crawl := func(line int, detail string) Evidence {
		return Evidence{From: FromCrawl, Page: p.URL, Line: line, Detail: detail}
	}
	for _, r := range p.Content.Resources {
		if r.URL == "" {
			continue
		}
		dir := kindDirective(r)
		ev := crawl(r.Line, r.Evidence)
		if r.Kind == content.KindObject {
			b.change(ChangePlugin, csp.ObjectSrc, ev, fixPlugin)
			continue
		}
		if dir == "" {
			continue
		}
		b.resource(dir, r.URL, pageOrigin, pageHTTPS, ev)
	}
	for _, f := range p.Content.Forms {
		if f.Action == "" || IsJavaScriptURL(f.Action) {
			continue // javascript: actions are reported with the attributes
		}
		b.resource(csp.FormAction, f.Action, pageOrigin, pageHTTPS, crawl(f.Line, f.Evidence))
	}
	nonces := pageNonces(p.Policies)
	unstable := map[string]bool{}
	for _, in := range p.Unstable {
		unstable[in.Hash] = true
	}
	path := pu.EscapedPath()
	if path == "" {
		path = "/"
	}
	for _, in := range p.Inline {
		dir, kind := csp.ScriptSrc, ChangeInlineScript
		what := "inline <script>"
		if in.Kind == "style" {
			dir, kind, what = csp.StyleSrc, ChangeInlineStyle, "inline <style>"
		}
		ev := crawl(in.Line, fmt.Sprintf("%s %q", what, in.Sample))
		switch {
		case in.Nonce != "" && nonces[in.Nonce]:
			b.nonce = append(b.nonce, ev)
		case in.Hash == "":
			b.change(kind, dir, ev, "inside <svg> or <math> its text is markup, which portcullis does not hash: "+fixInlineNonce)
		case unstable[in.Hash]:
			b.change(kind, dir, ev, "its text changed between two loads of the page (per-request values: a token, user data), so no hash can allow it: "+fixInlineNonce)
		default:
			b.add(dir, in.Hash, ev)
			if b.inlineDoc[path] == nil {
				b.inlineDoc[path] = map[string]bool{}
			}
			b.inlineDoc[path][in.Kind] = true
		}
	}
	for _, a := range p.Handlers {
		b.change(ChangeEventHandler, csp.ScriptSrcAttr, crawl(a.Line, fmt.Sprintf("<%s %s=%q>", a.Tag, a.Name, a.Value)), fixHandler)
	}
	for _, a := range p.JavaScriptURLs {
		b.change(ChangeJavaScriptURL, csp.ScriptSrcElem, crawl(a.Line, fmt.Sprintf("<%s %s=%q>", a.Tag, a.Name, a.Value)), fixJSURL)
	}
	for _, a := range p.StyleAttrs {
		b.change(ChangeStyleAttribute, csp.StyleSrcAttr, crawl(a.Line, fmt.Sprintf("<%s style=%q>", a.Tag, a.Value)), fixStyleAttr)
	}
	if p.Content.Base != p.Content.URL {
		if bu, err := url.Parse(p.Content.Base); err == nil && origin(bu) != pageOrigin {
			b.change(ChangeBase, csp.BaseURI, crawl(0, "<base href=\""+p.Content.Base+"\">"),
				"base-uri 'self' ignores a <base> on another origin: relative URLs then resolve against the page; write them absolute")
		}
	}
	if p.Charset != "" {
		b.note(fmt.Sprintf("%s is served as %s: inline hashes are computed on its bytes, browsers hash its text as UTF-8; check them (or serve UTF-8)", p.URL, p.Charset))
	}
	if p.Truncated {
		b.note(fmt.Sprintf("%s hit a limit of the parser: the rest of the page was not analysed", p.URL))
	}
}

// resource adds the source a crawled resource URL needs in dir.
func (b *builder) resource(dir, raw, pageOrigin string, pageHTTPS bool, ev Evidence) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
		o := origin(u)
		if o == pageOrigin || b.self[o] {
			return
		}
		if pageHTTPS && (u.Scheme == "http" || u.Scheme == "ws") {
			b.change(ChangeMixedContent, dir, ev, "an https: page cannot use "+o+" (mixed content): serve it over https")
			return
		}
		b.add(dir, o, ev)
	case "data", "blob":
		b.add(dir, u.Scheme+":", ev)
	}
}

// kindDirective is the directive that governs a resource the audit's
// parser found, or "" for one no directive of the suggestion governs.
func kindDirective(r content.Resource) string {
	switch r.Kind {
	case content.KindScript:
		return csp.ScriptSrc
	case content.KindStylesheet:
		return csp.StyleSrc
	case content.KindFrame:
		return csp.FrameSrc
	case content.KindImage, content.KindIcon:
		return csp.ImgSrc
	case content.KindMedia, content.KindTrack:
		return csp.MediaSrc
	case content.KindFont:
		return csp.FontSrc
	case content.KindManifest:
		return csp.ManifestSrc
	case content.KindPreload:
		return preloadDirective(r.Evidence)
	}
	return "" // prefetch: no fetch directive of its own
}

// preloadDirective is the directive a <link rel=preload|modulepreload>
// is fetched under, read from the tag as written (its as attribute).
func preloadDirective(tag string) string {
	z := html.NewTokenizer(strings.NewReader(tag))
	if tt := z.Next(); tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return ""
	}
	var rel, as string
	for _, more := z.TagName(); more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "rel":
			rel = strings.ToLower(string(v))
		case "as":
			as = strings.ToLower(strings.TrimSpace(string(v)))
		}
	}
	if slices.Contains(strings.Fields(rel), "modulepreload") {
		return csp.ScriptSrc
	}
	switch as {
	case "script":
		return csp.ScriptSrc
	case "style":
		return csp.StyleSrc
	case "image":
		return csp.ImgSrc
	case "font":
		return csp.FontSrc
	case "fetch":
		return csp.ConnectSrc
	case "audio", "video", "track":
		return csp.MediaSrc
	case "worker", "sharedworker":
		return csp.WorkerSrc
	case "manifest":
		return csp.ManifestSrc
	}
	return ""
}

// pageNonces are the nonces the enforced policies of a page allow.
func pageNonces(ps []csp.Policy) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		for _, d := range []string{csp.ScriptSrc, csp.StyleSrc, csp.ScriptSrcElem, csp.StyleSrcElem, csp.DefaultSrc} {
			srcs, _ := p.Get(d)
			for _, s := range srcs {
				if src, err := csp.ParseSource(s); err == nil && src.Kind == csp.KindNonce {
					out[src.Value] = true
				}
			}
		}
	}
	return out
}

// report adds what one aggregate of CSP violation reports needs.
func (b *builder) report(a store.Aggregate) {
	b.reports += a.Count
	disp := "enforced"
	if a.Disposition == "report" {
		disp = "report-only"
	}
	detail := fmt.Sprintf("%s blocked %s — %s (%s), last %s", a.Directive, cmp.Or(a.Blocked, "(nothing named)"),
		plural(a.Count, "report"), disp, a.Last.UTC().Format(time.RFC3339))
	if a.Sample != "" {
		detail += fmt.Sprintf("; sample %q", a.Sample)
	}
	if a.Source != "" {
		detail += "; at " + a.Source
	}
	ev := Evidence{From: FromReport, Page: a.Document, Detail: detail, Count: a.Count, Last: a.Last}
	dir := a.Directive
	switch dir {
	case csp.ScriptSrc, csp.ScriptSrcElem:
		dir = csp.ScriptSrc
	case csp.StyleSrc, csp.StyleSrcElem:
		dir = csp.StyleSrc
	case csp.ChildSrc:
		dir = csp.FrameSrc
	case csp.ScriptSrcAttr, csp.StyleSrcAttr, csp.ImgSrc, csp.FontSrc, csp.ConnectSrc, csp.MediaSrc, csp.FrameSrc,
		csp.WorkerSrc, csp.ManifestSrc, csp.FormAction:
	case csp.ObjectSrc:
		b.change(ChangePlugin, csp.ObjectSrc, ev, fixPlugin)
		return
	case csp.BaseURI:
		b.change(ChangeBase, csp.BaseURI, ev, "base-uri 'self' blocks a <base> on another origin: write the URLs absolute")
		return
	case csp.FrameAncestors:
		b.change(ChangeFramed, csp.FrameAncestors, ev,
			"another origin frames the page; if it should, list it in frame-ancestors (and turn X-Frame-Options off, which allows no list)")
		return
	default:
		b.note(fmt.Sprintf("reports about %s (%s) are not used: the suggestion sets no such directive", a.Directive, plural(a.Count, "report")))
		return
	}
	switch blocked := a.Blocked; {
	case strings.Contains(blocked, "://"):
		u, err := url.Parse(blocked)
		if err != nil || u.Host == "" {
			return
		}
		o := origin(u)
		if b.self[o] {
			return
		}
		if b.https && (u.Scheme == "http" || u.Scheme == "ws") {
			b.change(ChangeMixedContent, dir, ev, "an https: page cannot use "+o+" (mixed content): serve it over https")
			return
		}
		if dir == csp.ScriptSrcAttr || dir == csp.StyleSrcAttr {
			return
		}
		b.add(dir, o, ev)
	case blocked == "inline":
		b.inline(dir, a, ev)
	case (blocked == "eval" || blocked == "wasm-eval") && dir != csp.ScriptSrc:
		b.note(fmt.Sprintf("%s of %s blocked in %s, which does not govern it: ignored", plural(a.Count, "report"), blocked, a.Directive))
	case blocked == "eval":
		b.add(csp.ScriptSrc, csp.UnsafeEval, ev)
		b.change(ChangeEval, csp.ScriptSrc, ev, fixEval)
	case blocked == "wasm-eval":
		b.add(csp.ScriptSrc, csp.WasmUnsafeEval, ev)
	case blocked == "data" || blocked == "blob":
		b.add(dir, blocked+":", ev)
	case blocked == "":
		b.note(fmt.Sprintf("%s about %s named nothing blocked: not used", plural(a.Count, "report"), a.Directive))
	case strings.HasSuffix(blocked, "-extension") || blocked == "safari-web-extension":
		b.note(fmt.Sprintf("%s blocked a browser extension's %s resources (%s): not the app's, ignored", plural(a.Count, "report"), blocked, a.Directive))
	default:
		b.note(fmt.Sprintf("%s blocked %q in %s: not a source the suggestion allows, ignored", plural(a.Count, "report"), blocked, a.Directive))
	}
}

// inline handles reports of blocked inline code, which they cannot let
// anyone hash: a report carries at most the first 40 characters.
func (b *builder) inline(dir string, a store.Aggregate, ev Evidence) {
	switch {
	case dir == csp.ScriptSrcAttr:
		b.change(ChangeEventHandler, dir, ev, fixHandler)
	case dir == csp.StyleSrcAttr:
		b.change(ChangeStyleAttribute, dir, ev, fixStyleAttr)
	case dir == csp.ScriptSrc && IsJavaScriptURL(a.Sample):
		b.change(ChangeJavaScriptURL, csp.ScriptSrcElem, ev, fixJSURL)
	case dir == csp.ScriptSrc || dir == csp.StyleSrc:
		kind, elem := "script", ChangeInlineScript
		if dir == csp.StyleSrc {
			kind, elem = "style", ChangeInlineStyle
		}
		if b.inlineDoc[a.Document][kind] {
			b.note(fmt.Sprintf("reports of inline %ss on %s: the crawl hashed the inline %ss of that page; a report's sample (at most 40 characters) cannot be hashed, so check that the page has no other", kind, a.Document, kind))
			return
		}
		b.change(elem, dir, ev, "a report carries at most the first 40 characters of inline code, which cannot be hashed: crawl the page (portcullis csp suggest URL) to hash it, or "+fixInlineNonce)
	default:
		b.note(fmt.Sprintf("%s of inline code in %s: not used", plural(a.Count, "report"), a.Directive))
	}
}

// finish assembles the policy and its explanation.
func (b *builder) finish() *Suggestion {
	s := &Suggestion{Site: b.in.Site, Reports: b.reports, Changes: b.changes}
	for _, p := range b.in.Pages {
		s.Pages = append(s.Pages, p.URL)
	}
	baseline := func(d, src, why string) {
		s.Sources = append(s.Sources, Source{Directive: d, Source: src, Why: []Evidence{{From: FromBaseline, Detail: why}}})
	}
	var p csp.Policy
	p.Set(csp.DefaultSrc, csp.Self)
	baseline(csp.DefaultSrc, csp.Self, "the site's own origin, for every kind of resource a directive below does not name")
	for _, d := range fetchOrder {
		extra := b.extra[d]
		if len(extra) == 0 {
			continue
		}
		slices.SortStableFunc(extra, sourceOrder)
		p.Set(d, append([]string{csp.Self}, extra...)...)
		baseline(d, csp.Self, "the site's own origin, as default-src")
		for _, src := range extra {
			s.Sources = append(s.Sources, Source{Directive: d, Source: src, Why: b.why[[2]string{d, src}]})
		}
	}
	p.Set(csp.ObjectSrc, csp.None)
	baseline(csp.ObjectSrc, csp.None, "no plugins (<object>, <embed>): they run outside the policy")
	p.Set(csp.BaseURI, csp.Self)
	baseline(csp.BaseURI, csp.Self, "an injected <base> cannot redirect the page's relative script URLs")
	if fa, why := b.frameAncestors(); fa != "" {
		p.Set(csp.FrameAncestors, fa)
		s.Sources = append(s.Sources, Source{Directive: csp.FrameAncestors, Source: fa, Why: []Evidence{why}})
	}
	forms := b.extra[csp.FormAction]
	slices.SortStableFunc(forms, sourceOrder)
	p.Set(csp.FormAction, append([]string{csp.Self}, forms...)...)
	baseline(csp.FormAction, csp.Self, "forms submit to the site itself (form-action does not fall back to default-src)")
	for _, src := range forms {
		s.Sources = append(s.Sources, Source{Directive: csp.FormAction, Source: src, Why: b.why[[2]string{csp.FormAction, src}]})
	}
	s.policy = p
	s.Policy = p.String()
	s.Nonce = b.in.Nonce || len(b.nonce) > 0
	if s.Nonce {
		why := b.nonce
		if b.in.Nonce {
			why = append([]Evidence{{From: FromConfig, Detail: "csp.nonce = true: shield adds a fresh nonce to script-src and style-src on every response"}}, why...)
		}
		s.Sources = append(s.Sources, Source{Directive: csp.ScriptSrc, Source: "'nonce-…' (per request)", Why: why})
	}
	for _, w := range csp.Judge([]csp.Policy{p}, nil) {
		s.Weaknesses = append(s.Weaknesses, Weakness{Rule: w.Rule, Message: w.Message})
	}
	if len(b.in.Pages) == 0 {
		b.note("no page was crawled: inline scripts and styles cannot be hashed from reports (their samples are clipped); run portcullis csp suggest URL to read the pages")
	}
	if len(b.in.Reports) == 0 {
		b.note("no report was used: connect-src (fetch, XHR, WebSocket) and what scripts load cannot be seen by a crawl; turn learning on (csp.learn = true) and let browsers visit")
	}
	s.Notes = b.notes
	s.Config = configSnippet(s)
	return s
}

// frameAncestors is what the policy's frame-ancestors is, and why; ""
// for none.
func (b *builder) frameAncestors() (string, Evidence) {
	switch fo := strings.ToUpper(b.in.FrameOptions); fo {
	case "DENY":
		return csp.None, Evidence{From: FromConfig, Detail: "X-Frame-Options: DENY: no site may frame the pages"}
	case "SAMEORIGIN":
		return csp.Self, Evidence{From: FromConfig, Detail: "X-Frame-Options: SAMEORIGIN: only the site frames its pages"}
	case "OFF":
		b.note("X-Frame-Options is off, so the suggestion has no frame-ancestors and any site may frame the pages (the audit reports csp.frame-ancestors-missing): list the origins that may in frame-ancestors")
		return "", Evidence{}
	}
	for _, p := range b.in.Pages {
		for _, pol := range p.Policies {
			if srcs, ok := pol.Get(csp.FrameAncestors); ok && len(srcs) > 0 && allAncestors(srcs) {
				return strings.Join(srcs, " "), Evidence{From: FromCrawl, Page: p.URL, Detail: "the page's own Content-Security-Policy frame-ancestors"}
			}
		}
		switch strings.ToUpper(strings.TrimSpace(p.FrameOptions)) {
		case "SAMEORIGIN":
			return csp.Self, Evidence{From: FromCrawl, Page: p.URL, Detail: "the page's X-Frame-Options: SAMEORIGIN"}
		case "DENY":
			return csp.None, Evidence{From: FromCrawl, Page: p.URL, Detail: "the page's X-Frame-Options: DENY"}
		}
	}
	return csp.None, Evidence{From: FromBaseline, Detail: "no site may frame the pages (clickjacking), as X-Frame-Options: DENY"}
}

// allAncestors reports whether a page's frame-ancestors sources can be
// kept as they are: 'none', 'self' and origins, never a wildcard.
func allAncestors(srcs []string) bool {
	for _, s := range srcs {
		src, err := csp.ParseSource(s)
		if err != nil || src.Kind == csp.KindScheme || strings.HasPrefix(src.Host, "*") ||
			(src.Kind == csp.KindKeyword && src.Keyword != csp.Self && src.Keyword != csp.None) {
			return false
		}
	}
	return true
}

// sourceOrder puts keywords first, then schemes, hosts, hashes; each
// group sorted.
func sourceOrder(a, b string) int {
	rank := func(s string) int {
		switch csp.Classify(s) {
		case csp.KindKeyword:
			return 0
		case csp.KindScheme:
			return 1
		case csp.KindHost:
			return 2
		}
		return 3
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// configSnippet is the portcullis.toml that enforces s.
func configSnippet(s *Suggestion) string {
	var b strings.Builder
	b.WriteString("[site.policy.csp]\n")
	fmt.Fprintf(&b, "policy = %s\n", tomlString(s.Policy))
	if s.Nonce {
		b.WriteString("nonce = true\n")
	}
	b.WriteString("learn = false\n")
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// origin is scheme://host[:port] of a URL, without a default port, as
// the report collector writes blocked origins.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	switch {
	case port == "",
		port == "80" && (scheme == "http" || scheme == "ws"),
		port == "443" && (scheme == "https" || scheme == "wss"):
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

func plural(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
