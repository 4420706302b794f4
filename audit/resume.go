package audit

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// resumes reports whether the server resumes a TLS session: two full
// connections share a session cache, the first reads a response so that
// a TLS 1.3 ticket (sent after the handshake) arrives, and the second
// says whether it resumed. Resumption spares returning clients a full
// handshake; it says nothing about security, so it is reported, not
// graded.
func (a *auditor) resumes(ctx context.Context) (bool, error) {
	cache := tls.NewLRUClientSessionCache(1)
	addr := hostPort(a.t.Host, a.t.HTTPSPort, 0)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
		resumed, err := a.resumeOnce(ctx, addr, cache)
		cancel()
		if err != nil || i == 1 {
			return resumed, err
		}
	}
	return false, nil
}

func (a *auditor) resumeOnce(ctx context.Context, addr string, cache tls.ClientSessionCache) (bool, error) {
	raw, err := a.dial(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	c := tls.Client(raw, &tls.Config{
		ServerName:         a.t.Host,
		InsecureSkipVerify: true, // only the session matters here
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       legacyClientSuites,
		ClientSessionCache: cache,
		NextProtos:         []string{"http/1.1"},
	})
	if err := c.HandshakeContext(ctx); err != nil {
		return false, err
	}
	host := a.t.Host
	if a.t.HTTPSPort != 443 {
		host += ":" + strconv.Itoa(a.t.HTTPSPort)
	}
	fmt.Fprintf(c, "HEAD / HTTP/1.1\r\nHost: %s\r\nUser-Agent: portcullis-audit/1\r\nConnection: close\r\n\r\n", host)
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) // a ticket sent after the response
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	return c.ConnectionState().DidResume, nil
}
