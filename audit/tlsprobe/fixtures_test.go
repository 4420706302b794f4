package tlsprobe

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

var (
	certOnce           sync.Once
	rsaCert, ecdsaCert tls.Certificate
)

// testCerts returns self-signed RSA-2048 and ECDSA P-256 certificates for
// 127.0.0.1 and localhost, made once per test binary.
func testCerts(t testing.TB) (rsaC, ecC tls.Certificate) {
	certOnce.Do(func() {
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		rsaCert = selfSigned(rk, rk.Public())
		ecdsaCert = selfSigned(ek, ek.Public())
	})
	return rsaCert, ecdsaCert
}

func selfSigned(key crypto.Signer, pub crypto.PublicKey) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serve accepts connections on a loopback listener and hands each to handle
// until the test ends.
func serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// goServer serves crypto/tls handshakes with cfg.
func goServer(t testing.TB, cfg *tls.Config) string {
	return serve(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		tc.Handshake()
		tc.Close()
	})
}

// parsedHello is what the fake server reads from a ClientHello.
type parsedHello struct {
	version     Version
	random      []byte
	sessionID   []byte
	suites      []uint16
	compression []byte
	extensions  []Extension
	serverName  string
	supported   []Version
	groups      []uint16
	shares      map[uint16][]byte
	alpn        []string
}

func (p *parsedHello) ext(typ uint16) ([]byte, bool) {
	for _, e := range p.extensions {
		if e.Type == typ {
			return e.Data, true
		}
	}
	return nil, false
}

// readClientHello reads and parses a ClientHello, the way a strict server
// would.
func readClientHello(r io.Reader) (*parsedHello, error) {
	h := &hsReader{r: r}
	typ, body, _, err := h.next()
	if err != nil {
		return nil, err
	}
	if typ != msgClientHello {
		return nil, fmt.Errorf("message type %d, want ClientHello", typ)
	}
	return parseClientHello(body)
}

func parseClientHello(body []byte) (*parsedHello, error) {
	c := &cursor{b: body, what: "ClientHello"}
	p := &parsedHello{version: Version(c.u16()), shares: map[uint16][]byte{}}
	p.random = c.take(32)
	p.sessionID = c.vec8()
	suites := &cursor{b: c.vec16(), what: "suites"}
	for suites.err == nil && suites.left() > 0 {
		p.suites = append(p.suites, suites.u16())
	}
	p.compression = c.vec8()
	if c.err == nil && c.left() > 0 {
		exts := &cursor{b: c.vec16(), what: "extensions"}
		c.done()
		for exts.err == nil && exts.left() > 0 {
			typ := exts.u16()
			p.extensions = append(p.extensions, Extension{typ, exts.vec16()})
		}
		if exts.err != nil {
			return nil, exts.err
		}
	}
	if err := c.err; err != nil {
		return nil, err
	}
	if suites.err != nil || len(body) == 0 {
		return nil, fmt.Errorf("bad suites")
	}
	if d, ok := p.ext(extServerName); ok {
		e := &cursor{b: d, what: "sni"}
		l := &cursor{b: e.vec16(), what: "sni"}
		l.u8()
		p.serverName = string(l.vec16())
		if e.err != nil || l.err != nil {
			return nil, fmt.Errorf("bad sni")
		}
	}
	if d, ok := p.ext(extSupportedVersions); ok {
		e := &cursor{b: d, what: "sv"}
		l := &cursor{b: e.vec8(), what: "sv"}
		for l.err == nil && l.left() > 0 {
			p.supported = append(p.supported, Version(l.u16()))
		}
	}
	if d, ok := p.ext(extSupportedGroups); ok {
		e := &cursor{b: d, what: "groups"}
		l := &cursor{b: e.vec16(), what: "groups"}
		for l.err == nil && l.left() > 0 {
			p.groups = append(p.groups, l.u16())
		}
	}
	if d, ok := p.ext(extKeyShare); ok {
		e := &cursor{b: d, what: "key_share"}
		l := &cursor{b: e.vec16(), what: "key_share"}
		for l.err == nil && l.left() > 0 {
			g := l.u16()
			p.shares[g] = l.vec16()
		}
		if l.err != nil {
			return nil, l.err
		}
	}
	if d, ok := p.ext(extALPN); ok {
		e := &cursor{b: d, what: "alpn"}
		l := &cursor{b: e.vec16(), what: "alpn"}
		for l.err == nil && l.left() > 0 {
			p.alpn = append(p.alpn, string(l.vec8()))
		}
	}
	return p, nil
}

// marshalServerHello encodes sh's wire fields (the inverse of
// parseServerHello) as a handshake message.
func marshalServerHello(sh *ServerHello) []byte {
	var b builder
	b.u8(msgServerHello)
	b.vec(3, func(b *builder) {
		b.u16(uint16(sh.LegacyVersion))
		b.bytes(sh.Random[:])
		b.vec(1, func(b *builder) { b.bytes(sh.SessionID) })
		b.u16(sh.Suite)
		b.u8(sh.Compression)
		if sh.Extensions != nil {
			b.vec(2, func(b *builder) {
				for _, e := range sh.Extensions {
					b.ext(e.Type, func(b *builder) { b.bytes(e.Data) })
				}
			})
		}
	})
	return b.b
}

// fakeServer answers ClientHellos by hand, to show what crypto/tls cannot
// serve: SSL 3.0, NULL, anonymous, export and RC4 suites, DHE, client
// preference, HelloRetryRequest.
type fakeServer struct {
	versions   []Version // accepted versions up to TLS 1.2, any order
	suites     []uint16  // accepted suites; the server's order when serverPref
	serverPref bool
	dhBits     int    // DHE: size of the prime sent in ServerKeyExchange
	curve      uint16 // ECDHE: the curve named in ServerKeyExchange (if the client offers it)
	alert      uint8  // answer every hello with this fatal alert
	hrrGroup   uint16 // TLS 1.3: answer a HelloRetryRequest for this group
	hangOn     Version
	alpn       string // select this protocol when offered
	forceSuite uint16 // answer with this suite whatever was offered
	closeOnly  bool   // read the hello, then close without a word
}

func (f *fakeServer) start(t testing.TB) string {
	return serve(t, func(c net.Conn) { f.answer(c) })
}

func (f *fakeServer) answer(c net.Conn) {
	ch, err := readClientHello(c)
	if err != nil {
		c.Write(records(recordAlert, TLS12, []byte{2, 50})) // decode_error
		return
	}
	alert := func(d uint8) { c.Write(records(recordAlert, TLS12, []byte{2, d})) }
	if f.closeOnly {
		return
	}
	if f.alert != 0 {
		alert(f.alert)
		return
	}
	if f.hangOn != 0 && (ch.version == f.hangOn || len(ch.supported) > 0 && ch.supported[0] == f.hangOn) {
		io.Copy(io.Discard, c) // until the client gives up
		return
	}
	if len(ch.supported) > 0 { // TLS 1.3 hello
		if f.hrrGroup == 0 || !slices.Contains(ch.groups, f.hrrGroup) || ch.shares[f.hrrGroup] != nil {
			alert(40)
			return
		}
		suite, ok := f.pick(ch)
		if !ok {
			alert(40)
			return
		}
		var b builder
		b.ext(extSupportedVersions, func(b *builder) { b.u16(uint16(TLS13)) })
		b.ext(extKeyShare, func(b *builder) { b.u16(f.hrrGroup) })
		sh := &ServerHello{LegacyVersion: TLS12, Random: helloRetryRandom, SessionID: ch.sessionID, Suite: suite}
		sh.Extensions = splitExtensions(b.b)
		c.Write(records(recordHandshake, TLS12, marshalServerHello(sh)))
		return
	}
	var v Version
	for _, sv := range f.versions {
		if sv <= ch.version && sv > v {
			v = sv
		}
	}
	if v == 0 {
		alert(70)
		return
	}
	suite, ok := f.pick(ch)
	if f.forceSuite != 0 {
		suite, ok = f.forceSuite, true
	}
	if !ok {
		alert(40)
		return
	}
	s, _ := SuiteByID(suite)
	sh := &ServerHello{LegacyVersion: v, Suite: suite}
	rand.Read(sh.Random[:])
	var exts builder
	if _, ok := ch.ext(extRenegotiationInfo); ok || slices.Contains(ch.suites, scsvRenegotiation) {
		exts.ext(extRenegotiationInfo, func(b *builder) { b.u8(0) })
	}
	if f.alpn != "" && slices.Contains(ch.alpn, f.alpn) {
		exts.ext(extALPN, func(b *builder) {
			b.vec(2, func(b *builder) { b.vec(1, func(b *builder) { b.bytes([]byte(f.alpn)) }) })
		})
	}
	if len(exts.b) > 0 {
		sh.Extensions = splitExtensions(exts.b)
	}
	flight := marshalServerHello(sh)
	var rest builder
	switch {
	case s.Kx == "DHE":
		if s.Auth != "anon" {
			rest.u8(msgCertificate)
			rest.vec(3, func(b *builder) { b.vec(3, func(*builder) {}) })
		}
		p := new(big.Int).Lsh(big.NewInt(1), uint(f.dhBits-1))
		p.Add(p, big.NewInt(1))
		rest.u8(msgServerKeyExchange)
		rest.vec(3, func(b *builder) {
			b.vec(2, func(b *builder) { b.bytes(p.Bytes()) })
			b.vec(2, func(b *builder) { b.u8(2) })
			b.vec(2, func(b *builder) { b.bytes(make([]byte, len(p.Bytes()))) })
		})
	case s.Kx == "ECDHE":
		rest.u8(msgServerKeyExchange)
		rest.vec(3, func(b *builder) {
			b.u8(3)
			b.u16(f.curve)
			b.vec(1, func(b *builder) { b.bytes(make([]byte, 65)) })
		})
	}
	rest.u8(msgServerHelloDone)
	rest.u24(0)
	c.Write(records(recordHandshake, v, append(flight, rest.b...)))
}

// pick chooses a suite: the server's first the client offered, or the
// client's first the server has.
// ECDHE suites count only when the client offers the server's curve.
func (f *fakeServer) pick(ch *parsedHello) (uint16, bool) {
	ok := func(id uint16) bool {
		s, _ := SuiteByID(id)
		return s.Kx != "ECDHE" || slices.Contains(ch.groups, f.curve)
	}
	if f.serverPref {
		for _, s := range f.suites {
			if slices.Contains(ch.suites, s) && ok(s) {
				return s, true
			}
		}
		return 0, false
	}
	for _, s := range ch.suites {
		if slices.Contains(f.suites, s) && ok(s) {
			return s, true
		}
	}
	return 0, false
}

func splitExtensions(b []byte) []Extension {
	c := &cursor{b: b, what: "test"}
	var out []Extension
	for c.left() > 0 && c.err == nil {
		typ := c.u16()
		out = append(out, Extension{typ, c.vec16()})
	}
	return out
}
