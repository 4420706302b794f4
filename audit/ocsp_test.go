package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/rules"
)

// ocspLeaf issues a certificate for host naming an OCSP responder, and
// must-staple when asked.
func (ca *testCA) ocspLeaf(t *testing.T, host string, mustStaple bool) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(0, 3, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, OCSPServer: []string{"http://ocsp.ca.test/"}}
	if mustStaple {
		v, _ := asn1.Marshal([]int{5})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidTLSFeature, Value: v}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestOCSPStapling serves certificates naming an OCSP responder, stapled
// or not, over TLS 1.3 only (where the staple travels in the encrypted
// Certificate message, out of the prober's sight) and over TLS 1.2.
func TestOCSPStapling(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	staple := []byte{0x30, 0x03, 0x0a, 0x01, 0x00} // the bytes are relayed, not parsed, by Go's client
	for _, tc := range []struct {
		name       string
		version    uint16
		mustStaple bool
		staple     []byte
		want       string // the OCSP finding, or ""
	}{
		{"TLS 1.3 stapled", tls.VersionTLS13, false, staple, ""},
		{"TLS 1.3 not stapled", tls.VersionTLS13, false, nil, "tls.no-ocsp-stapling"},
		{"TLS 1.3 must-staple not stapled", tls.VersionTLS13, true, nil, "tls.must-staple-unmet"},
		{"TLS 1.3 must-staple stapled", tls.VersionTLS13, true, staple, ""},
		{"TLS 1.2 stapled", tls.VersionTLS12, false, staple, ""},
		{"TLS 1.2 must-staple not stapled", tls.VersionTLS12, true, nil, "tls.must-staple-unmet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crt := ca.ocspLeaf(t, "ocsp.test", tc.mustStaple)
			crt.OCSPStaple = tc.staple
			cfg := &tls.Config{Certificates: []tls.Certificate{crt}, MinVersion: tc.version, MaxVersion: tc.version}
			f := serveTLS(t, "ocsp.test", crt, hardened(t, "ocsp.test", nil), cfg)
			rep := run(t, f, Options{Roots: ca.pool})
			var got []string
			for _, id := range ruleIDs(rep.Findings, rules.Info) {
				if id == "tls.no-ocsp-stapling" || id == "tls.must-staple-unmet" {
					got = append(got, id)
				}
			}
			if want := slices.DeleteFunc([]string{tc.want}, func(s string) bool { return s == "" }); !slices.Equal(got, want) {
				t.Errorf("OCSP findings %v, want %v", got, want)
			}
			if rep.TLS == nil || rep.TLS.OCSPStapling != (tc.staple != nil) {
				t.Errorf("report's stapling %+v, want %v", rep.TLS, tc.staple != nil)
			}
		})
	}
}

func TestMustStapleParsing(t *testing.T) {
	ext := func(v []byte) *x509.Certificate {
		return &x509.Certificate{Extensions: []pkix.Extension{{Id: oidTLSFeature, Value: v}}}
	}
	five, _ := asn1.Marshal([]int{5})
	other, _ := asn1.Marshal([]int{17})
	for _, tc := range []struct {
		name string
		leaf *x509.Certificate
		want bool
	}{
		{"status_request", ext(five), true},
		{"another feature", ext(other), false},
		{"malformed", ext([]byte{0x30, 0x05, 0x02}), false},
		{"trailing bytes", ext(append(five, 0)), false},
		{"no extension", &x509.Certificate{}, false},
	} {
		if got := mustStaple(tc.leaf); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
