package tlsprobe

import (
	"fmt"
	"strings"
)

// Class is a bit set of properties of a cipher suite that a review cares about.
type Class uint32

// The suite classes. A suite usually has several (for example
// TLS_RSA_WITH_3DES_EDE_CBC_SHA is StaticRSA|TripleDES|Block64|CBC|SHA1).
const (
	ClassNull           Class = 1 << iota // no encryption at all
	ClassAnonymous                        // no server authentication (DH_anon, ECDH_anon)
	ClassExport                           // export grade: 40- or 56-bit keys, 512-bit key exchange
	ClassRC4                              // the RC4 stream cipher (RFC 7465 forbids it)
	ClassDES                              // single DES (56-bit key)
	ClassTripleDES                        // 3DES-EDE (112-bit strength)
	ClassBlock64                          // a 64-bit block cipher (DES, 3DES, IDEA, RC2): Sweet32
	ClassCBC                              // a CBC-mode cipher with MAC-then-encrypt (Lucky13, POODLE family)
	ClassAEAD                             // an AEAD cipher (GCM, CCM, ChaCha20-Poly1305)
	ClassMD5                              // HMAC-MD5 record MAC
	ClassSHA1                             // HMAC-SHA1 record MAC
	ClassStaticRSA                        // RSA key transport: no forward secrecy
	ClassStaticDH                         // static (EC)DH with the certificate's key: no forward secrecy
	ClassForwardSecrecy                   // ephemeral key exchange (DHE, ECDHE, TLS 1.3)
	ClassPSK                              // a pre-shared key suite
	ClassTLS13                            // a TLS 1.3 suite (negotiated only by TLS 1.3)
)

var classNames = []string{
	"NULL", "Anonymous", "Export", "RC4", "DES", "3DES", "Block64", "CBC", "AEAD",
	"MD5", "SHA1", "StaticRSA", "StaticDH", "ForwardSecrecy", "PSK", "TLS13",
}

// Has reports whether c includes every class in x.
func (c Class) Has(x Class) bool { return c&x == x }

// String lists the classes joined by "|", for example "StaticRSA|RC4|SHA1".
func (c Class) String() string {
	var parts []string
	for i, name := range classNames {
		if c&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if rest := c &^ (1<<len(classNames) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// Suite describes a cipher suite. All fields but ID and Name are derived from
// the IANA name.
type Suite struct {
	ID      uint16
	Name    string // IANA name (0x0060–0x0066 carry the names of the expired draft OpenSSL shipped)
	Classes Class
	// Kx is the key exchange: "RSA", "DHE", "ECDHE", "DH", "ECDH" (static),
	// "PSK", "DHE_PSK", "RSA_PSK", "ECDHE_PSK", or "" for TLS 1.3 suites, which
	// do not fix it. Anonymous suites are "DHE" or "ECDHE" with Auth "anon".
	Kx string
	// Auth is how the server authenticates: "RSA", "DSS", "ECDSA", "anon",
	// "PSK", or "" for TLS 1.3 suites.
	Auth string
	// Bits is the effective strength of the symmetric cipher: 0 for NULL, 40
	// or 56 for export, 56 for DES, 112 for 3DES, else the key size.
	Bits int
	// MinVersion and MaxVersion bound the versions that can negotiate the suite:
	// SHA-256/384 MACs and AEAD ciphers need TLS 1.2; TLS 1.3 suites need 1.3.
	MinVersion, MaxVersion Version
}

// suiteNames is the table, in the order the prober offers suites: TLS 1.3,
// then strongest first, so that a server that honours the client's order
// picks what a modern client would get.
var suiteNames = []struct {
	id   uint16
	name string
}{
	// TLS 1.3
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	// ECDHE AEAD
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	// DHE AEAD
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	// ECDHE CBC
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	// DHE CBC
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
	{0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	// RSA key transport
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	// static (EC)DH
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	// 3DES
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	// RC4
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA"},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	// single DES
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA"},
	{0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	// export
	{0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
	{0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
	{0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"},
	{0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA"},
	{0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"},
	{0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	// anonymous
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
	{0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	// PSK (rarely enabled; offered so that a server that has them shows them)
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA"},
	// NULL encryption
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x002C, "TLS_PSK_WITH_NULL_SHA"},
}

var (
	suiteTable []Suite          // in offer order
	suiteIndex map[uint16]Suite // by ID
)

func init() {
	suiteIndex = make(map[uint16]Suite, len(suiteNames))
	for _, e := range suiteNames {
		s := describeSuite(e.id, e.name)
		suiteTable = append(suiteTable, s)
		suiteIndex[e.id] = s
	}
}

// SuiteByID returns the table entry for id. The table holds the 5 TLS 1.3
// suites and the TLS 1.2-and-below suites seen in the wild (about 180,
// legacy included; Kerberos, SRP, GOST and most PSK suites are left out).
func SuiteByID(id uint16) (Suite, bool) {
	s, ok := suiteIndex[id]
	return s, ok
}

// SuiteName returns the IANA name of id, or "0x%04X" when the table lacks it.
func SuiteName(id uint16) string {
	if s, ok := suiteIndex[id]; ok {
		return s.Name
	}
	return fmt.Sprintf("0x%04X", id)
}

// SuitesFor returns the table's suites that version v can negotiate, in the
// order the prober offers them.
func SuitesFor(v Version) []Suite {
	var out []Suite
	for _, s := range suiteTable {
		if v >= s.MinVersion && v <= s.MaxVersion {
			out = append(out, s)
		}
	}
	return out
}

func suiteIDs(suites []Suite) []uint16 {
	ids := make([]uint16, len(suites))
	for i, s := range suites {
		ids[i] = s.ID
	}
	return ids
}

// describeSuite derives a Suite from its IANA name, which encodes key exchange,
// authentication, cipher and MAC: TLS_<kx>_WITH_<cipher>_<mac>, or
// TLS_<aead>_<hash> for TLS 1.3.
func describeSuite(id uint16, name string) Suite {
	s := Suite{ID: id, Name: name, MinVersion: SSL30, MaxVersion: TLS12}
	rest := strings.TrimPrefix(name, "TLS_")
	kx, cipher, found := strings.Cut(rest, "_WITH_")
	if !found {
		s.Classes = ClassTLS13 | ClassForwardSecrecy | ClassAEAD
		s.MinVersion, s.MaxVersion = TLS13, TLS13
		s.Bits = cipherBits(rest)
		return s
	}
	if k, ok := strings.CutSuffix(kx, "_EXPORT1024"); ok {
		kx, s.Classes = k, s.Classes|ClassExport
	} else if k, ok := strings.CutSuffix(kx, "_EXPORT"); ok {
		kx, s.Classes = k, s.Classes|ClassExport
	}
	switch kx {
	case "RSA":
		s.Kx, s.Auth, s.Classes = "RSA", "RSA", s.Classes|ClassStaticRSA
	case "DH_RSA", "DH_DSS":
		s.Kx, s.Auth, s.Classes = "DH", strings.TrimPrefix(kx, "DH_"), s.Classes|ClassStaticDH
	case "ECDH_RSA", "ECDH_ECDSA":
		s.Kx, s.Auth, s.Classes = "ECDH", strings.TrimPrefix(kx, "ECDH_"), s.Classes|ClassStaticDH
	case "DHE_RSA", "DHE_DSS":
		s.Kx, s.Auth, s.Classes = "DHE", strings.TrimPrefix(kx, "DHE_"), s.Classes|ClassForwardSecrecy
	case "ECDHE_RSA", "ECDHE_ECDSA":
		s.Kx, s.Auth, s.Classes = "ECDHE", strings.TrimPrefix(kx, "ECDHE_"), s.Classes|ClassForwardSecrecy
	case "DH_anon":
		s.Kx, s.Auth, s.Classes = "DHE", "anon", s.Classes|ClassAnonymous|ClassForwardSecrecy
	case "ECDH_anon":
		s.Kx, s.Auth, s.Classes = "ECDHE", "anon", s.Classes|ClassAnonymous|ClassForwardSecrecy
	case "PSK":
		s.Kx, s.Auth, s.Classes = "PSK", "PSK", s.Classes|ClassPSK
	case "DHE_PSK", "ECDHE_PSK":
		s.Kx, s.Auth, s.Classes = kx, "PSK", s.Classes|ClassPSK|ClassForwardSecrecy
	case "RSA_PSK":
		s.Kx, s.Auth, s.Classes = kx, "PSK", s.Classes|ClassPSK|ClassStaticRSA
	}
	switch {
	case strings.HasSuffix(cipher, "_MD5"):
		s.Classes |= ClassMD5
	case strings.HasSuffix(cipher, "_SHA"):
		s.Classes |= ClassSHA1
	case strings.HasSuffix(cipher, "_SHA256"), strings.HasSuffix(cipher, "_SHA384"):
		s.MinVersion = TLS12
	}
	switch {
	case strings.HasPrefix(cipher, "NULL"):
		s.Classes |= ClassNull
	case strings.HasPrefix(cipher, "RC4"):
		s.Classes |= ClassRC4
	case strings.HasPrefix(cipher, "3DES"):
		s.Classes |= ClassTripleDES | ClassBlock64 | ClassCBC
	case strings.HasPrefix(cipher, "DES"):
		s.Classes |= ClassDES | ClassBlock64 | ClassCBC
	case strings.HasPrefix(cipher, "IDEA"), strings.HasPrefix(cipher, "RC2"):
		s.Classes |= ClassBlock64 | ClassCBC
	case strings.Contains(cipher, "_GCM"), strings.Contains(cipher, "_CCM"), strings.Contains(cipher, "POLY1305"):
		s.Classes |= ClassAEAD
		s.MinVersion = TLS12
	case strings.Contains(cipher, "_CBC"):
		s.Classes |= ClassCBC
	}
	s.Bits = cipherBits(cipher)
	if s.Classes.Has(ClassExport) && s.Bits > 56 {
		s.Bits = 56 // EXPORT1024 DES_CBC is 56-bit
	}
	return s
}

// cipherBits returns the effective symmetric strength named in a suite's
// cipher part.
func cipherBits(cipher string) int {
	switch {
	case strings.HasPrefix(cipher, "NULL"):
		return 0
	case strings.Contains(cipher, "40"):
		return 40
	case strings.Contains(cipher, "_56"):
		return 56
	case strings.HasPrefix(cipher, "3DES"):
		return 112
	case strings.HasPrefix(cipher, "DES"):
		return 56
	case strings.Contains(cipher, "_256"), strings.HasPrefix(cipher, "CHACHA20"):
		return 256
	}
	return 128 // AES_128, CAMELLIA_128, ARIA_128, RC4_128, SEED, IDEA
}
