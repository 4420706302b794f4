package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openCA(t *testing.T, dir string, clk *clock) (*LocalCA, *logBuf) {
	t.Helper()
	log, buf := newLogger()
	ca, err := OpenLocalCA(dir, LocalCAOptions{Now: clk.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return ca, buf
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestOpenLocalCACreatesRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	clk := newClock()
	ca, logs := openCA(t, dir, clk)

	for path, want := range map[string]os.FileMode{dir: 0o700, ca.RootPath(): 0o644, filepath.Join(dir, "root-key.pem"): 0o600} {
		if got := mode(t, path); got != want {
			t.Errorf("%s: mode %04o, want %04o", path, got, want)
		}
	}
	if ca.RootPath() != filepath.Join(dir, "root.pem") {
		t.Errorf("RootPath = %s", ca.RootPath())
	}
	r := ca.Root()
	checks := []struct {
		what string
		ok   bool
	}{
		{"common name", strings.HasPrefix(r.Subject.CommonName, "portcullis local CA ") && len(r.Subject.CommonName) == len("portcullis local CA ")+16},
		{"CA", r.IsCA && r.BasicConstraintsValid},
		{"path length 0", r.MaxPathLen == 0 && r.MaxPathLenZero},
		{"key usage", r.KeyUsage == x509.KeyUsageCertSign|x509.KeyUsageCRLSign},
		{"extended key usage", len(r.ExtKeyUsage) == 1 && r.ExtKeyUsage[0] == x509.ExtKeyUsageServerAuth},
		{"ECDSA P-256", keyType(r.PublicKey) == "ECDSA P-256"},
		{"10 years", r.NotAfter.Sub(clk.Now()) == 10*365*24*time.Hour && r.NotBefore.Equal(clk.Now().Add(-time.Minute))},
		{"DNS constraints", r.PermittedDNSDomainsCritical && strings.Join(r.PermittedDNSDomains, ",") == "localhost,.localhost"},
		{"IP constraints", len(r.PermittedIPRanges) == 2 && r.PermittedIPRanges[0].String() == "127.0.0.0/8" && r.PermittedIPRanges[1].String() == "::1/128"},
		{"created log", logs.count("created local CA", ca.RootPath()) == 1},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("root: %s wrong: %+v", c.what, r)
		}
	}
	if pool := ca.RootPool(); !pool.Equal(ca.RootPool()) {
		t.Error("RootPool differs between calls")
	}

	// A second open loads the same CA.
	ca2, logs2 := openCA(t, dir, clk)
	if !ca2.Root().Equal(r) || logs2.count("created") != 0 {
		t.Error("reopening created a new CA")
	}
}

func TestLocalSourceHandshakes(t *testing.T) {
	clk := newClock()
	ca, _ := openCA(t, t.TempDir(), clk)
	src, err := ca.Source([]string{"localhost", "*.localhost", "127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := NewSelector([]Entry{{Names: []string{"localhost", "*.localhost", "127.0.0.1", "::1"}, Source: src}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, sel.GetCertificate)
	// ServerName "127.0.0.1" and "::1" send no SNI: the selector matches
	// the local address, and the client verifies the IP SANs.
	for _, sn := range []string{"localhost", "app.localhost", "127.0.0.1", "::1"} {
		leaf, err := handshake(addr, sn, ca.RootPool(), clk.Now)
		if err != nil {
			t.Errorf("%s: %v", sn, err)
			continue
		}
		if got := strings.Join(certNames(leaf), ","); got != "localhost,*.localhost,127.0.0.1,::1" {
			t.Errorf("%s: SANs %s", sn, got)
		}
		if leaf.NotAfter.Sub(leaf.NotBefore) != 7*24*time.Hour+time.Minute || !leaf.NotBefore.Equal(clk.Now().Add(-time.Minute)) {
			t.Errorf("%s: validity %s..%s", sn, leaf.NotBefore, leaf.NotAfter)
		}
		if leaf.IsCA || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || keyType(leaf.PublicKey) != "ECDSA P-256" {
			t.Errorf("%s: leaf attributes %+v", sn, leaf)
		}
		if leaf.SerialNumber.BitLen() > 128 || leaf.SerialNumber.Sign() <= 0 {
			t.Errorf("%s: serial %v", sn, leaf.SerialNumber)
		}
	}
	// Names outside the certificate fail verification at the client.
	if _, err := handshake(addr, "a.b.localhost", ca.RootPool(), clk.Now); err == nil {
		t.Error("a.b.localhost accepted (wildcards cover one label)")
	}
	info := src.Certificates()
	if len(info) != 1 || info[0].Source != SourceLocal || info[0].Issuer != ca.Root().Subject.CommonName || info[0].KeyType != "ECDSA P-256" || len(info[0].Names) != 4 {
		t.Errorf("Certificates() = %+v", info)
	}
}

func TestIssueNames(t *testing.T) {
	ca, _ := openCA(t, t.TempDir(), newClock())
	tests := []struct {
		names   []string
		wantDNS string // comma-joined; "" with wantErr
		wantIP  string
		wantErr string
	}{
		{names: []string{"localhost"}, wantDNS: "localhost"},
		{names: []string{"LocalHost.", "localhost"}, wantDNS: "localhost"},
		{names: []string{"*.localhost", "app.localhost"}, wantDNS: "*.localhost,app.localhost"},
		{names: []string{"127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"}, wantIP: "127.0.0.1,127.1.2.3,::1"},
		{names: nil, wantErr: "no names"},
		{names: []string{"example.com"}, wantErr: `cannot issue for "example.com"`},
		{names: []string{"localhost.example.com"}, wantErr: "constrained"},
		{names: []string{"notlocalhost"}, wantErr: "constrained"},
		{names: []string{"10.0.0.1"}, wantErr: `cannot issue for "10.0.0.1"`},
		{names: []string{"::2"}, wantErr: "constrained"},
		{names: []string{""}, wantErr: "empty"},
		{names: []string{"a..localhost"}, wantErr: "empty label"},
		{names: []string{"*.*.localhost"}, wantErr: "only allowed as the whole first label"},
		{names: []string{"foo*.localhost"}, wantErr: "only allowed"},
		{names: []string{"*"}, wantErr: "only allowed"},
		{names: []string{"-a.localhost"}, wantErr: "starts or ends with '-'"},
		{names: []string{strings.Repeat("a", 64) + ".localhost"}, wantErr: "longer than 63"},
		{names: []string{"bücher.localhost"}, wantErr: "punycode"},
		{names: []string{"\u212Aelvin.localhost"}, wantErr: "punycode"},
		{names: []string{"a b.localhost"}, wantErr: "invalid character ' '"},
		{names: []string{"fe80::1%eth0"}, wantErr: "zone"},
		{names: []string{"[127.0.0.1]"}, wantErr: "IPv6"},
		{names: []string{"[::1"}, wantErr: "unbalanced"},
		{names: []string{"1.2.3.4.5"}, wantErr: "all digits"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, "|"), func(t *testing.T) {
			c, err := ca.Issue(tt.names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ips []string
			for _, ip := range c.Leaf.IPAddresses {
				ips = append(ips, ip.String())
			}
			if got := strings.Join(c.Leaf.DNSNames, ","); got != tt.wantDNS {
				t.Errorf("DNS names %s, want %s", got, tt.wantDNS)
			}
			if got := strings.Join(ips, ","); got != tt.wantIP {
				t.Errorf("IPs %s, want %s", got, tt.wantIP)
			}
		})
	}
}

// TestNameConstraintsEnforced signs leaves for outside names with the CA
// key directly (as a thief of the key would) and checks that verifiers
// reject them, in x509 and in a real handshake.
func TestNameConstraintsEnforced(t *testing.T) {
	ca, _ := openCA(t, t.TempDir(), newClock())
	forge := func(dns string, ip net.IP) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: randomSerial(),
			Subject:      pkix.Name{CommonName: "forged"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if dns != "" {
			tmpl.DNSNames = []string{dns}
		}
		if ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Root(), key.Public(), ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return mustParse(t, der), key
	}
	tests := []struct {
		dns   string
		ip    net.IP
		allow bool
	}{
		{"localhost", nil, true},
		{"a.b.localhost", nil, true},
		{"", net.ParseIP("127.0.0.53"), true},
		{"", net.ParseIP("::1"), true},
		{"example.com", nil, false},
		{"localhost.example.com", nil, false},
		{"notlocalhost", nil, false},
		{"", net.ParseIP("10.0.0.1"), false},
		{"", net.ParseIP("::2"), false},
	}
	for _, tt := range tests {
		leaf, _ := forge(tt.dns, tt.ip)
		err := ca.verify(leaf, time.Now())
		var inv x509.CertificateInvalidError
		switch {
		case tt.allow && err != nil:
			t.Errorf("%s%s: rejected: %v", tt.dns, tt.ip, err)
		case !tt.allow && (!errors.As(err, &inv) || inv.Reason != x509.CANotAuthorizedForThisName):
			t.Errorf("%s%s: err = %v, want CANotAuthorizedForThisName", tt.dns, tt.ip, err)
		}
	}

	// A real client refuses the forged certificate.
	leaf, key := forge("example.com", nil)
	forged := newTLSCert([]*x509.Certificate{leaf}, key)
	addr := serveTLS(t, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return forged, nil })
	_, err := handshake(addr, "example.com", ca.RootPool(), nil)
	if err == nil || !strings.Contains(err.Error(), "not permitted") {
		t.Errorf("handshake with a forged example.com certificate: %v", err)
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLocalSourceRenewal(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	ca, logs := openCA(t, dir, clk)
	src, err := ca.Source([]string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, src.GetCertificate)
	serial := func() string {
		t.Helper()
		leaf, err := handshake(addr, "localhost", ca.RootPool(), clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.String()
	}
	onDisk := func() string {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, "leaf-*[0-9a-f].pem"))
		if len(files) != 1 {
			t.Fatalf("leaf files: %v", files)
		}
		data, _ := os.ReadFile(files[0])
		chain, err := parseChain(files[0], data)
		if err != nil {
			t.Fatal(err)
		}
		if m := mode(t, strings.TrimSuffix(files[0], ".pem")+"-key.pem"); m != 0o600 {
			t.Errorf("leaf key mode %04o", m)
		}
		return chain[0].SerialNumber.String()
	}
	first := serial()
	if onDisk() != first {
		t.Fatal("served leaf not persisted")
	}
	clk.Advance(4 * 24 * time.Hour) // 4 days + 1 minute of 7 days + 1 minute: before 2/3
	if serial() != first {
		t.Fatal("renewed before two thirds of the lifetime")
	}
	clk.Advance(16 * time.Hour) // 4 days 16 hours: past 2/3 (4 days 16 h 0 min 40 s from NotBefore)
	second := serial()
	if second == first {
		t.Fatal("not renewed past two thirds of the lifetime")
	}
	if onDisk() != second {
		t.Error("renewed leaf not persisted")
	}
	if n := logs.count("renewed local certificate"); n != 1 {
		t.Errorf("%d renewals logged, want 1", n)
	}

	// Concurrent handshakes at renewal time share one issuance.
	clk.Advance(5 * 24 * time.Hour)
	var wg sync.WaitGroup
	serials := make([]string, 16)
	for i := range serials {
		wg.Go(func() {
			c, err := src.GetCertificate(nil)
			if err == nil {
				serials[i] = c.Leaf.SerialNumber.String()
			}
		})
	}
	wg.Wait()
	for _, s := range serials {
		if s != serials[0] || s == second {
			t.Fatalf("concurrent renewal served %v (previous %s)", serials, second)
		}
	}
	if n := logs.count("renewed local certificate"); n != 2 {
		t.Errorf("%d renewals logged, want 2", n)
	}
}

func TestLocalSourceRestartReuse(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	ca, _ := openCA(t, dir, clk)
	src, err := ca.Source([]string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := src.GetCertificate(nil)
	if again, _ := ca.Source([]string{"127.0.0.1", "localhost"}); again != src {
		t.Error("Source with the same names returned a new Source")
	}

	// A restart (a new LocalCA on the same directory) reuses the leaf,
	// whatever the order of the names.
	ca2, logs := openCA(t, dir, clk)
	src2, err := ca2.Source([]string{"127.0.0.1", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := src2.GetCertificate(nil)
	if c2.Leaf.SerialNumber.Cmp(c1.Leaf.SerialNumber) != 0 || logs.count("issued") != 0 {
		t.Fatal("restart issued a new leaf instead of reusing the persisted one")
	}

	// Past two thirds of its lifetime, a restart replaces it.
	clk.Advance(5 * 24 * time.Hour)
	ca3, _ := openCA(t, dir, clk)
	src3, _ := ca3.Source([]string{"localhost", "127.0.0.1"})
	c3, _ := src3.GetCertificate(nil)
	if c3.Leaf.SerialNumber.Cmp(c1.Leaf.SerialNumber) == 0 {
		t.Fatal("restart reused a leaf due for renewal")
	}
}

// TestLocalSourceReplacesBadLeaf: a damaged or exposed persisted leaf is
// replaced, never served.
func TestLocalSourceReplacesBadLeaf(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, certPath, keyPath string)
		wantLog string
	}{
		{"corrupt certificate", func(t *testing.T, c, k string) { writeFile(t, c, []byte("garbage"), 0o644) }, "no PEM CERTIFICATE"},
		{"key readable by others", func(t *testing.T, c, k string) { os.Chmod(k, 0o644) }, "chmod 600"},
		{"key of another leaf", func(t *testing.T, c, k string) {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			der, _ := x509.MarshalPKCS8PrivateKey(key)
			writeFile(t, k, pemBytes("PRIVATE KEY", der), 0o600)
		}, "does not match"},
		{"issued by another CA", func(t *testing.T, c, k string) {
			other, _ := openCA(t, t.TempDir(), newClock())
			lc, _ := other.Issue([]string{"localhost"})
			der, _ := x509.MarshalPKCS8PrivateKey(lc.PrivateKey)
			writeFile(t, c, pemBytes("CERTIFICATE", lc.Certificate[0]), 0o644)
			writeFile(t, k, pemBytes("PRIVATE KEY", der), 0o600)
		}, "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := newClock()
			ca, _ := openCA(t, dir, clk)
			src, _ := ca.Source([]string{"localhost"})
			old, _ := src.GetCertificate(nil)
			ls := src.(*localSource)
			tt.damage(t, ls.certPath, ls.keyPath)

			ca2, logs := openCA(t, dir, clk)
			src2, err := ca2.Source([]string{"localhost"})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := src2.GetCertificate(nil)
			if c.Leaf.SerialNumber.Cmp(old.Leaf.SerialNumber) == 0 {
				t.Error("damaged leaf reused")
			}
			if logs.count("level=WARN", "replacing", tt.wantLog) != 1 {
				t.Errorf("log lacks the reason %q:\n%s", tt.wantLog, logs)
			}
			if m := mode(t, ls.keyPath); m != 0o600 {
				t.Errorf("new leaf key mode %04o", m)
			}
		})
	}
}

func TestOpenLocalCAErrors(t *testing.T) {
	otherCA := func(t *testing.T) string { // a directory with another complete CA
		d := filepath.Join(t.TempDir(), "other")
		openCA(t, d, newClock())
		return d
	}
	copyFile := func(t *testing.T, from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, to, data, mode(t, to))
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		opts    LocalCAOptions
		wantErr []string
	}{
		{"key mode 0644", func(t *testing.T, d string) { os.Chmod(filepath.Join(d, "root-key.pem"), 0o644) }, LocalCAOptions{},
			[]string{"root-key.pem", "mode 0644", "chmod 600"}},
		{"key mode 0640", func(t *testing.T, d string) { os.Chmod(filepath.Join(d, "root-key.pem"), 0o640) }, LocalCAOptions{},
			[]string{"root-key.pem", "chmod 600"}},
		{"dir writable by others", func(t *testing.T, d string) { os.Chmod(d, 0o777) }, LocalCAOptions{},
			[]string{"writable by group or others", "chmod 700"}},
		{"dir writable by group", func(t *testing.T, d string) { os.Chmod(d, 0o770) }, LocalCAOptions{},
			[]string{"writable by group or others"}},
		{"root garbage", func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "root.pem"), []byte("hello"), 0o644) }, LocalCAOptions{},
			[]string{"root.pem", "no PEM CERTIFICATE"}},
		{"root truncated", func(t *testing.T, d string) {
			p := filepath.Join(d, "root.pem")
			data, _ := os.ReadFile(p)
			writeFile(t, p, data[:len(data)/2], 0o644)
		}, LocalCAOptions{}, []string{"root.pem", "line 1: truncated or malformed PEM block"}},
		{"root bad DER", func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "root.pem"), pemBytes("CERTIFICATE", []byte("not DER")), 0o644)
		}, LocalCAOptions{}, []string{"root.pem", "line 1: certificate 1"}},
		{"root is a leaf", func(t *testing.T, d string) {
			ca, _ := openCA(t, t.TempDir(), newClock())
			leaf, _ := ca.Issue([]string{"localhost"})
			der, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
			writeFile(t, filepath.Join(d, "root.pem"), pemBytes("CERTIFICATE", leaf.Certificate[0]), 0o644)
			writeFile(t, filepath.Join(d, "root-key.pem"), pemBytes("PRIVATE KEY", der), 0o600)
		}, LocalCAOptions{}, []string{"root.pem", "not a CA"}},
		{"key garbage", func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "root-key.pem"), []byte("x"), 0o600) }, LocalCAOptions{},
			[]string{"root-key.pem", "no PEM PRIVATE KEY"}},
		{"key of another CA", func(t *testing.T, d string) {
			copyFile(t, filepath.Join(otherCA(t), "root-key.pem"), filepath.Join(d, "root-key.pem"))
		}, LocalCAOptions{}, []string{"root-key.pem does not match", "root.pem"}},
		{"root missing", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "root.pem")) }, LocalCAOptions{},
			[]string{"root.pem is missing but", "root-key.pem exists"}},
		{"key missing", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "root-key.pem")) }, LocalCAOptions{},
			[]string{"root-key.pem is missing but", "root.pem exists"}},
		{"root expired", func(t *testing.T, d string) {}, LocalCAOptions{Now: func() time.Time { return time.Now().AddDate(11, 0, 0) }},
			[]string{"root.pem expired on"}},
		{"clock before root", func(t *testing.T, d string) {}, LocalCAOptions{Now: func() time.Time { return time.Now().AddDate(-1, 0, 0) }},
			[]string{"not valid before", "clock"}},
		{"leaf validity too short", func(t *testing.T, d string) {}, LocalCAOptions{LeafValidity: time.Second},
			[]string{"LeafValidity 1s is too short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ca")
			openCA(t, dir, newClock())
			tt.setup(t, dir)
			before := snapshot(t, dir)
			_, err := OpenLocalCA(dir, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("the CA directory changed:\n%s\n→\n%s", before, after)
			}
		})
	}
	t.Run("dir is a file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "f")
		writeFile(t, p, nil, 0o600)
		if _, err := OpenLocalCA(p, LocalCAOptions{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("err = %v", err)
		}
	})
}

// snapshot describes a directory's files, modes and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var b strings.Builder
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		data, _ := os.ReadFile(p)
		b.WriteString(e.Name() + " " + mode(t, p).String() + " " + string(data) + "\n")
	}
	return b.String()
}

// TestLocalCAGivenRoot: a CA opened with a given root (the cluster's) uses
// it, writes it into its directory (key 0600, directory 0700), keeps a
// different root found there aside, opens from the directory alone
// afterwards, and refuses a root that is not a CA's or whose key does not
// match, leaving the directory alone.
func TestLocalCAGivenRoot(t *testing.T) {
	clk := newClock()
	shared, _ := openCA(t, filepath.Join(t.TempDir(), "shared"), clk)
	root, err := shared.RootPEM()
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "ca")
	own, _ := openCA(t, dir, clk) // this instance's CA before it joined
	log, buf := newLogger()
	ca, err := OpenLocalCA(dir, LocalCAOptions{Now: clk.Now, Logger: log, Root: &root})
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Root().Equal(shared.Root()) {
		t.Fatal("the given root is not the one used")
	}
	if m := mode(t, filepath.Join(dir, rootKeyFile)); m != 0o600 {
		t.Errorf("key file mode %04o, want 0600", m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("directory mode %04o, want 0700", m)
	}
	old, err := os.ReadFile(filepath.Join(dir, rootFile+".replaced"))
	if err != nil || !strings.Contains(string(old), "CERTIFICATE") {
		t.Errorf("the replaced root is not kept: %v", err)
	}
	if m := mode(t, filepath.Join(dir, rootKeyFile+".replaced")); m != 0o600 {
		t.Errorf("replaced key file mode %04o, want 0600", m)
	}
	if !strings.Contains(buf.String(), "replaced") {
		t.Error("replacing the directory's root is not logged")
	}
	if again, _ := openCA(t, dir, clk); !again.Root().Equal(shared.Root()) || again.Root().Equal(own.Root()) {
		t.Error("reopened without the given root, the directory does not hold it")
	}
	leaf, err := ca.Issue([]string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: shared.RootPool(), DNSName: "localhost", CurrentTime: clk.Now()}); err != nil {
		t.Errorf("a leaf does not verify against the given root: %v", err)
	}

	otherKey, err := own.RootPEM()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		root RootPEM
		want string
	}{
		{"mismatched key", RootPEM{Cert: root.Cert, Key: otherKey.Key}, "does not match"},
		{"no certificate", RootPEM{Cert: []byte("junk"), Key: root.Key}, "the given root"},
	} {
		before, _ := os.ReadFile(filepath.Join(dir, rootFile))
		_, err := OpenLocalCA(dir, LocalCAOptions{Now: clk.Now, Logger: log, Root: &tc.root})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, rootFile)); string(after) != string(before) {
			t.Errorf("%s: the directory's root changed", tc.name)
		}
	}
}
