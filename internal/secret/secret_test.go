package secret

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestSealedValueOpensOnlyWithTheSameKeyAndContext(t *testing.T) {
	k := Random()
	sealed := k.Seal([]byte("JBSWY3DPEHPK3PXP"), "t1/u1")
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("sealed value contains the plain text")
	}
	got, err := k.Open(sealed, "t1/u1")
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v; want the plain text", got, err)
	}
	if _, err := k.Open(sealed, "t1/u2"); err != ErrOpen {
		t.Errorf("Open with another row's context = %v, want ErrOpen", err)
	}
	if _, err := Random().Open(sealed, "t1/u1"); err != ErrOpen {
		t.Errorf("Open with another key = %v, want ErrOpen", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, "t1/u1"); err != ErrOpen {
		t.Errorf("Open of a tampered value = %v, want ErrOpen", err)
	}
	if _, err := k.Open([]byte("short"), "t1/u1"); err != ErrOpen {
		t.Errorf("Open of a short value = %v, want ErrOpen", err)
	}
}

func TestParseKeyAcceptsBase64AndHexOf32Bytes(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	b64 := NewKey()
	for _, s := range []string{b64, hex.EncodeToString(raw), " " + b64 + "\n"} {
		if _, err := ParseKey(s); err != nil {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "short", hex.EncodeToString(raw[:16]), "!!!!"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) succeeded, want an error", s)
		}
	}
	a, _ := ParseKey(hex.EncodeToString(raw))
	b, _ := FromBytes(raw)
	if !bytes.Equal(a.CheckValue(), b.CheckValue()) || bytes.Equal(a.CheckValue(), Random().CheckValue()) {
		t.Error("CheckValue does not identify the key")
	}
}
