// Package password hashes and verifies passwords with argon2id and bounds
// how many hashes run at once, so that a flood of sign-ins cannot exhaust
// memory (each hash takes Memory KiB).
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen int
}

// OWASP is the OWASP-recommended argon2id configuration (19 MiB, t=2, p=1).
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// ErrBusy means every hashing slot is taken and the queue is full.
var ErrBusy = errors.New("password: too many hashes in progress")

// Hasher hashes and verifies passwords, at most Slots at once.
type Hasher struct {
	params   Params
	slots    chan struct{}
	queue    chan struct{}
	dummy    string
	verifies atomic.Int64
}

// Verifications reports how many verifications (real or against the dummy
// hash) have run: every failed sign-in runs exactly one, so that the
// reasons cannot be told apart by time.
func (h *Hasher) Verifications() int64 { return h.verifies.Load() }

// NewHasher returns a Hasher that runs at most GOMAXPROCS hashes at once and
// lets up to 4×GOMAXPROCS more wait; beyond that Hash and Verify fail fast
// with ErrBusy.
func NewHasher(p Params) *Hasher {
	n := runtime.GOMAXPROCS(0)
	h := &Hasher{params: p, slots: make(chan struct{}, n), queue: make(chan struct{}, 4*n)}
	// The dummy costs as much to verify as a real hash with these
	// parameters; its key is random, so no password matches it, and
	// nothing is hashed at start-up.
	h.dummy = h.encode(random(p.SaltLen), random(int(p.KeyLen)))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.queue <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-h.queue }()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of pw with a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return h.encode(salt, key), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches the PHC string encoded, comparing in
// constant time. An empty encoded (a user without a password) is checked
// against a dummy hash so that the time taken does not tell. rehash is true
// when the hash uses other parameters than the Hasher's.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	real := encoded != ""
	if !real {
		encoded = h.dummy
	}
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	h.verifies.Add(1)
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	match := subtle.ConstantTimeCompare(got, key) == 1 && real
	return match, match && (p.Memory != h.params.Memory || p.Time != h.params.Time || p.Threads != h.params.Threads), nil
}

func decode(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("password: bad parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("password: bad salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, errors.New("password: bad key")
	}
	return p, salt, key, nil
}

// random returns n bytes from crypto/rand.
func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}
