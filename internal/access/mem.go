package access

import (
	"runtime"
	"unsafe"
)

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func wordsOf(b []byte, n int) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// mappings holds what an index mapped outside the heap, to be released
// when a compaction replaces it or when the index is dropped.
type mappings struct {
	chunks []func() // the arena's, by chunk (nil: on the heap)
	table  func()   // the user table's
	bytes  int64    // mapped now
}

func (m *mappings) free() {
	for _, f := range m.chunks {
		if f != nil {
			f()
		}
	}
	if m.table != nil {
		m.table()
	}
	*m = mappings{}
}

// mapped counts n words mapped (negative: unmapped) when release is not nil.
func (m *mappings) mapped(release func(), n int) {
	if release != nil {
		m.bytes += int64(n) * 4
	}
}

// newWords returns n zeroed words: mapped for huge pages where the system
// allows it, else from the heap; release (nil for the heap) unmaps them.
func newWords(n int) (words []uint32, release func()) {
	if w, release := mapWords(n); w != nil {
		return w, release
	}
	return make([]uint32, n), nil
}

// releaseWhenDropped unmaps an index's memory once nothing refers to it.
func releaseWhenDropped(ix *Index) {
	runtime.AddCleanup(ix, func(m *mappings) { m.free() }, ix.maps)
}
