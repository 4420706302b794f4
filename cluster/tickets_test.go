package cluster

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// frozenCache is a ClientSessionCache that keeps the first session it is
// given for each server: it holds on to one ticket, where an LRU cache
// would replace it with the one each resumption brings.
type frozenCache struct {
	mu sync.Mutex
	m  map[string]*tls.ClientSessionState
}

func newFrozenCache() *frozenCache { return &frozenCache{m: map[string]*tls.ClientSessionState{}} }

func (f *frozenCache) Get(key string) (*tls.ClientSessionState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[key]
	return s, ok
}

func (f *frozenCache) Put(key string, s *tls.ClientSessionState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[key]; !ok && s != nil {
		f.m[key] = s
	}
}

// tlsPair is one certificate for "example.test" and the pool that trusts
// it: what every instance of a cluster serves.
func tlsPair(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		DNSNames:     []string{"example.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// resumes connects to addr with the session cache and reports whether the
// session was resumed; a failed handshake fails the test.
func resumes(t *testing.T, addr string, roots *x509.CertPool, cache tls.ClientSessionCache) bool {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "example.test", RootCAs: roots, ClientSessionCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil { // reads the tickets too
		t.Fatal(err)
	}
	return conn.ConnectionState().DidResume
}

// TestTicketKeys: two instances, each its own Client and TLS server with
// the shared keys applied. A session from one resumes on the other; a
// ticket resumes after Keep rotations and not after Keep+1; with Redis
// stopped the servers keep their ring, and a Redis restarted empty gets
// the ring back.
func TestTicketKeys(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var failures atomic.Int32
	opts := TicketOptions{Rotate: time.Hour, Now: clock.Now, Poll: 20 * time.Millisecond,
		OnError: func(error) { failures.Add(1) }}
	cert, roots := tlsPair(t)
	var tks [2]*TicketKeys
	var addrs [2]string
	for i := range tks {
		tk, err := open(t, srv, Options{}).TicketKeys(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tk.Close)
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		tk.Apply(cfg)
		tks[i], addrs[i] = tk, testutil.TLSByteServer(t, cfg)
	}
	if g0, g1 := tks[0].generation(), tks[1].generation(); g0 != 1 || g1 != 1 {
		t.Fatalf("generations %d, %d; want one ring, generation 1", g0, g1)
	}

	old := newFrozenCache() // a ticket issued now, by A
	if resumes(t, addrs[0], roots, old) {
		t.Fatal("first connection resumed")
	}
	if !resumes(t, addrs[1], roots, old) {
		t.Fatal("a session from server A does not resume on server B")
	}

	// Rotations, by whichever poll sees one due first: exactly one each.
	for r := 1; r <= DefaultTicketKeep+1; r++ {
		clock.Add(time.Hour)
		want := uint64(1 + r)
		testutil.Eventually(t, 5*time.Second, "both instances to hold the rotated ring", func() bool {
			return tks[0].generation() == want && tks[1].generation() == want
		})
		for _, tk := range tks {
			if err := tk.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if g := tk.generation(); g != want {
				t.Fatalf("rotation %d: generation %d after a refresh; want %d (one rotation)", r, g, want)
			}
		}
		for i, addr := range addrs {
			if got, want := resumes(t, addr, roots, old), r <= DefaultTicketKeep; got != want {
				t.Errorf("after %d rotations, the first ticket resumes on server %d: %v; want %v", r, i, got, want)
			}
		}
		fresh := newFrozenCache()
		resumes(t, addrs[r%2], roots, fresh)
		if !resumes(t, addrs[(r+1)%2], roots, fresh) {
			t.Errorf("after %d rotations, a new session does not resume on the other server", r)
		}
	}

	// Redis stopped: both keep their ring, and report.
	gen := tks[0].generation()
	held := newFrozenCache()
	resumes(t, addrs[0], roots, held)
	srv.Stop()
	testutil.Eventually(t, 10*time.Second, "failures to be reported", func() bool { return failures.Load() >= 2 })
	if err := tks[0].Refresh(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Refresh with Redis stopped: %v; want ErrUnavailable", err)
	}
	if !resumes(t, addrs[1], roots, held) {
		t.Error("with Redis stopped, a session from A does not resume on B")
	}
	fresh := newFrozenCache()
	resumes(t, addrs[1], roots, fresh)
	if !resumes(t, addrs[0], roots, fresh) {
		t.Error("with Redis stopped, a new session from B does not resume on A")
	}

	// Redis back, empty: the ring held is written back, not replaced.
	srv.Restart()
	rdb := srv.Client(t)
	testutil.Eventually(t, 10*time.Second, "the ring to be written back", func() bool {
		g, _ := rdb.HGet(ctx, "portcullis:tickets:ring", "gen").Uint64()
		return g == gen
	})
	for _, tk := range tks {
		if err := tk.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if g := tk.generation(); g != gen {
			t.Errorf("generation %d after Redis restarted empty; want %d", g, gen)
		}
	}
	if !resumes(t, addrs[1], roots, held) {
		t.Error("after Redis restarted empty, a session from A does not resume on B")
	}
}

// TestTicketKeysErrors: another cluster key cannot read the ring, and
// does not replace it; the ring is sealed.
func TestTicketKeysErrors(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	tk, err := open(t, srv, Options{}).TicketKeys(ctx, TicketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	_, err = open(t, srv, Options{Key: testKey + " but another"}).TicketKeys(ctx, TicketOptions{})
	if !errors.Is(err, ErrWrongKey) {
		t.Errorf("TicketKeys with another cluster key: %v; want ErrWrongKey", err)
	}
	if err := tk.Refresh(ctx); err != nil {
		t.Errorf("the ring was replaced: %v", err)
	}
	ring, err := srv.Client(t).HGet(ctx, "portcullis:tickets:ring", "ring").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	tk.mu.Lock()
	plain := tk.ring.marshal()
	tk.mu.Unlock()
	for k := 8; k < len(plain); k += 32 {
		if bytes.Contains(ring, plain[k:k+32]) {
			t.Error("Redis holds a ticket key in the clear")
		}
	}

	srv.Stop()
	if _, err := open(t, srv, Options{}).TicketKeys(ctx, TicketOptions{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("TicketKeys with Redis stopped: %v; want ErrUnavailable", err)
	}
}

// TestTicketRingOrder: the encrypting key goes first to tls.Config, the
// next key second, then the former keys; a rotation keeps Keep of them.
func TestTicketRingOrder(t *testing.T) {
	k := func(b byte) [32]byte { return [32]byte{b} }
	r := &ticketRing{gen: 1, keys: [][32]byte{k(2), k(1)}}
	for range 3 {
		r = r.rotate(time.Now(), 2)
	}
	// [2 1] → [n1 2 1] → [n2 n1 2 1] → [n3 n2 n1 2]: 1 dropped.
	if r.gen != 4 || len(r.keys) != 4 || r.keys[3] != k(2) {
		t.Errorf("after 3 rotations with Keep 2: generation %d, %d keys, the oldest %x; want 4, 4, the first next key", r.gen, len(r.keys), r.keys[len(r.keys)-1][:1])
	}
	got := r.tlsKeys()
	if got[0] != r.keys[1] || got[1] != r.keys[0] || got[2] != r.keys[2] || got[3] != r.keys[3] {
		t.Errorf("tlsKeys order wrong")
	}
	r2, err := unmarshalRing(r.gen, r.marshal())
	if err != nil || !equalKeys(r2.keys, r.keys) || !r2.rotated.Equal(r.rotated) {
		t.Errorf("marshal round trip: %v", err)
	}
}
