package csp

import (
	"fmt"
	"slices"
	"strings"
)

// A Weakness is something a set of policies leaves open, named by the
// portcullis rule catalog's ID ("csp.unsafe-inline", …) with a message
// for people.
type Weakness struct {
	Rule    string
	Message string
}

// Judge reports the weaknesses of the policies a response carries, as
// browsers apply them. A resource must pass every enforced policy, so a
// weakness counts only when every one of them has it. For scripts a
// policy's list is script-src, else default-src; a policy with neither
// does not restrict scripts at all. As in CSP3, a list with a nonce or
// hash ignores 'unsafe-inline', and one with 'strict-dynamic' (and a nonce
// or hash) ignores host and scheme sources, so those are not reported
// there. Report-only policies protect nothing: with only those, the one
// weakness is csp.report-only-only; with none at all, csp.missing.
//
// `portcullis audit` judges the policies a live page sent with it, and
// shield the policy it will send, so that both flag the same policy the
// same way.
func Judge(enforced, reportOnly []Policy) []Weakness {
	var out []Weakness
	add := func(rule, format string, a ...any) {
		out = append(out, Weakness{Rule: rule, Message: fmt.Sprintf(format, a...)})
	}
	if len(enforced) == 0 {
		if len(reportOnly) > 0 {
			add("csp.report-only-only", "the only Content-Security-Policy is report-only: violations are reported, nothing is blocked")
		} else {
			add("csp.missing", "no Content-Security-Policy: injected scripts run with the page's privileges")
		}
		return out
	}
	info := func(p Policy) scriptInfo {
		l := scriptList(p)
		return analyze(l, l != nil)
	}
	if every(enforced, func(p Policy) bool {
		li := info(p)
		return !li.restricted || (li.inline && !li.nonceOrHash)
	}) {
		if every(enforced, func(p Policy) bool { return !info(p).restricted }) {
			add("csp.unsafe-inline", "the policy restricts scripts nowhere (no script-src or default-src): inline and injected scripts run")
		} else {
			add("csp.unsafe-inline", "script-src allows 'unsafe-inline' without a nonce or hash: injected inline scripts run")
		}
	}
	if every(enforced, func(p Policy) bool { li := info(p); return li.restricted && li.eval }) {
		add("csp.unsafe-eval", "script-src allows 'unsafe-eval': strings can be run as code")
	}
	// Host and scheme sources are ignored by CSP3 browsers next to
	// 'strict-dynamic' with a nonce or hash.
	hostBased := func(li scriptInfo) bool { return !(li.dynamic && li.nonceOrHash) }
	var wild, schemes []string
	if every(enforced, func(p Policy) bool {
		li := info(p)
		if li.restricted && hostBased(li) && len(li.wildcard) > 0 {
			wild = append(wild, li.wildcard...)
			return true
		}
		return false
	}) {
		add("csp.wildcard-source", "script-src allows %s: scripts from any host", strings.Join(uniq(wild), " "))
	}
	if every(enforced, func(p Policy) bool {
		li := info(p)
		if li.restricted && hostBased(li) && len(li.schemes) > 0 {
			schemes = append(schemes, li.schemes...)
			return true
		}
		return false
	}) {
		add("csp.scheme-source", "script-src allows %s: scripts from any host on that scheme", strings.Join(uniq(schemes), " "))
	}
	if every(enforced, func(p Policy) bool { li := info(p); return li.restricted && li.dynamic && !li.nonceOrHash }) {
		add("csp.strict-dynamic-without-nonce", "'strict-dynamic' without a nonce or hash: no script can load at all, or browsers without CSP3 fall back to the host list")
	}
	if every(enforced, func(p Policy) bool { return !p.Has("object-src") && !p.Has("default-src") }) {
		add("csp.object-src-missing", "neither object-src nor default-src: plugins (<object>, <embed>) may load from anywhere")
	}
	if every(enforced, func(p Policy) bool { return !p.Has("base-uri") }) {
		add("csp.base-uri-missing", "no base-uri: an injected <base> can redirect the page's relative script URLs")
	}
	if every(enforced, func(p Policy) bool { return !p.Has("frame-ancestors") }) {
		add("csp.frame-ancestors-missing", "no frame-ancestors: framing is controlled by X-Frame-Options alone")
	}
	return out
}

// scriptList is what governs scripts in p, or nil when nothing does.
func scriptList(p Policy) []string {
	if s, ok := p.Get("script-src"); ok {
		return s
	}
	if s, ok := p.Get("default-src"); ok {
		return s
	}
	return nil
}

// scriptInfo is what a script source list allows.
type scriptInfo struct {
	restricted, inline, eval, dynamic, nonceOrHash bool
	wildcard, schemes                              []string
}

func analyze(list []string, restricted bool) scriptInfo {
	li := scriptInfo{restricted: restricted}
	for _, s := range list {
		src, err := ParseSource(s)
		if err != nil {
			continue
		}
		switch src.Kind {
		case KindNonce, KindHash:
			li.nonceOrHash = true
		case KindKeyword:
			switch src.Keyword {
			case UnsafeInline:
				li.inline = true
			case UnsafeEval:
				li.eval = true
			case StrictDynamic:
				li.dynamic = true
			}
		case KindScheme:
			if src.Scheme == "http" || src.Scheme == "https" || src.Scheme == "data" || src.Scheme == "blob" {
				li.schemes = append(li.schemes, s)
			}
		case KindHost:
			if src.Host == "*" {
				li.wildcard = append(li.wildcard, s)
			}
		}
	}
	return li
}

// every reports whether f holds for every policy (a resource must pass
// them all), and false when there are none.
func every(ps []Policy, f func(Policy) bool) bool {
	for _, p := range ps {
		if !f(p) {
			return false
		}
	}
	return len(ps) > 0
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
