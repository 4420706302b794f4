package cert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/spki"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type pki struct {
	ca   *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &pki{ca, key, pool}
}

type leafOpts struct {
	names       []string
	from, until time.Time
	key         crypto.Signer
	selfSigned  bool
	subject     string
}

func (p *pki) leaf(t *testing.T, o leafOpts) *x509.Certificate {
	t.Helper()
	if o.key == nil {
		o.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if o.from.IsZero() {
		o.from, o.until = now.AddDate(0, -1, 0), now.AddDate(0, 2, 0)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: o.subject},
		DNSNames: o.names, NotBefore: o.from, NotAfter: o.until, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	parent, signer := p.ca, p.key
	if o.selfSigned {
		parent, signer = tmpl, o.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, o.key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := p.leaf(t, leafOpts{names: []string{"example.com", "www.example.com"}})
	sha1 := p.leaf(t, leafOpts{names: []string{"example.com"}})
	sha1.SignatureAlgorithm = x509.SHA1WithRSA // Go no longer signs with SHA-1; only the field is judged
	for _, tc := range []struct {
		name  string
		chain []*x509.Certificate
		o     Options
		want  string
	}{
		{"good", []*x509.Certificate{good}, Options{Roots: p.pool}, ""},
		{"good with the root sent along", []*x509.Certificate{good, p.ca}, Options{Roots: p.pool}, ""},
		{"untrusted", []*x509.Certificate{good}, Options{}, "cert.untrusted"},
		{"wrong host", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"other.example"}})}, Options{Roots: p.pool}, "cert.hostname-mismatch"},
		{"expired", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, -3, 0), until: now.AddDate(0, 0, -2)})},
			Options{Roots: p.pool}, "cert.expired"},
		{"not yet valid", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, 0, 1), until: now.AddDate(0, 3, 0)})},
			Options{Roots: p.pool}, "cert.expired"},
		{"expiring", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, -2, 0), until: now.AddDate(0, 0, 10)})},
			Options{Roots: p.pool}, "cert.expiring"},
		{"expiring, shorter window", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, -2, 0), until: now.AddDate(0, 0, 10)})},
			Options{Roots: p.pool, Warn: 7 * 24 * time.Hour}, ""},
		{"short-lived and fresh", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, 0, -1), until: now.AddDate(0, 0, 5)})},
			Options{Roots: p.pool}, ""},
		{"short-lived and due", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, from: now.AddDate(0, 0, -5), until: now.AddDate(0, 0, 1)})},
			Options{Roots: p.pool}, "cert.expiring"},
		{"self-signed", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, selfSigned: true, subject: "example.com"})},
			Options{Roots: p.pool}, "cert.self-signed"},
		{"weak key", []*x509.Certificate{p.leaf(t, leafOpts{names: []string{"example.com"}, key: rsa1024})}, Options{Roots: p.pool}, "cert.weak-key"},
		{"weak signature", []*x509.Certificate{sha1}, Options{Roots: p.pool}, "cert.untrusted,cert.weak-signature"},
		{"pin matches the leaf", []*x509.Certificate{good}, Options{Roots: p.pool, Pins: []string{spki.Pin(good)}}, ""},
		{"pin matches the CA", []*x509.Certificate{good, p.ca}, Options{Roots: p.pool, Pins: []string{spki.Pin(p.ca)}}, ""},
		{"pin mismatch", []*x509.Certificate{good}, Options{Roots: p.pool, Pins: []string{spki.Pin(p.ca)}}, "cert.pin-mismatch"},
		{"no certificate", nil, Options{}, "cert.untrusted"},
	} {
		tc.o.Now = func() time.Time { return now }
		_, fs := Check("example.com", tc.chain, tc.o)
		var got []string
		for _, f := range fs {
			got = append(got, f.Rule)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("%s: %s, want %s (%v)", tc.name, g, tc.want, fs)
		}
	}
	info, _ := Check("example.com", []*x509.Certificate{good}, Options{Roots: p.pool, Now: func() time.Time { return now }})
	if !info.Trusted || info.KeyType != "ECDSA P-256" || info.DaysLeft != 61 || len(info.Names) != 2 || !spki.Valid(info.SPKI) {
		t.Errorf("Info = %+v", info)
	}
}

// TestNoSubjectAltName: a certificate whose only name is its subject's
// Common Name matches no host name (browsers have ignored the CN since
// 2017), and the finding says so instead of naming an empty list.
func TestNoSubjectAltName(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, cn, want string
	}{
		{"CN only", "example.com", `the certificate has no subjectAltName, so it is valid for no host name, example.com included: browsers have rejected such certificates since 2017 and ignore the Common Name ("example.com")`},
		{"no name at all", "", "the certificate has no subjectAltName, so it is valid for no host name, example.com included: browsers have rejected such certificates since 2017 and ignore the Common Name"},
	} {
		leaf := p.leaf(t, leafOpts{subject: tc.cn, key: rsa2048})
		info, fs := Check("example.com", []*x509.Certificate{leaf}, Options{Roots: p.pool, Now: func() time.Time { return now }})
		if len(fs) != 1 || fs[0].Rule != "cert.hostname-mismatch" || fs[0].Message != tc.want {
			t.Errorf("%s: findings %+v\nwant cert.hostname-mismatch: %s", tc.name, fs, tc.want)
		}
		if len(info.Names) != 0 || info.KeyType != "RSA 2048" {
			t.Errorf("%s: Info = %+v", tc.name, info)
		}
	}
}
