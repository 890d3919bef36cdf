package password

import (
	"strings"
	"testing"
)

func TestCommonListIsLargeSortedAndLowerCase(t *testing.T) {
	if n := CommonCount(); n < 10000 {
		t.Fatalf("%d common passwords, want at least 10,000", n)
	}
	lines := strings.Split(strings.TrimSuffix(common, "\n"), "\n")
	for i, l := range lines {
		if l != strings.ToLower(l) || len(l) < 8 || len(l) > 64 {
			t.Fatalf("entry %d %q: want lower case, 8 to 64 characters", i, l)
		}
		if i > 0 && lines[i-1] >= l {
			t.Fatalf("entries %q and %q are out of order or repeated", lines[i-1], l)
		}
	}
	// Every entry is found, and nothing between entries is.
	for i, l := range lines {
		if !IsCommon(l) || (i%97 == 0 && !IsCommon(strings.ToUpper(l))) {
			t.Fatalf("IsCommon(%q) = false", l)
		}
		if IsCommon(l + "\x00") {
			t.Fatalf("IsCommon(%q + NUL) = true", l)
		}
	}
}

func TestCommonPasswordsAreRefusedAndOthersAccepted(t *testing.T) {
	for _, pw := range []string{"password1234", "Password123!", "qwertyuiop", "1q2w3e4r5t6y", "iloveyou2025", "aaaaaaaaaaaa", "123456789012", "12341234"} {
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false, want true", pw)
		}
	}
	for _, pw := range []string{"", "correct horse battery staple", "violet kettle harbour", "zzzzzzzzzzzzzzzzzzzzzzzzzzzz", "0"} {
		if IsCommon(pw) {
			t.Errorf("IsCommon(%q) = true, want false", pw)
		}
	}
}

func BenchmarkIsCommon(b *testing.B) {
	for b.Loop() {
		IsCommon("correct horse battery staple")
	}
}
