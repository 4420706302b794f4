package shield

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// Info is what shield established about a request: the scheme the client
// used, the host it asked for and its address, after honouring forwarding
// headers from trusted proxies (and only from them).
type Info struct {
	// Scheme is "https" or "http".
	Scheme string
	// Host is the effective Host header value, port included if sent.
	Host string
	// ClientIP is the client's address; invalid when unknown (for
	// example a Unix socket peer).
	ClientIP netip.Addr
	// Forwarded reports whether any of the above came from forwarding
	// headers of a trusted proxy.
	Forwarded bool
}

// Secure reports whether the client connected over HTTPS.
func (i Info) Secure() bool { return i.Scheme == "https" }

type ctxKey struct{}

// state is the per-request data shield hands to handlers through the
// request context. It is only allocated when there is something a handler
// cannot compute from the request itself: a CSP nonce or forwarded values.
type state struct {
	info  Info
	nonce string
	fwd   bool
}

// RequestInfo returns what shield established about r. For a request that
// did not pass through shield, or that carried no trusted forwarding
// headers, it is derived from r itself (r.TLS, r.Host, r.RemoteAddr).
func RequestInfo(r *http.Request) Info {
	if st, ok := r.Context().Value(ctxKey{}).(*state); ok && st.fwd {
		return st.info
	}
	return directInfo(r)
}

func directInfo(r *http.Request) Info {
	i := Info{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		i.Scheme = "https"
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		i.ClientIP = ap.Addr().Unmap()
	}
	return i
}

// Nonce returns the per-request CSP nonce shield generated for r, or ""
// when nonces are not enabled. Use it in templates:
// <script nonce="{{.Nonce}}">.
func Nonce(r *http.Request) string {
	if st, ok := r.Context().Value(ctxKey{}).(*state); ok {
		return st.nonce
	}
	return ""
}

func withState(r *http.Request, st *state) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
}

// forwardingHeaders are honoured from trusted proxies and removed from
// requests of anyone else, so that no handler behind shield can be fooled
// by a client that sends them itself.
var forwardingHeaders = [...]string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "X-Real-Ip"}

type proxyTrust struct {
	prefixes []netip.Prefix
}

func newProxyTrust(cidrs []string) (*proxyTrust, error) {
	t := &proxyTrust{}
	var errs problems
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		var p netip.Prefix
		if strings.Contains(c, "/") {
			var err error
			p, err = netip.ParsePrefix(c)
			if err != nil {
				errs.addf("TrustedProxies", "trusted proxy %q: not an IP address or CIDR prefix", c)
				continue
			}
			p = p.Masked()
		} else {
			a, err := netip.ParseAddr(strings.Trim(c, "[]"))
			if err != nil {
				errs.addf("TrustedProxies", "trusted proxy %q: not an IP address or CIDR prefix", c)
				continue
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		t.prefixes = append(t.prefixes, p)
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return t, nil
}

func (t *proxyTrust) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trustsAll reports whether a prefix covers every IPv4 or IPv6 address.
func (t *proxyTrust) trustsAll() bool {
	for _, p := range t.prefixes {
		if p.Bits() == 0 {
			return true
		}
	}
	return false
}

// resolve reports whether r came from a trusted proxy with forwarding
// headers, and if so fills info from them. Forwarding headers from any
// other peer are deleted from r.Header.
func (t *proxyTrust) resolve(r *http.Request, info *Info) bool {
	if len(t.prefixes) > 0 {
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && t.trusted(ap.Addr()) {
			return t.fromHeaders(r, ap.Addr().Unmap(), info)
		}
	}
	for _, h := range forwardingHeaders {
		delete(r.Header, h)
	}
	return false
}

func (t *proxyTrust) fromHeaders(r *http.Request, peer netip.Addr, out *Info) bool {
	info := directInfo(r)
	info.ClientIP = peer
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 && t.applyForwarded(&info, strings.Join(fwd, ",")) {
		info.Forwarded = true
		*out = info
		return true
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		if ip, ok := t.clientFromXFF(strings.Join(xff, ",")); ok {
			info.ClientIP = ip
			info.Forwarded = true
		}
	}
	if v := lastListValue(r.Header.Values("X-Forwarded-Proto")); v != "" {
		switch strings.ToLower(v) {
		case "https":
			info.Scheme, info.Forwarded = "https", true
		case "http":
			info.Scheme, info.Forwarded = "http", true
		}
	}
	if v := lastListValue(r.Header.Values("X-Forwarded-Host")); v != "" {
		info.Host, info.Forwarded = v, true
	}
	*out = info
	return info.Forwarded
}

// clientFromXFF walks X-Forwarded-For from the right, skipping trusted
// proxies; the first untrusted address is the client. A malformed entry
// stops the walk: nothing left of it can be believed.
func (t *proxyTrust) clientFromXFF(v string) (netip.Addr, bool) {
	var client netip.Addr
	for v != "" {
		var item string
		if i := strings.LastIndexByte(v, ','); i >= 0 {
			item, v = v[i+1:], v[:i]
		} else {
			item, v = v, ""
		}
		a, ok := parseNodeAddr(strings.TrimSpace(item))
		if !ok {
			break
		}
		client = a
		if !t.trusted(a) {
			return a, true
		}
	}
	return client, client.IsValid()
}

// applyForwarded applies an RFC 7239 Forwarded header. Elements are read
// from the right (the nearest proxy) while their "for" is a trusted proxy;
// the element that names the client was written by the outermost trusted
// proxy, so its proto and host describe the client's request.
func (t *proxyTrust) applyForwarded(info *Info, v string) bool {
	elems, ok := parseForwarded(v)
	if !ok || len(elems) == 0 {
		return false
	}
	var chosen forwardedElem
	found := false
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		a, ok := parseNodeAddr(e.forNode)
		chosen, found = e, true
		if !ok || !t.trusted(a) {
			break
		}
	}
	if !found {
		return false
	}
	if a, ok := parseNodeAddr(chosen.forNode); ok {
		info.ClientIP = a
	}
	switch strings.ToLower(chosen.proto) {
	case "https":
		info.Scheme = "https"
	case "http":
		info.Scheme = "http"
	}
	if chosen.host != "" {
		info.Host = chosen.host
	}
	return true
}

type forwardedElem struct{ forNode, proto, host string }

// parseForwarded parses the RFC 7239 Forwarded header: elements separated
// by commas, pairs by semicolons, values tokens or quoted strings. It
// rejects the whole header on any syntax error.
func parseForwarded(v string) ([]forwardedElem, bool) {
	var out []forwardedElem
	var cur forwardedElem
	s := v
	for {
		s = strings.TrimLeft(s, " \t")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		if !grammar.IsToken(key) {
			return nil, false
		}
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			val, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexAny(s, ";, \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
			if !isLenientValue(val) {
				return nil, false
			}
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			return nil, false
		}
		switch key {
		case "for":
			cur.forNode = val
		case "proto":
			cur.proto = val
		case "host":
			cur.host = val
		}
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return append(out, cur), true
		}
		switch s[0] {
		case ';':
			s = s[1:]
		case ',':
			out = append(out, cur)
			cur = forwardedElem{}
			s = s[1:]
		default:
			return nil, false
		}
	}
}

// isLenientValue accepts a token plus ':', '/', '[' and ']', which real
// proxies send unquoted in Forwarded values ("host=example.com:8443").
func isLenientValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !grammar.IsTchar(c) && c != ':' && c != '/' && c != '[' && c != ']' {
			return false
		}
	}
	return true
}

// parseNodeAddr parses an X-Forwarded-For entry or a Forwarded "for"
// node: "1.2.3.4", "1.2.3.4:5", "::1", "[::1]", "[::1]:5". Obfuscated
// identifiers ("_hidden", "unknown") are not addresses.
func parseNodeAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// lastListValue returns the last element of a comma-separated header
// (the one added by the nearest proxy).
func lastListValue(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	v := vals[len(vals)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}
