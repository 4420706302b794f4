// Package truststore installs a CA root into the trust stores of this
// machine and of its browsers, and removes it: what `mkcert -install` and
// `caddy trust` do, for portcullis's local CA.
//
// The stores are the system's (Debian and Ubuntu's update-ca-certificates,
// Fedora and RHEL's update-ca-trust, the macOS System keychain), which
// curl, Go, Python and most programs read, and the NSS databases of the
// user's browsers (Chromium's ~/.pki/nssdb, created when absent, and every
// Firefox profile), which on Linux do not read the system's store. Each is
// found by the tool and the directory it needs; Options can name others,
// so that tests run the real tools against a sandbox.
//
// Install and Uninstall are idempotent, and report what they did in every
// store they considered: added, already present, removed, not found,
// skipped (with the reason) or failed. A failure in one store does not stop
// the others; each is a *StoreError, and they are returned together
// (errors.Join), so no partial success goes unnoticed. A system store that
// needs root says so (ErrNeedRoot) with what it would write and run.
package truststore

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Options configure Install and Uninstall. The zero value uses the stores
// found on this machine, for the user in $HOME.
type Options struct {
	// Home is the home directory whose browsers' NSS databases are
	// changed ($HOME when empty).
	Home string
	// SkipSystem leaves the system's store alone; SkipNSS leaves the
	// browsers' NSS databases alone.
	SkipSystem, SkipNSS bool

	// Debian, Fedora and MacOS override the paths of the system stores.
	// The first whose tool and directory exist is used (macOS's only on
	// darwin).
	Debian Debian
	Fedora Fedora
	MacOS  MacOS

	// Certutil is the path of NSS's certutil (libnss3-tools on Debian,
	// nss-tools on Fedora, nss on Homebrew); looked up on PATH when empty.
	Certutil string
}

// Debian is the store of Debian and Ubuntu's ca-certificates package. The
// root is written to LocalCertsDir and update-ca-certificates rebuilds
// EtcCertsDir (its links and the ca-certificates.crt bundle) from it. Each
// directory set here is passed to the tool with its flag (--localcertsdir,
// --etccertsdir, --certsconf, --certsdir, --hooksdir).
type Debian struct {
	// Tool is update-ca-certificates (/usr/sbin/update-ca-certificates).
	Tool string
	// LocalCertsDir is where the root is written
	// (/usr/local/share/ca-certificates).
	LocalCertsDir string
	// EtcCertsDir holds the bundle ca-certificates.crt, checked after each
	// run (/etc/ssl/certs).
	EtcCertsDir string
	// CertsConf, CertsDir and HooksDir are the tool's configuration file
	// (/etc/ca-certificates.conf), its distribution's certificates
	// (/usr/share/ca-certificates) and the hooks it runs
	// (/etc/ca-certificates/update.d); portcullis does not read them.
	CertsConf, CertsDir, HooksDir string
}

// Fedora is the store of Fedora, RHEL and CentOS's ca-certificates
// package: the root is written to AnchorsDir and `update-ca-trust
// extract` regenerates the bundles.
type Fedora struct {
	// Tool is update-ca-trust (/usr/bin/update-ca-trust).
	Tool string
	// AnchorsDir is where the root is written
	// (/etc/pki/ca-trust/source/anchors).
	AnchorsDir string
	// Bundle is the extracted TLS bundle checked after each run
	// (/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem).
	Bundle string
}

// MacOS is the macOS System keychain, changed with security(1).
type MacOS struct {
	// Tool is security (/usr/bin/security).
	Tool string
	// Keychain is the keychain the root is added to
	// (/Library/Keychains/System.keychain).
	Keychain string
}

// Action is what Install or Uninstall did in one store.
type Action int

// The actions, in the order a report lists them.
const (
	Added          Action = iota + 1 // the root was added (or its trust restored)
	AlreadyPresent                   // the root was there already: nothing changed
	Removed                          // the root was removed
	NotFound                         // the root was not there: nothing changed
	Skipped                          // the store was not used: Store.Reason says why
	Failed                           // the store could not be changed: Store.Err says why
)

var actionNames = [...]string{Added: "added", AlreadyPresent: "already present", Removed: "removed", NotFound: "not found", Skipped: "skipped", Failed: "failed"}

// String returns the action in words ("already present").
func (a Action) String() string {
	if a > 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Store is what Install or Uninstall did in one trust store.
type Store struct {
	// Name says which store: "system (Debian)", "Chromium (NSS)",
	// "Firefox profile abcd.default-release (NSS)"…
	Name string
	// Path is the certificate file written or removed (Debian, Fedora),
	// the keychain (macOS) or the NSS database directory; empty when the
	// store was not found.
	Path string
	// Action is what was done.
	Action Action
	// Reason says why a store was skipped.
	Reason string
	// Err is the failure (a *StoreError) when Action is Failed.
	Err error
}

// String renders the store on one line, for people:
// "Chromium (NSS) /home/u/.pki/nssdb: added".
func (s Store) String() string {
	b := s.Name
	if s.Path != "" {
		b += " " + s.Path
	}
	b += ": " + s.Action.String()
	switch {
	case s.Err != nil:
		err := s.Err
		if se, ok := err.(*StoreError); ok {
			err = se.Err // the store is named already
		}
		b += ": " + err.Error()
	case s.Reason != "":
		b += " (" + s.Reason + ")"
	}
	return b
}

// StoreError is the failure of one store.
type StoreError struct {
	Op    string // "install" or "uninstall"
	Store string // Store.Name
	Path  string // Store.Path
	Err   error
}

func (e *StoreError) Error() string {
	where := e.Store
	if e.Path != "" {
		where += " " + e.Path
	}
	return fmt.Sprintf("truststore: %s: %s: %v", e.Op, where, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// ErrNeedRoot is wrapped by the error of a system store that the process,
// not running as root, could not change. Its message says what would be
// written and run; rerunning with sudo does it.
var ErrNeedRoot = errors.New("needs root: rerun with sudo")

// Name returns the name of root's entries in every store: "portcullis-"
// and the first 16 hex digits of the SHA-256 of its DER. The file is
// Name+".crt" (Debian) or Name+".pem" (Fedora), the NSS nickname is Name,
// so the roots of two portcullis data directories never collide.
func Name(root *x509.Certificate) string {
	sum := sha256.Sum256(root.Raw)
	return "portcullis-" + hex.EncodeToString(sum[:8])
}

// Install adds root to every trust store found, as a CA trusted for TLS
// servers, and returns what it did in each. A store where root already is
// is left as it is. The error joins a *StoreError for each store that
// failed; the others are changed anyway.
func Install(root *x509.Certificate, o Options) ([]Store, error) {
	return run(root, o, true)
}

// Uninstall removes root from every trust store found, and returns what it
// did in each. The error joins a *StoreError for each store that failed.
func Uninstall(root *x509.Certificate, o Options) ([]Store, error) {
	return run(root, o, false)
}

// store is one trust store, made for one root; install and uninstall
// return the action, or an error that run wraps in a *StoreError.
type store interface {
	name() string
	path() string
	install() (Action, error)
	uninstall() (Action, error)
}

// candidate is a store that was looked for: found (s), or skipped with a
// reason.
type candidate struct {
	s      store
	name   string // when skipped
	reason string
}

func run(root *x509.Certificate, o Options, install bool) ([]Store, error) {
	if root == nil {
		return nil, errors.New("truststore: no root certificate")
	}
	if !root.IsCA {
		return nil, fmt.Errorf("truststore: %s is not a CA certificate", root.Subject)
	}
	op := "uninstall"
	if install {
		op = "install"
	}
	var cands []candidate
	if !o.SkipSystem {
		cands = append(cands, systemStore(root, o))
	}
	if !o.SkipNSS {
		cands = append(cands, nssStores(root, o, install)...)
	}
	out := make([]Store, 0, len(cands))
	var errs []error
	for _, c := range cands {
		if c.s == nil {
			out = append(out, Store{Name: c.name, Action: Skipped, Reason: c.reason})
			continue
		}
		var a Action
		var err error
		if install {
			a, err = c.s.install()
		} else {
			a, err = c.s.uninstall()
		}
		st := Store{Name: c.s.name(), Path: c.s.path(), Action: a}
		if err != nil {
			st.Action, st.Err = Failed, &StoreError{Op: op, Store: st.Name, Path: st.Path, Err: err}
			errs = append(errs, st.Err)
		}
		out = append(out, st)
	}
	return out, errors.Join(errs...)
}

// pemCert returns c in PEM.
func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// contains reports whether the PEM data holds root among its
// certificates (a bundle: other text between the blocks is ignored).
func contains(data []byte, root *x509.Certificate) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && string(b.Bytes) == string(root.Raw) {
			return true
		}
	}
}

// only reports whether the PEM data holds root and no other certificate.
func only(data []byte, root *x509.Certificate) bool {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return n == 1
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if string(b.Bytes) != string(root.Raw) {
			return false
		}
		n++
	}
}

// notRoot reports whether the process runs as a user other than root (on
// Windows, where there is no euid, false).
func notRoot() bool { return os.Geteuid() > 0 }

// tail returns the last lines of a tool's output, for an error message.
func tail(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	if s == "" {
		return "no output"
	}
	return s
}
