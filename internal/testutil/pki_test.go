package testutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"os"
	"testing"
	"time"
)

func TestCA(t *testing.T) {
	ca := NewCA(t, "test root")
	now := time.Now()
	leaf := ca.Leaf(t, []string{"app.test", "127.0.0.9"}, now.Add(-time.Hour), now.Add(time.Hour))
	for _, name := range []string{"app.test", "127.0.0.9"} {
		if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if leaf.Leaf.KeyUsage&x509.KeyUsageKeyEncipherment != 0 {
		t.Error("an ECDSA leaf allows key encipherment")
	}
	other := ca.Leaf(t, []string{"app.test"}, now.Add(-time.Hour), now.Add(time.Hour))
	if other.Leaf.SerialNumber.Cmp(leaf.Leaf.SerialNumber) == 0 {
		t.Error("two leaves share a serial number")
	}

	sum := sha256.Sum256(ca.Cert.RawSubjectPublicKeyInfo)
	if got := ca.SPKIHash(); got != base64.StdEncoding.EncodeToString(sum[:]) || len(got) != 44 {
		t.Errorf("SPKIHash %q", got)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	r := ca.LeafWithKey(t, []string{"rsa.test"}, now.Add(-time.Hour), now.Add(time.Hour), key)
	if r.Leaf.KeyUsage&x509.KeyUsageKeyEncipherment == 0 || r.Leaf.PublicKeyAlgorithm != x509.RSA {
		t.Errorf("RSA leaf: usage %v, algorithm %v", r.Leaf.KeyUsage, r.Leaf.PublicKeyAlgorithm)
	}

	dir := t.TempDir()
	certFile, keyFile := ca.WriteLeaf(t, dir, "site", []string{"app.test"}, now.Add(-time.Hour), now.Add(time.Hour))
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatalf("written pair: %v", err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	root, err := os.ReadFile(ca.WriteRoot(t, dir))
	if err != nil || string(root) != string(ca.RootPEM()) {
		t.Errorf("root file: %v", err)
	}
}
