// Package content reads an HTML page the way a browser's parser would
// discover its subresources and forms, and judges them against the rule
// catalog: mixed content (content.mixed-active, content.mixed-passive),
// Subresource Integrity on cross-origin scripts and stylesheets
// (content.sri-missing) and forms that submit to plain HTTP
// (redirect.http-form-action).
//
// # Mixed content categories
//
// The classification follows W3C Mixed Content Level 2
// (https://www.w3.org/TR/mixed-content/, section 3 "Content Categories" and
// section 4.1 "Upgrade a mixed content request"):
//
//   - Upgradeable content ([Resource.Active] false, content.mixed-passive):
//     requests whose destination is "image" with an empty initiator (<img src>
//     without srcset and outside <picture>, <input type=image>, the legacy
//     background attribute, SVG <image>, <video poster>, CSS images, and
//     <link rel=icon>, whose fetch destination is "image" per HTML), and the
//     destinations "audio" and "video" (<video>/<audio src>, their <source
//     src>). Browsers rewrite such http:// URLs to https:// or block them.
//   - Blockable content ([Resource.Active] true, content.mixed-active):
//     everything else — scripts, stylesheets, frames, <object>/<embed>,
//     fonts, <track>, prefetch, manifests, preloads of anything but images
//     and media — and, because the upgrade algorithm excludes them, images
//     whose initiator is "imageset" (srcset, <picture>) and every CORS request
//     (an element with a crossorigin attribute). Browsers block them.
//
// Only http:// URLs count. A URL is mixed content when it is not a
// potentially trustworthy URL (W3C Secure Contexts), so https:, data:,
// blob:, about: and javascript: URLs never are, and neither are http://
// URLs on loopback hosts (localhost, *.localhost, 127.0.0.0/8, [::1]). A test fixture that
// wants mixed content must therefore reference a non-loopback name such as
// http://example.com/. Other insecure schemes (ftp:) are not supported by
// browsers at all and are ignored. Findings only concern https:// pages;
// a page served over http:// has no mixed content (its own transport is
// the problem, reported by other rules).
//
// # upgrade-insecure-requests
//
// An enforced Content-Security-Policy with upgrade-insecure-requests makes
// the browser rewrite every http:// subresource request and every form
// submission to https:// before mixed-content checks run (W3C Upgrade
// Insecure Requests, section 3), so nothing is loaded or sent in clear. Such
// references are still reported, with Info severity instead of the rule's,
// because the page only works if the https:// URL exists and older
// browsers do not upgrade. A <meta http-equiv="Content-Security-Policy"> in
// the <head> applies from its position onwards (resources before it were
// already requested): Parse marks the later resources [Resource.Upgraded].
// A policy delivered in the response header applies to the whole document;
// the caller records it with [Page.UpgradeAll].
//
// # Parsing
//
// Parse tokenizes with golang.org/x/net/html, which is tolerant of any
// input, and tracks only the context the HTML tree builder would use here:
// the <head>, open <picture>/<video>/<audio> elements, SVG and MathML
// content (with its breakout tags and <foreignObject>), the open <form>
// (a nested <form> start tag is ignored, as browsers do). Like a browser
// with scripting enabled it does not look inside <noscript>; it does not
// parse <iframe srcdoc> documents; <template> content is reported as if
// instantiated; <a ping> and URLs built by scripts are out of its reach. URLs are resolved as the WHATWG URL Standard
// does for the cases that change the outcome (whitespace and control
// characters stripped, backslashes as slashes, "http:host" and "///host"
// forms), then with net/url. Subresources are resolved against the base URL
// in effect when the element is parsed — the first <base href> once it has
// been seen, the page URL before — while form actions, resolved only on
// submission, use the document's final base URL. Input, resources, forms,
// problems and URL lengths are bounded; see the constants.
package content

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/portcullis/portcullis/csp"
)

// Limits that bound the memory Parse uses on hostile input.
const (
	DefaultMaxBytes = 8 << 20  // input read when Parse is given maxBytes <= 0
	MaxResources    = 10000    // resources kept per page; more sets Page.Truncated
	MaxForms        = 1000     // forms (and formaction buttons) kept per page
	MaxProblems     = 1000     // problems kept per page
	MaxURLBytes     = 8192     // longer attribute values are not analysed (data: URLs excepted)
	maxURLBudget    = 16 << 20 // total bytes of kept URLs per page
	evidenceBytes   = 200      // length cap of Resource.Evidence and Form.Evidence
)

// Kind is what a resource is loaded as.
type Kind int

// Resource kinds.
const (
	KindScript     Kind = iota + 1 // <script src>, SVG <script href>
	KindStylesheet                 // <link rel=stylesheet>, CSS @import
	KindFrame                      // <iframe src>, <frame src>
	KindObject                     // <object data>, <embed src>
	KindImage                      // <img>, <picture><source>, <input type=image>, poster, background, SVG <image>, CSS url()
	KindIcon                       // <link rel=icon> and the apple-touch/mask icons
	KindMedia                      // <video src>, <audio src>, their <source src>
	KindTrack                      // <track src>
	KindFont                       // CSS @font-face src
	KindPreload                    // <link rel=preload|modulepreload>
	KindPrefetch                   // <link rel=prefetch>
	KindManifest                   // <link rel=manifest>
)

var kindNames = [...]string{
	KindScript: "script", KindStylesheet: "stylesheet", KindFrame: "frame",
	KindObject: "object", KindImage: "image", KindIcon: "icon", KindMedia: "media",
	KindTrack: "track", KindFont: "font", KindPreload: "preload",
	KindPrefetch: "prefetch", KindManifest: "manifest",
}

// String returns the lower-case name of k ("script", "image", ...), or
// "Kind(N)" for an undefined value.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Resource is one subresource the page makes the browser fetch.
type Resource struct {
	URL            string // absolute, resolved; "" when it could not be resolved (see Problem); data: URLs cut to 100 bytes
	Kind           Kind   // what it is loaded as
	Active         bool   // blockable mixed content category (true) or upgradeable (false)
	Tag, Attr      string // element and attribute it came from ("img", "srcset"); Attr "style" or Tag "style" for CSS
	Line           int    // 1-based line of the element (of the url() for <style> blocks)
	Integrity      string // integrity attribute value, as written
	HasIntegrity   bool   // the element has an integrity attribute (possibly empty)
	CrossOrigin    string // crossorigin attribute value; see HasCrossOrigin
	HasCrossOrigin bool   // the element has a crossorigin attribute (a CORS request)
	Upgraded       bool   // an enforced upgrade-insecure-requests policy applies to it
	Evidence       string // the tag as written (control characters as spaces), at most 200 bytes
	Problem        string // why URL is empty
}

// Form is one place that submits the page's data: a <form>, or a submit
// button with a formaction attribute.
type Form struct {
	Action   string // absolute, resolved against the document base URL; "" if unresolvable (see Problem)
	Method   string // "GET" or "POST" (formmethod overrides the form's method)
	Tag      string // "form", "button" or "input"
	Attr     string // "action" or "formaction"
	Line     int    // 1-based line of the element
	Evidence string // the tag as written (control characters as spaces), at most 200 bytes
	Problem  string // why Action is empty
}

// MetaPolicy is a Content-Security-Policy delivered by <meta http-equiv>.
type MetaPolicy struct {
	Content  string // the content attribute
	Line     int    // line of the <meta> element
	Enforced bool   // in the <head>; browsers ignore it elsewhere
}

// Problem is something Parse could not interpret, with its line.
type Problem struct {
	Line int    // 1-based line of the element concerned
	Msg  string // what is wrong
}

// String formats the problem as "line N: message".
func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// Page is what Parse found in one HTML document.
type Page struct {
	URL       string       // the page URL (normalized); findings use it as Target
	Base      string       // the document base URL: the first <base href>, else URL
	Resources []Resource   // in document order
	Forms     []Form       // in document order
	MetaCSP   []MetaPolicy // <meta http-equiv="Content-Security-Policy"> elements (at most MaxProblems)
	// UpgradeInsecure is true when an enforced policy asks for
	// upgrade-insecure-requests: a <meta> in the head (Parse) or the
	// response header (UpgradeAll). Form submissions are then upgraded.
	UpgradeInsecure bool
	Problems        []Problem // unresolvable URLs, ignored elements, limits hit
	Truncated       bool      // a limit was hit; the page was not fully analysed
}

// UpgradeAll records that the response's Content-Security-Policy header
// enforces upgrade-insecure-requests, which applies to every request of the
// document: it marks every resource Upgraded and sets UpgradeInsecure.
func (p *Page) UpgradeAll() {
	p.UpgradeInsecure = true
	for i := range p.Resources {
		p.Resources[i].Upgraded = true
	}
}

// Parse reads at most maxBytes of HTML (DefaultMaxBytes if maxBytes <= 0)
// served at pageURL and returns the resources and forms it references. It
// fails only when pageURL is not an absolute http:// or https:// URL or
// reading r fails; anything wrong in the HTML is recorded in
// Page.Problems. A longer input is parsed up to the limit and marked
// Truncated. Parse makes no network requests.
func Parse(pageURL string, r io.Reader, maxBytes int64) (*Page, error) {
	pu, err := parsePageURL(pageURL)
	if err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	in := &capReader{r: r, left: maxBytes}
	p := &parser{
		page:    &Page{URL: pu.String(), Base: pu.String()},
		pageURL: pu,
		base:    pu,
		line:    1,
	}
	z := html.NewTokenizer(in)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("content: reading %s: line %d: %w", pu, p.line, err)
			}
			break
		}
		p.token(z, tt)
	}
	if in.over {
		p.truncate(fmt.Sprintf("page is larger than %d bytes; only the first %d bytes were analysed", maxBytes, maxBytes))
	}
	p.finishForms()
	return p.page, nil
}

// parsePageURL validates and normalizes the page URL.
func parsePageURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("content: page URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("content: page URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("content: page URL %q: no host", s)
	}
	normalizeHost(u)
	return u, nil
}

// capReader reads at most left bytes from r and records whether r had more.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			c.over = true
		}
		return 0, io.EOF
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	return n, err
}

// attr is one attribute of a tag; the first occurrence of a name wins.
type attr struct{ key, val string }

type attrs []attr

func (a attrs) get(key string) (string, bool) {
	for _, x := range a {
		if x.key == key {
			return x.val, true
		}
	}
	return "", false
}

// parser holds the state of one Parse call.
type parser struct {
	page     *Page
	pageURL  *url.URL
	base     *url.URL // base for subresources: the page URL, then the first <base href>
	baseSeen bool     // a <base href> was seen (later ones are ignored)
	line     int      // line at the start of the next token
	prevCR   bool     // the previous byte was '\r' (for "\r\n" spanning tokens)

	afterHead bool      // the implicit or explicit </head> has been passed
	rawElem   string    // element whose raw text the next text token is
	ns        []string  // open <svg>/<math> ("svg", "math") and <foreignObject> ("html")
	ctx       []ctxElem // open <picture>, <video> and <audio> elements
	form      *openForm // the <form> open at this point, if any
	uir       bool      // an enforced <meta> upgrade-insecure-requests was seen
	urlBytes  int       // bytes of URLs kept so far

	forms  []pendingForm   // forms to resolve at the end
	limits map[string]bool // limit messages already recorded
}

// ctxElem is an open element that changes how <source> is fetched.
type ctxElem struct {
	tag  string
	cors bool // the media element has a crossorigin attribute
}

// openForm is what a submit button needs from its form.
type openForm struct{ method string }

// pendingForm is a form whose action is resolved after parsing.
type pendingForm struct {
	raw     string
	present bool // the attribute exists and is not empty
	form    Form
}

// headTags may appear in <head> without closing it.
var headTags = map[string]bool{
	"html": true, "head": true, "base": true, "basefont": true, "bgsound": true, "link": true,
	"meta": true, "noframes": true, "script": true, "style": true, "template": true,
	"title": true, "noscript": true,
}

// rawTextTags are the elements whose content the tokenizer returns as raw text.
var rawTextTags = map[string]bool{
	"iframe": true, "noembed": true, "noframes": true, "noscript": true, "plaintext": true,
	"script": true, "style": true, "textarea": true, "title": true, "xmp": true,
}

// token handles one token. Raw must be read before TagName and TagAttr,
// which rewrite the tokenizer's buffer in place.
func (p *parser) token(z *html.Tokenizer, tt html.TokenType) {
	raw := z.Raw()
	line := p.line
	p.advance(raw)
	rawElem := p.rawElem
	p.rawElem = ""
	switch tt {
	case html.TextToken:
		if rawElem == "style" {
			p.scanCSS(string(raw), line)
		}
		if rawElem == "" && !p.afterHead && strings.TrimLeft(string(raw), " \t\n\f\r") != "" {
			p.afterHead = true
		}
	case html.StartTagToken, html.SelfClosingTagToken:
		ev := evidence(raw)
		name, more := z.TagName()
		tag := string(name)
		var as attrs
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			as = append(as, attr{string(k), string(v)})
		}
		foreign := p.inForeign()
		if foreign && breaksOut(tag, as) {
			p.leaveForeign()
			foreign = false
		}
		if rawTextTags[tag] {
			if foreign { // <svg><style> is an ordinary element
				z.NextIsNotRawText()
			} else {
				p.rawElem = tag
			}
		}
		el := element{tag: tag, a: as, line: line, ev: ev}
		if foreign {
			p.foreignTag(el, tt == html.SelfClosingTagToken)
		} else {
			if tag == "image" { // HTML parses <image> as <img>
				el.tag = "img"
			}
			p.startTag(el, tt == html.SelfClosingTagToken)
		}
	case html.EndTagToken:
		name, _ := z.TagName()
		p.endTag(string(name))
	}
}

// advance moves the line counter over raw, counting "\n", "\r" and "\r\n"
// as one line break each.
func (p *parser) advance(raw []byte) {
	for _, c := range raw {
		switch c {
		case '\n':
			if !p.prevCR {
				p.line++
			}
			p.prevCR = false
		case '\r':
			p.line++
			p.prevCR = true
		default:
			p.prevCR = false
		}
	}
}

// evidence copies at most evidenceBytes of a tag, control characters as
// spaces, cut at a UTF-8 boundary with "..." when shortened.
func evidence(raw []byte) string {
	const ellipsis = "..."
	s := raw
	cut := false
	if len(s) > evidenceBytes {
		n := evidenceBytes - len(ellipsis)
		for n > 0 && s[n]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			n--
		}
		s, cut = s[:n], true
	}
	b := make([]byte, 0, len(s)+len(ellipsis))
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		b = append(b, c)
	}
	if cut {
		b = append(b, ellipsis...)
	}
	return string(b)
}

func (p *parser) problem(line int, msg string) {
	if len(p.page.Problems) >= MaxProblems {
		p.page.Truncated = true
		return
	}
	p.page.Problems = append(p.page.Problems, Problem{line, msg})
}

// truncate records that a limit was hit, once per message.
func (p *parser) truncate(msg string) {
	if p.limits[msg] {
		return
	}
	if p.limits == nil {
		p.limits = map[string]bool{}
	}
	p.limits[msg] = true
	p.page.Truncated = true
	if len(p.page.Problems) < MaxProblems {
		p.page.Problems = append(p.page.Problems, Problem{p.line, msg})
	}
}

func (p *parser) endTag(tag string) {
	switch tag {
	case "head", "body", "html", "br":
		p.afterHead = true
	case "svg", "math":
		p.popForeign(tag)
	case "foreignobject":
		p.popForeign("html")
	case "picture", "video", "audio":
		for i := len(p.ctx) - 1; i >= 0; i-- {
			if p.ctx[i].tag == tag {
				p.ctx = p.ctx[:i]
				break
			}
		}
	case "form":
		p.form = nil
	}
}

// maxCtx bounds the <picture>/<video>/<audio> stack on hostile nesting.
const maxCtx = 64

// breakoutTags end SVG and MathML content (HTML, "parsing tokens in
// foreign content").
var breakoutTags = map[string]bool{
	"b": true, "big": true, "blockquote": true, "body": true, "br": true, "center": true,
	"code": true, "dd": true, "div": true, "dl": true, "dt": true, "em": true, "embed": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "head": true,
	"hr": true, "i": true, "img": true, "li": true, "listing": true, "menu": true, "meta": true,
	"nobr": true, "ol": true, "p": true, "pre": true, "ruby": true, "s": true, "small": true,
	"span": true, "strong": true, "strike": true, "sub": true, "sup": true, "table": true,
	"tt": true, "u": true, "ul": true, "var": true,
}

func breaksOut(tag string, a attrs) bool {
	if tag == "font" {
		for _, k := range []string{"color", "face", "size"} {
			if _, ok := a.get(k); ok {
				return true
			}
		}
	}
	return breakoutTags[tag]
}

// maxNS bounds the foreign-content stack on hostile nesting.
const maxNS = 64

// inForeign reports whether tags are currently SVG or MathML elements.
func (p *parser) inForeign() bool { return len(p.ns) > 0 && p.ns[len(p.ns)-1] != "html" }

// leaveForeign closes the open SVG and MathML elements up to the nearest
// HTML integration point.
func (p *parser) leaveForeign() {
	for p.inForeign() {
		p.ns = p.ns[:len(p.ns)-1]
	}
}

func (p *parser) pushNS(kind string) {
	if len(p.ns) < maxNS {
		p.ns = append(p.ns, kind)
	}
}

// popForeign closes the innermost open entry of the given kind ("svg",
// "math" or "html" for </foreignObject>) and everything inside it.
func (p *parser) popForeign(kind string) {
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i] == kind {
			p.ns = p.ns[:i]
			return
		}
	}
}

// foreignTag handles a start tag inside <svg> or <math>.
func (p *parser) foreignTag(el element, selfClosing bool) {
	p.afterHead = true
	switch el.tag {
	case "svg", "math":
		if !selfClosing {
			p.pushNS(el.tag)
		}
	case "foreignobject": // its content is HTML again
		if !selfClosing && p.ns[len(p.ns)-1] == "svg" {
			p.pushNS("html")
		}
	case "image", "feimage":
		p.svgHref(el, KindImage, false)
	case "script":
		p.svgHref(el, KindScript, true)
	}
	p.styleAttr(el)
}

func (p *parser) startTag(el element, selfClosing bool) {
	tag, a := el.tag, el.a
	if !headTags[tag] {
		p.afterHead = true
	}
	switch tag {
	case "base":
		p.baseTag(el)
	case "meta":
		p.metaTag(el)
	case "script":
		p.scriptTag(el)
	case "link":
		p.linkTag(el)
	case "iframe", "frame":
		if _, srcdoc := a.get("srcdoc"); !srcdoc || tag == "frame" {
			p.single(el, "src", KindFrame, true)
		}
	case "img":
		p.imgTag(el)
	case "picture", "video", "audio":
		_, cors := a.get("crossorigin")
		if !selfClosing && len(p.ctx) < maxCtx {
			p.ctx = append(p.ctx, ctxElem{tag, cors})
		}
		if tag != "picture" {
			p.single(el, "src", KindMedia, cors)
			if tag == "video" {
				p.single(el, "poster", KindImage, false)
			}
		}
	case "source":
		p.sourceTag(el)
	case "track":
		p.single(el, "src", KindTrack, true)
	case "object":
		p.single(el, "data", KindObject, true)
	case "embed":
		p.single(el, "src", KindObject, true)
	case "input":
		typ, _ := a.get("type")
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "image":
			p.single(el, "src", KindImage, false)
			p.formAction(el)
		case "submit":
			p.formAction(el)
		}
	case "button":
		typ, _ := a.get("type")
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "button", "reset":
		default: // missing or invalid type means submit
			p.formAction(el)
		}
	case "form":
		p.formTag(el)
	case "body", "table", "td", "th":
		p.single(el, "background", KindImage, false)
	case "svg", "math":
		if !selfClosing {
			p.pushNS(tag)
		}
	}
	p.styleAttr(el)
}

// element is a start tag being processed.
type element struct {
	tag  string
	a    attrs
	line int
	ev   string
}

// resource builds a Resource for one URL value of el.
func (p *parser) resource(el element, attrName, raw string, kind Kind, active bool) {
	if len(p.page.Resources) >= MaxResources {
		p.truncate(fmt.Sprintf("more than %d resources; the rest were not analysed", MaxResources))
		return
	}
	r := Resource{Kind: kind, Active: active, Tag: el.tag, Attr: attrName, Line: el.line,
		Upgraded: p.uir, Evidence: el.ev}
	r.Integrity, r.HasIntegrity = el.a.get("integrity")
	r.CrossOrigin, r.HasCrossOrigin = el.a.get("crossorigin")
	u, err := p.resolveURL(raw, p.base)
	if err != nil {
		r.Problem = fmt.Sprintf("<%s %s>: %v", el.tag, attrName, err)
		p.problem(el.line, r.Problem)
	} else if p.urlBytes+len(u) > maxURLBudget {
		p.truncate(fmt.Sprintf("resource URLs exceed %d bytes in total; the rest were not analysed", maxURLBudget))
		return
	} else {
		p.urlBytes += len(u)
		r.URL = u
	}
	p.page.Resources = append(p.page.Resources, r)
}

// checkDigestLengths records a problem when an integrity attribute's
// well-formed hashes all have the wrong length: such metadata never
// matches, so browsers refuse the resource.
func (p *parser) checkDigestLengths(el element) {
	integrity, ok := el.a.get("integrity")
	if !ok {
		return
	}
	hashes, ok := parseIntegrity(integrity)
	if !ok {
		return // reported by Check as content.sri-missing when it matters
	}
	for _, h := range hashes {
		if digestLen(h.value) == digestSizes[h.algo] {
			return
		}
	}
	h := hashes[0]
	p.problem(el.line, fmt.Sprintf("<%s integrity>: %s digest %.24q is %d bytes, not %d: it never matches, so browsers refuse the resource",
		el.tag, h.algo, h.value, digestLen(h.value), digestSizes[h.algo]))
}

// single adds the resource named by attribute attrName, if present and
// not empty (an empty URL makes browsers fetch nothing).
func (p *parser) single(el element, attrName string, kind Kind, active bool) {
	v, ok := el.a.get(attrName)
	if !ok || trimURL(v) == "" {
		return
	}
	p.resource(el, attrName, v, kind, active)
}

// srcset adds every candidate of a srcset-like attribute.
func (p *parser) srcset(el element, attrName string, kind Kind, active bool) {
	v, ok := el.a.get(attrName)
	if !ok {
		return
	}
	for _, c := range splitSrcset(v) {
		p.resource(el, attrName, c, kind, active)
	}
}

func (p *parser) baseTag(el element) {
	href, ok := el.a.get("href")
	if !ok || p.baseSeen {
		return
	}
	p.baseSeen = true
	u, err := p.resolveURL(href, p.pageURL)
	if err != nil {
		p.problem(el.line, fmt.Sprintf("<base href> ignored: %v", err))
		return
	}
	bu, err := url.Parse(u)
	if err != nil { // cannot happen: resolveURL returns parsed URLs
		p.problem(el.line, fmt.Sprintf("<base href> ignored: %v", err))
		return
	}
	p.base = bu
	p.page.Base = u
}

func (p *parser) metaTag(el element) {
	equiv, _ := el.a.get("http-equiv")
	if !strings.EqualFold(strings.TrimSpace(equiv), "content-security-policy") {
		return
	}
	content, ok := el.a.get("content")
	if !ok {
		return
	}
	const maxMeta = 64 << 10
	if len(content) > maxMeta {
		p.problem(el.line, fmt.Sprintf("<meta> Content-Security-Policy of %d bytes not analysed (limit %d)", len(content), maxMeta))
		return
	}
	mp := MetaPolicy{Content: content, Line: el.line, Enforced: !p.afterHead}
	if len(p.page.MetaCSP) < MaxProblems {
		p.page.MetaCSP = append(p.page.MetaCSP, mp)
	}
	if !mp.Enforced {
		p.problem(el.line, "<meta http-equiv=Content-Security-Policy> outside <head> is ignored by browsers")
		return
	}
	if pol, _ := csp.Parse(content); pol.Has(csp.UpgradeInsecureRequests) {
		p.uir = true
		p.page.UpgradeInsecure = true
	}
}

// jsTypes are the type values for which a <script src> is fetched:
// the JavaScript MIME type essences of the MIME Sniffing standard, and
// "module" (the empty or missing type is handled by the caller).
var jsTypes = map[string]bool{
	"module": true, "application/ecmascript": true, "application/javascript": true,
	"application/x-ecmascript": true, "application/x-javascript": true,
	"text/ecmascript": true, "text/javascript": true, "text/javascript1.0": true,
	"text/javascript1.1": true, "text/javascript1.2": true, "text/javascript1.3": true,
	"text/javascript1.4": true, "text/javascript1.5": true, "text/jscript": true,
	"text/livescript": true, "text/x-ecmascript": true, "text/x-javascript": true,
}

func (p *parser) scriptTag(el element) {
	typ, _ := el.a.get("type")
	typ = strings.ToLower(strings.Trim(typ, " \t\n\f\r"))
	if i := strings.IndexByte(typ, ';'); i >= 0 { // parameters do not change the essence
		typ = strings.TrimSpace(typ[:i])
	}
	if typ != "" && !jsTypes[typ] {
		return // a data block: browsers do not fetch it
	}
	p.single(el, "src", KindScript, true)
	p.checkDigestLengths(el)
}

func (p *parser) svgHref(el element, kind Kind, active bool) {
	if _, ok := el.a.get("href"); ok {
		p.single(el, "href", kind, active)
	} else {
		p.single(el, "xlink:href", kind, active)
	}
}

// iconRels fetch an image (destination "image").
var iconRels = map[string]bool{
	"icon": true, "apple-touch-icon": true, "apple-touch-icon-precomposed": true, "mask-icon": true,
}

func (p *parser) linkTag(el element) {
	rel, _ := el.a.get("rel")
	_, cors := el.a.get("crossorigin")
	p.checkDigestLengths(el)
	seen := map[Kind]bool{}
	add := func(attrName string, kind Kind, active bool) {
		if !seen[kind] {
			seen[kind] = true
			p.single(el, attrName, kind, active)
		}
	}
	for _, r := range strings.Fields(strings.ToLower(rel)) {
		switch {
		case r == "stylesheet":
			add("href", KindStylesheet, true)
		case iconRels[r]:
			add("href", KindIcon, cors)
		case r == "modulepreload":
			add("href", KindPreload, true)
		case r == "preload":
			as, _ := el.a.get("as")
			as = strings.ToLower(strings.TrimSpace(as))
			if as == "" || seen[KindPreload] {
				continue // without a valid "as" nothing is fetched
			}
			_, imageset := el.a.get("imagesrcset")
			if as == "image" && imageset {
				seen[KindPreload] = true
				p.srcset(el, "imagesrcset", KindPreload, true)
				continue
			}
			upgradeable := as == "image" || as == "audio" || as == "video"
			add("href", KindPreload, !upgradeable || cors)
		case r == "prefetch":
			add("href", KindPrefetch, true)
		case r == "manifest":
			add("href", KindManifest, true)
		}
	}
}

func (p *parser) imgTag(el element) {
	_, hasSrcset := el.a.get("srcset")
	_, cors := el.a.get("crossorigin")
	// "Uses srcset or picture" makes the request's initiator "imageset",
	// which Mixed Content Level 2 does not upgrade; CORS requests neither.
	imageset := hasSrcset || p.inCtx().tag == "picture"
	p.single(el, "src", KindImage, imageset || cors)
	p.srcset(el, "srcset", KindImage, true)
}

func (p *parser) sourceTag(el element) {
	c := p.inCtx()
	switch c.tag {
	case "picture":
		p.srcset(el, "srcset", KindImage, true)
	case "video", "audio":
		// The media element's crossorigin attribute makes it a CORS request.
		p.single(el, "src", KindMedia, c.cors)
	}
}

// inCtx returns the innermost open <picture>, <video> or <audio>.
func (p *parser) inCtx() ctxElem {
	if len(p.ctx) == 0 {
		return ctxElem{}
	}
	return p.ctx[len(p.ctx)-1]
}

// styleAttr scans an element's style attribute for url() references.
func (p *parser) styleAttr(el element) {
	if v, ok := el.a.get("style"); ok && v != "" {
		p.scanCSSAttr(el, v)
	}
}

func normalizeMethod(m string) string {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "post":
		return "POST"
	case "dialog":
		return "DIALOG"
	}
	return "GET" // missing and invalid values default to GET
}

func (p *parser) formTag(el element) {
	if p.form != nil {
		return // browsers ignore a <form> start tag inside an open form
	}
	m, _ := el.a.get("method")
	method := normalizeMethod(m)
	p.form = &openForm{method: method}
	if method == "DIALOG" {
		return // closes a dialog; nothing is submitted
	}
	action, ok := el.a.get("action")
	p.addForm(el, "action", action, ok, method)
}

func (p *parser) formAction(el element) {
	action, ok := el.a.get("formaction")
	if !ok {
		return
	}
	if _, owner := el.a.get("form"); p.form == nil && !owner {
		return // a button outside any form submits nothing
	}
	method := "GET"
	if p.form != nil {
		method = p.form.method
	}
	if m, ok := el.a.get("formmethod"); ok {
		method = normalizeMethod(m)
	}
	if method == "DIALOG" {
		return
	}
	p.addForm(el, "formaction", action, true, method)
}

func (p *parser) addForm(el element, attrName, action string, ok bool, method string) {
	if len(p.forms) >= MaxForms {
		p.truncate(fmt.Sprintf("more than %d forms; the rest were not analysed", MaxForms))
		return
	}
	if len(action) > MaxURLBytes+1 {
		action = action[:MaxURLBytes+1] // still over the limit: reported by resolveURL
	}
	p.forms = append(p.forms, pendingForm{
		raw:     action,
		present: ok && trimURL(action) != "",
		form:    Form{Method: method, Tag: el.tag, Attr: attrName, Line: el.line, Evidence: el.ev},
	})
}

// finishForms resolves form actions against the document's base URL:
// browsers resolve them on submission, after the whole page is parsed. An
// empty or missing action submits to the document's URL.
func (p *parser) finishForms() {
	base, _ := url.Parse(p.page.Base)
	if base == nil {
		base = p.pageURL
	}
	for _, pf := range p.forms {
		f := pf.form
		switch {
		case !pf.present:
			f.Action = p.page.URL
		default:
			u, err := p.resolveURL(pf.raw, base)
			if err != nil {
				f.Problem = fmt.Sprintf("<%s %s>: %v", f.Tag, f.Attr, err)
				p.problem(f.Line, f.Problem)
			} else {
				f.Action = u
			}
		}
		p.page.Forms = append(p.page.Forms, f)
	}
}
