package browsertest

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// nssHint tells how to install certutil.
const nssHint = "scripts/setup.sh installs it (apt-get install libnss3-tools)"

// writeNSSDB creates the NSS database $home/.pki/nssdb, where Chromium on
// Linux looks for the certificates its user added, and adds each root as a
// trusted CA for TLS servers (certutil trust "C,,"), the way a user trusts
// a private CA. Chromium then finds the certificates it issues VALID, so
// HSTS headers count (Chromium ignores them on connections with certificate
// errors, which --ignore-certificate-errors only hides).
//
// --ignore-certificate-errors-spki-list is no substitute: Chromium compares
// it with the keys of the chain the server sent, so a root's hash matches
// only servers that send their root, which servers (portcullis included)
// do not.
func writeNSSDB(certutil, home string, roots []*x509.Certificate) error {
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return fmt.Errorf("browsertest: creating the NSS database directory: %w", err)
	}
	run := func(args ...string) error {
		out, err := exec.Command(certutil, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("browsertest: certutil %v: %v: %s", args, err, out)
		}
		return nil
	}
	if err := run("-N", "-d", "sql:"+db, "--empty-password"); err != nil {
		return err
	}
	for i, c := range roots {
		if c == nil {
			return fmt.Errorf("browsertest: Roots[%d] is nil", i)
		}
		if !c.IsCA {
			return fmt.Errorf("browsertest: Roots[%d] (%s) is not a CA certificate", i, c.Subject)
		}
		file := filepath.Join(home, fmt.Sprintf("root-%d.pem", i))
		if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
			return fmt.Errorf("browsertest: writing Roots[%d]: %w", i, err)
		}
		if err := run("-A", "-d", "sql:"+db, "-n", fmt.Sprintf("browsertest root %d", i), "-t", "C,,", "-i", file); err != nil {
			return err
		}
	}
	return nil
}
