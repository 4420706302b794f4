package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/portcullis/portcullis/spki"
)

// ErrNoCertificate means no certificate has been stored for the names
// yet.
var ErrNoCertificate = errors.New("no certificate stored yet")

// StoredLocal describes the local CA's persisted leaf for names, read from
// the CA directory dir without opening the CA or issuing anything (for
// listings). It returns ErrNoCertificate when there is none.
func StoredLocal(dir string, names []string) (Info, error) {
	ns, err := parseNames(names)
	if err != nil {
		return Info{}, err
	}
	chain, err := ReadChain(filepath.Join(dir, "leaf-"+leafID(ns)+".pem"))
	if err != nil {
		return Info{}, err
	}
	info := InfoOf(chain[0], SourceLocal)
	info.RenewAt = localRenewAt(chain[0])
	// The leaf file holds the leaf alone; its issuer is the root.
	if root, err := ReadChain(filepath.Join(dir, rootFile)); err == nil {
		chain = append(chain, root[0])
	}
	info.Pins = spki.Chain(chain)
	return info, nil
}

// StoredFile describes the certificate in a PEM file (source "files").
func StoredFile(file string) (Info, error) {
	chain, err := ReadChain(file)
	if err != nil {
		return Info{}, err
	}
	info := InfoOf(chain[0], SourceFiles)
	info.Pins = spki.Chain(chain)
	return info, nil
}

// ReadLeaf parses the first certificate of a PEM file. A missing file is
// ErrNoCertificate.
func ReadLeaf(file string) (*x509.Certificate, error) {
	chain, err := readCerts(file, 1)
	if err != nil {
		return nil, err
	}
	return chain[0], nil
}

// ReadChain parses the certificates of a PEM file in file order (leaf
// first, then its issuers, as servers send them), skipping other blocks.
// A missing file is ErrNoCertificate; a file without a certificate is an
// error.
func ReadChain(file string) ([]*x509.Certificate, error) { return readCerts(file, -1) }

// readCerts parses up to n certificates of a PEM file (all when n < 0).
func readCerts(file string, n int) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCertificate
	}
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for len(chain) != n {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			chain = append(chain, c)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return chain, nil
}

// Remaining is how long a certificate has left at now (negative once
// expired).
func (i Info) Remaining(now time.Time) time.Duration { return i.NotAfter.Sub(now) }
