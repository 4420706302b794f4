package tlsprobe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
)

// handshakeDecrypter returns a function that decrypts the server's TLS 1.3
// handshake records (RFC 8446 5.2, 7.1, 7.3), or nil when the prober cannot
// (a suite other than AES-GCM, or no key share of ours for the group).
func handshakeDecrypter(suite uint16, ks *keyShare, serverShare, clientHello, serverHello []byte) (func(hdr, body []byte) (uint8, []byte, error), error) {
	var newHash func() hash.Hash
	var keyLen int
	switch suite {
	case 0x1301:
		newHash, keyLen = sha256.New, 16
	case 0x1302:
		newHash, keyLen = sha512.New384, 32
	default:
		return nil, nil
	}
	if ks == nil {
		return nil, nil
	}
	shared, err := ks.sharedSecret(serverShare)
	if err != nil {
		return nil, err
	}
	th := newHash()
	th.Write(clientHello)
	th.Write(serverHello)
	transcript := th.Sum(nil)

	early, err := hkdf.Extract(newHash, make([]byte, newHash().Size()), nil)
	if err != nil {
		return nil, err
	}
	empty := newHash().Sum(nil)
	derived, err := expandLabel(newHash, early, "derived", empty, newHash().Size())
	if err != nil {
		return nil, err
	}
	hs, err := hkdf.Extract(newHash, shared, derived)
	if err != nil {
		return nil, err
	}
	secret, err := expandLabel(newHash, hs, "s hs traffic", transcript, newHash().Size())
	if err != nil {
		return nil, err
	}
	key, err := expandLabel(newHash, secret, "key", nil, keyLen)
	if err != nil {
		return nil, err
	}
	iv, err := expandLabel(newHash, secret, "iv", nil, 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	var seq uint64
	return func(hdr, body []byte) (uint8, []byte, error) {
		nonce := make([]byte, 12)
		copy(nonce, iv)
		for i := range 8 {
			nonce[4+i] ^= byte(seq >> (56 - 8*i))
		}
		seq++
		plain, err := aead.Open(nil, nonce, body, hdr)
		if err != nil {
			return 0, nil, fmt.Errorf("cannot decrypt the server's handshake record: %w", err)
		}
		// Strip the padding; the last non-zero byte is the real content type.
		for len(plain) > 0 && plain[len(plain)-1] == 0 {
			plain = plain[:len(plain)-1]
		}
		if len(plain) == 0 {
			return 0, nil, errors.New("decrypted record has no content type")
		}
		return plain[len(plain)-1], plain[:len(plain)-1], nil
	}, nil
}

// expandLabel is HKDF-Expand-Label (RFC 8446 7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	var b builder
	b.u16(uint16(length))
	b.vec(1, func(b *builder) { b.bytes([]byte("tls13 " + label)) })
	b.vec(1, func(b *builder) { b.bytes(context) })
	return hkdf.Expand(h, secret, string(b.b), length)
}
