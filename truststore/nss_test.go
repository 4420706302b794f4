package truststore

import (
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

const nssHint = "apt-get install libnss3-tools (scripts/setup.sh installs it)"

// newNSSDB creates an empty NSS database in dir, as a browser does.
func newNSSDB(t *testing.T, certutil, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
}

// trust returns the trust attributes certutil -L lists for root's
// nickname in the database dir, and whether it lists it.
func trust(t *testing.T, certutil, dir string, root *x509.Certificate) (string, bool) {
	t.Helper()
	out, err := exec.Command(certutil, "-L", "-d", "sql:"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v\n%s", err, out)
	}
	return listed(string(out), Name(root))
}

// TestNSS runs the round trip on real NSS databases made by certutil: the
// Chromium database Install creates, two Firefox profiles (one of the
// snap), beside a legacy profile and the directories Firefox keeps beside
// its profiles, which are not profiles.
func TestNSS(t *testing.T) {
	t.Parallel()
	certutil := e2e.Need(t, "certutil", nssHint)
	home := t.TempDir()
	chromium := filepath.Join(home, ".pki", "nssdb")
	firefox := filepath.Join(home, ".mozilla", "firefox", "abcd1234.default-release")
	snap := filepath.Join(home, "snap", "firefox", "common", ".mozilla", "firefox", "wxyz.default")
	legacy := filepath.Join(home, ".mozilla", "firefox", "old.default")
	newNSSDB(t, certutil, firefox)
	newNSSDB(t, certutil, snap)
	for _, d := range []string{legacy, filepath.Join(home, ".mozilla", "firefox", "Crash Reports")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(legacy, "cert8.db"), nil, 0o600)
	o := Options{Home: home, SkipSystem: true}
	root, other := testutil.NewCA(t, "portcullis test root").Cert, testutil.NewCA(t, "another data dir's root").Cert
	dbs := map[string]string{
		"Chromium (NSS)": chromium,
		"Firefox profile abcd1234.default-release (NSS)": firefox,
		"Firefox profile wxyz.default (NSS)":             snap,
	}
	const legacyName = "Firefox profile old.default (NSS)"

	check := func(what string, r result, want Action) {
		t.Helper()
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		got := actions(r.stores)
		for name, dir := range dbs {
			if got[name] != want {
				t.Errorf("%s: %s: %v, want %v (stores %v)", what, name, got[name], want, r.stores)
			}
			for _, s := range r.stores {
				if s.Name == name && s.Path != dir {
					t.Errorf("%s: %s at %s, want %s", what, name, s.Path, dir)
				}
			}
		}
		if got[legacyName] != Skipped || len(got) != len(dbs)+1 {
			t.Errorf("%s: stores %v, want the three databases and the legacy profile skipped", what, r.stores)
		}
	}

	check("Install", outcome(Install(root, o)), Added)
	for name, dir := range dbs {
		if attrs, ok := trust(t, certutil, dir, root); !ok || attrs != "C,," {
			t.Errorf("%s: certutil -L lists %q, %v; want C,,", name, attrs, ok)
		}
	}
	if fi, err := os.Stat(chromium); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("Chromium's new database directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	check("Install again", outcome(Install(root, o)), AlreadyPresent)

	// Another root, under its own nickname, beside the first.
	check("Install another root", outcome(Install(other, o)), Added)

	// Trust taken away by hand is given back.
	if out, err := exec.Command(certutil, "-M", "-d", "sql:"+firefox, "-n", Name(root), "-t", ",,").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r := outcome(Install(root, o))
	if got := actions(r.stores); r.err != nil || got["Firefox profile abcd1234.default-release (NSS)"] != Added || got["Chromium (NSS)"] != AlreadyPresent {
		t.Errorf("Install after distrust: %v %v", r.stores, r.err)
	}
	if attrs, _ := trust(t, certutil, firefox, root); attrs != "C,," {
		t.Errorf("trust after Install: %q", attrs)
	}

	check("Uninstall", outcome(Uninstall(root, o)), Removed)
	for name, dir := range dbs {
		if _, ok := trust(t, certutil, dir, root); ok {
			t.Errorf("%s: certutil -L still lists the root", name)
		}
		if attrs, ok := trust(t, certutil, dir, other); !ok || attrs != "C,," {
			t.Errorf("%s: the other root went with it: %q, %v", name, attrs, ok)
		}
	}
	check("Uninstall again", outcome(Uninstall(root, o)), NotFound)
}

// TestNSSMissing: no databases at all, and no certutil.
func TestNSSMissing(t *testing.T) {
	t.Parallel()
	certutil := e2e.Need(t, "certutil", nssHint)
	root := testutil.NewCA(t, "root").Cert

	t.Run("no browser", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		stores, err := Uninstall(root, Options{Home: home, SkipSystem: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(stores); len(got) != 2 || got["Chromium (NSS)"] != NotFound || got["Firefox (NSS)"] != Skipped {
			t.Errorf("stores %v", stores)
		}
		if _, err := os.Stat(filepath.Join(home, ".pki")); err == nil {
			t.Error("Uninstall created Chromium's database")
		}
	})

	t.Run("no home", func(t *testing.T) {
		t.Parallel()
		home := filepath.Join(t.TempDir(), "gone")
		stores, err := Install(root, Options{Home: home, SkipSystem: true})
		if err != nil || len(stores) != 1 || stores[0].Action != Skipped || !strings.Contains(stores[0].Reason, home) {
			t.Fatalf("stores %v, %v; want the browsers skipped", stores, err)
		}
		if _, err := os.Stat(home); err == nil {
			t.Error("Install created the home directory")
		}
	})

	t.Run("no certutil", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		profile := filepath.Join(home, ".mozilla", "firefox", "p.default")
		newNSSDB(t, certutil, profile)
		stores, err := Install(root, Options{Home: home, SkipSystem: true, Certutil: filepath.Join(home, "no-certutil")})
		var se *StoreError
		if !errors.As(err, &se) || se.Path != profile || !strings.Contains(err.Error(), "libnss3-tools") {
			t.Fatalf("Install: %v, want a *StoreError for the profile saying what installs certutil", err)
		}
		got := actions(stores)
		if got["Firefox profile p.default (NSS)"] != Failed || got["Chromium (NSS)"] != Skipped {
			t.Errorf("stores %v", stores)
		}
		for _, s := range stores {
			if s.Name == "Chromium (NSS)" && !strings.Contains(s.Reason, "no certutil") {
				t.Errorf("Chromium skipped for %q", s.Reason)
			}
		}
	})

	t.Run("home of another user", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("only root can run as root in someone else's home")
		}
		home := t.TempDir()
		if err := os.Chown(home, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		stores, err := Install(root, Options{Home: home, SkipSystem: true})
		if err != nil || len(stores) != 1 || stores[0].Action != Skipped || !strings.Contains(stores[0].Reason, "run without sudo") {
			t.Fatalf("stores %v, %v; want the browsers skipped", stores, err)
		}
		if _, err := os.Stat(filepath.Join(home, ".pki")); err == nil {
			t.Error("Install wrote in the user's home")
		}
	})
}
