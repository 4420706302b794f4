package cluster

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Every stored value is sealed, not only private keys: certmagic's keys
// end in ".key" today, but so would nothing else that is secret later
// (session ticket keys, the shared CA's key), and sealing everything also
// authenticates everything — a writer to Redis without the cluster key
// cannot swap a certificate, its metadata or an ACME account for its own.
// Certificates and metadata are public or near enough; sealing them costs
// a few hundred nanoseconds per value and 37 bytes.
//
// AES-256-GCM rather than age: the cluster shares one symmetric secret,
// not recipients' key pairs, and age's passphrase mode runs scrypt (by
// design slow) for every value. GCM's random 96-bit nonces are safe for
// 2³² values under one key, far beyond what certificate renewals write.
//
// A sealed value is
//
//	version (1 byte, 1) | key ID (8 bytes) | nonce (12 bytes) | ciphertext and tag
//
// The key ID, derived from the secret separately from the encryption key,
// tells "sealed under another cluster key" from "altered". The storage key
// and the header are the additional data, so a value moved to another key
// fails to open.

const (
	sealVersion  = 1
	keyIDLen     = 8
	sealOverhead = 1 + keyIDLen + 12 + 16
)

// sealer seals and opens values under keys derived from the cluster
// secret.
type sealer struct {
	aead  cipher.AEAD
	keyID [keyIDLen]byte
	// macKey keys the names of Redis keys and members that stand for
	// something secret (an aggregate's client-supplied fields, an alert's
	// identity): equal inputs get equal names, and Redis learns nothing
	// of the inputs.
	macKey []byte
}

// newSealer derives the encryption key and the key ID from secret with
// HKDF-SHA256.
func newSealer(secret []byte) *sealer {
	key, err := hkdf.Key(sha256.New, secret, nil, "portcullis cluster storage AES-256-GCM v1", 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	id, err := hkdf.Key(sha256.New, secret, nil, "portcullis cluster key ID v1", keyIDLen)
	if err != nil {
		panic(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	mac, err := hkdf.Key(sha256.New, secret, nil, "portcullis cluster names HMAC-SHA256 v1", 32)
	if err != nil {
		panic(err)
	}
	s := &sealer{aead: aead, macKey: mac}
	copy(s.keyID[:], id)
	return s
}

// name returns a keyed hash of what, 128 bits in unpadded base64url (22
// characters): a stable name that reveals nothing of what.
func (s *sealer) name(what string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(what))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// seal encrypts value for storage key.
func (s *sealer) seal(key string, value []byte) []byte {
	out := make([]byte, 1+keyIDLen+s.aead.NonceSize(), sealOverhead+len(value))
	out[0] = sealVersion
	copy(out[1:], s.keyID[:])
	nonce := out[1+keyIDLen:]
	rand.Read(nonce)
	return s.aead.Seal(out, nonce, value, s.ad(key, out[:1+keyIDLen]))
}

// open decrypts what seal returned for key.
func (s *sealer) open(key string, sealed []byte) ([]byte, error) {
	if len(sealed) < sealOverhead || sealed[0] != sealVersion {
		return nil, &OpenError{Key: key, Err: ErrNotSealed}
	}
	if !bytes.Equal(sealed[1:1+keyIDLen], s.keyID[:]) {
		return nil, &OpenError{Key: key, Err: ErrWrongKey}
	}
	head, nonce, ct := sealed[:1+keyIDLen], sealed[1+keyIDLen:1+keyIDLen+12], sealed[1+keyIDLen+12:]
	value, err := s.aead.Open(nil, nonce, ct, s.ad(key, head))
	if err != nil {
		return nil, &OpenError{Key: key, Err: ErrTampered}
	}
	return value, nil
}

// ad is the additional data that binds a sealed value to its storage key.
func (s *sealer) ad(key string, head []byte) []byte {
	ad := make([]byte, 0, len(head)+len(key))
	return append(append(ad, head...), key...)
}

// Errors an OpenError wraps.
var (
	// ErrWrongKey: the value was sealed under another cluster key.
	ErrWrongKey = errors.New("sealed under a different cluster key")
	// ErrTampered: the value was sealed under this cluster key but has
	// been altered, or moved from another storage key.
	ErrTampered = errors.New("altered, or moved from another key (authentication failed)")
	// ErrNotSealed: the value is not one this package sealed.
	ErrNotSealed = errors.New("not a sealed value")
)

// OpenError reports a stored value that Load could not open; Err is
// ErrWrongKey, ErrTampered or ErrNotSealed.
type OpenError struct {
	Key string // the storage key
	Err error  // why
}

// Error names the storage key and the reason.
func (e *OpenError) Error() string {
	return fmt.Sprintf("cluster: cannot open the value of %s: %v", e.Key, e.Err)
}

// Unwrap returns the reason: ErrWrongKey, ErrTampered or ErrNotSealed.
func (e *OpenError) Unwrap() error { return e.Err }

// NewKey returns a new random cluster secret (32 bytes, base64): what
// `openssl rand -base64 32` prints.
func NewKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
