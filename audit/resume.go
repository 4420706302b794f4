package audit

import (
	"context"
	"crypto/tls"
	"time"
)

// ticketWait bounds how long the first connection waits for a TLS 1.3
// session ticket, which servers send after the handshake.
const ticketWait = 300 * time.Millisecond

// resumes reports whether the server resumes a TLS session: two
// connections share a session cache, and the second says whether it
// resumed. No HTTP is spoken (single-threaded servers are not held up),
// and the first connection lasts only until a session is cached.
// Resumption spares returning clients a full handshake; it says nothing
// about security, so it is reported, not graded.
func (a *auditor) resumes(ctx context.Context) (bool, error) {
	cache := &notifyingCache{ClientSessionCache: tls.NewLRUClientSessionCache(1), put: make(chan struct{}, 1)}
	addr := hostPort(a.t.Host, a.t.HTTPSPort, 0)
	for i := range 2 {
		resumed, err := a.resumeOnce(ctx, addr, cache, i == 0)
		if err != nil || i == 1 {
			return resumed, err
		}
	}
	return false, nil
}

func (a *auditor) resumeOnce(ctx context.Context, addr string, cache *notifyingCache, first bool) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
	defer cancel()
	raw, err := a.dial(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{
		ServerName:         a.t.Host,
		InsecureSkipVerify: true, // only the session matters here
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       legacyClientSuites,
		ClientSessionCache: cache,
	})
	if err := c.HandshakeContext(ctx); err != nil {
		return false, err
	}
	if first && c.ConnectionState().Version == tls.VersionTLS13 {
		// The ticket follows the handshake: a Read processes it (and
		// then waits for data that never comes, until Close).
		go c.Read(make([]byte, 1))
		select {
		case <-cache.put:
		case <-time.After(ticketWait):
		case <-ctx.Done():
		}
	}
	return c.ConnectionState().DidResume, nil
}

// notifyingCache is a session cache that signals when a session is
// stored.
type notifyingCache struct {
	tls.ClientSessionCache
	put chan struct{}
}

func (c *notifyingCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		select {
		case c.put <- struct{}{}:
		default:
		}
	}
}
