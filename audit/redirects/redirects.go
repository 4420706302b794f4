// Package redirects judges the redirect chain a site answers a plain
// http:// request with, as `portcullis audit` follows it: whether plain
// HTTP ends on HTTPS at all, whether the first hop is permanent and goes
// to https:// on the same host (what HSTS preloading requires), and
// whether any hop downgrades to HTTP, leaves the site (registrable domain,
// from the public suffix list) or the chain is long.
package redirects

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/portcullis/portcullis/rules"
)

// Hop is one response of the chain.
type Hop struct {
	// URL is the URL requested.
	URL string `json:"url"`
	// Status is the response's status code.
	Status int `json:"status"`
	// Location is the absolute URL a redirect points to; "" when the
	// response is not a redirect.
	Location string `json:"location,omitempty"`
}

// Redirect reports whether the hop redirects.
func (h Hop) Redirect() bool { return h.Location != "" && h.Status >= 300 && h.Status < 400 }

// FirstToHTTPS reports whether the first answer to start redirects to
// https:// on the same host (what HSTS preloading requires).
func FirstToHTTPS(start string, hops []Hop) bool {
	su, err := url.Parse(start)
	if err != nil || len(hops) == 0 || !hops[0].Redirect() {
		return false
	}
	fu, err := url.Parse(hops[0].Location)
	return err == nil && fu.Scheme == "https" && strings.EqualFold(fu.Hostname(), su.Hostname())
}

// Check judges the chain that answered the plain-HTTP URL start (hops in
// order, the first answering start). The findings' Target is start.
func Check(start string, hops []Hop) []rules.Finding {
	var out []rules.Finding
	add := func(id, ev, format string, a ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		f.Target, f.Evidence = start, ev
		out = append(out, f)
	}
	if len(hops) == 0 {
		return nil
	}
	su, err := url.Parse(start)
	if err != nil {
		return nil
	}
	first := hops[0]
	if !first.Redirect() {
		add("redirect.missing", fmt.Sprintf("%d %s", first.Status, first.URL), "%s answers %d without redirecting to HTTPS", start, first.Status)
		return out
	}
	ev := func(h Hop) string { return fmt.Sprintf("%d %s → %s", h.Status, h.URL, h.Location) }
	if first.Status != 301 && first.Status != 308 {
		add("redirect.not-permanent", ev(first), "the redirect from %s is %d, a temporary one: use 301 or 308", start, first.Status)
	}
	if !FirstToHTTPS(start, hops) {
		add("redirect.not-same-host-first", ev(first), "the first redirect goes to %s, not to https:// on %s: browsers never get the HSTS policy of %s", first.Location, su.Hostname(), su.Hostname())
	}
	site := registrable(su.Hostname())
	redirects := 0
	for _, h := range hops {
		if !h.Redirect() {
			break
		}
		redirects++
		from, err1 := url.Parse(h.URL)
		to, err2 := url.Parse(h.Location)
		if err1 != nil || err2 != nil {
			continue
		}
		if from.Scheme == "https" && to.Scheme == "http" {
			add("redirect.downgrade", ev(h), "%s redirects from HTTPS down to %s", h.URL, h.Location)
		}
		if s := registrable(to.Hostname()); s != site {
			add("redirect.cross-site", ev(h), "the chain leaves %s for %s", site, s)
			site = s // report each move once
		}
	}
	if redirects > 2 {
		add("redirect.chain-long", fmt.Sprintf("%d redirects", redirects), "%d redirects before the final page (at most 2 is good practice)", redirects)
	}
	last := hops[len(hops)-1]
	if !last.Redirect() {
		if lu, err := url.Parse(last.URL); err == nil && lu.Scheme != "https" {
			add("redirect.missing", fmt.Sprintf("%d %s", last.Status, last.URL), "the chain from %s ends on plain HTTP (%s)", start, last.URL)
		}
	}
	return out
}

// registrable is a host's registrable domain (eTLD+1), or the host itself
// for IP addresses, single labels and public suffixes.
func registrable(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}
