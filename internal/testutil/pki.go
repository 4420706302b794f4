package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// CA is a throwaway certificate authority for tests: an ECDSA P-256 root
// valid from a day ago for ten years, which issues leaf certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer

	serial atomic.Int64
}

// NewCA creates a CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{Cert: cert, Key: key}
	ca.serial.Store(1)
	return ca
}

// Pool returns a pool holding only the CA's root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// RootPEM returns the root certificate in PEM.
func (ca *CA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// WriteRoot writes the root certificate to dir/ca.pem and returns the path.
func (ca *CA) WriteRoot(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// SPKIHash returns the base64 SHA-256 of the root's SubjectPublicKeyInfo,
// the form Chromium's --ignore-certificate-errors-spki-list and HPKP-style
// pins use.
func (ca *CA) SPKIHash() string {
	sum := sha256.Sum256(ca.Cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Leaf issues a server certificate for names (DNS names or IP literals)
// valid from notBefore to notAfter, with a fresh P-256 key.
func (ca *CA) Leaf(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ca.LeafWithKey(t, names, notBefore, notAfter, key)
}

// LeafWithKey is Leaf for a key of the caller's (an RSA key's certificate
// also allows key encipherment, which static-RSA suites need).
func (ca *CA) LeafWithKey(t testing.TB, names []string, notBefore, notAfter time.Time, key crypto.Signer) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial.Add(1)),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// WriteLeaf issues a leaf like Leaf and writes it to dir as name.pem and
// name-key.pem (mode 0600).
func (ca *CA) WriteLeaf(t testing.TB, dir, name string, names []string, notBefore, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	return WriteCert(t, dir, name, ca.Leaf(t, names, notBefore, notAfter))
}

// WriteCert writes c's leaf and private key to dir as name.pem and
// name-key.pem (PKCS #8, mode 0600).
func WriteCert(t testing.TB, dir, name string, c tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// DH1024PEM are 1024-bit finite-field DH parameters (`openssl dhparam
// 1024`), for servers that must offer a weak DHE group; shipped because
// generating them takes about a second.
const DH1024PEM = `-----BEGIN DH PARAMETERS-----
MIGHAoGBAI5dbw3vKI6bnWSS1WW+B3FOdxTNHsUvp+e9+lCMrJBE0frMkuU4Pmcr
RC49FbRTHKd6+JDqOhyaf7wAsZLIQbQyucf99H5V+R87e9A28gJ926xVV2jbx6bT
5vqCXsisdB7iUBLNq7OVf4F8VDKwghpPwqMZhSWGXNzxVifDfhK/AgEC
-----END DH PARAMETERS-----
`
