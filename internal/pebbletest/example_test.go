package pebbletest_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/portcullis/portcullis/internal/pebbletest"
)

// exampleTB stands in for the *testing.T a real test would pass: it runs
// cleanups at the end and turns failures into panics.
type exampleTB struct {
	testing.TB // nil: only the methods below are used
	cleanups   []func()
}

func (e *exampleTB) Helper()                           {}
func (e *exampleTB) Failed() bool                      { return false }
func (e *exampleTB) Cleanup(f func())                  { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (e *exampleTB) finish() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// port returns a TCP port free on 127.0.0.1 a moment ago.
func port() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A certmagic client obtains a certificate from the in-process CA,
// solving the HTTP-01 challenge on its own listener, and the chain
// verifies against the CA's roots.
func ExampleStart() {
	t := &exampleTB{} // in a test: t *testing.T
	defer t.finish()

	ca := pebbletest.Start(t, pebbletest.Options{Validity: time.Hour})
	httpPort, tlsPort := port(), port()
	ca.Validate(httpPort, tlsPort)

	var cfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
	})
	defer cache.Stop()
	dir, err := os.MkdirTemp("", "pebbletest-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cfg = certmagic.New(cache, certmagic.Config{Storage: &certmagic.FileStorage{Path: dir}})
	cfg.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
		CA:             ca.DirectoryURL(),
		TrustedRoots:   ca.ClientRoots(),
		Email:          "test@example.com",
		Agreed:         true,
		ListenHost:     "127.0.0.1",
		AltHTTPPort:    httpPort,
		AltTLSALPNPort: tlsPort,
	})}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cfg.ObtainCertSync(ctx, "www.example.test"); err != nil {
		panic(err)
	}
	cert, err := cfg.CacheManagedCertificate(ctx, "www.example.test")
	if err != nil {
		panic(err)
	}
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate.Certificate[1:] {
		c, _ := x509.ParseCertificate(der)
		inter.AddCert(c)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{
		DNSName:       "www.example.test",
		Roots:         ca.IssuerRoots(t),
		Intermediates: inter,
	})
	fmt.Println("names:", cert.Names)
	fmt.Println("verify error:", err)
	fmt.Println("lifetime:", cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore))
	fmt.Println("orders:", ca.Orders(), "issued:", ca.Issued())
	// Output:
	// names: [www.example.test]
	// verify error: <nil>
	// lifetime: 59m59s
	// orders: 1 issued: 1
}
