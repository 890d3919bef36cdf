//go:build !linux

package access

// mapWords is the Linux huge-page mapping; elsewhere the heap serves.
func mapWords(n int) (words []uint32, release func()) { return nil, nil }
