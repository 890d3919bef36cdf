//go:build !amd64

package access

import "unsafe"

// prefetch does nothing where there is no prefetch instruction wired up;
// the check reads the entry when it needs it.
func prefetch(unsafe.Pointer) {}
