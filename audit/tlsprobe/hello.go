package tlsprobe

import (
	"crypto/rand"
	"fmt"
	"net"
)

// Hello describes the ClientHello to send. Zero values pick the defaults
// noted on each field.
type Hello struct {
	// Version is the highest version offered. TLS13 sends legacy_version
	// TLS 1.2 with a supported_versions extension offering TLS 1.3 only, so a
	// server cannot fall back; lower versions are sent as legacy_version with
	// no supported_versions extension.
	Version Version
	// Suites are the cipher suites offered, in order.
	Suites []uint16
	// Groups is the supported_groups extension; nil offers every group the
	// prober knows for Version.
	Groups []uint16
	// KeyShares lists the TLS 1.3 groups to send a key share for; nil sends
	// shares for x25519 and secp256r1 (when in Groups); an empty non-nil
	// slice sends none. List only groups that are in Groups. Groups the
	// prober cannot generate a key for (x448, finite-field) get no share.
	KeyShares []uint16
	// ServerName is the SNI host name; empty means Options.ServerName, then
	// the host of addr unless it is an IP address.
	ServerName string
	// ALPN lists the application protocols offered (none when empty).
	ALPN []string
	// NoExtensions sends a hello without any extension, as SSL 3.0 clients
	// did; always so for SSL30.
	NoExtensions bool
}

// Extension types.
const (
	extServerName          = 0
	extStatusRequest       = 5
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extALPN                = 16
	extPadding             = 21
	extExtendedMasterSec   = 23
	extSessionTicket       = 35
	extSupportedVersions   = 43
	extPSKModes            = 45
	extKeyShare            = 51
	extRenegotiationInfo   = 0xff01
)

// Record content types and handshake message types.
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23

	msgClientHello         = 1
	msgServerHello         = 2
	msgEncryptedExtensions = 8
	msgCertificate         = 11
	msgServerKeyExchange   = 12
	msgServerHelloDone     = 14
	msgCertificateStatus   = 22
)

const scsvRenegotiation = 0x00FF // TLS_EMPTY_RENEGOTIATION_INFO_SCSV

// signatureSchemes is a broad list, legacy included, so that no server
// refuses for want of a signature algorithm it can use with its certificate.
var signatureSchemes = []uint16{
	0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256 … secp521r1_sha512
	0x0807, 0x0808, // ed25519, ed448
	0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
	0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha256/384/512
	0x081a, 0x081b, 0x081c, // ecdsa_brainpoolP256r1tls13_sha256 …
	0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
	0x0303, 0x0301, 0x0302, // sha224 with ecdsa, rsa, dsa
	0x0402, 0x0502, 0x0602, // dsa with sha256/384/512
	0x0203, 0x0201, 0x0202, // sha1 with ecdsa, rsa, dsa
	0x0101, // rsa_md5
}

// clientHello is a built ClientHello and the secrets needed to read the
// server's answer.
type clientHello struct {
	version Version
	suites  []uint16
	groups  []uint16
	alpn    []string
	shares  map[uint16]*keyShare
	msg     []byte // the handshake message, header included (for the TLS 1.3 transcript)
}

// builder appends big-endian values and length-prefixed vectors.
type builder struct{ b []byte }

func (b *builder) u8(v uint8)   { b.b = append(b.b, v) }
func (b *builder) u16(v uint16) { b.b = append(b.b, byte(v>>8), byte(v)) }
func (b *builder) u24(v int)    { b.b = append(b.b, byte(v>>16), byte(v>>8), byte(v)) }
func (b *builder) bytes(p []byte) {
	b.b = append(b.b, p...)
}

// vec writes a vector with a lenBytes-byte length prefix filled in by body.
func (b *builder) vec(lenBytes int, body func(*builder)) {
	start := len(b.b)
	b.b = append(b.b, make([]byte, lenBytes)...)
	body(b)
	n := len(b.b) - start - lenBytes
	for i := range lenBytes {
		b.b[start+i] = byte(n >> (8 * (lenBytes - 1 - i)))
	}
}

// ext writes one extension.
func (b *builder) ext(typ uint16, body func(*builder)) {
	b.u16(typ)
	b.vec(2, body)
}

// buildClientHello encodes h (RFC 5246 7.4.1.2, RFC 8446 4.1.2).
func buildClientHello(h Hello, serverName string) (*clientHello, error) {
	if h.Version < SSL30 || h.Version > TLS13 {
		return nil, fmt.Errorf("tlsprobe: cannot offer version %v", h.Version)
	}
	if len(h.Suites) == 0 || len(h.Suites) > 0x7fff {
		return nil, fmt.Errorf("tlsprobe: %d cipher suites offered, want 1 to 32767", len(h.Suites))
	}
	if h.NoExtensions && h.Version == TLS13 {
		return nil, fmt.Errorf("tlsprobe: a TLS 1.3 hello needs extensions")
	}
	ch := &clientHello{version: h.Version, suites: h.Suites, alpn: h.ALPN, shares: map[uint16]*keyShare{}}
	noExt := h.NoExtensions || h.Version == SSL30
	if !noExt {
		ch.groups = h.Groups
		if ch.groups == nil {
			ch.groups = defaultGroups(h.Version)
		}
	}
	for _, p := range h.ALPN {
		if len(p) == 0 || len(p) > 255 {
			return nil, fmt.Errorf("tlsprobe: ALPN protocol %q must be 1 to 255 bytes", p)
		}
	}
	var shares []*keyShare
	if h.Version == TLS13 && !noExt {
		want := h.KeyShares
		if want == nil {
			for _, g := range ch.groups {
				if g == GroupX25519 || g == GroupSecp256r1 {
					want = append(want, g)
				}
			}
		}
		for _, g := range want {
			ks, err := newKeyShare(g)
			if err != nil {
				continue // offered in supported_groups only
			}
			ch.shares[g] = ks
			shares = append(shares, ks)
		}
	}

	var random [32]byte
	rand.Read(random[:])
	var sessionID []byte
	if h.Version == TLS13 {
		sessionID = make([]byte, 32) // RFC 8446 D.4 middlebox compatibility
		rand.Read(sessionID)
	}
	legacy := h.Version
	if legacy > TLS12 {
		legacy = TLS12
	}

	var body builder
	body.u16(uint16(legacy))
	body.bytes(random[:])
	body.vec(1, func(b *builder) { b.bytes(sessionID) })
	body.vec(2, func(b *builder) {
		for _, s := range h.Suites {
			b.u16(s)
		}
		if noExt {
			b.u16(scsvRenegotiation) // RFC 5746 3.3: signal without the extension
		}
	})
	body.vec(1, func(b *builder) { b.u8(0) }) // null compression only
	if !noExt {
		var exts builder
		writeExtensions(&exts, h, ch, serverName, shares)
		if len(exts.b) > 0xfe00 {
			return nil, fmt.Errorf("tlsprobe: extensions take %d bytes, more than a hello can carry", len(exts.b))
		}
		if n := 4 + len(body.b) + 2 + len(exts.b); n >= 0x100 && n < 0x200 {
			// RFC 7685: some servers hang on hellos of 256 to 511 bytes; pad to 512.
			exts.ext(extPadding, func(b *builder) { b.bytes(make([]byte, max(0x200-n-4, 1))) })
		}
		body.vec(2, func(b *builder) { b.bytes(exts.b) })
	}

	var msg builder
	msg.u8(msgClientHello)
	msg.u24(len(body.b))
	msg.bytes(body.b)
	ch.msg = msg.b
	return ch, nil
}

func writeExtensions(b *builder, h Hello, ch *clientHello, serverName string, shares []*keyShare) {
	if serverName != "" && net.ParseIP(serverName) == nil && len(serverName) < 0x10000-5 {
		b.ext(extServerName, func(b *builder) {
			b.vec(2, func(b *builder) {
				b.u8(0) // host_name
				b.vec(2, func(b *builder) { b.bytes([]byte(serverName)) })
			})
		})
	}
	b.ext(extExtendedMasterSec, func(*builder) {})
	b.ext(extRenegotiationInfo, func(b *builder) { b.u8(0) })
	if len(ch.groups) > 0 {
		b.ext(extSupportedGroups, func(b *builder) {
			b.vec(2, func(b *builder) {
				for _, g := range ch.groups {
					b.u16(g)
				}
			})
		})
	}
	b.ext(extECPointFormats, func(b *builder) { b.vec(1, func(b *builder) { b.u8(0) }) })
	b.ext(extSessionTicket, func(*builder) {})
	b.ext(extStatusRequest, func(b *builder) {
		b.u8(1)  // ocsp
		b.u16(0) // no responder IDs
		b.u16(0) // no request extensions
	})
	if h.Version >= TLS12 {
		b.ext(extSignatureAlgorithms, func(b *builder) {
			b.vec(2, func(b *builder) {
				for _, s := range signatureSchemes {
					b.u16(s)
				}
			})
		})
	}
	if len(h.ALPN) > 0 {
		b.ext(extALPN, func(b *builder) {
			b.vec(2, func(b *builder) {
				for _, p := range h.ALPN {
					b.vec(1, func(b *builder) { b.bytes([]byte(p)) })
				}
			})
		})
	}
	if h.Version == TLS13 {
		b.ext(extSupportedVersions, func(b *builder) {
			b.vec(1, func(b *builder) { b.u16(uint16(TLS13)) })
		})
		b.ext(extPSKModes, func(b *builder) { b.vec(1, func(b *builder) { b.u8(1) }) }) // psk_dhe_ke
		b.ext(extKeyShare, func(b *builder) {
			b.vec(2, func(b *builder) {
				for _, ks := range shares {
					b.u16(ks.group)
					b.vec(2, func(b *builder) { b.bytes(ks.public) })
				}
			})
		})
	}
}

// records wraps a handshake message in records of at most 2^14 bytes.
func records(typ uint8, version Version, msg []byte) []byte {
	var b builder
	for len(msg) > 0 {
		n := min(len(msg), 1<<14)
		b.u8(typ)
		b.u16(uint16(version))
		b.u16(uint16(n))
		b.bytes(msg[:n])
		msg = msg[n:]
	}
	return b.b
}
