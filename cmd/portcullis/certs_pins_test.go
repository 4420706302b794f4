package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/spki"
)

// pinOf computes a pin independently of package spki.
func pinOf(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
}

func readPEM(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCertsListPins: certs list gives the SPKI pins of each stored chain,
// leaf first — the local CA's leaf and root, a certificate file's leaf
// and the issuer stored with it — in JSON always and in text with --pins.
func TestCertsListPins(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	setNow(t, t0)
	data := t.TempDir()
	localLeaf(t, data, "localhost")
	tca := testutil.NewCA(t, "Throwaway Test CA")
	dir := t.TempDir()
	certFile, keyFile := tca.WriteLeaf(t, dir, "files", []string{"files.example.com"}, t0.Add(-day), t0.Add(30*day))
	f, err := os.OpenFile(certFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(tca.RootPEM()) // the chain: leaf, then its issuer
	f.Close()
	cfg := writeConfig(t, localSite+fmt.Sprintf(filesSite, certFile, keyFile)+acmeSite)

	code, js, errs := runCLI(t, "certs", "list", "--config", cfg, "--data", data, "--format", "json")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []struct {
		Site string     `json:"site"`
		Pins []spki.Key `json:"pins"`
	}
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		t.Fatal(err)
	}
	localRoot := readPEM(t, datadir.Dir(data).Root())
	want := map[string][]spki.Key{
		"local": {{Role: spki.Leaf, Subject: "CN=localhost,O=portcullis local certificate"}, {Role: spki.Root, Pin: pinOf(t, localRoot)}},
		"files": {{Role: spki.Leaf, Subject: "CN=files.example.com", Pin: pinOf(t, readPEM(t, certFile))}, {Role: spki.Root, Subject: "CN=Throwaway Test CA", Pin: "sha256/" + tca.SPKIHash()}},
		"acme":  nil, // no certificate yet
	}
	for _, r := range rows {
		w := want[r.Site]
		if len(r.Pins) != len(w) {
			t.Errorf("%s: pins %+v, want %d", r.Site, r.Pins, len(w))
			continue
		}
		for i, p := range r.Pins {
			if p.Role != w[i].Role || (w[i].Subject != "" && p.Subject != w[i].Subject) || (w[i].Pin != "" && p.Pin != w[i].Pin) || !spki.Valid(p.Pin) {
				t.Errorf("%s: pin %d = %+v, want %+v", r.Site, i, p, w[i])
			}
		}
	}

	code, out, _ := runCLI(t, "certs", "list", "--config", cfg, "--data", data, "--pins")
	if code != 0 {
		t.Fatalf("certs list --pins: exit %d", code)
	}
	table, pins, ok := strings.Cut(out, "\nSPKI pins")
	if !ok || strings.Contains(table, "sha256/") {
		t.Fatalf("no pin table after the certificates:\n%s", out)
	}
	for _, r := range rows {
		for _, p := range r.Pins {
			if !strings.Contains(pins, p.Pin) || !strings.Contains(pins, p.Subject) {
				t.Errorf("text lacks %s's %s pin %s", r.Site, p.Role, p.Pin)
			}
		}
	}
	if code, out, _ := runCLI(t, "certs", "list", "--config", cfg, "--data", data); code != 0 || strings.Contains(out, "sha256/") {
		t.Errorf("pins without --pins (exit %d):\n%s", code, out)
	}
}
