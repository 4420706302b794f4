package cspsuggest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/portcullis/portcullis/audit/content"
	"github.com/portcullis/portcullis/csp"
)

// Limits that bound what Scan keeps of a hostile page.
const (
	MaxInline  = 1000 // inline scripts and styles kept per page
	MaxAttrs   = 1000 // event handlers, javascript: URLs and style attributes kept per page
	MaxLinks   = 2000 // links kept per page
	sampleSize = 60   // bytes of an inline script or attribute shown as evidence
)

// Page is what a crawl saw on one HTML page: the subresources and forms
// the audit's HTML parser (package content) finds, and what a strict
// policy decides that it does not look at: inline scripts and styles
// with their hashes, event handler attributes, javascript: URLs, style
// attributes, and the links a crawl follows.
type Page struct {
	// URL is the page's URL, after redirects.
	URL string
	// Content is the audit parser's view: resources, forms, base URL.
	Content *content.Page
	// Inline are the inline <script> and <style> elements, in document
	// order.
	Inline []Inline
	// Handlers, JavaScriptURLs and StyleAttrs are the attributes a strict
	// policy blocks: onclick=…, href="javascript:…", style="…".
	Handlers, JavaScriptURLs, StyleAttrs []Attr
	// Links are the absolute http(s) URLs of <a href> and <area href>,
	// without fragment, in document order, each once.
	Links []string
	// Policies are the enforced Content-Security-Policy header's policies
	// the response carried; FrameOptions its X-Frame-Options.
	Policies     []csp.Policy
	FrameOptions string
	// Charset is the response's declared charset when it is not UTF-8:
	// browsers hash the UTF-8 text of an inline script, Scan hashes the
	// bytes as they are.
	Charset string
	// Unstable are inline elements whose text changed when the page was
	// loaded again (Crawl loads each start page twice): values made per
	// request, which no hash can allow.
	Unstable []Inline
	// Truncated is set when a limit was hit.
	Truncated bool
}

// Inline is one inline <script> or <style> element.
type Inline struct {
	Kind  string // "script" or "style"
	Line  int    // 1-based line of the start tag
	Type  string // the script's type attribute, lower-cased ("" for classic)
	Nonce string // its nonce attribute, if any
	// Hash is the 'sha256-…' source expression of its text as a browser
	// hashes it (newlines normalized, NUL as U+FFFD); "" when it cannot
	// be computed here (inside <svg> or <math>, where the text is parsed
	// as markup).
	Hash string
	// Sample is its first characters, for people.
	Sample string
}

// Attr is one attribute a strict policy blocks.
type Attr struct {
	Tag, Name string
	Line      int
	Value     string // clipped to a sample
}

// Scan parses an HTML page served at pageURL: with content.Parse for its
// resources and forms, and with its own pass over the tokens for what
// content.Parse leaves out. It fails only when pageURL is not an absolute
// http(s) URL or body cannot be read; anything in the HTML is tolerated.
// Scan makes no network requests.
func Scan(pageURL string, body []byte) (*Page, error) {
	cp, err := content.Parse(pageURL, bytes.NewReader(body), int64(len(body))+1)
	if err != nil {
		return nil, err
	}
	p := &Page{URL: cp.URL, Content: cp, Truncated: cp.Truncated}
	if err := p.scan(body); err != nil {
		return nil, err
	}
	return p, nil
}

// jsTypes are the type values of inline scripts that run, or that CSP
// governs as scripts (import maps, speculation rules); the empty type is
// handled by the caller. A <script> of any other type is a data block.
var jsTypes = map[string]bool{
	"module": true, "importmap": true, "speculationrules": true,
	"application/ecmascript": true, "application/javascript": true,
	"application/x-ecmascript": true, "application/x-javascript": true,
	"text/ecmascript": true, "text/javascript": true, "text/javascript1.0": true,
	"text/javascript1.1": true, "text/javascript1.2": true, "text/javascript1.3": true,
	"text/javascript1.4": true, "text/javascript1.5": true, "text/jscript": true,
	"text/livescript": true, "text/x-ecmascript": true, "text/x-javascript": true,
}

// urlAttrs are the attributes whose javascript: URL runs script when
// followed, submitted or loaded.
var urlAttrs = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true, "data": true}

// scan is the pass over the tokens. It tracks only what changes the
// outcome: the line, open <svg>/<math> content (whose <script> and
// <style> text is markup, not raw text), and the element whose raw text
// comes next.
func (p *Page) scan(body []byte) error {
	z := html.NewTokenizer(bytes.NewReader(body))
	line, foreign := 1, 0
	var pending *Inline // the inline element whose text comes next
	hashable := false   // and whether its text is raw text, hashed as is
	var links []string
	prevCR := false
	advance := func(raw []byte) {
		for _, c := range raw {
			switch {
			case c == '\n' && !prevCR, c == '\r':
				line++
			}
			prevCR = c == '\r'
		}
	}
	for {
		z.AllowCDATA(foreign > 0) // <![CDATA[…]]> is text in SVG and MathML
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return fmt.Errorf("cspsuggest: reading %s: %w", p.URL, err)
			}
			break
		}
		start := line
		advance(z.Raw())
		switch tt {
		case html.TextToken:
			if pending != nil {
				text := strings.ReplaceAll(string(z.Text()), "\x00", "\uFFFD")
				if hashable {
					pending.Hash = Hash(text)
				}
				pending.Sample = sample(text)
				p.addInline(*pending)
				pending = nil
			}
		case html.EndTagToken:
			pending = nil // an empty element: nothing runs, nothing is checked
			name, _ := z.TagName()
			if tag := string(name); (tag == "svg" || tag == "math") && foreign > 0 {
				foreign--
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			pending = nil
			name, more := z.TagName()
			tag := string(name)
			var as [][2]string
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				as = append(as, [2]string{string(k), string(v)})
			}
			get := func(k string) (string, bool) {
				for _, a := range as {
					if a[0] == k {
						return a[1], true
					}
				}
				return "", false
			}
			p.attrs(tag, as, start)
			// HTML ignores the self-closing flag of <script> and <style>
			// (the tokenizer too), not that of foreign elements.
			selfClosing := tt == html.SelfClosingTagToken
			hashable = foreign == 0
			switch {
			case foreign > 0 && (tag == "script" || tag == "style"):
				z.NextIsNotRawText()
				_, src := get("src")
				_, href := get("href")
				if !selfClosing && (tag == "style" || !src && !href) {
					// Its text is markup here: not hashed (Hash "").
					pending = &Inline{Kind: tag, Line: start}
				}
			case tag == "svg" || tag == "math":
				if !selfClosing {
					foreign++
				}
			case tag == "script":
				if _, src := get("src"); src {
					break
				}
				typ, _ := get("type")
				typ = strings.ToLower(strings.Trim(typ, " \t\n\f\r"))
				if i := strings.IndexByte(typ, ';'); i >= 0 {
					typ = strings.TrimSpace(typ[:i])
				}
				if typ != "" && !jsTypes[typ] {
					break // a data block
				}
				nonce, _ := get("nonce")
				pending = &Inline{Kind: "script", Line: start, Type: typ, Nonce: nonce}
			case tag == "style":
				nonce, _ := get("nonce")
				pending = &Inline{Kind: "style", Line: start, Nonce: nonce}
			case (tag == "a" || tag == "area") && foreign == 0:
				if href, ok := get("href"); ok && len(links) < MaxLinks {
					links = append(links, href)
				}
			}
		}
	}
	p.resolveLinks(links)
	return nil
}

// addInline keeps one inline element, within MaxInline.
func (p *Page) addInline(in Inline) {
	if len(p.Inline) >= MaxInline {
		p.Truncated = true
		return
	}
	p.Inline = append(p.Inline, in)
}

// attrs records the attributes of one start tag that a strict policy
// blocks.
func (p *Page) attrs(tag string, as [][2]string, line int) {
	add := func(list *[]Attr, a [2]string) {
		if len(*list) >= MaxAttrs {
			p.Truncated = true
			return
		}
		*list = append(*list, Attr{Tag: tag, Name: a[0], Line: line, Value: sample(a[1])})
	}
	seen := make(map[string]bool, len(as))
	for _, a := range as {
		if seen[a[0]] {
			continue // the first occurrence wins
		}
		seen[a[0]] = true
		switch k := a[0]; {
		case isHandler(k):
			add(&p.Handlers, a)
		case k == "style":
			if strings.TrimSpace(a[1]) != "" {
				add(&p.StyleAttrs, a)
			}
		case urlAttrs[k] && IsJavaScriptURL(a[1]):
			add(&p.JavaScriptURLs, a)
		}
	}
}

// isHandler reports whether an attribute name is an event handler
// content attribute: "on" and an event of HTML's GlobalEventHandlers,
// WindowEventHandlers and DocumentAndElementEventHandlers, or of a
// family of events browsers add to (pointer, touch, animation,
// transition, webkit-prefixed).
func isHandler(k string) bool {
	name, ok := strings.CutPrefix(k, "on")
	if !ok || name == "" {
		return false
	}
	if handlerEvents[name] {
		return true
	}
	for _, p := range [...]string{"pointer", "touch", "animation", "transition", "webkit", "mouse", "key", "drag"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

var handlerEvents = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`abort auxclick beforeinput beforematch beforetoggle blur cancel canplay
		canplaythrough change click close contextlost contextmenu contextrestored copy cuechange cut dblclick
		drop durationchange emptied ended error focus focusin focusout formdata input invalid load loadeddata
		loadedmetadata loadstart paste pause play playing progress ratechange reset resize scroll scrollend
		securitypolicyviolation seeked seeking select slotchange stalled submit suspend timeupdate toggle
		volumechange waiting wheel afterprint beforeprint beforeunload hashchange languagechange message
		messageerror offline online pagehide pagereveal pageshow pageswap popstate rejectionhandled storage
		unhandledrejection unload search selectionchange selectstart visibilitychange readystatechange
		fullscreenchange fullscreenerror gotpointercapture lostpointercapture command begin end repeat`) {
		m[e] = true
	}
	return m
}()

// IsJavaScriptURL reports whether an attribute value is a javascript:
// URL as a browser parses it: leading and trailing C0 controls and
// spaces ignored, tabs and newlines anywhere removed, the scheme
// compared case-insensitively.
func IsJavaScriptURL(v string) bool {
	const scheme = "javascript:"
	v = strings.TrimFunc(v, func(r rune) bool { return r <= 0x20 })
	n := 0
	for i := 0; i < len(v) && n < len(scheme); i++ {
		c := v[i]
		if c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c|0x20 != scheme[n] && c != scheme[n] {
			return false
		}
		n++
	}
	return n == len(scheme)
}

// resolveLinks resolves the raw hrefs against the document's base URL
// (links are followed after the whole page is parsed) and keeps the
// http(s) ones, without fragment, once each.
func (p *Page) resolveLinks(raw []string) {
	base, err := url.Parse(p.Content.Base)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, r := range raw {
		r = strings.TrimFunc(r, func(c rune) bool { return c <= 0x20 })
		r = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(r)
		r = strings.ReplaceAll(r, `\`, "/")
		if r == "" || IsJavaScriptURL(r) {
			continue
		}
		u, err := base.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		u.Fragment, u.RawFragment = "", ""
		s := u.String()
		if !seen[s] {
			seen[s] = true
			p.Links = append(p.Links, s)
		}
	}
}

// Hash returns the CSP hash source of an inline script's or style's text
// as browsers compute it: 'sha256-' and the base64 of the SHA-256 of its
// UTF-8 bytes.
func Hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// sample is the first characters of s, on one line, for people.
func sample(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= sampleSize {
		return s
	}
	n := sampleSize
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
