package cluster

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/pebbletest"
	"github.com/portcullis/portcullis/internal/redistest"
)

func TestSealOpen(t *testing.T) {
	s := newSealer([]byte(testKey))
	for _, v := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("key"), 1000)} {
		sealed := s.seal("a/b.key", v)
		if len(sealed) != sealOverhead+len(v) {
			t.Errorf("sealed %d bytes into %d; want %d", len(v), len(sealed), sealOverhead+len(v))
		}
		if len(v) >= 8 && bytes.Contains(sealed, v) { // shorter ones may occur by chance
			t.Errorf("sealed value holds the plaintext")
		}
		got, err := s.open("a/b.key", sealed)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("open(seal(%d bytes)) = %d bytes, %v", len(v), len(got), err)
		}
		if again := s.seal("a/b.key", v); bytes.Equal(again, sealed) {
			t.Error("the same value sealed twice gives the same bytes: nonces repeat")
		}
	}
	sealed := s.seal("a/b.key", []byte("secret"))
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	other := newSealer([]byte(strings.Repeat("another cluster key ", 2)))
	for _, c := range []struct {
		name   string
		open   func() ([]byte, error)
		reason error
	}{
		{"another cluster key", func() ([]byte, error) { return other.open("a/b.key", sealed) }, ErrWrongKey},
		{"altered", func() ([]byte, error) { return s.open("a/b.key", flipped) }, ErrTampered},
		{"moved to another key", func() ([]byte, error) { return s.open("a/c.key", sealed) }, ErrTampered},
		{"plaintext", func() ([]byte, error) { return s.open("a/b.key", []byte("-----BEGIN PRIVATE KEY-----")) }, ErrNotSealed},
		{"truncated", func() ([]byte, error) { return s.open("a/b.key", sealed[:sealOverhead-1]) }, ErrNotSealed},
	} {
		got, err := c.open()
		var oe *OpenError
		if got != nil || !errors.As(err, &oe) || !errors.Is(err, c.reason) || oe.Key == "" {
			t.Errorf("%s: %q, %v; want an *OpenError for %v", c.name, got, err, c.reason)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	s := newSealer([]byte(testKey))
	v := bytes.Repeat([]byte("k"), 250) // an ECDSA P-256 key in PEM
	for b.Loop() {
		s.open("k", s.seal("k", v))
	}
}

// pemKey returns a new private key in PEM (PKCS #8, "PRIVATE KEY").
func pemKey(t *testing.T) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestOpenErrors: through Redis, a value fails to open, with an
// *OpenError, for an instance with another cluster key, when altered in
// Redis, when copied to another key, and when written in plaintext by
// someone else.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	a := open(t, srv, Options{})
	b := open(t, srv, Options{Key: "a different cluster key, 32 bytes or more"})
	raw := srv.Client(t)
	const key = "certificates/ca/site.test/site.test.key"
	value := pemKey(t)
	if err := a.Storage().Store(ctx, key, value); err != nil {
		t.Fatal(err)
	}
	hash := "portcullis:storage:value:" + key
	sealed, err := raw.HGet(ctx, hash, "value").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("PRIVATE KEY")) {
		t.Fatal("Redis holds the key in plaintext")
	}
	check := func(what string, s *Storage, k string, reason error) {
		t.Helper()
		got, err := s.Load(ctx, k)
		var oe *OpenError
		if got != nil || !errors.As(err, &oe) || !errors.Is(err, reason) || oe.Key != k {
			t.Errorf("%s: Load = %q, %v; want an *OpenError of %s for %v", what, got, err, k, reason)
		}
	}
	check("another cluster key", b.Storage(), key, ErrWrongKey)

	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 0x80
	raw.HSet(ctx, hash, "value", flipped)
	check("altered in Redis", a.Storage(), key, ErrTampered)

	raw.HSet(ctx, hash, "value", sealed)
	const other = "certificates/ca/evil.test/evil.test.key"
	raw.HSet(ctx, "portcullis:storage:value:"+other, "value", sealed, "size", len(value), "modified", 0)
	raw.ZAdd(ctx, "portcullis:storage:index", redis.Z{Member: other})
	check("copied to another key", a.Storage(), other, ErrTampered)

	raw.HSet(ctx, hash, "value", value)
	check("plaintext", a.Storage(), key, ErrNotSealed)
}

// freePort returns a TCP port free on 127.0.0.1 when asked.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestCertmagicCluster: two instances, each with its own certmagic
// cache and its own Client, obtain the same certificate at the same time
// from an ACME CA (Pebble, in process): the issuance lock lets one
// order it, the other finds it in storage. Then nothing in Redis — every
// value read with a plain client, nor the RDB file Redis saves (for a
// replica or a backup) — holds a PEM private key, while the storage
// returns both private keys certmagic stored (the certificate's and the
// ACME account's).
func TestCertmagicCluster(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ca := pebbletest.Start(t, pebbletest.Options{AlwaysValid: true})
	ca.Validate(freePort(t), freePort(t))
	const name = "cluster-a.test"
	ctx := t.Context()

	var wg sync.WaitGroup
	errs := make([]error, 2)
	stores := make([]*Storage, 2)
	for i := range 2 {
		st := open(t, srv, Options{}).Storage()
		stores[i] = st
		var cfg *certmagic.Config
		cache := certmagic.NewCache(certmagic.CacheOptions{
			GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
			Logger:           zap.NewNop(),
		})
		t.Cleanup(cache.Stop)
		cfg = certmagic.New(cache, certmagic.Config{Storage: st, Logger: zap.NewNop()})
		cfg.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
			CA: ca.DirectoryURL(), TestCA: ca.DirectoryURL(), TrustedRoots: ca.ClientRoots(),
			Email: "ops@example.com", Agreed: true,
			DisableTLSALPNChallenge: true, ListenHost: "127.0.0.1", AltHTTPPort: freePort(t),
			Logger: zap.NewNop(),
		})}
		wg.Go(func() { errs[i] = cfg.ObtainCertSync(ctx, name) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	if n := ca.Issued(); n != 1 {
		t.Errorf("the CA issued %d certificates for two instances; want 1 (one waited for the other's lock)", n)
	}

	// The storage has the private keys, in clear for its users.
	all, err := stores[1].List(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("storage after issuance: %q", all)
	var keys []string
	for _, k := range all {
		if strings.HasSuffix(k, ".key") {
			keys = append(keys, k)
			v, err := stores[1].Load(ctx, k)
			if err != nil || !bytes.Contains(v, []byte("PRIVATE KEY")) {
				t.Errorf("Load(%s) = %.40q, %v; want a PEM private key", k, v, err)
			}
		}
	}
	if len(keys) != 2 {
		t.Errorf("private keys in storage: %q; want the certificate's and the ACME account's", keys)
	}

	// Redis has none of them in clear.
	raw := srv.Client(t)
	dump, err := redistest.Dump(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(dump) < 5 {
		t.Fatalf("Redis holds %d keys; want certmagic's certificate, key, metadata, account…", len(dump))
	}
	for k, v := range dump {
		if strings.Contains(v, "PRIVATE KEY") {
			t.Errorf("Redis key %s holds a PEM private key in clear", k)
		}
	}
	// The RDB file a replica or a backup gets, uncompressed so that a
	// plaintext would show; a control value proves the search works.
	rdb := filepath.Join(srv.Dir, "dump.rdb")
	saved := func() []byte {
		t.Helper()
		if err := raw.ConfigSet(ctx, "rdbcompression", "no").Err(); err != nil {
			t.Fatal(err)
		}
		if err := raw.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(rdb)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := saved(); bytes.Contains(b, []byte("PRIVATE KEY")) {
		t.Errorf("the RDB file holds a PEM private key in clear (%d bytes)", len(b))
	}
	raw.Set(ctx, "control", pemKey(t), 0)
	if b := saved(); !bytes.Contains(b, []byte("PRIVATE KEY")) {
		t.Error("control: a plaintext key stored with a plain client is not found in the RDB file")
	}
}
