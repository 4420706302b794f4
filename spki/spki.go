// Package spki computes SPKI pins: the base64 SHA-256 of a certificate's
// SubjectPublicKeyInfo, which names a public key whatever certificate
// carries it.
//
// One digest, three spellings: portcullis writes and reads "sha256/BASE64"
// (`portcullis audit --pin`, the form OkHttp and Chromium use), RFC 7469
// (HPKP) wrote `pin-sha256="BASE64"`, and curl's --pinnedpubkey takes
// "sha256//BASE64". A pin survives a renewal that keeps the key and
// changes with the key, which is why one pins an issuer's key or a backup
// key of one's own rather than only the leaf's (docs/certificates.md).
package spki

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
)

// Prefix starts every pin.
const Prefix = "sha256/"

// Hash returns the base64 SHA-256 of c's SubjectPublicKeyInfo: the value
// of RFC 7469's pin-sha256.
func Hash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Pin returns c's pin, "sha256/" and [Hash].
func Pin(c *x509.Certificate) string { return Prefix + Hash(c) }

// Valid reports whether s has the form of a pin: "sha256/" and the
// base64 of 32 bytes.
func Valid(s string) bool {
	b64, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	return err == nil && len(b) == sha256.Size
}

// Roles of a certificate in a chain.
const (
	Leaf         = "leaf"         // the server's own certificate
	Intermediate = "intermediate" // an issuer below the root
	Root         = "root"         // a self-issued certificate ending the chain
)

// Key is one certificate of a chain and the pin of its key.
type Key struct {
	Role    string `json:"role"`    // Leaf, Intermediate or Root
	Subject string `json:"subject"` // the certificate's subject, e.g. "CN=R11,O=Let's Encrypt,C=US"
	Pin     string `json:"pin"`     // "sha256/BASE64"
}

// Chain returns the pins of chain, leaf first, as it was served or
// stored: the leaf, then each issuer.
func Chain(chain []*x509.Certificate) []Key {
	out := make([]Key, 0, len(chain))
	for i, c := range chain {
		role := Intermediate
		switch {
		case i == 0:
			role = Leaf
		case i == len(chain)-1 && c.Subject.String() == c.Issuer.String():
			role = Root
		}
		out = append(out, Key{Role: role, Subject: c.Subject.String(), Pin: Pin(c)})
	}
	return out
}
