package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/audit/tlsprobe"
	"github.com/portcullis/portcullis/rules"
)

// weakClasses are the suite classes tls.weak-cipher reports.
const weakClasses = tlsprobe.ClassNull | tlsprobe.ClassAnonymous | tlsprobe.ClassExport |
	tlsprobe.ClassRC4 | tlsprobe.ClassDES | tlsprobe.ClassTripleDES | tlsprobe.ClassBlock64 | tlsprobe.ClassMD5

// TLSFindings judges what the TLS prober found on target against the
// catalog's tls rules.
func TLSFindings(target string, r *tlsprobe.Report) []rules.Finding {
	var out []rules.Finding
	add := func(id string, sev *rules.Severity, ev, format string, a ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		if sev != nil {
			f.Severity = *sev
		}
		f.Target, f.Evidence = target, rules.ClipEvidence(ev)
		out = append(out, f)
	}
	var legacy []string
	for _, v := range r.Versions {
		if v < tlsprobe.TLS12 {
			legacy = append(legacy, v.String())
		}
	}
	if len(legacy) > 0 {
		var sev *rules.Severity
		if slices.Contains(r.Versions, tlsprobe.SSL30) {
			c := rules.Critical // POODLE: SSL 3.0 cannot be made safe
			sev = &c
		}
		add("tls.legacy-protocol", sev, strings.Join(legacy, ", "), "the server accepts %s", strings.Join(legacy, ", "))
	}
	if !slices.Contains(r.Versions, tlsprobe.TLS13) && len(r.Versions) > 0 {
		add("tls.no-tls13", nil, "", "TLS 1.3 is not accepted")
	}
	seen := map[uint16]bool{}
	var weak, cbc, static []string
	for _, v := range r.Versions {
		for _, id := range r.Suites[v] {
			if seen[id] {
				continue
			}
			seen[id] = true
			s, ok := tlsprobe.SuiteByID(id)
			if !ok {
				continue
			}
			switch {
			case s.Classes&weakClasses != 0:
				weak = append(weak, fmt.Sprintf("%s (%s)", s.Name, s.Classes&weakClasses))
			case s.Classes.Has(tlsprobe.ClassCBC):
				cbc = append(cbc, s.Name)
			}
			if s.Classes&(tlsprobe.ClassStaticRSA|tlsprobe.ClassStaticDH) != 0 {
				static = append(static, s.Name)
			}
		}
	}
	if len(weak) > 0 {
		add("tls.weak-cipher", nil, strings.Join(weak, ", "), "%d weak cipher suites accepted: %s", len(weak), strings.Join(weak, ", "))
	}
	if len(cbc) > 0 {
		add("tls.cbc-cipher", nil, strings.Join(cbc, ", "), "%d CBC-mode suites accepted", len(cbc))
	}
	if len(static) > 0 {
		add("tls.no-forward-secrecy", nil, strings.Join(static, ", "), "%d suites without forward secrecy accepted", len(static))
	}
	if r.DHBits > 0 && r.DHBits < 2048 {
		add("tls.weak-dh", nil, fmt.Sprintf("%d bits", r.DHBits), "DHE uses a %d-bit group", r.DHBits)
	}
	if !slices.Contains(r.ALPN, "h2") && len(r.Versions) > 0 {
		add("tls.no-h2", nil, strings.Join(r.ALPN, ", "), "HTTP/2 is not offered through ALPN")
	}
	// Order matters only when the server accepts suites of unequal
	// strength below TLS 1.3, at any of those versions (a server may
	// speak only TLS 1.0 or 1.1).
	if len(weak) > 0 || len(cbc) > 0 || len(static) > 0 {
		var clientOrder []string
		for _, v := range r.Versions {
			if v < tlsprobe.TLS13 && len(r.Suites[v]) > 1 && !r.ServerPreference[v] {
				clientOrder = append(clientOrder, v.String())
			}
		}
		if len(clientOrder) > 0 {
			add("tls.no-server-preference", nil, strings.Join(clientOrder, ", "), "the server follows the client's suite order, so a client preferring a weak suite gets it")
		}
	}
	return out
}
