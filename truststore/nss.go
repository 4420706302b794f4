package truststore

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// certutilHint tells how to install certutil.
const certutilHint = "install libnss3-tools (Debian, Ubuntu), nss-tools (Fedora) or nss (Homebrew)"

// Where browsers keep their NSS databases, under the home directory.
var (
	// chromiumDB is where Chromium on Linux (and Chrome, and other
	// Chromium-based browsers) looks for the certificates its user added.
	chromiumDB = filepath.Join(".pki", "nssdb")
	// chromiumSnapDB is the same for Ubuntu's Chromium snap.
	chromiumSnapDB = filepath.Join("snap", "chromium", "current", ".pki", "nssdb")
	// firefoxProfiles hold one directory per profile, each with its own
	// database: Linux, the Firefox snap, the Firefox flatpak, macOS.
	firefoxProfiles = []string{
		filepath.Join(".mozilla", "firefox"),
		filepath.Join("snap", "firefox", "common", ".mozilla", "firefox"),
		filepath.Join(".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),
		filepath.Join("Library", "Application Support", "Firefox", "Profiles"),
	}
)

// nssStores returns the NSS databases of the home directory's browsers:
// Chromium's (on Linux, created by Install when absent), the Chromium
// snap's, and every Firefox profile's.
func nssStores(root *x509.Certificate, o Options, install bool) []candidate {
	if runtime.GOOS == "windows" {
		return []candidate{{name: "browsers (NSS)", reason: "Firefox's profiles on Windows are not supported: Chromium and Edge use the Windows certificate store"}}
	}
	home := o.Home
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return []candidate{{name: "browsers (NSS)", reason: fmt.Sprintf("no home directory: %v", err)}}
		}
	}
	if fi, err := os.Stat(home); err != nil {
		return []candidate{{name: "browsers (NSS)", reason: fmt.Sprintf("home directory: %v", err)}}
	} else if !fi.IsDir() {
		return []candidate{{name: "browsers (NSS)", reason: fmt.Sprintf("home directory %s is not a directory", home)}}
	}
	if uid, ok := owner(home); ok && uid != 0 && !notRoot() {
		return []candidate{{name: "browsers (NSS)", reason: fmt.Sprintf("%s belongs to uid %d: run without sudo to change its browsers' databases (as root, certutil would leave files there that the browsers cannot open)", home, uid)}}
	}
	certutil, certutilErr := lookCertutil(o.Certutil)
	newStore := func(label, dir string, create bool) candidate {
		return candidate{s: &nssStore{root: root, label: label, dir: dir, certutil: certutil, certutilErr: certutilErr, create: create}}
	}

	var out []candidate
	chromium := filepath.Join(home, chromiumDB)
	switch {
	case hasDB(chromium):
		out = append(out, newStore("Chromium (NSS)", chromium, false))
	case runtime.GOOS == "darwin":
		// Chrome on macOS reads the keychain.
	case !install:
		out = append(out, newStore("Chromium (NSS)", chromium, false))
	case certutilErr != nil:
		out = append(out, candidate{name: "Chromium (NSS)", reason: fmt.Sprintf("no database at %s, and no certutil to create it (%s)", chromium, certutilHint)})
	default:
		out = append(out, newStore("Chromium (NSS)", chromium, true))
	}
	if snap := filepath.Join(home, chromiumSnapDB); hasDB(snap) {
		out = append(out, newStore("Chromium snap (NSS)", snap, false))
	}

	var looked []string
	nFirefox := 0
	for _, p := range firefoxProfiles {
		dir := filepath.Join(home, p)
		looked = append(looked, dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			profile := filepath.Join(dir, e.Name())
			label := fmt.Sprintf("Firefox profile %s (NSS)", e.Name())
			switch {
			case !e.IsDir():
			case hasDB(profile):
				out = append(out, newStore(label, profile, false))
				nFirefox++
			case exists(filepath.Join(profile, "cert8.db")):
				out = append(out, candidate{name: label, reason: profile + " has only the legacy cert8.db: start a current Firefox once with the profile to upgrade it"})
				nFirefox++
			}
		}
	}
	if nFirefox == 0 {
		out = append(out, candidate{name: "Firefox (NSS)", reason: "no profile in " + strings.Join(looked, ", ")})
	}
	return out
}

// lookCertutil returns the path of certutil: path when set, else certutil
// on PATH, else Homebrew's.
func lookCertutil(path string) (string, error) {
	if path != "" {
		return exec.LookPath(path)
	}
	p, err := exec.LookPath("certutil")
	if err == nil {
		return p, nil
	}
	if runtime.GOOS == "darwin" {
		for _, b := range []string{"/opt/homebrew/opt/nss/bin/certutil", "/usr/local/opt/nss/bin/certutil"} {
			if p, err := exec.LookPath(b); err == nil {
				return p, nil
			}
		}
	}
	return "", err
}

// hasDB reports whether dir holds an NSS database in the SQL format
// (cert9.db), the only one current browsers use.
func hasDB(dir string) bool { return exists(filepath.Join(dir, "cert9.db")) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// nssStore is one NSS database, changed with certutil. The root is added
// under the nickname Name(root) with the trust "C,,": a CA trusted to
// issue TLS server certificates, and nothing else.
type nssStore struct {
	root        *x509.Certificate
	label       string
	dir         string
	certutil    string
	certutilErr error
	create      bool // Install creates the database when absent
}

func (s *nssStore) name() string { return s.label }
func (s *nssStore) path() string { return s.dir }

// db is the database argument of certutil.
func (s *nssStore) db() string { return "sql:" + s.dir }

func (s *nssStore) run(stdin []byte, args ...string) ([]byte, error) {
	if s.certutilErr != nil {
		return nil, fmt.Errorf("certutil not found (%v): %s", s.certutilErr, certutilHint)
	}
	return command(stdin, s.certutil, args...)
}

func (s *nssStore) install() (Action, error) {
	nick := Name(s.root)
	if !hasDB(s.dir) {
		if !s.create {
			return 0, fmt.Errorf("no NSS database (cert9.db) in %s", s.dir)
		}
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return 0, err
		}
		if _, err := s.run(nil, "-N", "-d", s.db(), "--empty-password"); err != nil {
			return 0, err
		}
	}
	trust, ok, err := s.lookup(nick)
	if err != nil {
		return 0, err
	}
	switch {
	case ok && trustsTLS(trust):
		return AlreadyPresent, nil
	case ok:
		// Listed but distrusted, or trusted for something else: the
		// trust is restored.
		if _, err := s.run(nil, "-M", "-d", s.db(), "-n", nick, "-t", "C,,"); err != nil {
			return 0, err
		}
	default:
		if _, err := s.run(pemCert(s.root), "-A", "-d", s.db(), "-n", nick, "-t", "C,,"); err != nil {
			return 0, err
		}
	}
	if trust, ok, err := s.lookup(nick); err != nil {
		return 0, err
	} else if !ok || !trustsTLS(trust) {
		return 0, fmt.Errorf("certutil added the root, but the database does not list %q as a trusted CA (it may hold the root under another nickname: certutil -L -d %s)", nick, s.db())
	}
	return Added, nil
}

func (s *nssStore) uninstall() (Action, error) {
	if !hasDB(s.dir) {
		return NotFound, nil
	}
	nick := Name(s.root)
	if _, ok, err := s.lookup(nick); err != nil {
		return 0, err
	} else if !ok {
		return NotFound, nil
	}
	if _, err := s.run(nil, "-D", "-d", s.db(), "-n", nick); err != nil {
		return 0, err
	}
	if _, ok, err := s.lookup(nick); err != nil {
		return 0, err
	} else if ok {
		return 0, fmt.Errorf("certutil -D ran but the database still lists %q", nick)
	}
	return Removed, nil
}

// lookup returns the trust attributes of the certificate listed under
// nick ("C,,"), and whether there is one; a certificate of another key
// under the nickname is an error.
func (s *nssStore) lookup(nick string) (trust string, ok bool, err error) {
	out, err := s.run(nil, "-L", "-d", s.db())
	if err != nil {
		return "", false, err
	}
	trust, ok = listed(string(out), nick)
	if !ok {
		return "", false, nil
	}
	der, err := s.run(nil, "-L", "-d", s.db(), "-n", nick, "-r")
	if err != nil {
		return "", false, err
	}
	if string(der) != string(s.root.Raw) {
		return "", false, fmt.Errorf("the nickname %q already names another certificate", nick)
	}
	return trust, true, nil
}

// listed finds nick in the output of `certutil -L`: a line of the
// nickname, spaces, and the trust attributes ("C,,", "CT,C,C").
func listed(out, nick string) (trust string, ok bool) {
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, " \t\r\n")
		i := strings.LastIndexAny(line, " \t")
		if i < 0 {
			continue
		}
		attrs := line[i+1:]
		if strings.Count(attrs, ",") == 2 && strings.TrimSpace(line[:i]) == nick {
			return attrs, true
		}
	}
	return "", false
}

// trustsTLS reports whether NSS trust attributes make a certificate a CA
// for TLS servers: "C" in the first (SSL) field.
func trustsTLS(attrs string) bool {
	ssl, _, _ := strings.Cut(attrs, ",")
	return strings.Contains(ssl, "C")
}
