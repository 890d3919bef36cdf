package access

import "unsafe"

// prefetch asks the processor to bring the cache line at p in, without
// waiting for it: the check goes on with work that does not need the user
// (the permission, the resource) while the line is on its way.
//
//go:noescape
func prefetch(p unsafe.Pointer)
