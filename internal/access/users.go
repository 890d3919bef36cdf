package access

import (
	"math"
	"unsafe"
)

// A check starts by finding its user among up to millions, and that is
// where its time goes: every other structure it reads is small and stays
// in the processor's cache, the users do not. So a user is one entry of an
// open-addressed table, 64 bytes, one cache line: the key, the state and
// up to 20 groups inline. A check for a typical user therefore costs one
// memory access for the user, and no string compare.
//
// The key is the user's id as 128 bits: ids are UUIDs, and one in
// canonical form (36 characters, lower-case hex) is parsed; any other id
// (tests, imports with ids of their own) gets a synthetic key from a plain
// map, marked so that it never answers for a UUID. What does not fit the
// entry (more groups, group numbers past 65,534, the user's own grants, an
// expiry or a lock) is in an overflow record in the arena, read only for
// the users who have one.

// userEntry is one user; meta 0 marks an empty entry.
type userEntry struct {
	hi, lo uint64
	meta   uint32 // flag bits below | inline group count << 8
	over   uint32 // offset of the overflow record in the arena, 0 for none
	groups [inlineGroups]uint16
}

const inlineGroups = 20

// Flags of userEntry.meta.
const (
	flagType      = 3 // the UserType
	flagBarred    = 1 << 2
	flagLive      = 1 << 3
	flagSynthetic = 1 << 4 // the key stands for an id that is no UUID
	flagGroupsOut = 1 << 5 // the groups are in the overflow record
	flagUsed      = 1 << 7 // the entry holds a user
	metaFlags     = 0xff
)

// The overflow record: a header, the groups when flagGroupsOut (sorted),
// then the user's own grants, sorted by node then grant.
const (
	ovExpires = iota // two words: UserState.Expires
	_
	ovLocked // two words: UserState.LockedUntil
	_
	ovGroups // how many groups
	ovDirect // how many direct grants
	ovHead
)

// directWords is the size of a direct grant in a record: its node, its
// slot and its role with the read-only bit (roleRO).
const directWords = 3

// roleRO packs a grant's role and access into one word.
func roleRO(role int32, readOnly bool) uint32 {
	if readOnly {
		return uint32(role) | 1<<31
	}
	return uint32(role)
}

type userTable struct {
	entries []userEntry
	n       int
	synth   uint64 // the last synthetic key
}

func hashKey(hi, lo uint64) uint64 {
	h := hi*0x9e3779b97f4a7c15 ^ lo
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	return h
}

// find returns the entry of key (hi, lo), synthetic or not, or nil.
func (t *userTable) find(hi, lo uint64, synthetic uint32) *userEntry {
	if len(t.entries) == 0 {
		return nil
	}
	mask := uint64(len(t.entries) - 1)
	for i := hashKey(hi, lo) & mask; ; i = (i + 1) & mask {
		e := &t.entries[i]
		if e.meta == 0 {
			return nil
		}
		if e.lo == lo && e.hi == hi && e.meta&flagSynthetic == synthetic {
			return e
		}
	}
}

// insert adds an empty user of key (hi, lo), known to be absent.
func (ix *Index) insertUser(hi, lo uint64, synthetic uint32) *userEntry {
	t := &ix.userTab
	if (t.n+1)*4 > len(t.entries)*3 {
		old := t.entries
		size := 1024
		if len(old) > 0 {
			size = 2 * len(old)
		}
		entries, release := newEntries(size)
		t.entries = entries
		for i := range old {
			if old[i].meta != 0 {
				*t.slot(old[i].hi, old[i].lo) = old[i]
			}
		}
		if ix.maps.table != nil {
			ix.maps.table()
			ix.maps.mapped(ix.maps.table, -len(old)*int(unsafe.Sizeof(userEntry{}))/4)
		}
		ix.maps.table = release
		ix.maps.mapped(release, size*int(unsafe.Sizeof(userEntry{}))/4)
	}
	t.n++
	e := t.slot(hi, lo)
	*e = userEntry{hi: hi, lo: lo, meta: flagUsed | synthetic}
	return e
}

// slot returns the first empty entry on the probe sequence of a key.
func (t *userTable) slot(hi, lo uint64) *userEntry {
	mask := uint64(len(t.entries) - 1)
	i := hashKey(hi, lo) & mask
	for t.entries[i].meta != 0 {
		i = (i + 1) & mask
	}
	return &t.entries[i]
}

// newEntries returns n zeroed entries (see newWords).
func newEntries(n int) ([]userEntry, func()) {
	w, release := newWords(n * int(unsafe.Sizeof(userEntry{})) / 4)
	return unsafe.Slice((*userEntry)(unsafe.Pointer(unsafe.SliceData(w))), n), release
}

// hexVal maps a byte to its value as a lower-case hex digit, 0xff if none.
var hexVal = func() (t [256]uint8) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = uint8(c - 'a' + 10)
	}
	return t
}()

// uuidDigits are the positions of the 32 hex digits in a canonical UUID.
var uuidDigits = [32]uint8{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17,
	19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35}

// parseUUID parses a UUID in canonical lower-case form.
func parseUUID(s string) (hi, lo uint64, ok bool) {
	if len(s) != 36 {
		return 0, 0, false
	}
	b := (*[36]byte)(unsafe.Pointer(unsafe.StringData(s)))
	if b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return 0, 0, false
	}
	h0, v0 := hex4(b, 0)
	h1, v1 := hex4(b, 4)
	h2, v2 := hex4(b, 9)
	h3, v3 := hex4(b, 14)
	l0, w0 := hex4(b, 19)
	l1, w1 := hex4(b, 24)
	l2, w2 := hex4(b, 28)
	l3, w3 := hex4(b, 32)
	if (v0|v1|v2|v3|w0|w1|w2|w3)&0x80 != 0 {
		return 0, 0, false
	}
	return h0<<48 | h1<<32 | h2<<16 | h3, l0<<48 | l1<<32 | l2<<16 | l3, true
}

// hex4 reads the four hex digits at b[i:i+4]; bit 7 of bad is set if one
// is not a lower-case hex digit.
func hex4(b *[36]byte, i int) (v uint64, bad uint8) {
	d0, d1, d2, d3 := hexVal[b[i]], hexVal[b[i+1]], hexVal[b[i+2]], hexVal[b[i+3]]
	return uint64(d0&15)<<12 | uint64(d1&15)<<8 | uint64(d2&15)<<4 | uint64(d3&15), d0 | d1 | d2 | d3
}

// formatUUID is the canonical form of (hi, lo).
func formatUUID(hi, lo uint64) string {
	const digits = "0123456789abcdef"
	var b [36]byte
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	for k := 15; k >= 0; k-- {
		b[uuidDigits[k]] = digits[hi&15]
		hi >>= 4
	}
	for k := 31; k >= 16; k-- {
		b[uuidDigits[k]] = digits[lo&15]
		lo >>= 4
	}
	return string(b[:])
}

// userKey is how a grant names its user.
type userKey struct {
	hi, lo    uint64
	synthetic uint32
}

func (e *userEntry) key() userKey { return userKey{e.hi, e.lo, e.meta & flagSynthetic} }

// home is the entry where the probe for key (hi, lo) starts, or nil for an
// empty table.
func (t *userTable) home(hi, lo uint64) *userEntry {
	if len(t.entries) == 0 {
		return nil
	}
	return &t.entries[hashKey(hi, lo)&uint64(len(t.entries)-1)]
}

// findUser returns a user's entry, or nil.
func (ix *Index) findUser(id string) *userEntry {
	if hi, lo, ok := parseUUID(id); ok {
		return ix.userTab.find(hi, lo, 0)
	}
	if k, ok := ix.userIdx[id]; ok {
		return ix.userTab.find(k.hi, k.lo, flagSynthetic)
	}
	return nil
}

// entry returns the entry of a user a grant names.
func (ix *Index) entry(k userKey) *userEntry { return ix.userTab.find(k.hi, k.lo, k.synthetic) }

// userID is the id of the user of entry e.
func (ix *Index) userID(e *userEntry) string {
	if e.meta&flagSynthetic != 0 {
		return ix.userStr[e.key()]
	}
	return formatUUID(e.hi, e.lo)
}

// userView is what a user's entry and overflow record say, for reading.
type userView struct {
	meta   uint32
	state  UserState
	g16    []uint16 // the groups, when inline
	g32    []uint32 // the groups, when in the overflow record
	direct []uint32 // the user's own grants
}

func (ix *Index) view(e *userEntry) userView {
	v := userView{meta: e.meta}
	v.state.Type = UserType(e.meta & flagType)
	v.state.Barred = e.meta&flagBarred != 0
	if e.meta&flagGroupsOut == 0 {
		v.g16 = e.groups[:e.meta>>8]
	}
	if e.over != 0 {
		ov := ix.record(e.over)
		v.state.Expires = int64(uint64(ov[ovExpires]) | uint64(ov[ovExpires+1])<<32)
		v.state.LockedUntil = int64(uint64(ov[ovLocked]) | uint64(ov[ovLocked+1])<<32)
		ng := ovHead + int(ov[ovGroups])
		v.g32 = ov[ovHead:ng]
		v.direct = ov[ng:]
	}
	return v
}

// groups copies a user's groups to buf.
func (v *userView) groups(buf []uint32) []uint32 {
	for _, g := range v.g16 {
		buf = append(buf, uint32(g))
	}
	return append(buf, v.g32...)
}

// hasGroup reports whether the user is in group g.
func (v *userView) hasGroup(g int32) bool {
	if v.g16 != nil {
		return g < math.MaxUint16 && containsSorted(v.g16, uint16(g))
	}
	return containsSorted(v.g32, uint32(g))
}

// The arena holds the overflow records in chunks that never move: growing
// it copies nothing, and an offset is the chunk's number and the position
// in it.
const (
	chunkBits  = 20 // 4 MiB chunks; a larger record gets a chunk of its own
	chunkWords = 1 << chunkBits
)

// record returns the overflow record at off.
func (ix *Index) record(off uint32) []uint32 { return recordIn(ix.chunks, off) }

func recordIn(chunks [][]uint32, off uint32) []uint32 {
	c := chunks[off>>chunkBits]
	pos := int(off & (chunkWords - 1))
	n := ovHead + int(c[pos+ovGroups]) + directWords*int(c[pos+ovDirect])
	return c[pos : pos+n]
}

// alloc reserves n words of the arena and returns their offset.
func (ix *Index) alloc(n int) uint32 {
	ix.used += n
	if n > chunkWords {
		ix.chunks = append(ix.chunks, ix.newChunk(n))
		ix.fill = chunkWords // the next record starts a new chunk
		return uint32(len(ix.chunks)-1) << chunkBits
	}
	if len(ix.chunks) == 0 || ix.fill+n > chunkWords {
		ix.chunks = append(ix.chunks, ix.newChunk(chunkWords))
		ix.fill = 0
		if len(ix.chunks) == 1 {
			ix.fill = 1 // offset 0 means no record
		}
	}
	off := uint32(len(ix.chunks)-1)<<chunkBits | uint32(ix.fill)
	ix.fill += n
	return off
}

func (ix *Index) newChunk(n int) []uint32 {
	w, release := newWords(n)
	ix.maps.chunks = append(ix.maps.chunks, release) // nil for the heap
	ix.maps.mapped(release, n)
	return w
}

// writeRecord puts rec (built aside) in place of the record at old (0 for
// none) if it fits there, else in a new place, and returns where it is.
func (ix *Index) writeRecord(old uint32, rec []uint32) uint32 {
	off := old
	if old == 0 {
		off = ix.alloc(len(rec))
	} else if size := len(ix.record(old)); len(rec) <= size {
		ix.garbage += size - len(rec)
	} else {
		ix.garbage += size
		off = ix.alloc(len(rec))
	}
	copy(ix.chunks[off>>chunkBits][off&(chunkWords-1):], rec)
	return off
}

// compact rewrites the arena without its garbage once that is a quarter
// of it.
func (ix *Index) compact() {
	if ix.garbage < 1<<16 || ix.garbage*4 < ix.used {
		return
	}
	old, oldMaps := ix.chunks, ix.maps.chunks
	ix.chunks, ix.maps.chunks, ix.fill, ix.used, ix.garbage = nil, nil, 0, 0, 0
	for i := range ix.userTab.entries {
		if e := &ix.userTab.entries[i]; e.over != 0 {
			rec := recordIn(old, e.over)
			e.over = ix.alloc(len(rec))
			copy(ix.chunks[e.over>>chunkBits][e.over&(chunkWords-1):], rec)
		}
	}
	for i, release := range oldMaps {
		if release != nil {
			release()
			ix.maps.mapped(release, -len(old[i]))
		}
	}
}

// writeUser replaces what the index holds of user e; groups (sorted) and
// direct may lie in the old overflow record or in scratch: the new one is
// built aside first.
func (ix *Index) writeUser(e *userEntry, live bool, st UserState, groups, direct []uint32) {
	meta := flagUsed | e.meta&flagSynthetic | uint32(st.Type)&flagType
	if st.Barred {
		meta |= flagBarred
	}
	if live {
		meta |= flagLive
	}
	inline := len(groups) <= inlineGroups && (len(groups) == 0 || groups[len(groups)-1] < math.MaxUint16)
	if inline {
		meta |= uint32(len(groups)) << 8
	} else {
		meta |= flagGroupsOut
	}
	var ov []uint32
	if !inline || len(direct) > 0 || st.Expires != 0 || st.LockedUntil != 0 {
		var head [ovHead]uint32
		head[ovExpires], head[ovExpires+1] = uint32(uint64(st.Expires)), uint32(uint64(st.Expires)>>32)
		head[ovLocked], head[ovLocked+1] = uint32(uint64(st.LockedUntil)), uint32(uint64(st.LockedUntil)>>32)
		head[ovDirect] = uint32(len(direct) / directWords)
		ov = append(ix.recBuf[:0], head[:]...)
		if !inline {
			ov[ovGroups] = uint32(len(groups))
			ov = append(ov, groups...)
		}
		ov = append(ov, direct...)
		ix.recBuf = ov
	}
	if inline {
		var gs [inlineGroups]uint16
		for i, g := range groups {
			gs[i] = uint16(g)
		}
		e.groups = gs
	}
	switch {
	case ov != nil:
		e.over = ix.writeRecord(e.over, ov)
	case e.over != 0:
		ix.garbage += len(ix.record(e.over))
		e.over = 0
	}
	e.meta = meta
}
