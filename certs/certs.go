// Package certs provides the certificates `portcullis serve` presents: a
// local certificate authority for development names, certificate files
// that are reloaded when they change, and a [Selector] that picks one by
// the TLS server name (SNI).
//
// # Sources
//
// Everything that can answer a TLS handshake is a [Source]: its
// GetCertificate has the signature of [tls.Config.GetCertificate], and its
// Certificates describes what it serves (for listings and expiry
// monitoring). The sources are:
//
//   - [LocalCA.Source]: leaf certificates issued by a local CA that
//     portcullis creates on first run ([OpenLocalCA]), renewed
//     automatically, persisted so restarts reuse them;
//   - [FileSource]: a PEM certificate chain and key from files, hot-reloaded
//     when they change (for certificates issued elsewhere, e.g. by certbot);
//   - [Selector]: several sources chosen by server name, itself a Source.
//
// An ACME source plugs in the same way: it only has to implement Source.
//
// # The local CA
//
// The root is an ECDSA P-256 certificate valid for ten years, stored as
// root.pem (0644) and root-key.pem (0600) in a 0700 directory. It is
// name-constrained (RFC 5280 section 4.2.1.10, extension marked critical)
// to the DNS names localhost and *.localhost and to the loopback ranges
// 127.0.0.0/8 and ::1/128, and its extended key usage is limited to TLS
// server authentication: even if its key leaks, verifiers that honour name
// constraints (Go's crypto/x509, current browsers and operating systems)
// reject any certificate it signs for a real site. Go's verifier accepts
// leaves inside the constraints; the tests check both directions.
//
// The CA refuses to run rather than guess: a key file accessible by group
// or others, a directory writable by group or others, a corrupt or
// mismatched root or key are errors naming the file and the fix. A corrupt
// CA is never replaced by a new one, since users may already trust it.
//
// # File permissions
//
// Private keys are written 0600 inside 0700 directories, atomically (see
// internal/atomicfile). A private key file that group or others can access
// is refused, with the chmod command that fixes it in the error. On
// Windows, where Unix permission bits do not exist, these checks are
// skipped.
package certs

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/spki"
)

// Source provides certificates for TLS handshakes.
type Source interface {
	// GetCertificate returns the certificate for a handshake; it is
	// suitable for tls.Config.GetCertificate and must be safe for
	// concurrent use.
	GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error)
	// Certificates describes the certificates the source currently serves.
	Certificates() []Info
}

// Source names used in Info.Source.
const (
	SourceLocal = "local" // issued by the local CA
	SourceFiles = "files" // loaded from certificate files
	SourceACME  = "acme"  // obtained from an ACME CA
)

// Info describes one certificate a Source serves.
type Info struct {
	Names     []string  // DNS names, then IP addresses, from the certificate
	Issuer    string    // the issuer's common name (its full name if it has none)
	Source    string    // SourceLocal, SourceFiles or SourceACME
	NotBefore time.Time // start of validity
	NotAfter  time.Time // end of validity
	KeyType   string    // "ECDSA P-256", "RSA 2048", "Ed25519"...
	Serial    string    // serial number, lower-case hex
	// RenewAt is when the source will next try to renew the certificate;
	// zero when portcullis does not renew it (certificate files).
	RenewAt time.Time
	// Pins are the SPKI pins of the stored chain, leaf first, then each
	// issuer (for the local CA, its root). Set by the listings of stored
	// certificates (StoredLocal, StoredFile, acme.Stored), not by
	// Source.Certificates.
	Pins []spki.Key
}

// InfoOf describes a leaf certificate served by source.
func InfoOf(leaf *x509.Certificate, source string) Info {
	issuer := leaf.Issuer.CommonName
	if issuer == "" {
		issuer = leaf.Issuer.String()
	}
	return Info{
		Names:     certNames(leaf),
		Issuer:    issuer,
		Source:    source,
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		KeyType:   keyType(leaf.PublicKey),
		Serial:    leaf.SerialNumber.Text(16),
	}
}

// certNames lists a certificate's DNS names, then its IP addresses.
func certNames(leaf *x509.Certificate) []string {
	names := make([]string, 0, len(leaf.DNSNames)+len(leaf.IPAddresses))
	names = append(names, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// keyType names the type and size of a public key.
func keyType(pub any) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
