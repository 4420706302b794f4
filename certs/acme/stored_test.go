package acme

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/spki"
)

// TestStoredPins: the listing of a stored ACME certificate carries the
// pins of the chain certmagic stored (leaf, then issuer), and a name with
// nothing stored is missing.
func TestStoredPins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const ca = "https://acme.test/directory"
	issuer := testutil.NewCA(t, "Stored Test Intermediate")
	now := time.Now()
	crt := issuer.Leaf(t, []string{"shop.test"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	file := filepath.Join(dir, filepath.FromSlash(certmagic.StorageKeys.SiteCert((&certmagic.ACMEIssuer{CA: ca}).IssuerKey(), "shop.test")))
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: crt.Certificate[0]}), issuer.RootPEM()...)
	if err := os.WriteFile(file, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	found, missing, err := Stored(dir, []string{ca}, []string{"shop.test", "other.test"}, nil, 0)
	if err != nil || len(found) != 1 || len(missing) != 1 || missing[0] != "other.test" {
		t.Fatalf("found %+v, missing %v, %v", found, missing, err)
	}
	ps := found[0].Pins
	if len(ps) != 2 || ps[0].Role != spki.Leaf || ps[0].Pin != spki.Pin(crt.Leaf) ||
		ps[1].Role != spki.Root || ps[1].Pin != "sha256/"+issuer.SPKIHash() {
		t.Errorf("pins %+v", ps)
	}
}
