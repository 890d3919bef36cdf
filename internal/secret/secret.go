// Package secret seals small secrets (TOTP keys) for storage with the
// server's secret key: AES-256-GCM, each value bound to the row it belongs
// to by additional data, so that a sealed value copied to another row does
// not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// KeySize is the length of a secret key in bytes.
const KeySize = 32

// Key seals and opens values. It is safe for concurrent use.
type Key struct {
	aead  cipher.AEAD
	check []byte
}

// ErrOpen means a sealed value does not open with this key and context:
// another key, another row, or tampering.
var ErrOpen = errors.New("secret: sealed value does not open")

// NewKey returns a new random key, encoded as ParseKey reads it.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.StdEncoding.EncodeToString(b)
}

// ParseKey reads a key of 32 bytes written in base64 (standard or URL
// alphabet, padded or not) or in hex.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		raw = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return nil, errors.New("secret: a key is 32 bytes in base64 or hex (generate one with: head -c 32 /dev/urandom | base64)")
	}
	return FromBytes(raw)
}

// FromBytes returns the key made of raw, which must be 32 bytes.
func FromBytes(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, errors.New("secret: a key is 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("roster secret key check"))
	return &Key{aead: aead, check: m.Sum(nil)[:16]}, nil
}

// Random returns a fresh random key, for tests and for a server that was
// given none.
func Random() *Key {
	k, err := ParseKey(NewKey())
	if err != nil {
		panic(err)
	}
	return k
}

// CheckValue identifies the key without revealing it, so that a server
// started with another key than the one its database was sealed with can
// refuse to start.
func (k *Key) CheckValue() []byte { return append([]byte(nil), k.check...) }

// Seal encrypts plain for the context ad (for example tenant and user ids).
func (k *Key) Seal(plain []byte, ad string) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, []byte(ad))
}

// Open decrypts a value sealed for the context ad; ErrOpen when it does not
// open.
func (k *Key) Open(sealed []byte, ad string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
