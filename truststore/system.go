package truststore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/atomicfile"
)

// Default paths of the system stores.
const (
	debianTool          = "/usr/sbin/update-ca-certificates"
	debianLocalCertsDir = "/usr/local/share/ca-certificates"
	debianEtcCertsDir   = "/etc/ssl/certs"
	debianBundle        = "ca-certificates.crt" // in EtcCertsDir

	fedoraTool       = "/usr/bin/update-ca-trust"
	fedoraAnchorsDir = "/etc/pki/ca-trust/source/anchors"
	fedoraBundle     = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"

	macTool     = "/usr/bin/security"
	macKeychain = "/Library/Keychains/System.keychain"
)

// toolTimeout bounds each run of an outside tool. update-ca-certificates
// on a full system, with its hooks (Java's keystore), takes seconds.
const toolTimeout = 2 * time.Minute

// systemStore returns the system's store: macOS's keychain on darwin, else
// the first of Debian's and Fedora's whose tool and directory exist.
func systemStore(root *x509.Certificate, o Options) candidate {
	const name = "system"
	switch runtime.GOOS {
	case "darwin":
		tool := cmp.Or(o.MacOS.Tool, macTool)
		if _, err := exec.LookPath(tool); err != nil {
			return candidate{name: name + " (macOS)", reason: fmt.Sprintf("%s not found", tool)}
		}
		return candidate{s: &macStore{root: root, tool: tool, keychain: cmp.Or(o.MacOS.Keychain, macKeychain)}}
	case "windows":
		return candidate{name: name, reason: "the Windows certificate store is not supported: import the root into Trusted Root Certification Authorities (certutil -addstore Root FILE)"}
	}
	d := o.Debian
	debTool, debDir := cmp.Or(d.Tool, debianTool), cmp.Or(d.LocalCertsDir, debianLocalCertsDir)
	if found(debTool, debDir) {
		etc := cmp.Or(d.EtcCertsDir, debianEtcCertsDir)
		var args []string
		for _, f := range []struct{ flag, value string }{
			{"--certsconf", d.CertsConf}, {"--certsdir", d.CertsDir}, {"--localcertsdir", d.LocalCertsDir},
			{"--etccertsdir", d.EtcCertsDir}, {"--hooksdir", d.HooksDir},
		} {
			if f.value != "" {
				args = append(args, f.flag, f.value)
			}
		}
		return candidate{s: &fileStore{
			root: root, label: name + " (Debian)", dir: debDir, ext: ".crt", bundle: filepath.Join(etc, debianBundle),
			tool: debTool, args: args,
			// --fresh removes the links to the deleted file, which a plain
			// run leaves dangling (it cleans up only when a certificate was
			// added or deselected). Debian's README says the same.
			uninstallArgs: []string{"--fresh"},
		}}
	}
	f := o.Fedora
	fedTool, fedDir := cmp.Or(f.Tool, fedoraTool), cmp.Or(f.AnchorsDir, fedoraAnchorsDir)
	if found(fedTool, fedDir) {
		return candidate{s: &fileStore{
			root: root, label: name + " (Fedora)", dir: fedDir, ext: ".pem", bundle: cmp.Or(f.Bundle, fedoraBundle),
			tool: fedTool, installArgs: []string{"extract"}, uninstallArgs: []string{"extract"},
		}}
	}
	return candidate{name: name, reason: fmt.Sprintf("no system trust store found: neither %s with %s (Debian, Ubuntu) nor %s with %s (Fedora, RHEL)", debTool, debDir, fedTool, fedDir)}
}

// found reports whether tool is an executable and dir a directory.
func found(tool, dir string) bool {
	if _, err := exec.LookPath(tool); err != nil {
		return false
	}
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// command runs a tool under toolTimeout, with stdin when not nil, and
// returns its standard output; a failure carries the command line and the
// tail of its output.
func command(stdin []byte, tool string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s: %v: %s", commandLine(tool, args), err, tail(slices.Concat(out, stderr.Bytes())))
	}
	return out, nil
}

func commandLine(tool string, args []string) string {
	return strings.TrimSpace(tool + " " + strings.Join(args, " "))
}

// fileStore is a system store made of a directory of certificate files
// and a tool that builds the system's bundle from it: Debian's and
// Fedora's.
type fileStore struct {
	root   *x509.Certificate
	label  string
	dir    string // where the root's file goes
	ext    string // its extension, which the tool requires (Debian: .crt)
	bundle string // what the tool produces, checked after each run

	tool                       string
	args                       []string // every run's
	installArgs, uninstallArgs []string
}

func (s *fileStore) name() string { return s.label }

// path returns the file holding the root: DIR/portcullis-<hash>.crt.
func (s *fileStore) path() string { return filepath.Join(s.dir, Name(s.root)+s.ext) }

func (s *fileStore) install() (Action, error) {
	files, err := s.files()
	if err != nil {
		return 0, err
	}
	inBundle, err := s.inBundle()
	if err != nil {
		return 0, err
	}
	if len(files) > 0 && inBundle {
		return AlreadyPresent, nil
	}
	args := slices.Concat(s.args, s.installArgs)
	wrote := false
	if len(files) == 0 {
		if err := atomicfile.Write(s.path(), pemCert(s.root), 0o644); err != nil {
			if errors.Is(err, fs.ErrPermission) && notRoot() {
				return 0, fmt.Errorf("%w: it writes the root to %s (mode 0644) and runs %s: %v", ErrNeedRoot, s.path(), commandLine(s.tool, args), err)
			}
			return 0, err
		}
		wrote = true
	}
	if _, err := command(nil, s.tool, args...); err != nil {
		if wrote {
			// Undone, so that the next run of the tool, by anyone, does
			// not trust the root behind the caller's back.
			if rerr := os.Remove(s.path()); rerr != nil {
				return 0, fmt.Errorf("%w; and %s, written before, could not be removed: %v", err, s.path(), rerr)
			}
			return 0, fmt.Errorf("%w (%s removed again)", err, s.path())
		}
		return 0, err
	}
	if ok, err := s.inBundle(); err != nil {
		return 0, err
	} else if !ok {
		return 0, fmt.Errorf("%s ran but %s does not hold the root", commandLine(s.tool, args), s.bundle)
	}
	return Added, nil
}

func (s *fileStore) uninstall() (Action, error) {
	files, err := s.files()
	if err != nil {
		return 0, err
	}
	inBundle, err := s.inBundle()
	if err != nil {
		return 0, err
	}
	if len(files) == 0 && !inBundle {
		return NotFound, nil
	}
	args := slices.Concat(s.args, s.uninstallArgs)
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if errors.Is(err, fs.ErrPermission) && notRoot() {
				return 0, fmt.Errorf("%w: it removes %s and runs %s: %v", ErrNeedRoot, strings.Join(files, " "), commandLine(s.tool, args), err)
			}
			return 0, err
		}
	}
	if _, err := command(nil, s.tool, args...); err != nil {
		if len(files) == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%s removed, but %w; the root stays trusted until it runs", strings.Join(files, " "), err)
	}
	if ok, err := s.inBundle(); err != nil {
		return 0, err
	} else if ok {
		return 0, fmt.Errorf("%s still holds the root after %s: a file portcullis did not write trusts it (look in %s and in the tool's configuration)", s.bundle, commandLine(s.tool, args), s.dir)
	}
	return Removed, nil
}

// files returns the files of the directory that hold the root and nothing
// else and are portcullis's: the one Install writes, and any other named
// portcullis* (the name the serve banner used to suggest).
func (s *fileStore) files() ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(s.dir, "portcullis*"+s.ext))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if only(data, s.root) {
			out = append(out, m)
		}
	}
	return out, nil
}

// inBundle reports whether the tool's bundle holds the root; a missing
// bundle does not.
func (s *fileStore) inBundle() (bool, error) {
	data, err := os.ReadFile(s.bundle)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return contains(data, s.root), nil
}
