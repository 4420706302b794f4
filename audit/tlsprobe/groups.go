package tlsprobe

import (
	"crypto"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"fmt"
)

// Named groups (RFC 8446 4.2.7 and the IANA TLS Supported Groups registry).
const (
	GroupSecp224r1          uint16 = 21
	GroupSecp256k1          uint16 = 22
	GroupSecp256r1          uint16 = 23
	GroupSecp384r1          uint16 = 24
	GroupSecp521r1          uint16 = 25
	GroupBrainpoolP256r1    uint16 = 26
	GroupBrainpoolP384r1    uint16 = 27
	GroupBrainpoolP512r1    uint16 = 28
	GroupX25519             uint16 = 29
	GroupX448               uint16 = 30
	GroupFFDHE2048          uint16 = 256
	GroupFFDHE3072          uint16 = 257
	GroupFFDHE4096          uint16 = 258
	GroupFFDHE6144          uint16 = 259
	GroupFFDHE8192          uint16 = 260
	GroupSecP256r1MLKEM768  uint16 = 4587
	GroupX25519MLKEM768     uint16 = 4588
	GroupSecP384r1MLKEM1024 uint16 = 4589
)

var groupNames = map[uint16]string{
	GroupSecp224r1:          "secp224r1",
	GroupSecp256k1:          "secp256k1",
	GroupSecp256r1:          "secp256r1",
	GroupSecp384r1:          "secp384r1",
	GroupSecp521r1:          "secp521r1",
	GroupBrainpoolP256r1:    "brainpoolP256r1",
	GroupBrainpoolP384r1:    "brainpoolP384r1",
	GroupBrainpoolP512r1:    "brainpoolP512r1",
	GroupX25519:             "x25519",
	GroupX448:               "x448",
	GroupFFDHE2048:          "ffdhe2048",
	GroupFFDHE3072:          "ffdhe3072",
	GroupFFDHE4096:          "ffdhe4096",
	GroupFFDHE6144:          "ffdhe6144",
	GroupFFDHE8192:          "ffdhe8192",
	GroupSecP256r1MLKEM768:  "SecP256r1MLKEM768",
	GroupX25519MLKEM768:     "X25519MLKEM768",
	GroupSecP384r1MLKEM1024: "SecP384r1MLKEM1024",
}

// GroupName returns the IANA name of a named group, or "0x%04X".
func GroupName(id uint16) string {
	if n, ok := groupNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

// groups13 are the groups Probe tests for TLS 1.3, in report order.
var groups13 = []uint16{
	GroupX25519MLKEM768, GroupSecP256r1MLKEM768, GroupSecP384r1MLKEM1024,
	GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448,
	GroupFFDHE2048, GroupFFDHE3072, GroupFFDHE4096, GroupFFDHE6144, GroupFFDHE8192,
}

// groups12 are the curves Probe tests for ECDHE in TLS 1.2 and below.
var groups12 = []uint16{
	GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448,
	GroupBrainpoolP256r1, GroupBrainpoolP384r1, GroupBrainpoolP512r1,
	GroupSecp256k1, GroupSecp224r1,
}

// defaultGroups is the supported_groups list of a probe that does not test
// groups: everything the prober knows, so that no server refuses for lack of
// a common group.
func defaultGroups(v Version) []uint16 {
	if v == TLS13 {
		return groups13
	}
	return groups12
}

// keyShare is the client half of a TLS 1.3 key exchange.
type keyShare struct {
	group  uint16
	public []byte
	ecdh   *ecdh.PrivateKey
	kem    crypto.Decapsulator // hybrid groups only
}

// newKeyShare generates a fresh key share for group, or reports that the
// prober cannot make one (x448, brainpool, finite-field groups); the caller
// then offers the group without a share and counts a HelloRetryRequest
// selecting it as acceptance.
func newKeyShare(group uint16) (*keyShare, error) {
	var curve ecdh.Curve
	switch group {
	case GroupX25519, GroupX25519MLKEM768:
		curve = ecdh.X25519()
	case GroupSecp256r1, GroupSecP256r1MLKEM768:
		curve = ecdh.P256()
	case GroupSecp384r1, GroupSecP384r1MLKEM1024:
		curve = ecdh.P384()
	case GroupSecp521r1:
		curve = ecdh.P521()
	default:
		return nil, fmt.Errorf("tlsprobe: no key share generator for group %s", GroupName(group))
	}
	priv, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ks := &keyShare{group: group, ecdh: priv, public: priv.PublicKey().Bytes()}
	switch group {
	case GroupX25519MLKEM768: // ML-KEM first (draft-ietf-tls-ecdhe-mlkem 4.1)
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, err
		}
		ks.kem = dk
		ks.public = append(dk.EncapsulationKey().Bytes(), ks.public...)
	case GroupSecP256r1MLKEM768:
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, err
		}
		ks.kem = dk
		ks.public = append(ks.public, dk.EncapsulationKey().Bytes()...)
	case GroupSecP384r1MLKEM1024:
		dk, err := mlkem.GenerateKey1024()
		if err != nil {
			return nil, err
		}
		ks.kem = dk
		ks.public = append(ks.public, dk.EncapsulationKey().Bytes()...)
	}
	return ks, nil
}

// sharedSecret combines the server's key_share with ks.
func (ks *keyShare) sharedSecret(server []byte) ([]byte, error) {
	if ks.kem == nil {
		peer, err := ks.ecdh.Curve().NewPublicKey(server)
		if err != nil {
			return nil, fmt.Errorf("server key share: %w", err)
		}
		return ks.ecdh.ECDH(peer)
	}
	ctSize := mlkem.CiphertextSize768
	if ks.group == GroupSecP384r1MLKEM1024 {
		ctSize = mlkem.CiphertextSize1024
	}
	ecSize := len(ks.ecdh.PublicKey().Bytes())
	if len(server) != ctSize+ecSize {
		return nil, fmt.Errorf("server key share for %s is %d bytes, want %d", GroupName(ks.group), len(server), ctSize+ecSize)
	}
	mlkemFirst := ks.group == GroupX25519MLKEM768
	ct, ec := server[ecSize:], server[:ecSize]
	if mlkemFirst {
		ct, ec = server[:ctSize], server[ctSize:]
	}
	kemSecret, err := ks.kem.Decapsulate(ct)
	if err != nil {
		return nil, fmt.Errorf("server key share: %w", err)
	}
	peer, err := ks.ecdh.Curve().NewPublicKey(ec)
	if err != nil {
		return nil, fmt.Errorf("server key share: %w", err)
	}
	ecSecret, err := ks.ecdh.ECDH(peer)
	if err != nil {
		return nil, err
	}
	if mlkemFirst {
		return append(kemSecret, ecSecret...), nil
	}
	return append(ecSecret, kemSecret...), nil
}
