// Command commongen writes the list of common passwords that Roster's
// password policy refuses (internal/password/common.txt). It derives the
// list from a word list (by default Debian's wamerican-small, the most
// common words of SCOWL) and from the patterns people use most when they
// choose a password: well-known roots, names and words with digits, years
// and punctuation appended, digit runs, keyboard walks and repetitions.
// Only entries of 8 to 64 characters are kept, since no tenant allows a
// shorter password.
//
//	go run ./internal/password/commongen -dict /usr/share/dict/american-english-small > internal/password/common.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// roots are the stems that top every published study of chosen passwords.
var roots = strings.Fields(`password passw0rd p@ssword p@ssw0rd pass passwd secret letmein welcome
	admin administrator root qwerty qwertz azerty asdf asdfgh zxcvbn iloveyou iloveu love lovely
	monkey dragon master shadow sunshine princess football baseball soccer hockey basketball
	superman batman spiderman starwars pokemon minecraft naruto trustno1 whatever freedom
	hello hellothere computer internet access login changeme default guest test tester testing
	abc abcd abcde abcdef abc123 qazwsx 1qaz2wsx zaq12wsx michael jennifer jordan charlie
	thomas george daniel robert jessica ashley michelle nicole summer winter spring autumn
	flower cookie chocolate cheese pepper ginger tigger buster killer hunter ranger harley
	mustang ferrari porsche corvette yankees cowboys lakers liverpool arsenal chelsea
	barcelona juventus matrix ninja samurai wizard magic mylove angel angels baby babygirl
	sweetie honey darling family forever friends together heaven jesus christ blessed
	god lucky happy smile flower purple orange yellow silver golden diamond crystal
	money rich power music guitar rockstar rocknroll player gamer letmein1 welcome1
	company office work business summer2024 spring2024 qwertyuiop asdfghjkl zxcvbnm
	roster tenant server database system network security private secure`)

// suffixes are what people append to a word to pass a composition rule.
var suffixes = []string{"", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "!", "!!",
	"1!", "12!", "123!", "1234!", "@", "@123", "#1", "01", "007", "11", "13", "21", "22", "23", "69", "77",
	"88", "99", "100", "111", "666", "777", "888", "999", "2000", "2001", "2010", "2020", "2021", "2022",
	"2023", "2024", "2025", "2026", "2027", "321", "4321", "54321", "000", "0000", "1111", "abc", "xyz"}

// shortSuffixes are appended to dictionary words and names.
var shortSuffixes = []string{"1", "12", "123", "1234", "12345", "!", "1!", "123!", "2024", "2025", "2026", "01", "99"}

// wordSuffixes are appended to dictionary words short enough to need them.
var wordSuffixes = []string{"1", "123", "1234", "!", "2024", "2025"}

// walks are keyboard and digit sequences.
var walks = strings.Fields(`123456789012345678901234567890 098765432109876543210987654321 qwertyuiop asdfghjkl zxcvbnm qwertzuiop azertyuiop
	1qaz2wsx3edc4rfv 1q2w3e4r5t6y7u8i9o0p zaq1xsw2cde3vfr4 qazwsxedcrfv qweasdzxc
	abcdefghijklmnopqrstuvwxyz 0123456789 147258369 159753 753951 741852963 789456123 123qwe
	1qazxsw2 q1w2e3r4t5y6 a1b2c3d4e5f6 mnbvcxz lkjhgfdsa poiuytrewq`)

func main() {
	dict := flag.String("dict", "/usr/share/dict/american-english-small", "word list, one word a line")
	flag.Parse()
	set := map[string]bool{}
	add := func(s string) {
		s = strings.ToLower(s)
		if n := len([]rune(s)); n >= 8 && n <= 64 {
			set[s] = true
		}
	}
	for _, r := range roots {
		for _, s := range suffixes {
			add(r + s)
			add(s + r)
			add(leet(r) + s)
		}
		add(r + r)
		add(r + r + "1")
	}
	for _, w := range walks {
		for n := 8; n <= len(w); n++ {
			add(w[:n])
			add(w[len(w)-n:])
		}
		for _, s := range []string{"!", "1", "123", "!@#", "!@#$"} {
			add(w + s)
		}
	}
	// Repetitions: one character, and short units repeated.
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789!@#$%*.-_" {
		for n := 8; n <= 20; n++ {
			add(strings.Repeat(string(c), n))
		}
	}
	for _, unit := range []string{"12", "123", "1234", "ab", "abc", "abcd", "qwe", "asd", "xo", "ha", "lol", "69", "01", "10", "007", "aa1", "a1", "1a"} {
		for n := 2; n*len(unit) <= 24; n++ {
			add(strings.Repeat(unit, n))
		}
	}
	// Dates as digits: ddmmyyyy and yyyymmdd for years people choose.
	for y := 1950; y <= 2026; y++ {
		ys := strconv.Itoa(y)
		add(ys + ys)
		add("0101" + ys)
		add(ys + "0101")
		add("1234" + ys)
		add("password" + ys)
	}
	words, names := readDict(*dict)
	for _, w := range words {
		add(w)
		if len(w) <= 7 {
			for _, s := range wordSuffixes {
				add(w + s)
			}
		}
		if len(w) >= 4 && len(w) <= 6 {
			add(w + w)
		}
	}
	for _, n := range names {
		for _, s := range shortSuffixes {
			add(n + s)
		}
		add(n + n)
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, s := range out {
		fmt.Fprintln(w, s)
	}
}

// readDict returns the lower-case words (no apostrophes, no accents) of
// four letters or more, and the names (capitalized entries) of four to eight.
func readDict(path string) (words, names []string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "commongen:", err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := sc.Text()
		if len(w) < 4 || !ascii(w) {
			continue
		}
		switch {
		case unicode.IsUpper(rune(w[0])) && len(w) <= 8 && lowerAfterFirst(w):
			names = append(names, strings.ToLower(w))
		case !unicode.IsUpper(rune(w[0])):
			words = append(words, w)
		}
	}
	return words, names
}

func ascii(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'z' || (r > 'Z' && r < 'a') {
			return false
		}
	}
	return true
}

func lowerAfterFirst(s string) bool {
	for _, r := range s[1:] {
		if unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// leet swaps letters for the digits and symbols people substitute.
func leet(s string) string {
	return strings.NewReplacer("a", "@", "o", "0", "e", "3", "i", "1", "s", "$").Replace(s)
}
