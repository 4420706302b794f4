package tlsprobe

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v    Version
		want string
	}{{SSL30, "SSL 3.0"}, {TLS10, "TLS 1.0"}, {TLS11, "TLS 1.1"}, {TLS12, "TLS 1.2"}, {TLS13, "TLS 1.3"}, {0x7f17, "0x7f17"}, {0x0200, "0x0200"}} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#x.String() = %q, want %q", uint16(tt.v), got, tt.want)
		}
		var back Version
		if err := back.UnmarshalText([]byte(tt.want)); err != nil || back != tt.v {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.want, back, err, tt.v)
		}
	}
	for _, bad := range []string{"", "TLS 1.4", "tls 1.2", "0x03", "0xzzzz", "771"} {
		var v Version
		if err := v.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) = %v, want an error", bad, v)
		}
	}
	// Reports round-trip through JSON with readable version keys.
	r := Report{Versions: []Version{TLS12}, Suites: map[Version][]uint16{TLS12: {0xC02F}}, ServerPreference: map[Version]bool{TLS12: true}}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"suites":{"TLS 1.2":[49199]}`) {
		t.Fatalf("json = %s, %v", b, err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, r)
	}
}

func TestSuiteTable(t *testing.T) {
	t.Parallel()
	seen := map[uint16]bool{}
	for _, s := range suiteTable {
		if seen[s.ID] {
			t.Errorf("suite 0x%04X listed twice", s.ID)
		}
		seen[s.ID] = true
		if goName := tls.CipherSuiteName(s.ID); !strings.HasPrefix(goName, "0x") && goName != s.Name {
			t.Errorf("0x%04X is %s, crypto/tls calls it %s", s.ID, s.Name, goName)
		}
		if s.Kx == "" && !s.Classes.Has(ClassTLS13) || s.Bits == 0 && !s.Classes.Has(ClassNull) {
			t.Errorf("%s: incomplete description %+v", s.Name, s)
		}
	}
	if n := len(suiteTable); n < 120 {
		t.Errorf("table has %d suites", n)
	}
	for _, tt := range []struct {
		id       uint16
		classes  Class
		kx, auth string
		bits     int
		minV     Version
	}{
		{0x000A, ClassStaticRSA | ClassTripleDES | ClassBlock64 | ClassCBC | ClassSHA1, "RSA", "RSA", 112, SSL30},
		{0x0003, ClassStaticRSA | ClassExport | ClassRC4 | ClassMD5, "RSA", "RSA", 40, SSL30},
		{0x0062, ClassStaticRSA | ClassExport | ClassDES | ClassBlock64 | ClassCBC | ClassSHA1, "RSA", "RSA", 56, SSL30},
		{0x0014, ClassForwardSecrecy | ClassExport | ClassDES | ClassBlock64 | ClassCBC | ClassSHA1, "DHE", "RSA", 40, SSL30},
		{0x0018, ClassAnonymous | ClassForwardSecrecy | ClassRC4 | ClassMD5, "DHE", "anon", 128, SSL30},
		{0xC015, ClassAnonymous | ClassForwardSecrecy | ClassNull | ClassSHA1, "ECDHE", "anon", 0, SSL30},
		{0x0001, ClassStaticRSA | ClassNull | ClassMD5, "RSA", "RSA", 0, SSL30},
		{0xC00E, ClassStaticDH | ClassCBC | ClassSHA1, "ECDH", "RSA", 128, SSL30},
		{0x00A4, ClassStaticDH | ClassAEAD, "DH", "DSS", 128, TLS12},
		{0x0007, ClassStaticRSA | ClassBlock64 | ClassCBC | ClassSHA1, "RSA", "RSA", 128, SSL30},
		{0xC02F, ClassForwardSecrecy | ClassAEAD, "ECDHE", "RSA", 128, TLS12},
		{0xC0AE, ClassForwardSecrecy | ClassAEAD, "ECDHE", "ECDSA", 128, TLS12},
		{0xC028, ClassForwardSecrecy | ClassCBC, "ECDHE", "RSA", 256, TLS12},
		{0x00A9, ClassPSK | ClassAEAD, "PSK", "PSK", 256, TLS12},
		{0x1303, ClassTLS13 | ClassForwardSecrecy | ClassAEAD, "", "", 256, TLS13},
	} {
		s, ok := SuiteByID(tt.id)
		if !ok {
			t.Errorf("SuiteByID(0x%04X) missing", tt.id)
			continue
		}
		if s.Classes != tt.classes || s.Kx != tt.kx || s.Auth != tt.auth || s.Bits != tt.bits || s.MinVersion != tt.minV {
			t.Errorf("%s = %v %s/%s %d bits from %v; want %v %s/%s %d bits from %v",
				s.Name, s.Classes, s.Kx, s.Auth, s.Bits, s.MinVersion, tt.classes, tt.kx, tt.auth, tt.bits, tt.minV)
		}
	}
	if _, ok := SuiteByID(0x1234); ok {
		t.Error("SuiteByID(0x1234) found something")
	}
	if got := SuiteName(0x1234); got != "0x1234" {
		t.Errorf("SuiteName(0x1234) = %q", got)
	}
	if got := (ClassRC4 | ClassExport | 1<<30).String(); got != "Export|RC4|0x40000000" {
		t.Errorf("Class.String() = %q", got)
	}
	if got := suiteIDs(SuitesFor(TLS13)); !slices.Equal(got, []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}) {
		t.Errorf("SuitesFor(TLS13) = %x", got)
	}
	for _, s := range SuitesFor(TLS10) {
		if s.MinVersion > TLS10 || strings.HasSuffix(s.Name, "SHA256") || s.Classes.Has(ClassAEAD) {
			t.Errorf("SuitesFor(TLS10) includes %s", s.Name)
		}
	}
	if GroupName(GroupX25519MLKEM768) != "X25519MLKEM768" || GroupName(0x9999) != "0x9999" {
		t.Error("GroupName")
	}
}

func TestBuildClientHello(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		h          Hello
		sni        string
		wantExts   []uint16 // exactly these extension types (padding ignored)
		wantShares []uint16
		wantSCSV   bool
	}{
		{name: "SSL 3.0 has no extensions", h: Hello{Version: SSL30, Suites: []uint16{0x0005}}, sni: "example.test", wantSCSV: true},
		{name: "TLS 1.0 without signature_algorithms", h: Hello{Version: TLS10, Suites: []uint16{0x002F}}, sni: "example.test",
			wantExts: []uint16{extServerName, extExtendedMasterSec, extRenegotiationInfo, extSupportedGroups, extECPointFormats, extSessionTicket, extStatusRequest}},
		{name: "TLS 1.2 with ALPN, no SNI for an IP", h: Hello{Version: TLS12, Suites: []uint16{0xC02F}, ALPN: []string{"h2"}}, sni: "127.0.0.1",
			wantExts: []uint16{extExtendedMasterSec, extRenegotiationInfo, extSupportedGroups, extECPointFormats, extSessionTicket, extStatusRequest, extSignatureAlgorithms, extALPN}},
		{name: "TLS 1.2 NoExtensions", h: Hello{Version: TLS12, Suites: []uint16{0xC02F}, NoExtensions: true}, wantSCSV: true},
		{name: "TLS 1.3 default shares", h: Hello{Version: TLS13, Suites: []uint16{0x1301}}, sni: "example.test",
			wantExts:   []uint16{extServerName, extExtendedMasterSec, extRenegotiationInfo, extSupportedGroups, extECPointFormats, extSessionTicket, extStatusRequest, extSignatureAlgorithms, extSupportedVersions, extPSKModes, extKeyShare},
			wantShares: []uint16{GroupX25519, GroupSecp256r1}},
		{name: "TLS 1.3 hybrid and an ungeneratable share", h: Hello{Version: TLS13, Suites: []uint16{0x1301}, Groups: []uint16{GroupX25519MLKEM768, GroupFFDHE2048}, KeyShares: []uint16{GroupX25519MLKEM768, GroupFFDHE2048}},
			wantExts:   []uint16{extExtendedMasterSec, extRenegotiationInfo, extSupportedGroups, extECPointFormats, extSessionTicket, extStatusRequest, extSignatureAlgorithms, extSupportedVersions, extPSKModes, extKeyShare},
			wantShares: []uint16{GroupX25519MLKEM768}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := buildClientHello(tt.h, tt.sni)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(ch.msg); n >= 256 && n < 512 {
				t.Errorf("hello of %d bytes, in the range RFC 7685 padding avoids", n)
			}
			p, err := readClientHello(bytes.NewReader(records(recordHandshake, TLS10, ch.msg)))
			if err != nil {
				t.Fatal(err)
			}
			wantLegacy := min(tt.h.Version, TLS12)
			if p.version != wantLegacy {
				t.Errorf("legacy_version %v, want %v", p.version, wantLegacy)
			}
			wantSuites := slices.Clone(tt.h.Suites)
			if tt.wantSCSV {
				wantSuites = append(wantSuites, scsvRenegotiation)
			}
			if !slices.Equal(p.suites, wantSuites) {
				t.Errorf("suites %x, want %x", p.suites, wantSuites)
			}
			var types []uint16
			for _, e := range p.extensions {
				if e.Type != extPadding {
					types = append(types, e.Type)
				}
			}
			if !slices.Equal(types, tt.wantExts) {
				t.Errorf("extensions %v, want %v", types, tt.wantExts)
			}
			if sni := tt.sni; p.serverName != "" && p.serverName != sni || p.serverName == "" && slices.Contains(tt.wantExts, extServerName) {
				t.Errorf("SNI %q, want %q", p.serverName, sni)
			}
			var shares []uint16
			for g := range p.shares {
				shares = append(shares, g)
			}
			if !slices.Equal(sorted(shares), sorted(tt.wantShares)) {
				t.Errorf("key shares %v, want %v", shares, tt.wantShares)
			}
			for g, pub := range p.shares {
				if !bytes.Equal(pub, ch.shares[g].public) {
					t.Errorf("share %s differs from the kept key", GroupName(g))
				}
			}
			if tt.h.Version == TLS13 && (len(p.sessionID) != 32 || !slices.Equal(p.supported, []Version{TLS13})) {
				t.Errorf("session id %d bytes, supported_versions %v", len(p.sessionID), p.supported)
			}
			if !bytes.Equal(p.compression, []byte{0}) {
				t.Errorf("compression methods %x", p.compression)
			}
		})
	}
	for _, bad := range []Hello{
		{Version: 0x0200, Suites: []uint16{1}},
		{Version: 0x0305, Suites: []uint16{1}},
		{Version: TLS12},
		{Version: TLS13, Suites: []uint16{0x1301}, NoExtensions: true},
		{Version: TLS12, Suites: []uint16{1}, ALPN: []string{""}},
		{Version: TLS12, Suites: []uint16{1}, ALPN: []string{strings.Repeat("x", 256)}},
		{Version: TLS12, Suites: []uint16{1}, ALPN: slices.Repeat([]string{strings.Repeat("x", 255)}, 300)},
	} {
		if _, err := buildClientHello(bad, ""); err == nil {
			t.Errorf("buildClientHello(%v %d suites %d ALPN) succeeded", bad.Version, len(bad.Suites), len(bad.ALPN))
		}
	}
}

// serverHelloBytes builds a ServerHello message for tests.
func serverHelloBytes(v Version, suite uint16, exts ...Extension) []byte {
	return marshalServerHello(&ServerHello{LegacyVersion: v, Suite: suite, SessionID: []byte{1, 2}, Extensions: exts})
}

func ext(typ uint16, data ...byte) Extension { return Extension{typ, data} }

func TestParseServerHelloErrors(t *testing.T) {
	t.Parallel()
	good := serverHelloBytes(TLS12, 0xC02F, ext(extRenegotiationInfo, 0))
	hrr := &ServerHello{LegacyVersion: TLS12, Random: helloRetryRandom, Suite: 0x1301}
	for _, tt := range []struct {
		name string
		msg  []byte
		want string
	}{
		{"truncated random", good[4:20], "ServerHello: truncated at offset 2: need 32 bytes, 14 left"},
		{"no suite", good[4 : 4+2+32+3], "ServerHello: truncated at offset 37: need 2 bytes, 0 left"},
		{"long session id", append(append(slices.Clone(good[4:4+34]), 33), make([]byte, 36)...), "session id of 33 bytes"},
		{"trailing bytes", append(slices.Clone(good[4:]), 0), "ServerHello: offset"},
		{"extension overruns", serverHelloBytes(TLS12, 1, ext(1, 1, 2))[4 : len(serverHelloBytes(TLS12, 1, ext(1, 1, 2)))-1], "truncated"},
		{"duplicate extension", serverHelloBytes(TLS12, 1, ext(9), ext(9))[4:], "extension 9 appears twice"},
		{"supported_versions 1.2", serverHelloBytes(TLS12, 1, ext(extSupportedVersions, 3, 3))[4:], "may only select TLS 1.3"},
		{"supported_versions long", serverHelloBytes(TLS12, 1, ext(extSupportedVersions, 3, 4, 0))[4:], "trailing"},
		{"1.3 with legacy 1.0", serverHelloBytes(TLS10, 1, ext(extSupportedVersions, 3, 4))[4:], "legacy_version is TLS 1.0"},
		{"version 0x3030", serverHelloBytes(0x3030, 1)[4:], "version 0x3030 is not SSL 3.0 to TLS 1.2"},
		{"version 2.0", serverHelloBytes(0x0002, 1)[4:], "version 0x0002 is not"},
		{"HRR without supported_versions", marshalServerHello(hrr)[4:], "HelloRetryRequest without supported_versions"},
		{"empty key share", serverHelloBytes(TLS12, 0x1301, ext(extSupportedVersions, 3, 4), ext(extKeyShare, 0, 29, 0, 0))[4:], "empty key_exchange"},
		{"two ALPN names", serverHelloBytes(TLS12, 1, ext(extALPN, 0, 4, 1, 'a', 1, 'b'))[4:], "trailing"},
		{"empty ALPN name", serverHelloBytes(TLS12, 1, ext(extALPN, 0, 1, 0))[4:], "empty protocol name"},
		{"EMS with data", serverHelloBytes(TLS12, 1, ext(extExtendedMasterSec, 0))[4:], "trailing"},
		{"renegotiation_info overrun", serverHelloBytes(TLS12, 1, ext(extRenegotiationInfo, 5))[4:], "truncated"},
	} {
		_, err := parseServerHello(tt.msg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestReadFlight(t *testing.T) {
	t.Parallel()
	rec := func(typ uint8, b ...byte) []byte { return records(typ, TLS12, b) }
	sh := serverHelloBytes(TLS12, 0x009C, ext(extRenegotiationInfo, 0), ext(extALPN, 0, 3, 2, 'h', '2'), ext(extExtendedMasterSec), ext(extSessionTicket), ext(extStatusRequest))
	dhe := serverHelloBytes(TLS12, 0x0033)
	ecdhe := serverHelloBytes(TLS12, 0xC013)
	ske := func(body ...byte) []byte { return append([]byte{msgServerKeyExchange, 0, 0, byte(len(body))}, body...) }
	cert := []byte{msgCertificate, 0, 0, 3, 0, 0, 0}
	done := []byte{msgServerHelloDone, 0, 0, 0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tt := range []struct {
		name  string
		in    []byte
		check func(*ServerHello) bool
		err   string // substring; "" for success
	}{
		{"ServerHello with every flag", rec(recordHandshake, sh...), func(s *ServerHello) bool {
			return s.Version == TLS12 && s.Suite == 0x009C && s.ALPN == "h2" && s.SecureRenegotiation && s.ExtendedMasterSecret && s.SessionTicket && s.OCSPStapling && s.FlightError == nil
		}, ""},
		{"fragmented over three records", cat(rec(recordHandshake, sh[:3]...), rec(recordHandshake, sh[3:20]...), rec(recordHandshake, sh[20:]...)),
			func(s *ServerHello) bool { return s.ALPN == "h2" }, ""},
		{"ECDHE curve from ServerKeyExchange", cat(rec(recordHandshake, cat(ecdhe, cert)...), rec(recordHandshake, ske(3, 0, 24, 1, 4)...)),
			func(s *ServerHello) bool { return s.Group == GroupSecp384r1 && s.FlightError == nil }, ""},
		{"DH prime size", rec(recordHandshake, cat(dhe, cert, ske(0, 2, 0x01, 0xff, 0, 1, 2, 0, 1, 5))...),
			func(s *ServerHello) bool { return s.DHBits == 9 && s.FlightError == nil }, ""},
		{"explicit curve", rec(recordHandshake, cat(ecdhe, ske(1, 0, 0))...),
			func(s *ServerHello) bool { return strings.Contains(fmt.Sprint(s.FlightError), "explicit curve") }, ""},
		{"ServerHelloDone without ServerKeyExchange", rec(recordHandshake, cat(dhe, cert, done)...),
			func(s *ServerHello) bool {
				return strings.Contains(fmt.Sprint(s.FlightError), "ServerHelloDone without")
			}, ""},
		{"alert after ServerHello", cat(rec(recordHandshake, dhe...), rec(recordAlert, 2, 80)),
			func(s *ServerHello) bool {
				return s.Suite == 0x0033 && strings.Contains(fmt.Sprint(s.FlightError), "internal_error")
			}, ""},
		{"zero DH prime", rec(recordHandshake, cat(dhe, ske(0, 1, 0, 0, 1, 2, 0, 1, 5))...),
			func(s *ServerHello) bool { return strings.Contains(fmt.Sprint(s.FlightError), "DH prime is zero") }, ""},
		{"alert", rec(recordAlert, 2, 40), nil, "handshake_failure (40)"},
		{"nothing", nil, nil, ErrClosed.Error()},
		{"SSL 2.0 answer", []byte{0x80, 0x2e, 0x04, 0, 1}, nil, "SSL 2.0 format"},
		{"not TLS", []byte("HTTP/1.1 400 Bad Request\r\n"), nil, "version 0x5454 is not SSL 3.0 or TLS"},
		{"oversized record", []byte{22, 3, 3, 0x48, 1}, nil, "length 18433 exceeds 18432"},
		{"empty record", []byte{22, 3, 3, 0, 0}, nil, "empty record"},
		{"truncated record", []byte{22, 3, 3, 0, 9, 2, 0}, nil, "closed after 2 of 9 bytes"},
		{"truncated header", []byte{22, 3}, nil, "closed after 2 of 5 bytes"},
		{"ECDHE flight cut short", rec(recordHandshake, ecdhe...), func(s *ServerHello) bool {
			return fmt.Sprint(s.FlightError) == "reading ServerKeyExchange: record at byte 49: connection closed"
		}, ""},
		{"long alert", rec(recordAlert, 2, 40, 0), nil, "alert of 3 bytes"},
		{"ChangeCipherSpec first", rec(recordChangeCipherSpec, 1), nil, "unexpected ChangeCipherSpec"},
		{"application data first", rec(recordApplicationData, 1), nil, "encrypted record before any key"},
		{"unknown content type", rec(99, 1), nil, "unexpected content type 99"},
		{"certificate first", rec(recordHandshake, cert...), nil, "type 11, want ServerHello"},
		{"huge handshake message", rec(recordHandshake, 2, 0x10, 0, 0), nil, "exceeds the 262144-byte limit"},
	} {
		got, err := readFlight(bytes.NewReader(tt.in), nil)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check(got) {
			t.Errorf("%s: got %+v", tt.name, got)
		}
	}
	var a *AlertError
	if _, err := readFlight(bytes.NewReader(rec(recordAlert, 2, 40)), nil); !errors.As(err, &a) || !a.Refusal() || !Refused(err) {
		t.Errorf("alert error %v is not a refusal", err)
	}
	if (&AlertError{Level: 1, Description: 200}).Error() != "tlsprobe: server sent warning alert unknown alert (200)" || (&AlertError{2, 80}).Refusal() {
		t.Error("AlertError formatting or Refusal")
	}
}

// helloPart keeps the fields a ServerHello message alone determines.
func helloPart(sh *ServerHello) ServerHello {
	h := *sh
	h.DHBits, h.FlightError, h.EncryptedExtensions = 0, nil, false
	if h.Version < TLS13 {
		h.Group = 0 // from the ServerKeyExchange
	}
	return h
}

func FuzzParseServerHello(f *testing.F) {
	rec := func(msgs ...[]byte) []byte { return records(recordHandshake, TLS12, bytes.Join(msgs, nil)) }
	f.Add(rec(serverHelloBytes(TLS12, 0xC02F, ext(extRenegotiationInfo, 0), ext(extALPN, 0, 3, 2, 'h', '2'))))
	f.Add(rec(serverHelloBytes(SSL30, 0x0005)))
	f.Add(rec(marshalServerHello(&ServerHello{LegacyVersion: TLS10, Suite: 0x0033, Extensions: []Extension{}}),
		[]byte{msgServerKeyExchange, 0, 0, 9, 0, 2, 0xff, 0xff, 0, 1, 2, 0, 1, 5}))
	f.Add(rec(serverHelloBytes(TLS12, 0xC013), []byte{msgCertificate, 0, 0, 3, 0, 0, 0}, []byte{msgServerKeyExchange, 0, 0, 5, 3, 0, 29, 1, 9}))
	f.Add(rec(serverHelloBytes(TLS12, 0x1301, ext(extSupportedVersions, 3, 4), ext(extKeyShare, 0, 29, 0, 2, 7, 7))))
	f.Add(rec(marshalServerHello(&ServerHello{LegacyVersion: TLS12, Random: helloRetryRandom, Suite: 0x1302,
		Extensions: []Extension{ext(extSupportedVersions, 3, 4), ext(extKeyShare, 1, 0)}})))
	f.Add(records(recordAlert, TLS12, []byte{2, 70}))
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte{0x80, 0x2e, 0x04})
	f.Fuzz(func(t *testing.T, data []byte) {
		sh, err := readFlight(bytes.NewReader(data), nil)
		if err != nil {
			if sh != nil {
				t.Fatal("a ServerHello with an error")
			}
			return
		}
		// Build the message again from the parsed wire fields: it must parse
		// to the same ServerHello and encode to the same bytes.
		msg := marshalServerHello(sh)
		again, err := parseServerHello(msg[4:])
		if err != nil {
			t.Fatalf("re-encoded ServerHello does not parse: %v", err)
		}
		if want := helloPart(sh); !reflect.DeepEqual(helloPart(again), want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", helloPart(again), want)
		}
		if !bytes.Equal(marshalServerHello(again), msg) {
			t.Fatal("encoding is not stable")
		}
		if sh.Version >= TLS13 && sh.LegacyVersion != TLS12 || sh.HelloRetryRequest && sh.Version < TLS13 {
			t.Fatalf("inconsistent versions: %+v", sh)
		}
	})
}

// TestContradictions: answers that contradict the offer are errors, not
// acceptance.
func TestContradictions(t *testing.T) {
	t.Parallel()
	ch12, err := buildClientHello(Hello{Version: TLS12, Suites: []uint16{0xC02F, 0x009C}, ALPN: []string{"h2"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	ch13, err := buildClientHello(Hello{Version: TLS13, Suites: []uint16{0x1301}, Groups: []uint16{GroupX25519, GroupSecp384r1}, KeyShares: []uint16{GroupX25519}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sv := ext(extSupportedVersions, 3, 4)
	hrr := func(group uint16) []byte {
		return marshalServerHello(&ServerHello{LegacyVersion: TLS12, Random: helloRetryRandom, Suite: 0x1301,
			Extensions: []Extension{sv, ext(extKeyShare, byte(group>>8), byte(group))}})
	}
	for _, tt := range []struct {
		name string
		ch   *clientHello
		msg  []byte
		want string // "" for acceptance
	}{
		{"fine", ch12, serverHelloBytes(TLS12, 0x009C, ext(extALPN, 0, 3, 2, 'h', '2')), ""},
		{"version above the offer", ch12, serverHelloBytes(TLS12, 0x1301, sv, ext(extKeyShare, 0, 29, 0, 1, 1)), "server chose TLS 1.3, above the offered TLS 1.2"},
		{"suite not offered", ch12, serverHelloBytes(TLS12, 0x002F), "TLS_RSA_WITH_AES_128_CBC_SHA, which was not offered"},
		{"compression", ch12, marshalServerHello(&ServerHello{LegacyVersion: TLS12, Suite: 0x009C, Compression: 1}), "compression method 1"},
		{"ALPN not offered", ch12, serverHelloBytes(TLS12, 0x009C, ext(extALPN, 0, 3, 2, 'h', '3')), `application protocol "h3"`},
		{"HRR for a group offered without a share", ch13, hrr(GroupSecp384r1), ""},
		{"HRR for a group not offered", ch13, hrr(GroupSecp521r1), "selects group secp521r1, which was not offered"},
		{"HRR for a group with a share", ch13, hrr(GroupX25519), "for which a key share was sent"},
		{"key share without ours", ch13, serverHelloBytes(TLS12, 0x1301, sv, ext(extKeyShare, 0, 24, 0, 1, 1)), "group secp384r1, for which no key share was sent"},
		{"TLS 1.3 without key share", ch13, serverHelloBytes(TLS12, 0x1301, sv), "group 0x0000"},
	} {
		_, err := readFlight(bytes.NewReader(records(recordHandshake, TLS12, tt.msg)), tt.ch)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	// A TLS 1.3 key share we cannot combine ends the flight, not the answer.
	sh, err := readFlight(bytes.NewReader(records(recordHandshake, TLS12, serverHelloBytes(TLS12, 0x1301, sv, ext(extKeyShare, 0, 29, 0, 1, 1)))), ch13)
	if err != nil {
		t.Fatal(err)
	}
	if sh.FlightError == nil || sh.EncryptedExtensions {
		t.Errorf("bad x25519 share: FlightError %v, EncryptedExtensions %v", sh.FlightError, sh.EncryptedExtensions)
	}
}
