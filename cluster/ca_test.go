package cluster

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
)

// newCA returns a self-signed CA certificate and its key, PEM.
func newCA() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now(),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), nil
}

// TestSharedCA: three instances (two goroutines each) asking at once get one CA, created once;
// it is sealed in Redis; another cluster key gets ErrWrongKey and does
// not create one; Redis down fails without creating.
func TestSharedCA(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	var created atomic.Int32
	create := func() ([]byte, []byte, error) {
		created.Add(1)
		time.Sleep(50 * time.Millisecond) // widen the window for a second creator
		return newCA()
	}
	var wg sync.WaitGroup
	certs := make([][]byte, 6)
	keys := make([][]byte, 6)
	var clients [3]*Client
	for i := range clients {
		clients[i] = open(t, srv, Options{LockLease: time.Second})
	}
	for i := range certs { // two goroutines on each of three clients
		c := clients[i%3]
		wg.Go(func() {
			var err error
			if certs[i], keys[i], err = c.SharedCA(ctx, create); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := created.Load(); n != 1 {
		t.Fatalf("create ran %d times; want once", n)
	}
	for i := range certs {
		if !bytes.Equal(certs[i], certs[0]) || !bytes.Equal(keys[i], keys[0]) || len(certs[i]) == 0 {
			t.Fatalf("instance %d got another CA", i)
		}
	}
	dump, err := redistest.Dump(ctx, srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range dump {
		if bytes.Contains([]byte(v), []byte("PRIVATE KEY")) || bytes.Contains([]byte(v), []byte("CERTIFICATE")) {
			t.Errorf("Redis holds %s in the clear", k)
		}
	}

	// A later instance loads it without creating.
	c, k, err := open(t, srv, Options{}).SharedCA(ctx, create)
	if err != nil || !bytes.Equal(c, certs[0]) || !bytes.Equal(k, keys[0]) || created.Load() != 1 {
		t.Errorf("a later instance: err %v, same CA %v, created %d times", err, bytes.Equal(c, certs[0]), created.Load())
	}

	// Another cluster key: a typed error, and no new CA.
	_, _, err = open(t, srv, Options{Key: testKey + " but another"}).SharedCA(ctx, create)
	var oe *OpenError
	if !errors.Is(err, ErrWrongKey) || !errors.As(err, &oe) {
		t.Errorf("SharedCA with another cluster key: %v; want an *OpenError matching ErrWrongKey", err)
	}
	if n := created.Load(); n != 1 {
		t.Errorf("create ran %d times; want once", n)
	}

	// create's failure or a mismatched pair: an error, nothing stored.
	other := open(t, srv, Options{Prefix: "other"})
	if _, _, err := other.SharedCA(ctx, func() ([]byte, []byte, error) { return nil, nil, errors.New("no entropy") }); err == nil {
		t.Error("SharedCA stored what a failing create returned")
	}
	if _, _, err := other.SharedCA(ctx, func() ([]byte, []byte, error) {
		c1, _, _ := newCA()
		_, k2, _ := newCA()
		return c1, k2, nil
	}); err == nil {
		t.Error("SharedCA stored a certificate with another CA's key")
	}

	srv.Stop()
	if _, _, err := open(t, srv, Options{Prefix: "third"}).SharedCA(ctx, create); !errors.Is(err, ErrUnavailable) {
		t.Errorf("SharedCA with Redis stopped: %v; want ErrUnavailable", err)
	}
	if n := created.Load(); n != 1 {
		t.Errorf("create ran %d times with Redis down; want not at all", n)
	}
}
