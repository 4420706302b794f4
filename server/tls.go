package server

import (
	"crypto/tls"
	"fmt"
)

// Profile names, as in Mozilla's server-side TLS guidelines.
const (
	// ProfileIntermediate is TLS 1.2 and 1.3 with AEAD cipher suites
	// that have forward secrecy only. The default.
	ProfileIntermediate = "intermediate"
	// ProfileModern is TLS 1.3 only.
	ProfileModern = "modern"
)

// intermediateSuites are the TLS 1.2 suites of the intermediate profile:
// ECDHE key exchange (forward secrecy) and AEAD ciphers only. TLS 1.3
// suites are not configurable in Go and are all AEAD with forward secrecy.
var intermediateSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// TLSConfig returns the server TLS configuration for a profile. HTTP/2 is
// offered first through ALPN, and "acme-tls/1" for ACME TLS-ALPN-01
// validation. Session tickets stay on: crypto/tls
// generates the ticket keys itself and rotates them, and the returned
// config is kept across reloads so resumption survives them.
func TLSConfig(profile string, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) (*tls.Config, error) {
	c := &tls.Config{
		GetCertificate: getCert,
		// "acme-tls/1" last: only the ACME CA's validation offers it,
		// alone, to fetch the TLS-ALPN-01 challenge certificate.
		NextProtos: []string{"h2", "http/1.1", "acme-tls/1"},
	}
	switch profile {
	case "", ProfileIntermediate:
		c.MinVersion = tls.VersionTLS12
		c.CipherSuites = intermediateSuites
	case ProfileModern:
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("unknown TLS profile %q (use %q or %q)", profile, ProfileIntermediate, ProfileModern)
	}
	return c, nil
}
