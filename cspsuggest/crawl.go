package cspsuggest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit/content"
	"github.com/portcullis/portcullis/csp"
)

// Crawl defaults.
const (
	DefaultMaxPages = 20
	DefaultTimeout  = 10 * time.Second
)

// CrawlOptions configure Crawl. The zero value crawls up to
// DefaultMaxPages pages with the system's roots and resolver.
type CrawlOptions struct {
	// MaxPages bounds the HTML pages read. Default DefaultMaxPages.
	MaxPages int
	// Resolve maps "host:port" to the address to connect to, like curl's
	// --resolve (and portcullis audit's).
	Resolve map[string]string
	// Roots are the CAs trusted; nil: the system's.
	Roots *x509.CertPool
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds each page read. Default content.DefaultMaxBytes.
	MaxBytes int64
	// Client, when set, makes the requests instead (Resolve, Roots and
	// Timeout are then ignored); its CheckRedirect is replaced.
	Client *http.Client
}

// CrawlError is a URL that could not be read.
type CrawlError struct {
	URL string `json:"url"`
	Err string `json:"error"`
}

func (e CrawlError) Error() string { return e.URL + ": " + e.Err }

// Crawl reads the page at start and the pages it links to (<a href>,
// <area href>) on the same origin, breadth first, until MaxPages HTML
// pages are read; redirects are followed on the same host only. The
// start page is loaded twice, so that inline code whose text changes per
// request is found (Page.Unstable). Pages that fail, or are not HTML,
// are CrawlErrors and skipped. The error is for a start that is not an
// http(s) URL, or a start page that cannot be read at all.
//
// A crawl follows links as a visitor would, with GET: a site with
// state-changing links (a GET /logout) should be crawled with care.
func Crawl(ctx context.Context, start string, o CrawlOptions) ([]*Page, []CrawlError, error) {
	su, err := url.Parse(start)
	if err != nil || (su.Scheme != "http" && su.Scheme != "https") || su.Host == "" {
		return nil, nil, fmt.Errorf("cspsuggest: %q is not an http:// or https:// URL", start)
	}
	su.Fragment, su.RawFragment = "", ""
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = content.DefaultMaxBytes
	}
	c := crawlClient(o, su.Hostname())
	first, err := fetch(ctx, c, su.String(), o.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	if again, err := fetch(ctx, c, su.String(), o.MaxBytes); err == nil {
		first.Unstable = unstable(first, again)
	}
	self, _ := url.Parse(first.URL)
	selfOrigin := origin(self)
	pages := []*Page{first}
	var errs []CrawlError
	seen := map[string]bool{su.String(): true, first.URL: true}
	var queue []string
	enqueue := func(p *Page) {
		for _, l := range p.Links {
			if u, err := url.Parse(l); err == nil && origin(u) == selfOrigin && !seen[l] {
				seen[l] = true
				queue = append(queue, l)
			}
		}
	}
	enqueue(first)
	// Fetches are bounded too: a site whose links are mostly not HTML
	// (downloads, images) must not be read whole.
	for fetches := 1; len(queue) > 0 && len(pages) < o.MaxPages && fetches < 3*o.MaxPages; fetches++ {
		if err := ctx.Err(); err != nil {
			return pages, errs, err
		}
		next := queue[0]
		queue = queue[1:]
		p, err := fetch(ctx, c, next, o.MaxBytes)
		if err != nil {
			errs = append(errs, CrawlError{URL: next, Err: err.Error()})
			continue
		}
		if seen[p.URL] && p.URL != next { // redirected to a page already read
			continue
		}
		seen[p.URL] = true
		pages = append(pages, p)
		enqueue(p)
	}
	return pages, errs, nil
}

// errNotHTML marks a response that is not an HTML page.
var errNotHTML = errors.New("not an HTML page")

// fetch reads one page and scans it.
func fetch(ctx context.Context, c *http.Client, u string, maxBytes int64) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("User-Agent", "portcullis-csp-suggest")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, fmt.Errorf("%w (Content-Type %q)", errNotHTML, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, err
	}
	over := int64(len(body)) > maxBytes
	if over {
		body = body[:maxBytes]
	}
	p, err := Scan(resp.Request.URL.String(), body)
	if err != nil {
		return nil, err
	}
	p.Truncated = p.Truncated || over
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" {
		p.Charset = cs
	}
	if v := resp.Header.Values("Content-Security-Policy"); len(v) > 0 {
		p.Policies, _ = csp.ParseList(strings.Join(v, ","))
	}
	p.FrameOptions = resp.Header.Get("X-Frame-Options")
	return p, nil
}

// unstable returns the inline elements of a whose hash b does not have:
// their text changed between the two loads.
func unstable(a, b *Page) []Inline {
	have := map[string]int{}
	for _, in := range b.Inline {
		have[in.Hash]++
	}
	var out []Inline
	for _, in := range a.Inline {
		if in.Hash == "" || in.Nonce != "" {
			continue
		}
		if have[in.Hash] > 0 {
			have[in.Hash]--
			continue
		}
		out = append(out, in)
	}
	return out
}

// crawlClient is the client of a crawl of host: o's client, or one that
// dials through Resolve and trusts Roots; redirects are followed on host
// only, at most 10.
func crawlClient(o CrawlOptions, host string) *http.Client {
	var c http.Client
	if o.Client != nil {
		c = *o.Client
	} else {
		if o.Timeout <= 0 {
			o.Timeout = DefaultTimeout
		}
		d := &net.Dialer{Timeout: o.Timeout}
		c = http.Client{
			Timeout: o.Timeout,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					if to, ok := o.Resolve[strings.ToLower(addr)]; ok {
						_, port, _ := net.SplitHostPort(addr)
						addr = net.JoinHostPort(to, port)
					}
					return d.DialContext(ctx, network, addr)
				},
				TLSClientConfig:       &tls.Config{RootCAs: o.Roots},
				TLSHandshakeTimeout:   o.Timeout,
				ResponseHeaderTimeout: o.Timeout,
				ForceAttemptHTTP2:     true,
			},
		}
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("more than 10 redirects")
		}
		if !strings.EqualFold(req.URL.Hostname(), host) {
			return fmt.Errorf("redirected to another host, %s: not crawled", req.URL.Host)
		}
		return nil
	}
	return &c
}
