package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
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
	leaf, err := ReadLeaf(filepath.Join(dir, "leaf-"+leafID(ns)+".pem"))
	if err != nil {
		return Info{}, err
	}
	info := InfoOf(leaf, SourceLocal)
	info.RenewAt = localRenewAt(leaf)
	return info, nil
}

// StoredFile describes the certificate in a PEM file (source "files").
func StoredFile(file string) (Info, error) {
	leaf, err := ReadLeaf(file)
	if err != nil {
		return Info{}, err
	}
	return InfoOf(leaf, SourceFiles), nil
}

// ReadLeaf parses the first certificate of a PEM file. A missing file is
// ErrNoCertificate.
func ReadLeaf(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCertificate
	}
	if err != nil {
		return nil, err
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%s: no PEM certificate", file)
		}
		if b.Type == "CERTIFICATE" {
			leaf, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			return leaf, nil
		}
	}
}

// Remaining is how long a certificate has left at now (negative once
// expired).
func (i Info) Remaining(now time.Time) time.Duration { return i.NotAfter.Sub(now) }
