package certs

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// name is a certificate name: a DNS name (lower case, no trailing dot,
// possibly a "*." wildcard) or an IP address.
type name struct {
	dns string     // "" for an IP address
	ip  netip.Addr // valid only when dns is ""
}

func (n name) String() string {
	if n.dns != "" {
		return n.dns
	}
	return n.ip.String()
}

// isLocal reports whether n is inside the local CA's name constraints:
// localhost, a name under .localhost, or a loopback address.
func (n name) isLocal() bool {
	if n.dns != "" {
		return n.dns == "localhost" || strings.HasSuffix(n.dns, ".localhost")
	}
	return n.ip.IsLoopback()
}

// parseName parses a host name ("Example.COM.", "*.example.com") or an IP
// address ("127.0.0.1", "::1", "[::1]"). DNS names are lower-cased and a
// trailing dot removed; IPv4-mapped IPv6 addresses become IPv4.
func parseName(s string) (name, error) {
	n, err := parseName1(s)
	if err != nil {
		return name{}, fmt.Errorf("name %q: %w", s, err)
	}
	return n, nil
}

func parseName1(s string) (name, error) {
	if s == "" {
		return name{}, errors.New("empty")
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if !ok {
			return name{}, errors.New("unbalanced '['")
		}
		ip, err := netip.ParseAddr(inner)
		if err != nil || !ip.Is6() {
			return name{}, errors.New("brackets must enclose an IPv6 address")
		}
		s = inner
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Zone() != "" {
			return name{}, errors.New("an IP address with a zone cannot be a certificate name")
		}
		return name{ip: ip.Unmap()}, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			// Checked before lower-casing: strings.ToLower maps some
			// non-ASCII runes (the Kelvin sign) to ASCII letters.
			return name{}, fmt.Errorf("non-ASCII byte at offset %d; use the punycode (xn--) form", i)
		}
	}
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if len(s) > 253 {
		return name{}, fmt.Errorf("longer than 253 characters (%d)", len(s))
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if l == "*" && i == 0 && len(labels) > 1 {
			continue
		}
		if err := checkLabel(l); err != nil {
			return name{}, fmt.Errorf("label %d %q: %w", i+1, l, err)
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return name{}, errors.New("not a valid IP address, and a host name's last label cannot be all digits")
	}
	return name{dns: s}, nil
}

// checkLabel checks one DNS label: 1 to 63 letters, digits, '-' or '_',
// not starting or ending with '-'. Underscores are tolerated because
// internal names use them.
func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > 63:
		return fmt.Errorf("longer than 63 characters (%d)", len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return errors.New("starts or ends with '-'")
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '*':
			return errors.New("'*' is only allowed as the whole first label (*.example.com)")
		default:
			return fmt.Errorf("invalid character %q at offset %d", c, i)
		}
	}
	return nil
}

// parseNames parses a list of names, dropping duplicates (first wins).
func parseNames(list []string) ([]name, error) {
	if len(list) == 0 {
		return nil, errors.New("no names")
	}
	out := make([]name, 0, len(list))
	seen := make(map[name]bool, len(list))
	for _, s := range list {
		n, err := parseName(s)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}
