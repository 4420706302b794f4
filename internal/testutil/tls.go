package testutil

import (
	"crypto/tls"
	"testing"
	"time"
)

// TLSByteServer serves c on a loopback port until the test ends: each
// connection completes the handshake, gets one byte (so that a client
// reading it also reads the TLS 1.3 session tickets sent before it) and
// is closed. It returns the address.
func TLSByteServer(t testing.TB, c *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				if conn.(*tls.Conn).Handshake() == nil {
					conn.Write([]byte{'.'})
				}
			}()
		}
	}()
	return ln.Addr().String()
}
