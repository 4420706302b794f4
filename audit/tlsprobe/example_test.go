package tlsprobe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"

	"github.com/portcullis/portcullis/audit/tlsprobe"
)

// A TLS 1.2/1.3 server with an ECDSA certificate and HTTP/2, probed on
// loopback.
func ExampleProbe() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	})
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) { c.(*tls.Conn).Handshake(); c.Close() }(c)
		}
	}()

	r, err := tlsprobe.Probe(context.Background(), ln.Addr().String(), tlsprobe.Options{Timeout: 2 * time.Second})
	if err != nil {
		panic(err)
	}
	fmt.Println("versions:", r.Versions)
	for _, v := range r.Versions {
		ids := slices.Sorted(slices.Values(r.Suites[v]))
		for _, id := range ids {
			s, _ := tlsprobe.SuiteByID(id)
			fmt.Printf("%v %s (%v)\n", v, s.Name, s.Classes)
		}
	}
	fmt.Println("ALPN:", r.ALPN)
	fmt.Println("errors:", len(r.Errors))
	// Output:
	// versions: [TLS 1.2 TLS 1.3]
	// TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (CBC|SHA1|ForwardSecrecy)
	// TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA (CBC|SHA1|ForwardSecrecy)
	// TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (AEAD|ForwardSecrecy)
	// TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (AEAD|ForwardSecrecy)
	// TLS 1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (AEAD|ForwardSecrecy)
	// TLS 1.3 TLS_AES_128_GCM_SHA256 (AEAD|ForwardSecrecy|TLS13)
	// TLS 1.3 TLS_AES_256_GCM_SHA384 (AEAD|ForwardSecrecy|TLS13)
	// TLS 1.3 TLS_CHACHA20_POLY1305_SHA256 (AEAD|ForwardSecrecy|TLS13)
	// ALPN: [h2 http/1.1]
	// errors: 0
}
