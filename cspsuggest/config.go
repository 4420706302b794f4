package cspsuggest

import (
	"cmp"
	"net"
	"net/netip"
	"strings"

	"github.com/portcullis/portcullis/config"
)

// SiteInput is the Input of a configured site before anything is
// observed: its name, its origins (its exact hosts, on the HTTPS
// listener's port), its X-Frame-Options and whether it sends shield's
// nonce. `portcullis csp suggest` starts from it, and so can a dashboard
// showing the suggestion beside the site's current policy.
func SiteInput(cfg *config.Config, s *config.Site) (Input, error) {
	opts, err := cfg.ShieldOptions(s)
	if err != nil {
		return Input{}, err
	}
	in := Input{Site: s.Name, Nonce: opts.CSP.Nonce, FrameOptions: cmp.Or(opts.Headers.FrameOptions.Value, "DENY")}
	if opts.Headers.FrameOptions.Disable {
		in.FrameOptions = "off"
	}
	port := ""
	if _, p, err := net.SplitHostPort(cfg.Listen.HTTPS); err == nil && p != "443" {
		port = ":" + p
	}
	for _, h := range s.Hosts {
		if h == "*" || strings.HasPrefix(h, ".") {
			continue // patterns: no one origin
		}
		h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
		if ip, err := netip.ParseAddr(h); err == nil && ip.Is6() {
			h = "[" + ip.String() + "]"
		}
		in.Self = append(in.Self, "https://"+h+port)
	}
	return in, nil
}
