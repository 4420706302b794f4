package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/metrics"
)

// handshakes accounts for the TLS handshakes of the HTTPS listener, with
// the public hooks of crypto/tls and net/http only: GetConfigForClient
// sees every ClientHello, and predicts the refusals crypto/tls will make
// from it (no common version, no common application protocol, no common
// TLS 1.2 suite); GetCertificate fails when no site has a certificate for
// the name; and http.Server.ConnState, when it next sees the connection,
// tells whether the handshake completed (ok, with the negotiated version)
// or not (other, unless refused already: a client that gave up on the
// certificate, no common curve, a malformed or abandoned hello).
//
// Successes are not counted in tls.Config.VerifyConnection: the server
// calls it before the client's Finished message, so a client that then
// rejects the certificate would count as a success too.
type handshakes struct {
	count  func(version uint16, result string)
	refuse func(hello *tls.ClientHelloInfo, version uint16, reason, why string)

	mu      sync.Mutex
	pending map[net.Conn]*pending // hellos whose connection has not been seen since
}

// pending is a handshake under way.
type pending struct {
	version uint16 // the version it negotiates (the client's highest, refused)
	refused bool   // counted as refused already
}

func newHandshakes(count func(uint16, string), refuse func(*tls.ClientHelloInfo, uint16, string, string)) *handshakes {
	return &handshakes{count: count, refuse: refuse, pending: map[net.Conn]*pending{}}
}

// install hooks h into c, and offers "acme-tls/1" while acme reports true
// (offerACME).
func (h *handshakes) install(c *tls.Config, acme func() bool) {
	getCert := c.GetCertificate
	c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := getCert(hello)
		if err != nil {
			h.refused(hello, 0, metrics.HandshakeUnknownSNI, err.Error())
		}
		return cert, err
	}
	offerACME(c, acme) // its clone has the hook above
	choose := c.GetConfigForClient
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		conf, err := choose(hello)
		used := conf
		if used == nil {
			used = c
		}
		version, reason, why := judge(hello, used)
		h.mu.Lock()
		if hello.Conn != nil {
			h.pending[hello.Conn] = &pending{version: version}
		}
		h.mu.Unlock()
		if reason != "" {
			h.refused(hello, version, reason, why)
		}
		return conf, err
	}
}

// refused counts and reports a refusal, once per connection. A version
// of 0 is the one the hello negotiates.
func (h *handshakes) refused(hello *tls.ClientHelloInfo, version uint16, reason, why string) {
	h.mu.Lock()
	p := h.pending[hello.Conn]
	if p != nil {
		if p.refused {
			h.mu.Unlock()
			return
		}
		p.refused = true
		if version == 0 {
			version = p.version
		}
	}
	h.mu.Unlock()
	h.count(version, reason)
	h.refuse(hello, version, reason, why)
}

// connState is the HTTPS server's ConnState. net/http reports a TLS
// connection again (active, idle, hijacked, closed) only once its
// handshake has ended: completed, it counts as HandshakeOK with the
// negotiated version; otherwise as HandshakeOther, unless it was refused
// already. Connections that never sent a hello (port probes) count as
// nothing.
func (h *handshakes) connState(c net.Conn, st http.ConnState) {
	tc, ok := c.(*tls.Conn)
	if !ok || st == http.StateNew {
		return
	}
	h.mu.Lock()
	p, ok := h.pending[tc.NetConn()]
	delete(h.pending, tc.NetConn())
	h.mu.Unlock()
	if !ok || p.refused {
		return
	}
	if cs := tc.ConnectionState(); cs.HandshakeComplete {
		h.count(cs.Version, metrics.HandshakeOK)
	} else {
		h.count(p.version, metrics.HandshakeOther)
	}
}

// judge predicts, from a ClientHello and the configuration crypto/tls will
// use for it, whether crypto/tls refuses the handshake, in the order it
// checks: the version, then the application protocol, then (TLS 1.2) the
// cipher suite. It returns the version the handshake negotiates (the
// client's highest when none is common), and for a refusal the reason
// and a sentence saying why.
func judge(hello *tls.ClientHelloInfo, c *tls.Config) (version uint16, reason, why string) {
	var highest uint16 // the client's highest known version
	for _, v := range hello.SupportedVersions {
		if v > tls.VersionTLS13 || v < 0x0300 { // GREASE, drafts; 0x0300 is SSL 3.0
			continue
		}
		highest = max(highest, v)
		if v >= c.MinVersion {
			version = max(version, v)
		}
	}
	if version == 0 {
		return highest, metrics.HandshakeProtocol, fmt.Sprintf("the client's highest TLS version is %s; the profile needs %s or later",
			versionName(highest), tls.VersionName(c.MinVersion))
	}
	if len(hello.SupportedProtos) > 0 && !slices.ContainsFunc(hello.SupportedProtos, func(p string) bool { return slices.Contains(c.NextProtos, p) }) {
		return version, metrics.HandshakeNoALPN, fmt.Sprintf("the client offers only application protocols not served here: %.100q", hello.SupportedProtos)
	}
	if version == tls.VersionTLS12 && c.CipherSuites != nil &&
		!slices.ContainsFunc(hello.CipherSuites, func(s uint16) bool { return slices.Contains(c.CipherSuites, s) }) {
		return version, metrics.HandshakeCipher, "the client offers no TLS 1.2 cipher suite of the profile (ECDHE with AES-GCM or ChaCha20-Poly1305)"
	}
	return version, "", ""
}

func versionName(v uint16) string {
	if v == 0 {
		return "unknown"
	}
	return tls.VersionName(v)
}

// tlsRefused emits a refused handshake. The site is the one whose hosts
// the server name matches, if any.
func (s *Server) tlsRefused(hello *tls.ClientHelloInfo, version uint16, reason, why string) {
	e := events.Event{
		Type: events.TLSRefused, Severity: events.Low, Reason: reason,
		Host:    clipField(hello.ServerName),
		Message: fmt.Sprintf("TLS handshake refused (%s, %s): %s", reason, versionName(version), why),
	}
	if hello.Conn != nil {
		e.Client = hostOf(hello.Conn.RemoteAddr().String())
	}
	if rt := s.cur.Load(); rt != nil && hello.ServerName != "" {
		if i := rt.router.Route(hello.ServerName); i >= 0 {
			e.Site = rt.cfg.Sites[i].Name
		}
	}
	s.bus.Emit(e)
}
