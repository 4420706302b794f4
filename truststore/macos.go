package truststore

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// macStore is the macOS System keychain, changed with security(1). It is
// compiled everywhere but used on darwin only, and this project's tests
// cannot run it (they run on Linux): docs/certificates.md says so.
type macStore struct {
	root     *x509.Certificate
	tool     string
	keychain string
}

func (s *macStore) name() string { return "system (macOS)" }
func (s *macStore) path() string { return s.keychain }

// sha1 is how security(1) names a certificate (-Z).
func (s *macStore) sha1() string {
	sum := sha1.Sum(s.root.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// present reports whether the keychain holds the root.
func (s *macStore) present() (bool, error) {
	out, err := command(nil, s.tool, "find-certificate", "-a", "-Z", s.keychain)
	if err != nil {
		return false, err
	}
	return strings.Contains(string(out), "SHA-1 hash: "+s.sha1()), nil
}

func (s *macStore) install() (Action, error) {
	if ok, err := s.present(); err != nil {
		return 0, err
	} else if ok {
		return AlreadyPresent, nil
	}
	args := []string{"add-trusted-cert", "-d", "-r", "trustRoot", "-k", s.keychain}
	if notRoot() {
		return 0, fmt.Errorf("%w: it runs %s with the root in a file", ErrNeedRoot, commandLine(s.tool, args))
	}
	err := s.withFile(func(file string) error {
		_, err := command(nil, s.tool, append(args, file)...)
		return err
	})
	if err != nil {
		return 0, err
	}
	if ok, err := s.present(); err != nil {
		return 0, err
	} else if !ok {
		return 0, fmt.Errorf("%s ran but %s does not list the root (SHA-1 %s)", commandLine(s.tool, args), s.keychain, s.sha1())
	}
	return Added, nil
}

func (s *macStore) uninstall() (Action, error) {
	if ok, err := s.present(); err != nil {
		return 0, err
	} else if !ok {
		return NotFound, nil
	}
	del := []string{"delete-certificate", "-Z", s.sha1(), s.keychain}
	if notRoot() {
		return 0, fmt.Errorf("%w: it runs %s -d with the root in a file, then %s", ErrNeedRoot, commandLine(s.tool, []string{"remove-trusted-cert"}), commandLine(s.tool, del))
	}
	// The trust settings first (an error means there were none), then the
	// certificate.
	_ = s.withFile(func(file string) error {
		_, err := command(nil, s.tool, "remove-trusted-cert", "-d", file)
		return err
	})
	if _, err := command(nil, s.tool, del...); err != nil {
		return 0, err
	}
	if ok, err := s.present(); err != nil {
		return 0, err
	} else if ok {
		return 0, fmt.Errorf("%s ran but %s still lists the root", commandLine(s.tool, del), s.keychain)
	}
	return Removed, nil
}

// withFile calls f with the root written to a temporary PEM file, for the
// subcommands that read a file.
func (s *macStore) withFile(f func(file string) error) error {
	tmp, err := os.CreateTemp("", "portcullis-root-*.pem")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(pemCert(s.root))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return f(tmp.Name())
}
