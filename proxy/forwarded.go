package proxy

import (
	"net/http"
	"net/netip"

	"github.com/portcullis/portcullis/internal/grammar"
	"github.com/portcullis/portcullis/shield"
)

// spoofable are request headers that some frameworks read to learn the
// client's address, scheme, port or path prefix (gunicorn's default
// secure_scheme_headers read X-Forwarded-Protocol and X-Forwarded-Ssl, and
// answer 400 when they contradict X-Forwarded-Proto). shield vouches for none
// of them, so they are removed: upstreams get X-Forwarded-For/-Proto/-Host,
// Forwarded and X-Real-Ip, all set by the proxy.
var spoofable = [...]string{
	"X-Forwarded-Port", "X-Forwarded-Ssl", "X-Forwarded-Scheme", "X-Forwarded-Protocol", "X-Forwarded-Server",
	"X-Forwarded-Prefix", "X-Url-Scheme", "Front-End-Https", "X-Client-Ip",
	"True-Client-Ip", "X-Cluster-Client-Ip", "X-Original-Forwarded-For",
}

// setForwarding replaces every forwarding header in h with values from
// info: X-Forwarded-For and X-Real-Ip carry the client IP alone (omitted
// when unknown), X-Forwarded-Proto the scheme, X-Forwarded-Host the
// effective host (omitted unless it is printable ASCII), and Forwarded all
// three in RFC 7239 syntax. It costs two allocations.
func setForwarding(h http.Header, info shield.Info) {
	for _, k := range spoofable {
		delete(h, k)
	}
	for _, k := range [...]string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip"} {
		delete(h, k)
	}
	proto := "http"
	if info.Scheme == "https" {
		proto = "https"
	}
	ip := info.ClientIP.Unmap().WithZone("")
	host := info.Host
	if !isHostValue(host) {
		host = ""
	}
	var buf [128]byte
	b, ipStart, ipEnd := appendForwarded(buf[:0], ip, proto, host)
	fwd := string(b)

	// One backing array for every value: each header gets a one-element
	// slice of it with its capacity capped, so an Add cannot overwrite
	// the next header's value.
	vals := make([]string, 5)
	set := func(i int, k, v string) {
		vals[i] = v
		h[k] = vals[i : i+1 : i+1]
	}
	set(0, "Forwarded", fwd)
	set(1, "X-Forwarded-Proto", proto)
	if host != "" {
		set(2, "X-Forwarded-Host", host)
	}
	if ip.IsValid() {
		set(3, "X-Forwarded-For", fwd[ipStart:ipEnd])
		set(4, "X-Real-Ip", fwd[ipStart:ipEnd])
	}
}

// appendForwarded appends an RFC 7239 forwarded-element
// "for=...;proto=...;host=..." to dst and reports where the bare text of
// ip lies in the result. An invalid ip is "for=unknown"; an IPv6 address
// is bracketed and quoted; host is left out when empty and quoted unless
// it is a token. ip must have no zone and host must satisfy isHostValue.
func appendForwarded(dst []byte, ip netip.Addr, proto, host string) (out []byte, ipStart, ipEnd int) {
	dst = append(dst, "for="...)
	switch {
	case !ip.IsValid():
		dst = append(dst, "unknown"...)
	case ip.Is6():
		dst = append(dst, `"[`...)
		ipStart = len(dst)
		dst = ip.AppendTo(dst)
		ipEnd = len(dst)
		dst = append(dst, `]"`...)
	default:
		ipStart = len(dst)
		dst = ip.AppendTo(dst)
		ipEnd = len(dst)
	}
	dst = append(dst, ";proto="...)
	dst = append(dst, proto...)
	if host != "" {
		dst = append(dst, ";host="...)
		dst = appendTokenOrQuoted(dst, host)
	}
	return dst, ipStart, ipEnd
}

// appendTokenOrQuoted appends s as a token if it is one, else as an RFC
// 9110 quoted-string with '"' and '\' escaped.
func appendTokenOrQuoted(dst []byte, s string) []byte {
	if grammar.IsToken(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// isHostValue reports whether s can be sent as a host in forwarding
// headers: non-empty, visible ASCII only. Anything else cannot be a host
// net/http accepted, and is never passed on.
func isHostValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
