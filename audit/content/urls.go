package content

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// maxDataURL is the length data: URLs are shortened to: their content does
// not matter for the checks, only their scheme.
const maxDataURL = 100

// defaultPorts are the special schemes of the WHATWG URL Standard, whose
// parsing differs from RFC 3986, with their default ports ("file" aside).
var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// stripTabNewline removes the characters the URL parser ignores anywhere.
var stripTabNewline = strings.NewReplacer("\t", "", "\n", "", "\r", "")

// trimURL strips the leading and trailing C0 controls and spaces that the
// URL parser ignores.
func trimURL(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 })
}

// resolveURL resolves an attribute value against base the way a browser
// does for the cases that matter here, and returns the absolute URL.
func (p *parser) resolveURL(raw string, base *url.URL) (string, error) {
	s := trimURL(raw)
	if len(s) > MaxURLBytes {
		if hasScheme(s, "data") {
			// Only the scheme matters: the head stands for the URL,
			// escaped as a browser would (it may hold any byte).
			return representable(shortData(escapeLoose(stripTabNewline.Replace(s[:maxDataURL]))), s)
		}
		return "", fmt.Errorf("URL of %d bytes is over the %d-byte limit; not analysed", len(s), MaxURLBytes)
	}
	if strings.ContainsAny(s, "\t\n\r") {
		s = stripTabNewline.Replace(s)
	}
	u, err := resolve(s, base)
	if err != nil {
		return "", err
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n > 65535 {
			return "", fmt.Errorf("URL %.80q: port %.10s is out of range", s, port)
		}
	}
	normalizeHost(u)
	if defaultPorts[u.Scheme] != "" && u.Hostname() == "" {
		return "", fmt.Errorf("URL %.80q has no host", s)
	}
	out := u.String()
	if u.Scheme == "data" && len(out) > maxDataURL {
		out = shortData(out)
	}
	return representable(out, s)
}

// representable returns out, the URL resolved from s, if it survives a
// round trip through net/url as an absolute URL, so that callers can parse
// it; otherwise an error.
func representable(out, s string) (string, error) {
	if v, err := url.Parse(out); err != nil || !v.IsAbs() {
		return "", fmt.Errorf("URL %.80q cannot be represented", s)
	}
	return out, nil
}

// resolve implements the WHATWG rules that net/url lacks: backslashes
// are slashes in special URLs, "http:host/x" and "http:///host" have host
// "host" when the scheme differs from the base's, and "https:x" is
// relative when it does not.
func resolve(s string, base *url.URL) (*url.URL, error) {
	baseSpecial := defaultPorts[base.Scheme] != ""
	ref := s
	if i := strings.IndexByte(s, ':'); i > 0 && grammar.IsScheme(s[:i]) {
		scheme := strings.ToLower(s[:i])
		if defaultPorts[scheme] == "" {
			return parseLoose(s) // data:, blob:, javascript:, mailto:, ...
		}
		rest := slashes(s[i+1:])
		if scheme != base.Scheme {
			return absoluteSpecial(scheme, rest)
		}
		ref = rest // same special scheme: a relative reference
	} else if baseSpecial {
		ref = slashes(ref)
	}
	if base.Opaque != "" || base.Host == "" {
		return nil, fmt.Errorf("relative URL %.80q cannot be resolved against base URL %.80q", s, base.String())
	}
	if strings.HasPrefix(ref, "//") {
		return absoluteSpecial(base.Scheme, ref)
	}
	r, err := parseLoose(ref)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(r), nil
}

// absoluteSpecial builds scheme://rest, ignoring any number of slashes
// before the host, and requires a host.
func absoluteSpecial(scheme, rest string) (*url.URL, error) {
	u, err := parseLoose(scheme + "://" + strings.TrimLeft(rest, "/"))
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %.80q has no host", scheme+":"+rest)
	}
	return u, nil
}

// slashes turns backslashes into slashes before the query or fragment, as
// special URLs do.
func slashes(s string) string {
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		end = len(s)
	}
	if !strings.Contains(s[:end], `\`) {
		return s
	}
	return strings.ReplaceAll(s[:end], `\`, "/") + s[end:]
}

// parseLoose parses with net/url, retrying with the bytes browsers
// percent-encode themselves (spaces, quotes, non-ASCII, stray %) escaped.
func parseLoose(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err == nil {
		return u, nil
	}
	if u, err2 := url.Parse(escapeLoose(s)); err2 == nil {
		return u, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return nil, fmt.Errorf("unparsable URL %.80q: %v", s, err)
}

func escapeLoose(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c <= 0x20 || c >= 0x7f || c == '%' || strings.IndexByte("\"<>`{}|^", c) >= 0:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hasScheme reports whether s starts with scheme ":" (case-insensitively).
func hasScheme(s, scheme string) bool {
	return len(s) > len(scheme) && s[len(scheme)] == ':' && strings.EqualFold(s[:len(scheme)], scheme)
}

// shortData shortens a data: URL of more than maxDataURL bytes to at most
// maxDataURL, ending in "...", cutting neither a UTF-8 sequence nor a %XX
// escape.
func shortData(s string) string {
	n := maxDataURL - 3
	for i := 0; i < 3 && s[n]&0xC0 == 0x80; i++ { // a UTF-8 sequence has at most 3 continuation bytes
		n--
	}
	if i := strings.LastIndexByte(s[n-2:n], '%'); i >= 0 && n-2+i >= len("data:") {
		n = n - 2 + i
	}
	return "data:" + s[len("data:"):n] + "..."
}

// normalizeHost lower-cases the host of a special URL and drops an empty
// or default port, as the WHATWG URL parser does.
func normalizeHost(u *url.URL) {
	def := defaultPorts[u.Scheme]
	if def == "" || u.Host == "" {
		return
	}
	h := strings.ToLower(u.Host)
	h = strings.TrimSuffix(h, ":")
	h = strings.TrimSuffix(h, ":"+def)
	u.Host = h
}

// splitSrcset returns the URLs of a srcset attribute, following the HTML
// "parse a srcset attribute" algorithm: candidates are separated by commas
// that follow a URL or end its descriptors (commas inside parentheses and
// inside the URL itself, as in data: URLs, do not separate).
func splitSrcset(v string) []string {
	var out []string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }
	i := 0
	for {
		for i < len(v) && (isSpace(v[i]) || v[i] == ',') {
			i++
		}
		if i >= len(v) {
			return out
		}
		start := i
		for i < len(v) && !isSpace(v[i]) {
			i++
		}
		u := v[start:i]
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else { // skip the descriptors up to a comma outside parentheses
			depth := 0
			for ; i < len(v); i++ {
				if c := v[i]; c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
		}
		if u != "" {
			out = append(out, u)
		}
	}
}

// insecure reports whether a resolved URL is an http:// URL that is not
// potentially trustworthy (W3C Secure Contexts: loopback hosts are).
func insecure(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Unmap().IsLoopback() {
		return false
	}
	return true
}

// ipHost reports whether u's host is an IP address, which Mixed Content
// Level 2 does not upgrade.
func ipHost(u *url.URL) bool {
	_, err := netip.ParseAddr(u.Hostname())
	return err == nil
}
