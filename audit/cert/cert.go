// Package cert judges the certificate chain a TLS server presented, as
// `portcullis audit` sees it: trust (system roots, or extra roots given
// with --ca), host name, validity period and days left, self-signed
// certificates, key strength, signature algorithms, and SPKI pins
// ("sha256/BASE64", package spki, checked by the reviewer instead of
// served to browsers as HPKP was).
package cert

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/rules"
	"github.com/portcullis/portcullis/spki"
)

// Options configure Check.
type Options struct {
	// Roots are the trusted roots; nil means the system's.
	Roots *x509.CertPool
	// Now is the time the chain is judged at. Default time.Now.
	Now func() time.Time
	// Warn is the expiry warning window. Default 30 days. A short-lived
	// certificate is warned about only once less than a third of its
	// lifetime remains (when an ACME client would have renewed it): a
	// 6-day certificate with 5 days left is fresh, not expiring.
	Warn time.Duration
	// Pins are SPKI pins, "sha256/BASE64"; when set, one certificate of
	// the chain must match one of them.
	Pins []string
}

// Info describes the leaf certificate, for reports.
type Info struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// Names are the DNS names and IP addresses of the subjectAltName
	// extension; none when the certificate has no such extension (or only
	// other kinds of names), which browsers reject.
	Names     []string  `json:"names"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	KeyType   string    `json:"key_type"`
	Signature string    `json:"signature"`
	Serial    string    `json:"serial"`
	SPKI      string    `json:"spki_sha256"` // "sha256/BASE64"
	Trusted   bool      `json:"trusted"`
}

// Check judges chain (leaf first, as the server sent it) for host. The
// findings' Target is host.
func Check(host string, chain []*x509.Certificate, o Options) (Info, []rules.Finding) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Warn == 0 {
		o.Warn = 30 * 24 * time.Hour
	}
	var out []rules.Finding
	add := func(id, format string, a ...any) {
		f := rules.NewFinding(id, fmt.Sprintf(format, a...))
		f.Target = host
		out = append(out, f)
	}
	if len(chain) == 0 {
		add("cert.untrusted", "the server presented no certificate")
		return Info{}, out
	}
	leaf, now := chain[0], o.Now()
	info := Info{
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), Names: names(leaf),
		NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
		DaysLeft: int(leaf.NotAfter.Sub(now) / (24 * time.Hour)),
		KeyType:  keyType(leaf), Signature: leaf.SignatureAlgorithm.String(),
		Serial: leaf.SerialNumber.Text(16), SPKI: spki.Pin(leaf),
	}

	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// Trust is judged inside the validity period, so that an expired
	// certificate is reported as expired, and as untrusted only if it is.
	at := now
	if now.After(leaf.NotAfter) {
		at = leaf.NotAfter.Add(-time.Second)
	} else if now.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(time.Second)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: o.Roots, Intermediates: inter, CurrentTime: at})
	selfSigned := leaf.Subject.String() == leaf.Issuer.String() &&
		leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
	switch {
	case err == nil:
		info.Trusted = at.Equal(now)
	case selfSigned:
		add("cert.self-signed", "the certificate is signed by its own key (%s)", info.Subject)
	default:
		add("cert.untrusted", "the chain does not verify: %v", err)
	}
	if err := leaf.VerifyHostname(host); err != nil {
		if len(info.Names) == 0 {
			add("cert.hostname-mismatch", "the certificate has no subjectAltName, so it is valid for no host name, %s included: browsers have rejected such certificates since 2017 and ignore the Common Name%s",
				host, cnNote(leaf.Subject.CommonName))
		} else {
			add("cert.hostname-mismatch", "the certificate is for %s, not %s", strings.Join(info.Names, ", "), host)
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		add("cert.expired", "the certificate expired %s ago (%s)", days(now.Sub(leaf.NotAfter)), leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		add("cert.expired", "the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case leaf.NotAfter.Sub(now) < min(o.Warn, leaf.NotAfter.Sub(leaf.NotBefore)/3):
		add("cert.expiring", "the certificate expires in %s (%s)", days(leaf.NotAfter.Sub(now)), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if weak := weakKey(leaf); weak != "" {
		add("cert.weak-key", "the certificate's key is %s", weak)
	}
	for i, c := range chain {
		if i == len(chain)-1 && c.Subject.String() == c.Issuer.String() && i > 0 {
			break // a root sent along: its self-signature is never checked
		}
		switch c.SignatureAlgorithm {
		case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.MD2WithRSA:
			add("cert.weak-signature", "%s is signed with %s", describe(i, c), c.SignatureAlgorithm)
		}
	}
	if len(o.Pins) > 0 && !slices.ContainsFunc(chain, func(c *x509.Certificate) bool { return slices.Contains(o.Pins, spki.Pin(c)) }) {
		add("cert.pin-mismatch", "no certificate of the chain matches the pins; the leaf's is %s", info.SPKI)
	}
	return info, out
}

// cnNote quotes a Common Name for a message, "" when there is none.
func cnNote(cn string) string {
	if cn == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", cn)
}

func describe(i int, c *x509.Certificate) string {
	if i == 0 {
		return "the certificate"
	}
	return fmt.Sprintf("intermediate %q", c.Subject.CommonName)
}

func names(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func keyType(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

func weakKey(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Sprintf("RSA %d bits (at least 2048 are needed)", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			return fmt.Sprintf("ECDSA %s (at least 256 bits are needed)", k.Curve.Params().Name)
		}
	}
	return ""
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
