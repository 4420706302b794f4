package caa

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/rules"
)

// knownTags are the property tags CAs understand (RFC 8659 §4.2-4.4,
// RFC 8657's parameters ride inside issue, RFC 9495 adds the contact
// tags, and the BIMI and S/MIME tags concern other certificates). A
// critical property with any other tag forbids issuance by every CA.
var knownTags = []string{"issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"}

// Check judges the records res found for the certificate chain served
// (leaf first; nil when none was read) and sets res.IssuerIDs. Findings:
// cert.caa-missing when nothing restricts issuance, cert.caa-mismatch when
// the records do not allow the certificate's CA (or forbid every CA),
// cert.caa-unknown-issuer when the CA is not one portcullis can name. Their
// Target is target. A result with a Note gives no finding.
func Check(target string, res *Result, chain []*x509.Certificate) []rules.Finding {
	if res.Note != "" {
		return nil
	}
	var out []rules.Finding
	add := func(id, ev, format string, a ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		f.Target, f.Evidence = target, rules.ClipEvidence(ev)
		out = append(out, f)
	}
	var evidence []string
	for _, r := range res.Records {
		evidence = append(evidence, res.Domain+". CAA "+r.String())
	}
	ev := strings.Join(evidence, "; ")
	if len(res.Records) == 0 {
		add("cert.caa-missing", "", "no CAA record for %s or any parent domain: every public CA may issue for it", res.Name)
		return out
	}
	for _, r := range res.Records {
		if r.Flag&128 != 0 && !slices.Contains(knownTags, r.Tag) {
			add("cert.caa-mismatch", ev, "%s has a critical CAA property %q no CA understands, which forbids every CA to issue", res.Domain, r.Tag)
			return out
		}
	}
	// A name covered only by a wildcard is issued under issuewild when
	// the domain has any issuewild property (RFC 8659 §4.3).
	tag := "issue"
	if len(chain) > 0 && onlyWildcard(chain[0], res.Name) && slices.ContainsFunc(res.Records, func(r Record) bool { return r.Tag == "issuewild" }) {
		tag = "issuewild"
	}
	var allowed []string
	restricted := false
	for _, r := range res.Records {
		if r.Tag == tag {
			restricted = true
			if d := issuerDomain(r.Value); d != "" {
				allowed = append(allowed, d)
			}
		}
	}
	if !restricted {
		add("cert.caa-missing", ev, "the CAA records of %s have no %s property, so they restrict no CA", res.Domain, tag)
		return out
	}
	if len(chain) == 0 {
		return out
	}
	ids, issuer := IssuerIDs(chain)
	res.IssuerIDs = ids
	switch {
	case len(allowed) == 0:
		add("cert.caa-mismatch", ev, "the CAA records of %s allow no CA to issue (%s \";\"), so the certificate from %s cannot be renewed", res.Domain, tag, issuer)
	case len(ids) == 0:
		add("cert.caa-unknown-issuer", ev, "the CAA records of %s allow %s; the certificate's CA (%s) is not one portcullis can name, so check that they include it", res.Domain, strings.Join(allowed, ", "), issuer)
	case !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(allowed, id) }):
		add("cert.caa-mismatch", ev, "the CAA records of %s allow %s (%s), not the certificate's CA %s (%s): its next renewal will be refused",
			res.Domain, strings.Join(allowed, ", "), tag, issuer, strings.Join(ids, ", "))
	}
	return out
}

// issuerDomain is the issuer-domain-name of an issue or issuewild value,
// lower case, without its parameters ("" for ";", which allows no CA).
func issuerDomain(v string) string {
	d, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}

// onlyWildcard reports whether leaf covers host through a wildcard name
// only.
func onlyWildcard(leaf *x509.Certificate, host string) bool {
	for _, n := range leaf.DNSNames {
		if strings.EqualFold(strings.TrimSuffix(n, "."), host) {
			return false
		}
	}
	return leaf.VerifyHostname(host) == nil
}
