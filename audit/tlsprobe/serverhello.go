package tlsprobe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"syscall"
)

// ServerHello is the server's answer to one ClientHello.
type ServerHello struct {
	// Version is the negotiated version: supported_versions for TLS 1.3,
	// else the ServerHello's version field.
	Version Version
	// LegacyVersion is the version field on the wire (TLS 1.2 for TLS 1.3).
	LegacyVersion Version
	Random        [32]byte
	SessionID     []byte
	Suite         uint16
	Compression   uint8
	// Extensions are the ServerHello's extensions in wire order; nil when
	// the hello had no extensions block.
	Extensions []Extension
	// HelloRetryRequest is set when the server answered a TLS 1.3 hello with a
	// HelloRetryRequest: it accepts the version and Suite, and asks for a key
	// share for Group.
	HelloRetryRequest bool
	// Group is the key exchange group: from key_share (or the
	// HelloRetryRequest's selected_group) in TLS 1.3, from the ECDHE
	// ServerKeyExchange in TLS 1.2 and below.
	Group uint16
	// DHBits is the size of the server's finite-field DH prime, read from the
	// ServerKeyExchange of a DHE suite in TLS 1.2 and below.
	DHBits int
	// ALPN is the protocol the server selected: from the ServerHello in TLS
	// 1.2 and below, from the decrypted EncryptedExtensions in TLS 1.3.
	ALPN string
	// EncryptedExtensions reports that a TLS 1.3 server's EncryptedExtensions
	// were decrypted, so ALPN is known (the prober decrypts AES-GCM suites for
	// groups it generated a key share for; not ChaCha20 or CCM).
	EncryptedExtensions bool
	// Acknowledged TLS 1.2-and-below extensions: renegotiation_info (RFC
	// 5746), extended_master_secret (RFC 7627), session_ticket (RFC 5077) and
	// status_request (OCSP stapling, RFC 6066).
	SecureRenegotiation  bool
	ExtendedMasterSecret bool
	SessionTicket        bool
	OCSPStapling         bool
	// FlightError is set when the messages after the ServerHello
	// (ServerKeyExchange, or TLS 1.3 EncryptedExtensions) could not be read or
	// made no sense. The ServerHello's fields stay valid.
	FlightError error

	keyShare []byte // the server's TLS 1.3 key_share
}

// Extension is one hello extension.
type Extension struct {
	Type uint16
	Data []byte
}

// AlertError is an alert the server sent instead of a ServerHello.
type AlertError struct {
	Level       uint8 // 1 warning, 2 fatal
	Description uint8
}

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
	40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error",
	60: "export_restriction", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
	112: "unrecognized_name", 113: "bad_certificate_status_response",
	115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol", 121: "ech_required",
}

// Error names the alert, e.g. "server sent alert handshake_failure (40)".
func (e *AlertError) Error() string {
	name, ok := alertNames[e.Description]
	if !ok {
		name = "unknown alert"
	}
	level := "fatal "
	if e.Level == 1 {
		level = "warning "
	}
	return fmt.Sprintf("tlsprobe: server sent %salert %s (%d)", level, name, e.Description)
}

// Refusal reports whether the alert is how servers decline what was offered
// (handshake_failure, illegal_parameter, protocol_version,
// insufficient_security, inappropriate_fallback, no_application_protocol)
// rather than a sign of a broken hello or server (decode_error,
// internal_error …).
func (e *AlertError) Refusal() bool {
	switch e.Description {
	case 40, 47, 70, 71, 86, 120:
		return true
	}
	return false
}

// ErrClosed is returned (wrapped) when the server closed or reset the
// connection after the ClientHello without answering. Many servers refuse a
// version or a suite list that way, so Probe counts it as a refusal.
var ErrClosed = errors.New("tlsprobe: connection closed before the server answered")

// Refused reports whether err means the server declined the hello: any
// alert, or ErrClosed. Other errors (dial failures, timeouts, malformed
// answers) say nothing about what the server accepts.
func Refused(err error) bool {
	var a *AlertError
	return errors.As(err, &a) || errors.Is(err, ErrClosed)
}

// helloRetryRandom marks a HelloRetryRequest (RFC 8446 4.1.3).
var helloRetryRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// cursor reads big-endian fields from b with bounds checks; the first
// failure sticks and names the offset.
type cursor struct {
	b    []byte
	off  int
	what string
	err  error
}

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n > len(c.b)-c.off {
		c.err = fmt.Errorf("%s: truncated at offset %d: need %d bytes, %d left", c.what, c.off, n, len(c.b)-c.off)
		return nil
	}
	p := c.b[c.off : c.off+n]
	c.off += n
	return p
}

func (c *cursor) u8() uint8 {
	p := c.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (c *cursor) u16() uint16 {
	p := c.take(2)
	if p == nil {
		return 0
	}
	return uint16(p[0])<<8 | uint16(p[1])
}

func (c *cursor) vec8() []byte  { return c.take(int(c.u8())) }
func (c *cursor) vec16() []byte { return c.take(int(c.u16())) }
func (c *cursor) left() int     { return len(c.b) - c.off }

// fail records an error at the current offset unless one is already set.
func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: offset %d: %s", c.what, c.off, fmt.Sprintf(format, args...))
	}
}

// done fails if bytes remain.
func (c *cursor) done() {
	if c.err == nil && c.left() != 0 {
		c.fail("%d trailing bytes", c.left())
	}
}

// parseServerHello parses a ServerHello message body (RFC 5246 7.4.1.3, RFC
// 8446 4.1.3) strictly.
func parseServerHello(body []byte) (*ServerHello, error) {
	c := &cursor{b: body, what: "ServerHello"}
	sh := &ServerHello{LegacyVersion: Version(c.u16())}
	copy(sh.Random[:], c.take(32))
	if sid := c.vec8(); len(sid) > 32 {
		c.fail("session id of %d bytes, at most 32 allowed", len(sid))
	} else if sid != nil {
		sh.SessionID = bytes.Clone(sid)
	}
	sh.Suite = c.u16()
	sh.Compression = c.u8()
	if c.err == nil && c.left() > 0 {
		exts := &cursor{b: c.vec16(), what: "ServerHello extensions"}
		c.done()
		if c.err != nil {
			return nil, c.err
		}
		sh.Extensions = []Extension{}
		seen := map[uint16]bool{}
		for exts.err == nil && exts.left() > 0 {
			start := exts.off
			typ := exts.u16()
			data := exts.vec16()
			if exts.err != nil {
				break
			}
			if seen[typ] {
				exts.off = start
				exts.fail("extension %d appears twice", typ)
				break
			}
			seen[typ] = true
			sh.Extensions = append(sh.Extensions, Extension{Type: typ, Data: bytes.Clone(data)})
		}
		if exts.err != nil {
			return nil, exts.err
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	sh.Version = sh.LegacyVersion
	if err := sh.interpretExtensions(); err != nil {
		return nil, err
	}
	return sh, nil
}

// interpretExtensions fills the fields derived from the extensions.
func (sh *ServerHello) interpretExtensions() error {
	ext := func(typ uint16) (*cursor, bool) {
		for _, e := range sh.Extensions {
			if e.Type == typ {
				return &cursor{b: e.Data, what: fmt.Sprintf("ServerHello extension %d", typ)}, true
			}
		}
		return nil, false
	}
	isHRR := sh.Random == helloRetryRandom
	if c, ok := ext(extSupportedVersions); ok {
		v := Version(c.u16())
		c.done()
		if c.err != nil {
			return c.err
		}
		if v < TLS13 {
			return fmt.Errorf("ServerHello: supported_versions selects %v; it may only select TLS 1.3 or later", v)
		}
		if sh.LegacyVersion != TLS12 {
			return fmt.Errorf("ServerHello: legacy_version is %v with supported_versions, want TLS 1.2", sh.LegacyVersion)
		}
		sh.Version = v
	} else if isHRR {
		return errors.New("ServerHello: HelloRetryRequest without supported_versions")
	} else if sh.LegacyVersion < SSL30 || sh.LegacyVersion > TLS12 {
		return fmt.Errorf("ServerHello: version %v is not SSL 3.0 to TLS 1.2, and there is no supported_versions", sh.LegacyVersion)
	}
	if sh.Version >= TLS13 {
		sh.HelloRetryRequest = isHRR
		if c, ok := ext(extKeyShare); ok {
			sh.Group = c.u16()
			if !isHRR {
				sh.keyShare = c.vec16()
				if c.err == nil && len(sh.keyShare) == 0 {
					c.fail("empty key_exchange")
				}
			}
			c.done()
			if c.err != nil {
				return c.err
			}
		}
		return nil
	}
	if c, ok := ext(extALPN); ok {
		list := &cursor{b: c.vec16(), what: c.what}
		c.done()
		name := list.vec8()
		list.done()
		if c.err == nil && list.err == nil && len(name) == 0 {
			list.fail("empty protocol name")
		}
		if err := errors.Join(c.err, list.err); err != nil {
			return err
		}
		sh.ALPN = string(name)
	}
	if c, ok := ext(extRenegotiationInfo); ok {
		c.vec8()
		c.done()
		if c.err != nil {
			return c.err
		}
		sh.SecureRenegotiation = true
	}
	for _, flag := range []struct {
		typ uint16
		set *bool
	}{{extExtendedMasterSec, &sh.ExtendedMasterSecret}, {extSessionTicket, &sh.SessionTicket}, {extStatusRequest, &sh.OCSPStapling}} {
		if c, ok := ext(flag.typ); ok {
			c.done()
			if c.err != nil {
				return c.err
			}
			*flag.set = true
		}
	}
	return nil
}

// Limits on what the prober reads.
const (
	maxRecord    = 1<<14 + 2048 // largest TLS 1.2 ciphertext record
	maxHandshake = 1 << 18      // largest handshake message kept (certificate chains)
)

// hsReader reassembles handshake messages from records and turns alerts
// into errors.
type hsReader struct {
	r        io.Reader
	read     int64 // bytes consumed from r, for error offsets
	buf      []byte
	allowCCS bool                                          // TLS 1.3 middlebox compatibility, after the ServerHello
	decrypt  func(hdr, body []byte) (uint8, []byte, error) // TLS 1.3 handshake keys, once known
}

// next returns the next handshake message's type, body and raw bytes
// (header included).
func (h *hsReader) next() (uint8, []byte, []byte, error) {
	for {
		if len(h.buf) >= 4 {
			n := int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3])
			if n > maxHandshake {
				return 0, nil, nil, fmt.Errorf("handshake message type %d of %d bytes exceeds the %d-byte limit", h.buf[0], n, maxHandshake)
			}
			if len(h.buf) >= 4+n {
				raw := h.buf[:4+n]
				h.buf = h.buf[4+n:]
				return raw[0], raw[4:], raw, nil
			}
		}
		if err := h.readRecord(); err != nil {
			return 0, nil, nil, err
		}
	}
}

// readRecord reads one record into buf, or returns the alert it carries.
func (h *hsReader) readRecord() error {
	at := h.read
	var hdr [5]byte
	n, err := io.ReadFull(h.r, hdr[:])
	h.read += int64(n)
	if err != nil {
		if at == 0 && (n == 0 && errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return fmt.Errorf("%w (%v)", ErrClosed, err)
		}
		if n == 0 && errors.Is(err, io.EOF) {
			return fmt.Errorf("record at byte %d: connection closed", at)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("record header at byte %d: connection closed after %d of 5 bytes", at, n)
		}
		return fmt.Errorf("record header at byte %d: %w", at, err)
	}
	if hdr[0]&0x80 != 0 && at == 0 {
		return fmt.Errorf("record at byte 0: the server answered in SSL 2.0 format (first byte 0x%02x)", hdr[0])
	}
	if hdr[1] != 3 {
		return fmt.Errorf("record at byte %d: version 0x%02x%02x is not SSL 3.0 or TLS", at, hdr[1], hdr[2])
	}
	length := int(hdr[3])<<8 | int(hdr[4])
	if length > maxRecord {
		return fmt.Errorf("record at byte %d: length %d exceeds %d", at, length, maxRecord)
	}
	if length == 0 {
		return fmt.Errorf("record at byte %d: empty record of type %d", at, hdr[0])
	}
	body := make([]byte, length)
	n, err = io.ReadFull(h.r, body)
	h.read += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("record at byte %d: connection closed after %d of %d bytes", at, n, length)
		}
		return fmt.Errorf("record at byte %d: %w", at, err)
	}
	typ := hdr[0]
	if typ == recordApplicationData {
		if h.decrypt == nil {
			return fmt.Errorf("record at byte %d: encrypted record before any key was agreed", at)
		}
		typ, body, err = h.decrypt(hdr[:], body)
		if err != nil {
			return fmt.Errorf("record at byte %d: %w", at, err)
		}
	} else if h.decrypt != nil && typ != recordChangeCipherSpec {
		return fmt.Errorf("record at byte %d: plaintext record of type %d after the TLS 1.3 ServerHello", at, typ)
	}
	switch typ {
	case recordHandshake:
		if len(body) == 0 {
			return fmt.Errorf("record at byte %d: empty handshake fragment", at)
		}
		if len(h.buf)+len(body) > maxHandshake+4 {
			return fmt.Errorf("record at byte %d: handshake data exceeds %d bytes", at, maxHandshake)
		}
		h.buf = append(h.buf, body...)
		return nil
	case recordAlert:
		if len(body) != 2 {
			return fmt.Errorf("record at byte %d: alert of %d bytes, want 2", at, len(body))
		}
		return &AlertError{Level: body[0], Description: body[1]}
	case recordChangeCipherSpec:
		if !h.allowCCS || len(body) != 1 || body[0] != 1 {
			return fmt.Errorf("record at byte %d: unexpected ChangeCipherSpec", at)
		}
		return nil
	}
	return fmt.Errorf("record at byte %d: unexpected content type %d", at, typ)
}

// readFlight reads the server's answer to ch from r: the ServerHello, then
// for (EC)DHE suites in TLS 1.2 and below the ServerKeyExchange, and for
// TLS 1.3 the EncryptedExtensions when it can decrypt them. ch may be nil
// (no offer to check the answer against, nothing to decrypt with).
func readFlight(r io.Reader, ch *clientHello) (*ServerHello, error) {
	h := &hsReader{r: r}
	typ, body, raw, err := h.next()
	if err != nil {
		return nil, err
	}
	if typ != msgServerHello {
		return nil, fmt.Errorf("first handshake message has type %d, want ServerHello (2)", typ)
	}
	sh, err := parseServerHello(body)
	if err != nil {
		return nil, err
	}
	if ch != nil {
		if err := ch.check(sh); err != nil {
			return nil, err
		}
	}
	switch {
	case sh.HelloRetryRequest:
	case sh.Version >= TLS13:
		if ch != nil {
			h.allowCCS = true
			sh.FlightError = readEncryptedExtensions(h, ch, raw, sh)
		}
	default:
		if s, ok := SuiteByID(sh.Suite); ok && (s.Kx == "DHE" || s.Kx == "ECDHE") {
			sh.FlightError = readKeyExchange(h, sh, s.Kx)
		}
	}
	return sh, nil
}

// readKeyExchange skips Certificate and CertificateStatus and parses the
// ServerKeyExchange's parameters (RFC 4492 5.4, RFC 5246 7.4.3); the
// signature is not checked.
func readKeyExchange(h *hsReader, sh *ServerHello, kx string) error {
	for {
		typ, body, _, err := h.next()
		if err != nil {
			return fmt.Errorf("reading ServerKeyExchange: %w", err)
		}
		switch typ {
		case msgCertificate, msgCertificateStatus:
			continue
		case msgServerKeyExchange:
			return parseKeyExchange(body, sh, kx)
		case msgServerHelloDone:
			return fmt.Errorf("ServerHelloDone without a ServerKeyExchange for %s", SuiteName(sh.Suite))
		default:
			return fmt.Errorf("handshake message type %d where ServerKeyExchange was expected", typ)
		}
	}
}

func parseKeyExchange(body []byte, sh *ServerHello, kx string) error {
	c := &cursor{b: body, what: "ServerKeyExchange"}
	if kx == "ECDHE" {
		if ct := c.u8(); c.err == nil && ct != 3 {
			return fmt.Errorf("ServerKeyExchange: curve_type %d (explicit curve parameters), want named_curve (3)", ct)
		}
		group := c.u16()
		if point := c.vec8(); c.err == nil && len(point) == 0 {
			c.fail("empty ECDH public key")
		}
		if c.err != nil {
			return c.err
		}
		sh.Group = group
		return nil
	}
	p := c.vec16()
	g := c.vec16()
	ys := c.vec16()
	if c.err == nil && (len(g) == 0 || len(ys) == 0) {
		c.fail("empty DH generator or public value")
	}
	if c.err != nil {
		return c.err
	}
	bits := new(big.Int).SetBytes(p).BitLen()
	if bits == 0 {
		return errors.New("ServerKeyExchange: DH prime is zero")
	}
	sh.DHBits = bits
	return nil
}

// readEncryptedExtensions derives the server handshake traffic key (RFC 8446
// 7.1) and reads ALPN from the EncryptedExtensions.
func readEncryptedExtensions(h *hsReader, ch *clientHello, serverHello []byte, sh *ServerHello) error {
	if len(h.buf) > 0 { // RFC 8446 5.1: no handshake message may span a key change
		return errors.New("TLS 1.3 ServerHello shares its record with other handshake data")
	}
	ks := ch.shares[sh.Group]
	dec, err := handshakeDecrypter(sh.Suite, ks, sh.keyShare, ch.msg, serverHello)
	if err != nil || dec == nil {
		return err
	}
	h.decrypt = dec
	typ, body, _, err := h.next()
	if err != nil {
		return fmt.Errorf("reading EncryptedExtensions: %w", err)
	}
	if typ != msgEncryptedExtensions {
		return fmt.Errorf("handshake message type %d where EncryptedExtensions was expected", typ)
	}
	c := &cursor{b: body, what: "EncryptedExtensions"}
	exts := &cursor{b: c.vec16(), what: "EncryptedExtensions"}
	c.done()
	for c.err == nil && exts.err == nil && exts.left() > 0 {
		typ := exts.u16()
		data := exts.vec16()
		if exts.err == nil && typ == extALPN {
			e := &cursor{b: data, what: "EncryptedExtensions ALPN"}
			list := &cursor{b: e.vec16(), what: e.what}
			e.done()
			name := list.vec8()
			list.done()
			if err := errors.Join(e.err, list.err); err != nil {
				return err
			}
			if !slices.Contains(ch.alpn, string(name)) {
				return fmt.Errorf("EncryptedExtensions: server chose application protocol %q, which was not offered", name)
			}
			sh.ALPN = string(name)
		}
	}
	if err := errors.Join(c.err, exts.err); err != nil {
		return err
	}
	sh.EncryptedExtensions = true
	return nil
}
