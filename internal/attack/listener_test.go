package attack

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// testALPN offers only acme-tls/1, as an ACME CA validating TLS-ALPN-01
// does: with no site using ACME, it must not be negotiated (a client
// would otherwise get a challenge handshake, or a protocol nobody
// answers).
func testALPN(t *testing.T, e *env) {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: e.Client.AsSlice()}}
	c, err := tls.DialWithDialer(d, "tcp", e.HTTPS, &tls.Config{
		ServerName: "app.test", RootCAs: e.Site.CA.Pool(), NextProtos: []string{"acme-tls/1"},
	})
	if err != nil {
		t.Logf("handshake refused: %v", err)
		return
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p == "acme-tls/1" {
		t.Errorf("acme-tls/1 negotiated though no site uses ACME")
	}
}
