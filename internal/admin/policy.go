package admin

import (
	"strings"
	"unicode/utf8"

	"roster/internal/password"
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
	if password.IsCommon(lower) {
		return Invalid(field, "password_common", "This password is among the most commonly used ones; choose another.")
	}
	return nil
}
