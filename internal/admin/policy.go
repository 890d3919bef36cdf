package admin

import (
	"strings"
	"unicode/utf8"
)

// checkPassword applies the tenant's password policy (R-A1, NIST SP
// 800-63B): a length between the tenant's minimum and 128 characters, no
// composition rules, not the user's own name or address, not a common
// password. field names the input that carried pw.
func checkPassword(t *Tenant, u *User, field, pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < t.Settings.PasswordMinLength {
		return Invalid(field, "password_too_short", "A password has at least %d characters.", t.Settings.PasswordMinLength)
	}
	if n > MaxPasswordLength {
		return Invalid(field, "password_too_long", "A password has at most %d characters.", MaxPasswordLength)
	}
	lower := strings.ToLower(pw)
	local := strings.ToLower(u.Email)
	if i := strings.IndexByte(local, '@'); i > 0 {
		local = local[:i]
	}
	for _, own := range []string{strings.ToLower(u.Username), local, strings.ToLower(u.Email)} {
		if len(own) >= 4 && strings.Contains(lower, own) {
			return Invalid(field, "password_contains_identity", "A password may not contain your username or e-mail address.")
		}
	}
	if commonPasswords[lower] {
		return Invalid(field, "password_common", "This password is among the most commonly used ones; choose another.")
	}
	return nil
}

// commonPasswords are passwords long enough to pass a length rule that
// attackers try first.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(`123456789012 1234567890123 12345678901234 password1234 password12345
		passwordpassword qwertyuiopasdf qwertyuiop12 qwertyuiop123 1q2w3e4r5t6y 1qaz2wsx3edc
		iloveyou1234 administrator welcome12345 letmein12345 changeme1234 aaaaaaaaaaaa
		111111111111 000000000000 abcdefghijkl abc123456789 trustno1trustno1 football1234
		baseball1234 superman1234 sunshine1234 princess1234 monkey123456 dragon123456
		password123! p@ssw0rd1234 p@ssword1234 passw0rd1234 qwerty123456 asdfghjkl123`) {
		m[p] = true
	}
	return m
}()
