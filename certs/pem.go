package certs

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// pemBlock is a PEM block and the line its BEGIN marker is on.
type pemBlock struct {
	*pem.Block
	line int
}

var beginMarker = []byte("-----BEGIN")

// parsePEM returns every PEM block in data. Text outside blocks is ignored
// (certificate bundles often carry comments), but a damaged block is an
// error: pem.Decode would skip it silently, so a truncated chain or a
// half-written file would pass as a shorter valid one.
func parsePEM(data []byte) ([]pemBlock, error) {
	var out []pemBlock
	rest := data
	for {
		i := bytes.Index(rest, beginMarker)
		if i < 0 {
			return out, nil
		}
		line := 1 + bytes.Count(data[:len(data)-len(rest)+i], []byte("\n"))
		b, after := pem.Decode(rest)
		if b == nil || bytes.Count(rest[:len(rest)-len(after)], beginMarker) != 1 {
			return nil, fmt.Errorf("line %d: truncated or malformed PEM block", line)
		}
		out = append(out, pemBlock{b, line})
		rest = after
	}
}

// isKeyBlock reports whether a PEM block type holds a private key.
func isKeyBlock(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") }

// parseChain parses the certificates of a PEM file, leaf first. Private
// key blocks are skipped, so one file may hold both.
func parseChain(file string, data []byte) ([]*x509.Certificate, error) {
	blocks, err := parsePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var chain []*x509.Certificate
	sawKey := false
	for _, b := range blocks {
		switch {
		case b.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: certificate %d: %w", file, b.line, len(chain)+1, err)
			}
			chain = append(chain, c)
		case isKeyBlock(b.Type), b.Type == "EC PARAMETERS":
			sawKey = true
		default:
			return nil, fmt.Errorf("%s: line %d: unexpected PEM block %q in a certificate file", file, b.line, b.Type)
		}
	}
	if len(chain) == 0 {
		if sawKey {
			return nil, fmt.Errorf("%s: holds a private key but no certificate: are the certificate and key files swapped?", file)
		}
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE block found", file)
	}
	return chain, nil
}

// parseKey parses the one private key of a PEM file. Certificate blocks
// are skipped, so one file may hold both.
func parseKey(file string, data []byte) (crypto.Signer, error) {
	blocks, err := parsePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var key crypto.Signer
	sawCert := false
	for _, b := range blocks {
		switch {
		case b.Type == "CERTIFICATE":
			sawCert = true
		case b.Type == "EC PARAMETERS":
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] == "4,ENCRYPTED":
			return nil, fmt.Errorf("%s: line %d: the private key is encrypted; store it unencrypted (mode 0600)", file, b.line)
		case isKeyBlock(b.Type):
			if key != nil {
				return nil, fmt.Errorf("%s: line %d: a second private key; a key file must hold exactly one", file, b.line)
			}
			if key, err = parseKeyBlock(b.Block); err != nil {
				return nil, fmt.Errorf("%s: line %d: %w", file, b.line, err)
			}
		default:
			return nil, fmt.Errorf("%s: line %d: unexpected PEM block %q in a key file", file, b.line, b.Type)
		}
	}
	if key == nil {
		if sawCert {
			return nil, fmt.Errorf("%s: holds a certificate but no private key: are the certificate and key files swapped?", file)
		}
		return nil, fmt.Errorf("%s: no PEM PRIVATE KEY block found", file)
	}
	return key, nil
}

// parseKeyBlock parses PKCS #8, SEC 1 (EC) and PKCS #1 (RSA) keys, the
// formats crypto/tls accepts.
func parseKeyBlock(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("unsupported private key type %q", b.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key %T", k)
	}
	return s, nil
}

// matches reports whether key is the private half of pub.
func matches(key crypto.Signer, pub crypto.PublicKey) bool {
	e, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(pub)
}

// CheckKeyPerm refuses a private key file that group or others can access,
// with the chmod command that fixes it in the error. On Windows it does
// nothing.
func CheckKeyPerm(file string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("%s: private key file is accessible by group or others (mode %04o); fix: chmod 600 %s", file, m, file)
	}
	return nil
}

// loadPair reads a certificate chain and its key from files: the key file
// must be private, both must parse, and the key must match the first
// certificate.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	if err := CheckKeyPerm(keyFile); err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	chain, err := parseChain(certFile, certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyFile, keyPEM)
	if err != nil {
		return nil, err
	}
	if !matches(key, chain[0].PublicKey) {
		for i, c := range chain[1:] {
			if matches(key, c.PublicKey) {
				return nil, fmt.Errorf("%s: the key matches certificate %d, not the first: put the leaf certificate first", certFile, i+2)
			}
		}
		return nil, fmt.Errorf("%s does not match the certificate in %s", keyFile, certFile)
	}
	return newTLSCert(chain, key), nil
}

// newTLSCert assembles a tls.Certificate with its parsed leaf.
func newTLSCert(chain []*x509.Certificate, key crypto.Signer) *tls.Certificate {
	c := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// errNotExist reports whether err says a file does not exist.
func errNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
