package access

import "syscall"

// The arena's chunks and the user table are large and read at random: on
// Linux they are mapped apart from the Go heap and marked for huge pages,
// so that a check's few reads do not each miss the TLB as well as the
// cache. The memory is pointer-free, so the collector need not see it;
// it is returned when the index is dropped (see newWords).

const hugePage = 2 << 20

// mapWords maps n zeroed words, aligned to a huge page. It returns nil if
// the system refuses, and the caller falls back to the heap.
func mapWords(n int) (words []uint32, release func()) {
	size := n * 4
	if size < hugePage {
		return nil, nil
	}
	size = (size + hugePage - 1) &^ (hugePage - 1)
	mem, err := syscall.Mmap(-1, 0, size+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, nil
	}
	start := 0
	if a := addrOf(mem) % hugePage; a != 0 {
		start = int(hugePage - a)
	}
	aligned := mem[start : start+size]
	_ = syscall.Madvise(aligned, 14) // MADV_HUGEPAGE
	return wordsOf(aligned, n), func() { _ = syscall.Munmap(mem) }
}
