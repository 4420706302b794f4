package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// pair writes a leaf for names (signed by is) to cert.pem and key.pem in
// dir, and returns the leaf and the paths.
func pair(t *testing.T, is *issuer, dir string, names ...string) (leaf *x509.Certificate, certFile, keyFile string) {
	t.Helper()
	leaf, certPEM, keyPEM := is.leaf(t, names, nil)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, certPEM, 0o644)
	writeFile(t, keyFile, keyPEM, 0o600)
	return leaf, certFile, keyFile
}

func TestNewFileSource(t *testing.T) {
	is := newIssuer(t, "Test Issuing CA")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name     string
		files    func(t *testing.T, dir string) (certFile, keyFile string)
		wantKey  string
		wantLen  int // certificates in the chain
		wantName string
	}{
		{"PKCS #8 ECDSA", func(t *testing.T, dir string) (string, string) {
			_, c, k := pair(t, is, dir, "example.test", "www.example.test", "192.0.2.1")
			return c, k
		}, "ECDSA P-256", 1, "example.test,www.example.test,192.0.2.1"},
		{"chain with intermediate and comments", func(t *testing.T, dir string) (string, string) {
			_, certPEM, keyPEM := is.leaf(t, []string{"example.test"}, nil)
			data := append([]byte("# leaf\n"), certPEM...)
			data = append(data, []byte("# intermediate\n")...)
			data = append(data, pemBytes("CERTIFICATE", is.cert.Raw)...)
			writeFile(t, filepath.Join(dir, "chain.pem"), data, 0o644)
			writeFile(t, filepath.Join(dir, "key.pem"), keyPEM, 0o600)
			return filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
		}, "ECDSA P-256", 2, "example.test"},
		{"one file for both", func(t *testing.T, dir string) (string, string) {
			_, certPEM, keyPEM := is.leaf(t, []string{"example.test"}, nil)
			p := filepath.Join(dir, "both.pem")
			writeFile(t, p, append(keyPEM, certPEM...), 0o600)
			return p, p
		}, "ECDSA P-256", 1, "example.test"},
		{"SEC 1 EC key with parameters", func(t *testing.T, dir string) (string, string) {
			_, certPEM, _ := is.leaf(t, []string{"example.test"}, ecKey)
			der, _ := x509.MarshalECPrivateKey(ecKey)
			writeFile(t, filepath.Join(dir, "c.pem"), certPEM, 0o644)
			key := append(pemBytes("EC PARAMETERS", []byte{6, 5, 43, 129, 4, 0, 34}), pemBytes("EC PRIVATE KEY", der)...)
			writeFile(t, filepath.Join(dir, "k.pem"), key, 0o400)
			return filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
		}, "ECDSA P-384", 1, "example.test"},
		{"PKCS #1 RSA", func(t *testing.T, dir string) (string, string) {
			_, certPEM, _ := is.leaf(t, []string{"example.test"}, rsaKey)
			writeFile(t, filepath.Join(dir, "c.pem"), certPEM, 0o644)
			writeFile(t, filepath.Join(dir, "k.pem"), pemBytes("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), 0o600)
			return filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
		}, "RSA 2048", 1, "example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k := tt.files(t, t.TempDir())
			log, logs := newLogger()
			src, err := NewFileSource(c, k, FileSourceOptions{Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := src.GetCertificate(nil)
			if len(got.Certificate) != tt.wantLen {
				t.Errorf("chain of %d, want %d", len(got.Certificate), tt.wantLen)
			}
			info := src.Certificates()
			if len(info) != 1 {
				t.Fatalf("Certificates() = %+v", info)
			}
			i := info[0]
			if strings.Join(i.Names, ",") != tt.wantName || i.KeyType != tt.wantKey || i.Source != SourceFiles ||
				i.Issuer != "Test Issuing CA" || !i.NotAfter.Equal(got.Leaf.NotAfter) || !i.NotBefore.Equal(got.Leaf.NotBefore) {
				t.Errorf("Info = %+v", i)
			}
			if logs.String() != "" {
				t.Errorf("unexpected log: %s", logs)
			}
		})
	}
}

func TestNewFileSourceErrors(t *testing.T) {
	is := newIssuer(t, "Test CA")
	_, certPEM, keyPEM := is.leaf(t, []string{"example.test"}, nil)
	_, _, otherKey := is.leaf(t, []string{"example.test"}, nil)
	inter := pemBytes("CERTIFICATE", is.cert.Raw)
	tests := []struct {
		name     string
		cert     []byte // nil: no file
		key      []byte
		keyMode  os.FileMode
		wantErrs []string // "{cert}" and "{key}" stand for the paths
	}{
		{"missing cert", nil, keyPEM, 0o600, []string{"{cert}", "no such file"}},
		{"missing key", certPEM, nil, 0o600, []string{"{key}", "no such file"}},
		{"garbage cert", []byte("hello"), keyPEM, 0o600, []string{"{cert}", "no PEM CERTIFICATE block"}},
		{"garbage key", certPEM, []byte("hello"), 0o600, []string{"{key}", "no PEM PRIVATE KEY block"}},
		{"key readable by others", certPEM, keyPEM, 0o644, []string{"{key}", "mode 0644", "chmod 600 {key}"}},
		{"key readable by group", certPEM, keyPEM, 0o640, []string{"chmod 600 {key}"}},
		{"mismatched key", certPEM, otherKey, 0o600, []string{"{key} does not match the certificate in {cert}"}},
		{"swapped files", keyPEM, certPEM, 0o600, []string{"{cert}", "swapped"}},
		{"half-written cert", certPEM[:len(certPEM)-30], keyPEM, 0o600, []string{"{cert}", "line 1: truncated"}},
		{"half-written key", certPEM, keyPEM[:len(keyPEM)/2], 0o600, []string{"{key}", "line 1: truncated"}},
		{"truncated intermediate", append(append([]byte{}, certPEM...), inter[:len(inter)/2]...), keyPEM, 0o600,
			[]string{"{cert}", "line " + lineOf(certPEM, 1) + ": truncated"}},
		{"leaf not first", append(append([]byte{}, inter...), certPEM...), keyPEM, 0o600, []string{"{cert}", "matches certificate 2", "leaf certificate first"}},
		{"bad certificate DER", pemBytes("CERTIFICATE", []byte{0x30, 0x03, 1, 2, 3}), keyPEM, 0o600, []string{"{cert}", "line 1: certificate 1"}},
		{"bad key DER", certPEM, pemBytes("PRIVATE KEY", []byte("junk")), 0o600, []string{"{key}", "line 1"}},
		{"unknown key type", certPEM, pemBytes("DSA PRIVATE KEY", []byte("junk")), 0o600, []string{"{key}", "unsupported private key type"}},
		{"encrypted key", certPEM, pemBytes("ENCRYPTED PRIVATE KEY", []byte("junk")), 0o600, []string{"{key}", "encrypted"}},
		{"legacy encrypted key", certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte("x")}), 0o600, []string{"encrypted"}},
		{"two keys", certPEM, append(append([]byte{}, keyPEM...), otherKey...), 0o600, []string{"{key}", "second private key"}},
		{"CSR in cert file", append(append([]byte{}, certPEM...), pemBytes("CERTIFICATE REQUEST", []byte("x"))...), keyPEM, 0o600, []string{"{cert}", `unexpected PEM block "CERTIFICATE REQUEST"`}},
		{"CSR in key file", certPEM, append(pemBytes("CERTIFICATE REQUEST", []byte("x")), keyPEM...), 0o600, []string{"{key}", "line 1", "unexpected PEM block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c, k := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
			if tt.cert != nil {
				writeFile(t, c, tt.cert, 0o644)
			}
			if tt.key != nil {
				writeFile(t, k, tt.key, tt.keyMode)
			}
			_, err := NewFileSource(c, k, FileSourceOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErrs {
				w = strings.ReplaceAll(strings.ReplaceAll(w, "{cert}", c), "{key}", k)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// lineOf returns, as text, the number of lines in data plus extra.
func lineOf(data []byte, extra int) string {
	return strconv.Itoa(strings.Count(string(data), "\n") + extra)
}

func TestFileSourceHotReload(t *testing.T) {
	is := newIssuer(t, "Reload CA")
	dir := t.TempDir()
	leafA, certFile, keyFile := pair(t, is, dir, "example.test")
	log, logs := newLogger()
	src, err := NewFileSource(certFile, keyFile, FileSourceOptions{Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Start(ctx); close(done) }()
	defer func() {
		cancel()
		<-done
	}()
	addr := serveTLS(t, src.GetCertificate)
	served := func() string {
		leaf, err := handshake(addr, "example.test", is.pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.String()
	}
	if served() != leafA.SerialNumber.String() {
		t.Fatal("initial certificate not served")
	}

	// A new pair, written file by file, is served after a poll.
	leafB, certB, keyB := is.leaf(t, []string{"example.test", "new.example.test"}, nil)
	writeFile(t, keyFile, keyB, 0o600)
	writeFile(t, certFile, certB, 0o644)
	testutil.Eventually(t, 10*time.Second, "the new certificate", func() bool { return served() == leafB.SerialNumber.String() })
	testutil.Eventually(t, 10*time.Second, "the reload log", func() bool {
		return logs.count("level=INFO", "certificate reloaded", "new.example.test", "not_after=") > 0
	})
	if got := src.Certificates()[0].Names; strings.Join(got, ",") != "example.test,new.example.test" {
		t.Errorf("Certificates names %v", got)
	}

	// Garbage: the old certificate stays, an error names the file.
	// (A poll may also catch a file in the middle of being written: the
	// counts are compared with what was logged before each step.)
	before := logs.count("level=ERROR", "still serving the previous certificate", certFile+": line 1: truncated")
	writeFile(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nAAAA"), 0o644)
	testutil.Eventually(t, 10*time.Second, "the error log", func() bool {
		return logs.count("level=ERROR", "still serving the previous certificate", certFile+": line 1: truncated") > before
	})
	if served() != leafB.SerialNumber.String() {
		t.Fatal("the previous certificate is no longer served after a broken reload")
	}

	// Half a pair (certificate changed, key not yet): still B, logged.
	leafC, certC, keyC := is.leaf(t, []string{"example.test"}, nil)
	before = logs.count("level=ERROR", "does not match")
	writeFile(t, certFile, certC, 0o644)
	testutil.Eventually(t, 10*time.Second, "the mismatch log", func() bool {
		return logs.count("level=ERROR", "does not match") > before
	})
	if served() != leafB.SerialNumber.String() {
		t.Fatal("a mismatched pair replaced the certificate")
	}
	// The key arrives: retried on this change, C served.
	writeFile(t, keyFile, keyC, 0o600)
	testutil.Eventually(t, 10*time.Second, "the completed pair", func() bool { return served() == leafC.SerialNumber.String() })

	// Unchanged files are not reloaded again at every poll.
	before = logs.count("certificate reloaded")
	src.poll()
	src.poll()
	if after := logs.count("certificate reloaded"); after != before {
		t.Errorf("%d reloads of unchanged files", after-before)
	}
}

// TestFileSourceKeyPermissionFix: a reload refused for key permissions
// succeeds once chmod fixes them (a mode change alone is a change).
func TestFileSourceKeyPermissionFix(t *testing.T) {
	is := newIssuer(t, "CA")
	dir := t.TempDir()
	_, certFile, keyFile := pair(t, is, dir, "example.test")
	log, logs := newLogger()
	src, err := NewFileSource(certFile, keyFile, FileSourceOptions{Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Start(ctx); close(done) }()
	defer func() {
		cancel()
		<-done
	}()
	leafB, certB, keyB := is.leaf(t, []string{"b.example.test"}, nil)
	writeFile(t, keyFile, keyB, 0o644)
	writeFile(t, certFile, certB, 0o644)
	testutil.Eventually(t, 10*time.Second, "the permission error", func() bool { return logs.count("level=ERROR", "chmod 600") > 0 })
	os.Chmod(keyFile, 0o600)
	testutil.Eventually(t, 10*time.Second, "the reload after chmod", func() bool {
		c, _ := src.GetCertificate(nil)
		return c.Leaf.Equal(leafB)
	})
}

func TestFileSourceReload(t *testing.T) {
	is := newIssuer(t, "CA")
	dir := t.TempDir()
	_, certFile, keyFile := pair(t, is, dir, "example.test")
	log, logs := newLogger()
	src, err := NewFileSource(certFile, keyFile, FileSourceOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	leafB, certB, keyB := is.leaf(t, []string{"b.example.test"}, nil)
	writeFile(t, certFile, certB, 0o644)
	if err := src.Reload(); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("Reload with half a pair: %v", err)
	}
	if logs.count("level=ERROR", keyFile) != 1 {
		t.Errorf("no error logged:\n%s", logs)
	}
	writeFile(t, keyFile, keyB, 0o600)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if c, _ := src.GetCertificate(nil); !c.Leaf.Equal(leafB) {
		t.Error("Reload did not switch to the new pair")
	}
}

func TestFileSourceExpiryWarning(t *testing.T) {
	is := newIssuer(t, "CA")
	leaf, certFile, keyFile := pair(t, is, t.TempDir(), "example.test")
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{leaf.NotAfter, "certificate has expired"},
		{leaf.NotBefore.Add(-time.Second), "not valid yet"},
	} {
		log, logs := newLogger()
		if _, err := NewFileSource(certFile, keyFile, FileSourceOptions{Logger: log, Now: func() time.Time { return tt.now }}); err != nil {
			t.Fatal(err)
		}
		if logs.count("level=WARN", tt.want, certFile) != 1 {
			t.Errorf("at %s: log %q lacks %q", tt.now, logs, tt.want)
		}
	}
}
