package acme

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStorageWritesPrivately(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "acme")
	st, err := OpenStorage(dir, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	key := "certificates/ca-directory/example.com/example.com.key"
	if err := st.Store(context.Background(), key, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(context.Background(), key)
	if err != nil || string(got) != "secret" {
		t.Fatalf("Load = %q, %v", got, err)
	}
	file := st.Filename(key)
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %04o, want 0600", file, fi.Mode().Perm())
	}
	for d := filepath.Dir(file); d != filepath.Dir(dir); d = filepath.Dir(d) {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %04o, want 0700", d, fi.Mode().Perm())
		}
	}
}

func TestOpenStorageRefusesReadableKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyDir := filepath.Join(dir, "acme", "accounts", "ca", "ops@example.com", "keys")
	os.MkdirAll(keyDir, 0o700)
	key := filepath.Join(keyDir, "ops@example.com.key")
	if err := os.WriteFile(key, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(key, 0o644)
	_, err := OpenStorage(filepath.Join(dir, "acme"), slog.Default())
	if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "chmod 600 "+key) {
		t.Fatalf("OpenStorage = %v; want a refusal naming %s and the fix", err, key)
	}
	os.Chmod(key, 0o600)
	if _, err := OpenStorage(filepath.Join(dir, "acme"), slog.Default()); err != nil {
		t.Fatalf("after chmod 600: %v", err)
	}
}

func TestOpenStorageRemovesStaleTemporaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, ".a.crt.tmp-0011223344556677")
	fresh := filepath.Join(dir, ".b.crt.tmp-8899aabbccddeeff")
	for _, f := range []string{stale, fresh} {
		os.WriteFile(f, []byte("partial"), 0o600)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	if _, err := OpenStorage(dir, slog.Default()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file (another writer's) removed: %v", err)
	}
}

func TestGuard(t *testing.T) {
	t.Parallel()
	var asked []string
	ask := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := r.URL.Query().Get("domain")
		asked = append(asked, d)
		switch d {
		case "ok.example.com":
		case "moved.example.com":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		default:
			http.Error(w, "no", http.StatusForbidden)
		}
	}))
	defer ask.Close()
	match := func(n string) bool { return strings.HasSuffix(n, ".example.com") }
	for _, tc := range []struct {
		name string
		od   OnDemand
		host string
		ok   bool
	}{
		{"hosts only", OnDemand{Match: match}, "a.example.com", true},
		{"not a host", OnDemand{Match: match}, "a.example.org", false},
		{"allowed", OnDemand{Match: match, Allow: []string{"A.example.com"}}, "a.example.com", true},
		{"not allowed", OnDemand{Match: match, Allow: []string{"a.example.com"}}, "b.example.com", false},
		{"ask yes", OnDemand{Match: match, Ask: ask.URL + "/check?x=1"}, "ok.example.com", true},
		{"ask no", OnDemand{Match: match, Ask: ask.URL}, "no.example.com", false},
		{"ask redirects", OnDemand{Match: match, Ask: ask.URL}, "moved.example.com", false},
		{"ask skipped when hosts refuse", OnDemand{Match: match, Ask: ask.URL}, "ok.example.org", false},
	} {
		g, err := newGuard(&tc.od)
		if err != nil {
			t.Fatal(err)
		}
		err = g.decide(context.Background(), tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("%s: decide(%q) = %v, want ok=%v", tc.name, tc.host, err, tc.ok)
		}
	}
	if strings.Join(asked, ",") != "ok.example.com,no.example.com,moved.example.com" {
		t.Errorf("ask endpoint saw %v", asked)
	}
	if _, err := newGuard(&OnDemand{Ask: "ftp://x"}); err == nil {
		t.Error("an ftp ask URL was accepted")
	}
}

// selfSigned returns a PEM certificate and PKCS #8 key for name.
func selfSigned(t *testing.T, name string) (crt, key []byte) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// TestOpenStorageRepairsTornPair replays the states a process killed
// during a renewal can leave (the key is written before the certificate)
// and checks that OpenStorage restores a matching pair.
func TestOpenStorageRepairsTornPair(t *testing.T) {
	t.Parallel()
	oldCrt, oldKey := selfSigned(t, "a.example")
	newCrt, newKey := selfSigned(t, "a.example")
	for _, tc := range []struct {
		name    string
		stores  [][2]string // key, value, in order, before the "crash"
		wantCrt []byte
	}{
		{"killed between key and certificate", [][2]string{{"k", string(newKey)}}, oldCrt},
		{"killed after both", [][2]string{{"k", string(newKey)}, {"c", string(newCrt)}}, newCrt},
		{"nothing replaced", nil, oldCrt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			st, err := OpenStorage(dir, slog.Default())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			crtKey, keyKey := "certificates/ca/a.example/a.example.crt", "certificates/ca/a.example/a.example.key"
			st.Store(ctx, keyKey, oldKey)
			st.Store(ctx, crtKey, oldCrt)
			time.Sleep(10 * time.Millisecond) // distinct modification times
			for _, s := range tc.stores {
				k := keyKey
				if s[0] == "c" {
					k = crtKey
				}
				if err := st.Store(ctx, k, []byte(s[1])); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := OpenStorage(dir, slog.Default()); err != nil {
				t.Fatal(err)
			}
			crt, _ := os.ReadFile(st.Filename(crtKey))
			key, _ := os.ReadFile(st.Filename(keyKey))
			if _, err := tls.X509KeyPair(crt, key); err != nil {
				t.Fatalf("after OpenStorage: %v", err)
			}
			if string(crt) != string(tc.wantCrt) {
				t.Errorf("serving the wrong certificate after repair")
			}
		})
	}
}
