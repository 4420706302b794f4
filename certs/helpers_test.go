package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// clock is the settable test clock.
type clock = testutil.Clock

func newClock() *clock { return testutil.NewClock(time.Now().Truncate(time.Second)) }

// logBuf collects log output, safe for concurrent use.
type logBuf struct{ testutil.Buffer }

func (l *logBuf) count(parts ...string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			n++
		}
	}
	return n
}

func newLogger() (*slog.Logger, *logBuf) {
	b := &logBuf{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// serveTLS starts a TLS server on 127.0.0.1 that only completes
// handshakes, and returns its address.
func serveTLS(t *testing.T, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: getCert})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.(*tls.Conn).Handshake()
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// handshake connects to addr as serverName, verifying with roots at the
// time now (time.Now when nil), and returns the server's leaf.
func handshake(addr, serverName string, roots *x509.CertPool, now func() time.Time) (*x509.Certificate, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: serverName, RootCAs: roots, Time: now})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("no peer certificate")
	}
	return certs[0], nil
}

// issuer is an unconstrained test CA for certificate files.
type issuer struct {
	*testutil.CA
	cert *x509.Certificate
	pool *x509.CertPool
}

func newIssuer(t *testing.T, cn string) *issuer {
	t.Helper()
	ca := testutil.NewCA(t, cn)
	return &issuer{CA: ca, cert: ca.Cert, pool: ca.Pool()}
}

// leaf signs a leaf for names (DNS names or IPs) with key (a new ECDSA
// P-256 key when nil) and returns it parsed, with its PEM and the key's
// PKCS #8 PEM.
func (is *issuer) leaf(t *testing.T, names []string, key crypto.Signer) (leaf *x509.Certificate, certPEM, keyPEM []byte) {
	t.Helper()
	if key == nil {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	c := is.LeafWithKey(t, names, time.Now().Add(-time.Hour), time.Now().Add(12*time.Hour), key)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf, pemBytes("CERTIFICATE", c.Certificate[0]), pemBytes("PRIVATE KEY", keyDER)
}

// writeFile writes data with mode perm, failing the test on error.
func writeFile(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
