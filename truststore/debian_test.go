package truststore

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

const caCertificatesHint = "apt-get install ca-certificates (Debian's update-ca-certificates)"

// debianSandbox is a tree laid out like Debian's ca-certificates (its
// configuration, the distribution's certificates with one CA in them, the
// local directory, /etc/ssl/certs and an empty hooks directory), on which
// the real update-ca-certificates runs.
type debianSandbox struct {
	o      Options // SkipNSS, and the sandbox's Debian paths
	local  string  // LocalCertsDir
	etc    string  // EtcCertsDir
	bundle string  // etc/ca-certificates.crt
	distro *testutil.CA
}

// newDebianSandbox makes the tree in dir and runs update-ca-certificates
// on it once, as on a freshly installed system.
func newDebianSandbox(t *testing.T, dir string) *debianSandbox {
	t.Helper()
	tool := e2e.Need(t, debianTool, caCertificatesHint)
	e2e.Need(t, "openssl", "apt-get install openssl (update-ca-certificates runs openssl rehash)")
	s := &debianSandbox{distro: testutil.NewCA(t, "Distribution Root CA")}
	d := Debian{
		Tool:          tool,
		LocalCertsDir: filepath.Join(dir, "usr/local/share/ca-certificates"),
		EtcCertsDir:   filepath.Join(dir, "etc/ssl/certs"),
		CertsConf:     filepath.Join(dir, "etc/ca-certificates.conf"),
		CertsDir:      filepath.Join(dir, "usr/share/ca-certificates"),
		HooksDir:      filepath.Join(dir, "etc/ca-certificates/update.d"),
	}
	for _, p := range []string{d.LocalCertsDir, d.EtcCertsDir, d.HooksDir, filepath.Join(d.CertsDir, "mozilla")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(d.CertsDir, "mozilla", "Distribution_Root_CA.crt"), s.distro.RootPEM(), 0o644)
	writeFile(t, d.CertsConf, []byte("# the distribution's CAs\nmozilla/Distribution_Root_CA.crt\n"), 0o644)
	if out, err := exec.Command(tool, debianArgs(d)...).CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates on the new sandbox: %v\n%s", err, out)
	}
	s.o = Options{SkipNSS: true, Debian: d}
	s.local, s.etc, s.bundle = d.LocalCertsDir, d.EtcCertsDir, filepath.Join(d.EtcCertsDir, "ca-certificates.crt")
	if !s.inBundle(t, s.distro.Cert) {
		t.Fatalf("the sandbox's bundle lacks the distribution's CA")
	}
	return s
}

// debianArgs returns the flags systemStore passes for d.
func debianArgs(d Debian) []string {
	return []string{"--certsconf", d.CertsConf, "--certsdir", d.CertsDir, "--localcertsdir", d.LocalCertsDir, "--etccertsdir", d.EtcCertsDir, "--hooksdir", d.HooksDir}
}

func (s *debianSandbox) inBundle(t *testing.T, c *x509.Certificate) bool {
	t.Helper()
	data, err := os.ReadFile(s.bundle)
	if err != nil {
		t.Fatal(err)
	}
	return contains(data, c)
}

// links returns the symbolic links of /etc/ssl/certs that point into the
// local directory, by name, and the dangling links.
func (s *debianSandbox) links(t *testing.T) (local map[string]string, dangling []string) {
	t.Helper()
	entries, err := os.ReadDir(s.etc)
	if err != nil {
		t.Fatal(err)
	}
	local = map[string]string{}
	for _, e := range entries {
		p := filepath.Join(s.etc, e.Name())
		target, err := os.Readlink(p)
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, s.local+"/") {
			local[e.Name()] = target
		}
		if _, err := os.Stat(p); err != nil {
			dangling = append(dangling, e.Name()+" -> "+target)
		}
	}
	return local, dangling
}

// one checks that stores is the one Debian store with the action want
// and the path of root's file, and returns it.
func (s *debianSandbox) one(t *testing.T, r result, root *x509.Certificate, want Action) Store {
	t.Helper()
	stores, err := r.stores, r.err
	if err != nil {
		t.Fatalf("error: %v (stores %v)", err, stores)
	}
	if len(stores) != 1 {
		t.Fatalf("stores %v, want the Debian store only", stores)
	}
	st := stores[0]
	if st.Name != "system (Debian)" || st.Path != filepath.Join(s.local, Name(root)+".crt") || st.Action != want || st.Err != nil {
		t.Fatalf("store %+v, want system (Debian) at %s: %v", st, filepath.Join(s.local, Name(root)+".crt"), want)
	}
	return st
}

// TestDebian runs the round trip on Debian's real update-ca-certificates
// in a sandbox: install, install again, uninstall, uninstall again.
func TestDebian(t *testing.T) {
	t.Parallel()
	s := newDebianSandbox(t, t.TempDir())
	root := testutil.NewCA(t, "portcullis test root").Cert

	st := s.one(t, outcome(Install(root, s.o)), root, Added)
	data, err := os.ReadFile(st.Path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(data); b == nil || b.Type != "CERTIFICATE" || string(b.Bytes) != string(root.Raw) {
		t.Errorf("%s holds %q, want the root in PEM", st.Path, data)
	}
	if fi, err := os.Stat(st.Path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: mode %v (%v), want 0644", st.Path, fi.Mode(), err)
	}
	if !s.inBundle(t, root) || !s.inBundle(t, s.distro.Cert) {
		t.Errorf("after Install the bundle lacks the root (%v) or the distribution's CA (%v)", s.inBundle(t, root), s.inBundle(t, s.distro.Cert))
	}
	if local, _ := s.links(t); local[Name(root)+".pem"] != st.Path {
		t.Errorf("links into the local directory %v, want %s.pem -> %s", local, Name(root), st.Path)
	}
	entries, _ := os.ReadDir(s.local)
	if len(entries) != 1 {
		t.Errorf("the local directory holds %v, want only the root's file (no temporary file left)", entries)
	}

	s.one(t, outcome(Install(root, s.o)), root, AlreadyPresent)

	s.one(t, outcome(Uninstall(root, s.o)), root, Removed)
	if _, err := os.Stat(st.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still there after Uninstall: %v", st.Path, err)
	}
	if s.inBundle(t, root) || !s.inBundle(t, s.distro.Cert) {
		t.Errorf("after Uninstall: root in the bundle %v, distribution's CA %v", s.inBundle(t, root), s.inBundle(t, s.distro.Cert))
	}
	// A plain run would leave the root's links dangling; --fresh does not.
	if local, dangling := s.links(t); len(local) != 0 || len(dangling) != 0 {
		t.Errorf("after Uninstall: links into the local directory %v, dangling links %v", local, dangling)
	}

	s.one(t, outcome(Uninstall(root, s.o)), root, NotFound)
}

// TestDebianEdges: a root trusted by hand as the serve banner used to
// suggest (portcullis.crt) is found and removed; a root in a file of
// another name makes Uninstall fail rather than claim success; a failing
// update-ca-certificates leaves no file behind.
func TestDebianEdges(t *testing.T) {
	t.Parallel()
	e2e.Need(t, debianTool, caCertificatesHint)

	t.Run("banner's file", func(t *testing.T) {
		t.Parallel()
		s := newDebianSandbox(t, t.TempDir())
		root := testutil.NewCA(t, "root").Cert
		old := filepath.Join(s.local, "portcullis.crt")
		writeFile(t, old, pemCert(root), 0o644)
		if out, err := exec.Command(debianTool, debianArgs(s.o.Debian)...).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		s.one(t, outcome(Install(root, s.o)), root, AlreadyPresent)
		s.one(t, outcome(Uninstall(root, s.o)), root, Removed)
		if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) || s.inBundle(t, root) {
			t.Errorf("after Uninstall: %s: %v; in the bundle: %v", old, err, s.inBundle(t, root))
		}
	})

	t.Run("root in another file", func(t *testing.T) {
		t.Parallel()
		s := newDebianSandbox(t, t.TempDir())
		root := testutil.NewCA(t, "root").Cert
		s.one(t, outcome(Install(root, s.o)), root, Added)
		other := filepath.Join(s.local, "my-ca.crt")
		writeFile(t, other, pemCert(root), 0o644)
		stores, err := Uninstall(root, s.o)
		var se *StoreError
		if !errors.As(err, &se) || se.Op != "uninstall" || se.Store != "system (Debian)" || !strings.Contains(err.Error(), "still holds the root") {
			t.Fatalf("Uninstall: %v, want a *StoreError saying the bundle still holds the root", err)
		}
		if len(stores) != 1 || stores[0].Action != Failed || stores[0].Err != se {
			t.Errorf("stores %v, want one Failed with the error", stores)
		}
		if _, err := os.Stat(other); err != nil {
			t.Errorf("Uninstall touched a file it did not write: %v", err)
		}
	})

	t.Run("tool fails", func(t *testing.T) {
		t.Parallel()
		s := newDebianSandbox(t, t.TempDir())
		root := testutil.NewCA(t, "root").Cert
		o := s.o
		o.Debian.EtcCertsDir = filepath.Join(t.TempDir(), "missing") // the script's cd fails
		stores, err := Install(root, o)
		var se *StoreError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "update-ca-certificates") || !strings.Contains(err.Error(), "removed again") {
			t.Fatalf("Install: %v, want a *StoreError naming the tool", err)
		}
		if len(stores) != 1 || stores[0].Action != Failed {
			t.Errorf("stores %v", stores)
		}
		if entries, _ := os.ReadDir(s.local); len(entries) != 0 {
			t.Errorf("files left in the local directory: %v", entries)
		}
	})
}

// needRootEnv names the file describing the sandbox to TestNeedRootChild.
const needRootEnv = "TRUSTSTORE_NEED_ROOT"

// needRootCase is what TestNeedRoot hands to the process that runs as
// another user.
type needRootCase struct {
	Options   Options
	Installed []byte // PEM of a root in the store
	New       []byte // PEM of a root not in it
}

// TestNeedRoot: a user who is not root and cannot write the store gets
// ErrNeedRoot, saying what would be written and run, and nothing changes.
// As root, the test runs itself again as nobody (uid 65534) against a
// sandbox owned by root; as another user, against a read-only sandbox.
func TestNeedRoot(t *testing.T) {
	t.Parallel()
	e2e.Need(t, debianTool, caCertificatesHint)
	// The sandbox must be reachable by nobody: t.TempDir's parent is 0700.
	dir, err := os.MkdirTemp("", "truststore-needroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newDebianSandbox(t, dir)
	installed, fresh := testutil.NewCA(t, "installed"), testutil.NewCA(t, "new")
	s.one(t, outcome(Install(installed.Cert, s.o)), installed.Cert, Added)
	c := needRootCase{Options: s.o, Installed: installed.RootPEM(), New: fresh.RootPEM()}

	if os.Geteuid() != 0 {
		if err := os.Chmod(s.local, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(s.local, 0o755) })
		checkNeedRoot(t, c)
	} else {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "truststore.test")
		data, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, bin, data, 0o755)
		js, _ := json.Marshal(c)
		spec := filepath.Join(dir, "case.json")
		writeFile(t, spec, js, 0o644)
		cmd := exec.Command(bin, "-test.run=^TestNeedRootChild$", "-test.v", "-test.count=1")
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, needRootEnv + "=" + spec}
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestNeedRootChild") {
			t.Fatalf("the test as nobody: %v\n%s", err, out)
		}
	}
	// Nothing changed.
	if !s.inBundle(t, installed.Cert) || s.inBundle(t, fresh.Cert) {
		t.Errorf("the store changed: installed root in the bundle %v, new root %v", s.inBundle(t, installed.Cert), s.inBundle(t, fresh.Cert))
	}
	if _, err := os.Stat(filepath.Join(s.local, Name(installed.Cert)+".crt")); err != nil {
		t.Error(err)
	}
}

// TestNeedRootChild is TestNeedRoot's half that runs as nobody.
func TestNeedRootChild(t *testing.T) {
	spec := os.Getenv(needRootEnv)
	if spec == "" {
		t.Skip("run by TestNeedRoot")
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var c needRootCase
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	checkNeedRoot(t, c)
}

func checkNeedRoot(t *testing.T, c needRootCase) {
	t.Helper()
	parse := func(p []byte) *x509.Certificate {
		b, _ := pem.Decode(p)
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	installed, fresh := parse(c.Installed), parse(c.New)
	local := c.Options.Debian.LocalCertsDir
	for _, step := range []struct {
		name string
		f    func(*x509.Certificate, Options) ([]Store, error)
		root *x509.Certificate
		want []string // in the message
	}{
		{"Install", Install, fresh, []string{"rerun with sudo", "writes the root to " + filepath.Join(local, Name(fresh)+".crt") + " (mode 0644)", "runs " + debianTool + " --certsconf"}},
		{"Uninstall", Uninstall, installed, []string{"rerun with sudo", "removes " + filepath.Join(local, Name(installed)+".crt"), "--fresh", "permission denied"}},
	} {
		stores, err := step.f(step.root, c.Options)
		var se *StoreError
		if !errors.Is(err, ErrNeedRoot) || !errors.As(err, &se) {
			t.Fatalf("%s: %v, want a *StoreError wrapping ErrNeedRoot", step.name, err)
		}
		for _, w := range step.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", step.name, err, w)
			}
		}
		if len(stores) != 1 || stores[0].Action != Failed {
			t.Errorf("%s: stores %v", step.name, stores)
		}
	}
}

// result is what Install or Uninstall returned.
type result struct {
	stores []Store
	err    error
}

func outcome(stores []Store, err error) result { return result{stores, err} }
