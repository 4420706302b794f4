package proxy

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/grammar"
	"github.com/portcullis/portcullis/shield"
)

// parseElement parses one RFC 7239 forwarded-element strictly: pairs
// separated by ';', a token key, a token or quoted-string value, no
// duplicate keys.
func parseElement(s string) (map[string]string, error) {
	out := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || !grammar.IsToken(s[:eq]) {
			return nil, fmt.Errorf("bad key in %q", s)
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					if i++; i == len(s) {
						return nil, fmt.Errorf("dangling backslash")
					}
				}
				b.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			val, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
			if !grammar.IsToken(val) {
				return nil, fmt.Errorf("value %q is not a token", val)
			}
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("duplicate %q", key)
		}
		out[key] = val
		if s != "" {
			if s[0] != ';' || len(s) == 1 {
				return nil, fmt.Errorf("bad separator in %q", s)
			}
			s = s[1:]
		}
	}
	return out, nil
}

// FuzzSetForwarding checks that whatever shield hands over (any address,
// any host), the forwarding headers are valid field values, say exactly
// what info says, and that setting them twice changes nothing.
func FuzzSetForwarding(f *testing.F) {
	for _, s := range []struct {
		ip, host string
		https    bool
	}{
		{"192.0.2.1", "example.com", true},
		{"2001:db8::1", "example.com:8443", false},
		{"::ffff:10.0.0.1", "[::1]:8080", true},
		{"fe80::1%eth0", "a", false},
		{`fe80::1%"x\`, `a"b\c`, false},
		{"", "", true},
		{"not an ip", "host with space", false},
		{"127.0.0.1", "h\r\nX-Injected: 1", false},
		{"10.0.0.1", "bücher.example", true},
		{"10.0.0.1", "a;for=6.6.6.6", true},
		{"10.0.0.1", "a,for=6.6.6.6", false},
	} {
		f.Add(s.ip, s.host, s.https)
	}
	f.Fuzz(func(t *testing.T, ipText, host string, https bool) {
		info := shield.Info{Scheme: "http", Host: host}
		if https {
			info.Scheme = "https"
		}
		ip, _ := netip.ParseAddr(ipText)
		info.ClientIP = ip
		h := http.Header{"Forwarded": {"for=6.6.6.6"}, "X-Forwarded-For": {"6.6.6.6"}, "X-Real-Ip": {"6.6.6.6"}}
		setForwarding(h, info)

		for k, vals := range h {
			if len(vals) != 1 {
				t.Fatalf("%s has %d values", k, len(vals))
			}
			v := vals[0]
			if v == "" || v[0] == ' ' || v[len(v)-1] == ' ' {
				t.Fatalf("%s: %q is empty or padded", k, v)
			}
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 || v[i] >= 0x7f {
					t.Fatalf("%s: %q has %s at %d", k, v, grammar.DescribeByte(v[i]), i)
				}
			}
		}
		el, err := parseElement(h.Get("Forwarded"))
		if err != nil {
			t.Fatalf("Forwarded %q does not parse: %v", h.Get("Forwarded"), err)
		}
		wantFor, wantIP := "unknown", ""
		if ip.IsValid() {
			wantIP = ip.Unmap().WithZone("").String()
			wantFor = wantIP
			if ip.Unmap().Is6() {
				wantFor = "[" + wantIP + "]"
			}
		}
		if el["for"] != wantFor || el["proto"] != info.Scheme || h.Get("X-Forwarded-Proto") != info.Scheme {
			t.Fatalf("Forwarded %q, X-Forwarded-Proto %q: want for %q proto %q", h.Get("Forwarded"), h.Get("X-Forwarded-Proto"), wantFor, info.Scheme)
		}
		if h.Get("X-Forwarded-For") != wantIP || h.Get("X-Real-Ip") != wantIP {
			t.Fatalf("X-Forwarded-For %q, X-Real-Ip %q, want %q", h.Get("X-Forwarded-For"), h.Get("X-Real-Ip"), wantIP)
		}
		gotHost, hasHost := el["host"]
		if isHostValue(host) != hasHost || (hasHost && gotHost != host) || h.Get("X-Forwarded-Host") != gotHost {
			t.Fatalf("host %q: Forwarded host %q (present %t), X-Forwarded-Host %q", host, gotHost, hasHost, h.Get("X-Forwarded-Host"))
		}
		if wantPairs := map[bool]int{false: 2, true: 3}[hasHost]; len(el) != wantPairs {
			t.Fatalf("Forwarded %q has unexpected pairs", h.Get("Forwarded"))
		}

		again := h.Clone()
		setForwarding(again, info)
		if !maps.EqualFunc(h, again, slices.Equal) {
			t.Fatalf("not idempotent: %v then %v", h, again)
		}
	})
}

// FuzzParseUpstream checks that parsing never panics, and that an accepted
// upstream's canonical name parses back to the same upstream.
func FuzzParseUpstream(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8000", "https://App.Example:443/base/", "http://[::1]:80", "http://[fe80::1%25eth0]:80",
		"unix:/run/app.sock", "unix:///run/app.sock", "UNIX:/x", "unix://host/x", "unix:", "unix:rel",
		"http://", "http://:80", "http://h:", "http://h:0", "http://h:99999", "http://u:p@h", "http://h/?q", "http://h/#f",
		"127.0.0.1:8000", "localhost:80", "ftp://h", "http://h/a%2Fb", "http://h/%zz", "http://h\x00", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseUpstream(s)
		if err != nil {
			if !strings.Contains(err.Error(), "upstream") {
				t.Fatalf("error %q does not name the upstream", err)
			}
			return
		}
		for i := 0; i < len(u.name); i++ {
			if c := u.name[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("name %q has %s", u.name, grammar.DescribeByte(c))
			}
		}
		if u.target == nil || (u.target.Scheme != "http" && u.target.Scheme != "https") {
			t.Fatalf("%q: target %v", s, u.target)
		}
		u2, err := parseUpstream(u.name)
		if err != nil {
			t.Fatalf("%q parsed as %q, which does not parse: %v", s, u.name, err)
		}
		if u2.name != u.name || u2.socket != u.socket || u2.target.String() != u.target.String() {
			t.Fatalf("%q → %q → %q (socket %q/%q, target %v/%v)", s, u.name, u2.name, u.socket, u2.socket, u.target, u2.target)
		}
	})
}

// unescapeLogField reverses appendEscaped, strictly.
func unescapeLogField(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return "", fmt.Errorf("bare quote at %d", i)
		case c != '\\':
			b.WriteByte(c)
		case i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil || strings.ToLower(s[i+2:i+4]) != s[i+2:i+4] {
				return "", fmt.Errorf("bad \\x escape at %d", i)
			}
			b.WriteByte(byte(n))
			i += 3
		default:
			return "", fmt.Errorf("bad escape at %d", i)
		}
	}
	return b.String(), nil
}

// FuzzAppendEscaped checks that a logged field is printable ASCII with no
// bare quote (so it cannot end the field or the line) and loses nothing.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "/index.html", `a"b`, `\`, "a\nb", "\x00\x7f\xff", "ü", `\x41`, `"\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(appendEscaped([]byte("prefix"), s))
		if !strings.HasPrefix(out, "prefix") {
			t.Fatalf("dst not kept: %q", out)
		}
		out = out[len("prefix"):]
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] >= 0x7f {
				t.Fatalf("%q escaped to %q, which has %s", s, out, grammar.DescribeByte(out[i]))
			}
		}
		back, err := unescapeLogField(out)
		if err != nil || back != s {
			t.Fatalf("%q escaped to %q, unescaped to %q (%v)", s, out, back, err)
		}
	})
}
