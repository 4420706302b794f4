package server

import (
	"crypto/tls"
	"slices"

	"github.com/portcullis/portcullis/server/tlsprofile"
)

// Profile names, as in Mozilla's server-side TLS guidelines (package
// tlsprofile).
const (
	// ProfileIntermediate is TLS 1.2 and 1.3 with AEAD cipher suites
	// that have forward secrecy only. The default.
	ProfileIntermediate = tlsprofile.Intermediate
	// ProfileModern is TLS 1.3 only.
	ProfileModern = tlsprofile.Modern
)

// TLSConfig returns the server TLS configuration for a profile
// (tlsprofile.Config). HTTP/2 is offered first through ALPN, then
// HTTP/1.1; "acme-tls/1" is not (the server adds it with offerACME while
// a site uses ACME). Session tickets stay on: crypto/tls generates the
// ticket keys itself and rotates them, and the returned config is kept
// across reloads so resumption survives them.
func TLSConfig(profile string, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) (*tls.Config, error) {
	return tlsprofile.Config(profile, getCert)
}

// acmeTLS1 is the ALPN protocol of ACME TLS-ALPN-01 validation (RFC 8737):
// the CA offers it alone and expects the challenge certificate.
const acmeTLS1 = "acme-tls/1"

// offerACME makes c also offer "acme-tls/1", to the handshakes that ask
// for it, while enabled reports true (a site may then be validated
// through it). Otherwise a client offering only it gets the
// no_application_protocol alert.
//
// The handshakes that ask for it get a clone of c, made now, with the
// protocol added. Only the ALPN list differs, and the clone holds no
// session ticket keys of its own, so crypto/tls encrypts and decrypts
// their tickets with the listener's keys (see Config.ticketKeys):
// sessions resume from one config to the other, whatever the generation.
// Every other handshake (every browser's) uses the listener's config.
func offerACME(c *tls.Config, enabled func() bool) {
	withACME := c.Clone()
	withACME.NextProtos = append(slices.Clip(c.NextProtos), acmeTLS1)
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if slices.Contains(hello.SupportedProtos, acmeTLS1) && enabled() {
			return withACME, nil
		}
		return nil, nil
	}
}
