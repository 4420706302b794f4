package truststore

import (
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testutil"
)

func TestName(t *testing.T) {
	t.Parallel()
	a, b := testutil.NewCA(t, "a").Cert, testutil.NewCA(t, "a").Cert
	na, nb := Name(a), Name(b)
	if !strings.HasPrefix(na, "portcullis-") || len(na) != len("portcullis-")+16 || strings.Trim(na[len("portcullis-"):], "0123456789abcdef") != "" {
		t.Errorf("Name = %q, want portcullis- and 16 hex digits", na)
	}
	if na == nb {
		t.Errorf("two roots of the same subject share the name %q", na)
	}
	if Name(a) != na {
		t.Error("Name is not stable")
	}
}

func TestAction(t *testing.T) {
	t.Parallel()
	for a, want := range map[Action]string{Added: "added", AlreadyPresent: "already present", Removed: "removed", NotFound: "not found", Skipped: "skipped", Failed: "failed", 0: "Action(0)", 42: "Action(42)"} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d) = %q, want %q", int(a), got, want)
		}
	}
}

func TestStoreString(t *testing.T) {
	t.Parallel()
	err := &StoreError{Op: "install", Store: "Chromium (NSS)", Path: "/h/.pki/nssdb", Err: errors.New("boom")}
	for _, c := range []struct {
		s    Store
		want string
	}{
		{Store{Name: "Chromium (NSS)", Path: "/h/.pki/nssdb", Action: Added}, "Chromium (NSS) /h/.pki/nssdb: added"},
		{Store{Name: "Firefox (NSS)", Action: Skipped, Reason: "no profile"}, "Firefox (NSS): skipped (no profile)"},
		{Store{Name: "Chromium (NSS)", Path: "/h/.pki/nssdb", Action: Failed, Err: err}, "Chromium (NSS) /h/.pki/nssdb: failed: boom"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestRefusesNonCA(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t, "ca")
	leaf := ca.Leaf(t, []string{"a.test"}, ca.Cert.NotBefore, ca.Cert.NotAfter).Leaf
	o := Options{SkipSystem: true, SkipNSS: true}
	for _, c := range []*x509.Certificate{nil, leaf} {
		if _, err := Install(c, o); err == nil {
			t.Errorf("Install(%v) succeeded", c)
		}
		if _, err := Uninstall(c, o); err == nil {
			t.Errorf("Uninstall(%v) succeeded", c)
		}
	}
}

// TestListed parses the listing of Debian's certutil 3.87.
func TestListed(t *testing.T) {
	t.Parallel()
	out := "\nCertificate Nickname                                         Trust Attributes\n" +
		"                                                             SSL,S/MIME,JAR/XPI\n\n" +
		"portcullis-0123456789abcdef                                  C,,  \n" +
		"my corp root                                                 CT,C,C\n" +
		"distrusted                                                   p,p,p\n"
	for _, c := range []struct {
		nick, trust string
		ok, tls     bool
	}{
		{"portcullis-0123456789abcdef", "C,,", true, true},
		{"my corp root", "CT,C,C", true, true},
		{"distrusted", "p,p,p", true, false},
		{"portcullis-0123456789abcde", "", false, false},
		{"SSL,S/MIME,JAR/XPI", "", false, false},
		{"Certificate Nickname", "", false, false},
	} {
		trust, ok := listed(out, c.nick)
		if trust != c.trust || ok != c.ok || (ok && trustsTLS(trust) != c.tls) {
			t.Errorf("listed(%q) = %q, %v (TLS %v); want %q, %v (TLS %v)", c.nick, trust, ok, trustsTLS(trust), c.trust, c.ok, c.tls)
		}
	}
}

func TestBundleParsing(t *testing.T) {
	t.Parallel()
	a, b := testutil.NewCA(t, "a"), testutil.NewCA(t, "b")
	bundle := append(append([]byte("# a comment\n"), b.RootPEM()...), a.RootPEM()...)
	if !contains(bundle, a.Cert) || !contains(bundle, b.Cert) || contains(b.RootPEM(), a.Cert) {
		t.Error("contains is wrong")
	}
	if !only(a.RootPEM(), a.Cert) || only(bundle, a.Cert) || only(nil, a.Cert) || only(b.RootPEM(), a.Cert) {
		t.Error("only is wrong")
	}
}

// writeFile writes data to path or fails the test.
func writeFile(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}

// actions returns the actions of stores, by store name.
func actions(stores []Store) map[string]Action {
	m := map[string]Action{}
	for _, s := range stores {
		m[s.Name] = s.Action
	}
	return m
}
