package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashVerifies(t *testing.T) {
	h := NewHasher(cheap)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with our parameters", enc)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horse ", false}, {"", false}, {"Correct horse", false}} {
		ok, _, err := h.Verify(ctx, tc.pw, enc)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
}

func TestSaltsDiffer(t *testing.T) {
	h := NewHasher(cheap)
	a, _ := h.Hash(context.Background(), "same")
	b, _ := h.Hash(context.Background(), "same")
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestEmptyHashNeverMatches(t *testing.T) {
	h := NewHasher(cheap)
	for _, pw := range []string{"", "roster-dummy", "anything"} {
		if ok, _, err := h.Verify(context.Background(), pw, ""); ok || err != nil {
			t.Errorf("Verify(%q, no hash) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

func TestRehashWhenParametersChange(t *testing.T) {
	old := NewHasher(cheap)
	enc, _ := old.Hash(context.Background(), "pw")
	stronger := cheap
	stronger.Time = 2
	ok, rehash, err := NewHasher(stronger).Verify(context.Background(), "pw", enc)
	if !ok || !rehash || err != nil {
		t.Errorf("Verify with new parameters = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestMalformedHashIsAnError(t *testing.T) {
	h := NewHasher(cheap)
	for _, enc := range []string{"plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if ok, _, err := h.Verify(context.Background(), "pw", enc); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", enc, ok, err)
		}
	}
}

// TestBusyBeyondTheQueue: with every slot and queue place taken, a hash
// fails at once with ErrBusy instead of waiting or allocating.
func TestBusyBeyondTheQueue(t *testing.T) {
	h := NewHasher(cheap)
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for range cap(h.queue) {
		wg.Add(1)
		go func() { defer wg.Done(); h.Hash(ctx, "x") }()
	}
	for len(h.queue) < cap(h.queue) {
	}
	if _, err := h.Hash(context.Background(), "x"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with a full queue = %v; want ErrBusy", err)
	}
	cancel()
	wg.Wait()
}

// FuzzDecode: no input makes the PHC parser panic.
func FuzzDecode(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) { decode(s) })
}

// BenchmarkHashOWASP is the cost of one argon2id hash at the OWASP
// parameters, the bound of password sign-ins per core (SPEC §4).
func BenchmarkHashOWASP(b *testing.B) {
	h := NewHasher(OWASP)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(ctx, "benchmark password"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
