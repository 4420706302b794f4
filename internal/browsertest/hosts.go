package browsertest

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// hostRules returns the value of Chromium's --host-resolver-rules that
// resolves each name of hosts to its address and every other name to
// nothing (net::ERR_NAME_NOT_RESOLVED), so that a test never reaches a
// real DNS server. localhost keeps its usual meaning.
//
// Names are checked strictly (see checkHost): a name is pasted into a
// comma-separated rule list, so a comma or a space in it would add rules.
func hostRules(hosts map[string]netip.Addr) (string, error) {
	var rules []string
	for _, name := range slices.Sorted(maps.Keys(hosts)) {
		r, err := hostRule(name, hosts[name])
		if err != nil {
			return "", err
		}
		rules = append(rules, r)
	}
	rules = append(rules, "MAP * ~NOTFOUND", "EXCLUDE localhost")
	return strings.Join(rules, ", "), nil
}

// hostRule returns the rule "MAP name addr" after checking both.
func hostRule(name string, addr netip.Addr) (string, error) {
	if err := checkHost(name); err != nil {
		return "", err
	}
	if !addr.IsValid() {
		return "", fmt.Errorf("browsertest: host %q: no address", name)
	}
	if addr.Zone() != "" {
		return "", fmt.Errorf("browsertest: host %q: address %s has a zone; use one without", name, addr)
	}
	addr = addr.Unmap()
	if !addr.IsLoopback() {
		return "", fmt.Errorf("browsertest: host %q: address %s is not a loopback address (127.0.0.0/8 or ::1); tests stay on this machine", name, addr)
	}
	a := addr.String()
	if addr.Is6() {
		a = "[" + a + "]"
	}
	return "MAP " + name + " " + a, nil
}

// checkHost accepts a lower-case DNS name (labels of letters, digits and
// hyphens, not starting or ending with a hyphen, at most 63 bytes each and
// 253 in all), optionally behind "*." for every subdomain. It refuses IP
// literals and localhost names: Chromium records no HSTS for either, and
// resolves localhost itself.
func checkHost(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("browsertest: host %q: %s", name, why)
	}
	n := strings.TrimPrefix(name, "*.")
	switch {
	case n == "":
		return bad("empty name")
	case len(n) > 253:
		return bad("longer than 253 bytes")
	case n == "localhost" || strings.HasSuffix(n, ".localhost"):
		return bad("localhost names resolve to loopback by themselves and never get HSTS; use a name like app.test")
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return bad("an IP address; Chromium records no HSTS for IP literals, use a name like app.test")
	}
	for i, label := range strings.Split(n, ".") {
		if label == "" {
			return bad(fmt.Sprintf("label %d is empty", i+1))
		}
		if len(label) > 63 {
			return bad(fmt.Sprintf("label %d is longer than 63 bytes", i+1))
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return bad(fmt.Sprintf("label %d starts or ends with a hyphen", i+1))
		}
		for j := 0; j < len(label); j++ {
			c := label[j]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return bad(fmt.Sprintf("label %d: byte %q at offset %d is not a lower-case letter, a digit or a hyphen", i+1, c, j))
			}
		}
	}
	return nil
}
