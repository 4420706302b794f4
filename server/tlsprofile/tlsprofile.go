// Package tlsprofile is the TLS protocol profiles of portcullis's
// listeners, as Mozilla's server-side TLS guidelines name them. It sits
// below package server so that the auditor's tests can serve exactly
// what `portcullis serve` serves (package server imports the auditor).
package tlsprofile

import (
	"crypto/tls"
	"fmt"
)

// Profile names.
const (
	// Intermediate is TLS 1.2 and 1.3 with AEAD cipher suites that have
	// forward secrecy only. The default.
	Intermediate = "intermediate"
	// Modern is TLS 1.3 only.
	Modern = "modern"
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

// Config returns the server TLS configuration for a profile ("" is
// Intermediate). HTTP/2 is offered first through ALPN, then HTTP/1.1.
// Session tickets stay on: crypto/tls generates the ticket keys itself
// and rotates them.
func Config(profile string, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) (*tls.Config, error) {
	c := &tls.Config{
		GetCertificate: getCert,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	switch profile {
	case "", Intermediate:
		c.MinVersion = tls.VersionTLS12
		c.CipherSuites = intermediateSuites
	case Modern:
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("unknown TLS profile %q (use %q or %q)", profile, Intermediate, Modern)
	}
	return c, nil
}
