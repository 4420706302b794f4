package shield

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// maxHostLen bounds the Host header (name plus port) that shield accepts.
// DNS names are at most 253 octets; a bracketed IPv6 literal with a zone and
// a port stays well below 300.
const maxHostLen = 300

// hostMatcher decides whether a request's host is one the application
// answers to. Exact names are looked up in a map; ".example.com" patterns
// match the domain and every subdomain.
type hostMatcher struct {
	any      bool
	few      []string // the exact names, when there are few: compared in order
	exact    map[string]struct{}
	suffixes []string // ".example.com" (leading dot kept)
}

// fewHosts is the number of exact names up to which comparing them one by
// one beats hashing the request's host for a map lookup.
const fewHosts = 4

// newHostMatcher compiles host patterns. Each pattern is an exact name
// ("example.com"), an IP literal ("127.0.0.1", "::1" or "[::1]"), a domain
// pattern (".example.com": the domain and all subdomains) or "*".
func newHostMatcher(patterns []string) (*hostMatcher, error) {
	m := &hostMatcher{exact: make(map[string]struct{})}
	var errs problems
	for _, p := range patterns {
		norm, err := normalizeHostPattern(p)
		if err != nil {
			errs.addErr("Hosts", err)
			continue
		}
		switch {
		case norm == "*":
			m.any = true
		case strings.HasPrefix(norm, "."):
			m.suffixes = append(m.suffixes, norm)
			m.exact[norm[1:]] = struct{}{}
		default:
			m.exact[norm] = struct{}{}
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	if len(m.exact) <= fewHosts {
		for h := range m.exact {
			m.few = append(m.few, h)
		}
	}
	return m, nil
}

func normalizeHostPattern(p string) (string, error) {
	orig := p
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "*" {
		return p, nil
	}
	if strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") {
		p = p[1 : len(p)-1]
	}
	if a, err := netip.ParseAddr(p); err == nil {
		return a.Unmap().String(), nil
	}
	name := strings.TrimSuffix(strings.TrimPrefix(p, "."), ".")
	if !validHostname(name) {
		return "", fmt.Errorf("host pattern %q: not a host name, IP address, .domain pattern or \"*\"", orig)
	}
	if strings.HasPrefix(p, ".") {
		return "." + name, nil
	}
	return name, nil
}

// match reports whether hostname (already split from its port, lower-case
// or not) is allowed.
func (m *hostMatcher) match(hostname string) bool {
	if m.any {
		return true
	}
	if m.few != nil {
		for _, h := range m.few {
			if len(h) == len(hostname) && asciiEqualFold(h, hostname) {
				return true
			}
		}
	} else if _, ok := m.exact[hostname]; ok {
		return true
	} else if hasUpper(hostname) {
		if _, ok := m.exact[strings.ToLower(hostname)]; ok {
			return true
		}
	}
	for _, s := range m.suffixes {
		if len(hostname) > len(s) && asciiEqualFold(s, hostname[len(hostname)-len(s):]) {
			return true
		}
	}
	if norm, ok := normalizeIPHost(hostname); ok && norm != hostname {
		_, ok := m.exact[norm]
		return ok
	}
	return false
}

// asciiEqualFold compares s with lower, which is lower-case ASCII, ignoring
// the case of s. Lengths must be equal.
func asciiEqualFold(lower, s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

var (
	errHostEmpty   = errors.New("empty host")
	errHostTooLong = errors.New("host too long")
	errHostSyntax  = errors.New("malformed host")
	errHostBadPort = errors.New("malformed port")
)

// splitHost validates a Host header value (or :authority) and returns the
// host name without port, brackets or trailing dot. It never allocates.
// IPv6 literals must be bracketed; IPv4-mapped and zoned forms are
// returned as written (the matcher compares normalized forms).
func splitHost(h string) (hostname string, err error) {
	if h == "" {
		return "", errHostEmpty
	}
	if len(h) > maxHostLen {
		return "", errHostTooLong
	}
	var port string
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", errHostSyntax
		}
		hostname = h[1:end]
		rest := h[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", errHostSyntax
			}
			port = rest[1:]
			if port == "" {
				return "", errHostBadPort
			}
		}
		if !validIPv6Literal(hostname) {
			return "", errHostSyntax
		}
	} else {
		hostname = h
		if i := strings.IndexByte(h, ':'); i >= 0 {
			hostname, port = h[:i], h[i+1:]
			if port == "" {
				return "", errHostBadPort
			}
		}
		hostname = strings.TrimSuffix(hostname, ".")
		if !validHostname(hostname) {
			return "", errHostSyntax
		}
	}
	if port != "" && !validPort(port) {
		return "", errHostBadPort
	}
	return hostname, nil
}

// validHostname accepts DNS names made of letters, digits, '-' and '_'
// (some real names carry underscores), labels 1–63 octets, 253 in all.
// IPv4 literals pass as names made of digits and dots.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
			label++
		case c == '-':
			if label == 0 {
				return false
			}
			label++
		case c == '.':
			if label == 0 || s[i-1] == '-' {
				return false
			}
			label = 0
		default:
			return false
		}
		if label > 63 {
			return false
		}
	}
	return label > 0 && s[len(s)-1] != '-'
}

func validIPv6Literal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// normalizeIPHost maps a hostname that is an IP literal to the form the
// matcher stores ("::ffff:1.2.3.4" stays IPv6, "::1" compressed). Names are
// returned unchanged. Only called on the slow path, after an exact miss.
func normalizeIPHost(h string) (string, bool) {
	if !mightBeIP(h) {
		return h, false // spares netip.ParseAddr's error allocation on names
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return h, false
	}
	return a.Unmap().String(), true
}

// mightBeIP reports whether s could be an IP literal: an IPv6 one has a
// colon, an IPv4 one only digits and dots.
func mightBeIP(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// isLocalHost reports whether HSTS must never be sent for this host:
// "localhost", any "*.localhost" name, and IP literals. Pinning a loopback
// name or an address to HTTPS for a year would break every other app a
// developer runs there.
func isLocalHost(hostname string) bool {
	if hostname == "" {
		return true
	}
	if hostname == "localhost" || strings.EqualFold(hostname, "localhost") {
		return true
	}
	const suffix = ".localhost"
	if len(hostname) > len(suffix) && strings.EqualFold(hostname[len(hostname)-len(suffix):], suffix) {
		return true
	}
	// A name whose last character is a digit is an IPv4 literal (no TLD
	// is numeric); one with a colon is IPv6.
	last := hostname[len(hostname)-1]
	if ('0' <= last && last <= '9') || strings.IndexByte(hostname, ':') >= 0 {
		_, err := netip.ParseAddr(hostname)
		return err == nil
	}
	return false
}
