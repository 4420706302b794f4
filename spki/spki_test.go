package spki_test

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/spki"
)

// TestPinMatchesIndependentHash: the pin of the test CA's root is the
// digest testutil computes on its own, and the leaf's differs.
func TestPinMatchesIndependentHash(t *testing.T) {
	ca := testutil.NewCA(t, "SPKI Test Root")
	if got, want := spki.Pin(ca.Cert), "sha256/"+ca.SPKIHash(); got != want {
		t.Fatalf("Pin = %s, want %s", got, want)
	}
	if spki.Hash(ca.Cert) != ca.SPKIHash() {
		t.Fatal("Hash differs from testutil's")
	}
	now := time.Now()
	leaf, err := x509.ParseCertificate(ca.Leaf(t, []string{"a.test"}, now, now.Add(time.Hour)).Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	keys := spki.Chain([]*x509.Certificate{leaf, ca.Cert})
	if len(keys) != 2 || keys[0].Role != spki.Leaf || keys[1].Role != spki.Root ||
		keys[0].Subject != "CN=a.test" || keys[1].Pin != spki.Pin(ca.Cert) || keys[0].Pin == keys[1].Pin {
		t.Fatalf("Chain = %+v", keys)
	}
	mid := spki.Chain([]*x509.Certificate{leaf, leaf, ca.Cert})
	if mid[1].Role != spki.Intermediate {
		t.Errorf("middle certificate: role %q", mid[1].Role)
	}
	if only := spki.Chain([]*x509.Certificate{ca.Cert}); only[0].Role != spki.Leaf {
		t.Errorf("a lone self-signed certificate is the leaf: %+v", only)
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=":  true,
		"sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=": false, // curl's spelling
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=":         false,
		"sha256/AAAA":      false,
		"sha1/AAAAAAAAAAA": false,
		"sha256/!!!":       false,
		"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU": false, // unpadded
		"":                                  false,
		"sha256/" + strings.Repeat("A", 44): false, // 33 bytes
	} {
		if spki.Valid(s) != want {
			t.Errorf("Valid(%q) = %v", s, !want)
		}
	}
}

func ExampleValid() {
	fmt.Println(spki.Valid("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="))
	// Output: true
}
