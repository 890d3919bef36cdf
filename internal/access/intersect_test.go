package access

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestGroupSearchAgreesWithAPlainScan covers both ways containsSorted
// answers (a read through short lists, a binary search of long ones) and
// the signature that rules groups out before it: a group the signature
// rules out is never one of the user's.
func TestGroupSearchAgreesWithAPlainScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		n := rng.IntN(80)
		set := map[uint32]bool{}
		for range n {
			set[uint32(rng.IntN(300))] = true
		}
		var g32 []uint32
		var g16 []uint16
		for g := range set {
			g32 = append(g32, g)
		}
		slices.Sort(g32)
		for _, g := range g32 {
			g16 = append(g16, uint16(g))
		}
		s32, s16 := signOf(g32), signOf(g16)
		for v := range uint32(310) {
			want := set[v]
			if got := containsSorted(g32, v); got != want {
				t.Fatalf("containsSorted(%v, %d) = %v", g32, v, got)
			}
			if got := containsSorted(g16, uint16(v)); got != want {
				t.Fatalf("containsSorted(%v, %d) = %v", g16, v, got)
			}
			if want && (!s32.has(int32(v)) || !s16.has(int32(v))) {
				t.Fatalf("the signature of %v rules out %d, one of them", g32, v)
			}
		}
	}
}
