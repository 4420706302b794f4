package audit

import (
	"crypto/x509"
	"encoding/asn1"

	"github.com/portcullis/portcullis/rules"
)

// oidTLSFeature is the TLS Feature extension (RFC 7633); a certificate
// listing status_request (5) in it is "must-staple".
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// mustStaple reports whether leaf requires a stapled OCSP response.
func mustStaple(leaf *x509.Certificate) bool {
	for _, e := range leaf.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if rest, err := asn1.Unmarshal(e.Value, &features); err != nil || len(rest) > 0 {
			return false
		}
		for _, f := range features {
			if f == 5 { // status_request
				return true
			}
		}
	}
	return false
}

// ocspFindings judges stapling: stapled says whether the server sent an
// OCSP response (in the ServerHello's status_request up to TLS 1.2, in
// the Certificate message in TLS 1.3; Go's client asks for it in both).
func ocspFindings(target string, leaf *x509.Certificate, stapled bool) []rules.Finding {
	if leaf == nil || stapled {
		return nil
	}
	var f rules.Finding
	switch {
	case mustStaple(leaf):
		f = rules.NewFinding("tls.must-staple-unmet", "the certificate is must-staple (RFC 7633) but no OCSP response was stapled")
	case len(leaf.OCSPServer) > 0:
		f = rules.NewFinding("tls.no-ocsp-stapling", "the certificate names an OCSP responder but no response was stapled")
		f.Evidence = rules.ClipEvidence(leaf.OCSPServer[0])
	default:
		return nil
	}
	f.Target = target
	return []rules.Finding{f}
}
